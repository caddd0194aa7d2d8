"""The executor's pure parts, and what only a scripted node can do to it.

Claims, settles, refusals, gas sizing and coin choice run against the simulator
(tests/test_simnet_transactions.py). The node here is grpcio (an independent gRPC
implementation) on 127.0.0.1 for the faults the simulator cannot produce: an
answer lost after the transaction executed, and consensus congestion.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
import trio

from coordinator._pb.sui.rpc.v2 import (
    effects_pb2,
    ledger_service_pb2,
    object_pb2,
    state_service_pb2,
    transaction_execution_service_pb2,
)
from coordinator.backoff import Backoff
from coordinator.events.bcs import ADDRESS, BOOL, STRING, U64, Writer, vector
from coordinator.sui.client import SuiRejected, SuiUnavailable, connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.executor import (
    Executor,
    GasError,
    OperationResult,
    gas_budget,
    gas_charged,
    is_object_conflict,
    operation_results,
    select_gas_coins,
)
from coordinator.sui.gas_state import coins_of
from coordinator.sui.keys import SuiKey
from coordinator.sui.transactions import (
    CompleteJob,
    Multicall,
    SharedObject,
    StartJob,
    TransactionData,
    decode_operation,
    transaction_digest,
    verify_transaction_signature,
)

PACKAGE = "0x" + "ab" * 32
APP = SharedObject("0x" + "5a" * 32, 4242, True)
DIGEST = "sxjZS9UFY9ANja5Y2GcRyaUscAEHTZSFyemnKWFTiZR"  # 32 bytes in base58


def coin(index: int, balance: int, version: int = 1) -> object_pb2.Object:
    return object_pb2.Object(
        object_id="0x" + f"{index:02x}" * 32, version=version, digest=DIGEST, balance=balance
    )


def job_event(name: str, sequence: int, coordinator: str) -> tuple[str, bytes]:
    writer = Writer()
    writer.u64(sequence)
    writer.string(APP.object_id)
    writer.address(coordinator)
    writer.u64(1_700_000_000_000)
    return f"{PACKAGE}::jobs::{name}", writer.getvalue()


def multicall_event(
    coordinator: str, groups: list[tuple[list[int], list[bool]]]
) -> tuple[str, bytes]:
    writer = Writer()
    ADDRESS.encode(writer, coordinator)
    for jobs, results in groups:
        vector(U64).encode(writer, jobs)
        vector(BOOL).encode(writer, results)
    U64.encode(writer, 1)
    return f"{PACKAGE}::jobs::MulticallExecutedEvent", writer.getvalue()


def failed_event(operation: str, sequence: int) -> tuple[str, bytes]:
    writer = Writer()
    for text in (operation, "job"):
        STRING.encode(writer, text)
    U64.encode(writer, sequence)
    STRING.encode(writer, "not pending")
    return f"{PACKAGE}::multicall::OperationFailedEvent", writer.getvalue() + b"\x00" * 41


# --- pure parts -----------------------------------------------------------------------


def test_gas_budget_as_the_sdk_sizes_it_and_the_cap() -> None:
    used = effects_pb2.GasCostSummary(
        computation_cost=1_000_000, storage_cost=3_000_000, storage_rebate=1_000_000
    )
    assert gas_budget(used, 1000, None) == 1_000_000 + 1_000_000 + 2_000_000
    rebate_heavy = effects_pb2.GasCostSummary(
        computation_cost=1_000_000, storage_cost=0, storage_rebate=5_000_000
    )
    assert gas_budget(rebate_heavy, 1000, None) == 2_000_000  # never below computation + overhead
    assert gas_charged(rebate_heavy) == -4_000_000
    with pytest.raises(GasError, match=r"above sui\.gas_budget 3000000"):
        gas_budget(used, 1000, 3_000_000)


def test_gas_coins_largest_first_until_covered() -> None:
    owner = "0x" + "11" * 32
    coins = [coin(1, 10), coin(2, 500), coin(3, 0), coin(4, 300)]
    chosen = select_gas_coins(coins_of(coins), 600, owner)
    assert [c.ref.object_id for c in chosen] == ["0x" + "02" * 32, "0x" + "04" * 32]
    with pytest.raises(GasError, match=f"address {owner} has 810 MIST in 3 SUI coin"):
        select_gas_coins(coins_of(coins), 10_000, owner)
    with pytest.raises(GasError, match="has 0 MIST in 0"):
        select_gas_coins([], 1, owner)


def test_results_read_from_events() -> None:
    me = "0x" + "cc" * 32
    operations = [
        StartJob(1),
        StartJob(2),
        Multicall(complete=(3, 4), fail=((5, "x"),), start=((6, 1),)),
    ]
    events = [
        job_event("JobStartedEvent", 1, me),
        failed_event("start", 2),
        multicall_event(me, [([3, 4], [True, False]), ([5], [True]), ([], []), ([6], [True])]),
        (
            "0x" + "ee" * 32 + "::jobs::JobStartedEvent",
            U64.to_bytes(2) + b"\x00" * 41,
        ),  # other package
        (f"{PACKAGE}::jobs::MulticallExecutedEvent", b"\x01"),  # undecodable: ignored
    ]
    assert operation_results(operations, events, PACKAGE) == (
        OperationResult("start", 1, True),
        OperationResult("start", 2, False),
        OperationResult("complete", 3, True),
        OperationResult("complete", 4, False),
        OperationResult("fail", 5, True),
        OperationResult("start", 6, True),
    )


def test_object_conflicts_are_recognised() -> None:
    conflict = SuiRejected(
        "TransactionExecutionService/ExecuteTransaction",
        "INVALID_ARGUMENT",
        "Object ID 0x12 Version 0x5 Digest x is not available for consumption, "
        "current version: 0x6",
    )
    assert is_object_conflict(conflict)
    assert not is_object_conflict(SuiRejected("x", "INVALID_ARGUMENT", "signature is not valid"))


# --- against a node -------------------------------------------------------------------


class Node:
    """A fullnode's answers for the executor's calls, with scripted faults."""

    def __init__(self, key: SuiKey) -> None:
        self.key = key
        self.coins = [coin(1, 10_000_000_000, version=7), coin(2, 5, version=3)]
        self.executed: dict[str, bytes] = {}  # digest -> tx bytes
        self.execute_requests: list[bytes] = []
        self.faults: list[str] = []  # "unavailable_after" / "congested"
        self.simulated: list[TransactionData] = []
        self.lock = threading.Lock()

    def get_epoch(self, request: Any, context: grpc.ServicerContext) -> Any:
        assert list(request.read_mask.paths) == ["reference_gas_price"]
        return ledger_service_pb2.GetEpochResponse(epoch={"epoch": 3, "reference_gas_price": 750})

    def list_owned_objects(self, request: Any, context: grpc.ServicerContext) -> Any:
        return state_service_pb2.ListOwnedObjectsResponse(objects=self.coins)

    def _effects(self, tx: TransactionData) -> tuple[Any, list[Any]]:
        events = []
        for index in range(len(tx.kind.commands)):
            operation = decode_operation(tx, index).operation
            assert isinstance(operation, StartJob | CompleteJob)
            name = "JobStartedEvent" if isinstance(operation, StartJob) else "JobCompletedEvent"
            event_type, contents = job_event(name, operation.job_sequence, tx.sender)
            if operation.job_sequence == 13:  # taken by another coordinator
                event_type, contents = failed_event("start", 13)
            events.append({"event_type": event_type, "contents": {"value": contents}})
        gas = {"computation_cost": 1_000_000, "storage_cost": 2_000_000, "storage_rebate": 500_000}
        return {"status": {"success": True}, "gas_used": gas}, events

    def simulate(self, request: Any, context: grpc.ServicerContext) -> Any:
        tx = TransactionData.from_bytes(request.transaction.bcs.value)
        self.simulated.append(tx)
        effects, _ = self._effects(tx)
        return transaction_execution_service_pb2.SimulateTransactionResponse(
            transaction={"effects": effects}
        )

    def execute(self, request: Any, context: grpc.ServicerContext) -> Any:
        tx_bytes = request.transaction.bcs.value
        self.execute_requests.append(tx_bytes)
        signer = verify_transaction_signature(tx_bytes, request.signatures[0].bcs.value)
        if signer is None:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "signature is not valid")
        tx = TransactionData.from_bytes(tx_bytes)
        assert signer == tx.sender == tx.gas.owner
        fault = self.faults.pop(0) if self.faults else None
        digest = transaction_digest(tx_bytes)
        with self.lock:
            self.executed.setdefault(digest, tx_bytes)
        if fault == "unavailable_after":  # executed, but the answer is lost
            context.abort(grpc.StatusCode.UNAVAILABLE, "connection reset")
        effects, events = self._effects(tx)
        if fault == "congested":
            effects = {
                "status": {
                    "success": False,
                    "error": {
                        "description": "congested",
                        "kind": "EXECUTION_CANCELED_DUE_TO_CONSENSUS_OBJECT_CONGESTION",
                    },
                },
                "gas_used": {"computation_cost": 1000},
            }
            events = []
        return transaction_execution_service_pb2.ExecuteTransactionResponse(
            transaction={"digest": digest, "effects": effects, "events": {"events": events}}
        )

    def handlers(self) -> list[Any]:
        def unary(fn: Any, request_type: Any) -> Any:
            return grpc.unary_unary_rpc_method_handler(
                fn,
                request_deserializer=request_type.FromString,
                response_serializer=lambda m: m.SerializeToString(),
            )

        execution = transaction_execution_service_pb2
        return [
            grpc.method_handlers_generic_handler(
                "sui.rpc.v2.LedgerService",
                {"GetEpoch": unary(self.get_epoch, ledger_service_pb2.GetEpochRequest)},
            ),
            grpc.method_handlers_generic_handler(
                "sui.rpc.v2.StateService",
                {
                    "ListOwnedObjects": unary(
                        self.list_owned_objects, state_service_pb2.ListOwnedObjectsRequest
                    ),
                },
            ),
            grpc.method_handlers_generic_handler(
                "sui.rpc.v2.TransactionExecutionService",
                {
                    "ExecuteTransaction": unary(self.execute, execution.ExecuteTransactionRequest),
                    "SimulateTransaction": unary(
                        self.simulate, execution.SimulateTransactionRequest
                    ),
                },
            ),
        ]


@pytest.fixture
def node() -> Iterator[tuple[Node, Endpoint]]:
    fake = Node(SuiKey.generate())
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers(fake.handlers())
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield fake, Endpoint("http", host="127.0.0.1", port=port)
    finally:
        server.stop(grace=None).wait(5)


def executor(node: Node, endpoint: Endpoint, **kwargs: Any) -> Executor:
    return Executor(
        key=node.key,
        connect=functools.partial(connect, endpoint, timeout=5),
        package=PACKAGE,
        backoff=Backoff(initial=0.01, maximum=0.05),
        **kwargs,
    )


async def test_a_lost_answer_resends_the_same_transaction(node: tuple[Node, Endpoint]) -> None:
    fake, endpoint = node
    fake.faults = ["unavailable_after"]
    with trio.fail_after(20):
        outcome = await executor(fake, endpoint).execute(APP, [CompleteJob(5)])
    assert outcome.success and outcome.attempts == 2
    assert fake.execute_requests[0] == fake.execute_requests[1]  # no second transaction
    assert len(fake.executed) == 1 and len(fake.simulated) == 1


async def test_congestion_rebuilds_with_fresh_coins(node: tuple[Node, Endpoint]) -> None:
    fake, endpoint = node
    fake.faults = ["congested"]
    with trio.fail_after(20):
        outcome = await executor(fake, endpoint).execute(APP, [StartJob(1)])
    assert outcome.success and outcome.attempts == 2
    assert len(fake.simulated) == 2  # prepared anew after the congestion


async def test_retries_end(node: tuple[Node, Endpoint]) -> None:
    fake, endpoint = node
    fake.faults = ["unavailable_after"] * 3
    with trio.fail_after(20), pytest.raises(SuiUnavailable, match="connection reset"):
        await executor(fake, endpoint, max_attempts=3).execute(APP, [StartJob(1)])
    assert len(fake.executed) == 1  # one transaction, sent three times
