"""The generated protobuf code in coordinator/_pb: up to date, right numbers, working bindings."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncGenerator, Iterator
from concurrent import futures
from contextlib import aclosing
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import grpc
import purerpc
import pytest
import trio
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor
from purerpc.server import ConnectionHandler

from coordinator._pb.silvana.coordinator.v1 import coordinator_grpc, coordinator_pb2
from coordinator._pb.sui.rpc.v2 import (
    argument_pb2,
    checkpoint_pb2,
    effects_pb2,
    event_pb2,
    executed_transaction_pb2,
    filter_pb2,
    input_pb2,
    ledger_service_grpc,
    ledger_service_pb2,
    move_package_pb2,
    object_pb2,
    owner_pb2,
    query_options_pb2,
    signature_pb2,
    state_service_grpc,
    state_service_pb2,
    subscription_service_grpc,
    subscription_service_pb2,
    transaction_execution_service_grpc,
    transaction_execution_service_pb2,
    transaction_pb2,
)

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "coordinator" / "_pb"


def generated_files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_committed_code_matches_generator(tmp_path: Path) -> None:
    fresh = tmp_path / "_pb"
    subprocess.run(
        [str(ROOT / "scripts" / "gen-proto"), str(fresh)],
        check=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    expected, committed = generated_files(fresh), generated_files(COMMITTED)
    stale = sorted(name for name in expected if committed.get(name) != expected[name])
    extra = sorted(set(committed) - set(expected))
    assert not stale and not extra, (
        f"coordinator/_pb is out of date; run scripts/gen-proto. "
        f"Stale or missing: {stale}; not generated: {extra}"
    )


def test_generator_output_is_deterministic(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        subprocess.run(
            [str(ROOT / "scripts" / "gen-proto"), str(tmp_path / name)],
            check=True,
            env={**os.environ, "PYTHON": sys.executable},
        )
        runs.append(generated_files(tmp_path / name))
    assert runs[0] == runs[1]
    assert not any(str(tmp_path).encode() in content for content in runs[0].values())


@pytest.mark.parametrize(
    ("message", "field", "number", "presence"),
    [
        (event_pb2.Event.DESCRIPTOR, "contents", 5, True),
        (event_pb2.Event.DESCRIPTOR, "event_index", 10, True),
        (event_pb2.TransactionEvents.DESCRIPTOR, "events", 3, False),
        (object_pb2.Object.DESCRIPTOR, "json", 100, True),
        (checkpoint_pb2.Checkpoint.DESCRIPTOR, "transactions", 6, False),
        (checkpoint_pb2.CheckpointSummary.DESCRIPTOR, "timestamp", 9, True),
        (executed_transaction_pb2.ExecutedTransaction.DESCRIPTOR, "transaction_index", 10, True),
        (subscription_service_pb2.SubscribeCheckpointsResponse.DESCRIPTOR, "cursor", 1, True),
        (subscription_service_pb2.SubscribeCheckpointsResponse.DESCRIPTOR, "checkpoint", 2, True),
        (subscription_service_pb2.SubscribeEventsResponse.DESCRIPTOR, "watermark", 2, True),
        (ledger_service_pb2.GetServiceInfoResponse.DESCRIPTOR, "server", 8, True),
        (ledger_service_pb2.ListEventsRequest.DESCRIPTOR, "options", 5, True),
        (ledger_service_pb2.ListEventsResponse.DESCRIPTOR, "end", 3, True),
        (filter_pb2.EventLiteral.DESCRIPTOR, "event_stream_head", 5, True),
        (filter_pb2.TransactionLiteral.DESCRIPTOR, "event_type", 7, True),
        (state_service_pb2.DynamicField.DESCRIPTOR, "child_object", 9, True),
        (object_pb2.Object.DESCRIPTOR, "owner", 5, True),
        (object_pb2.Object.DESCRIPTOR, "balance", 101, True),
        (owner_pb2.Owner.DESCRIPTOR, "version", 3, True),
        (transaction_pb2.Transaction.DESCRIPTOR, "bcs", 1, True),
        (transaction_pb2.Transaction.DESCRIPTOR, "gas_payment", 6, True),
        (transaction_pb2.GasPayment.DESCRIPTOR, "budget", 4, True),
        (signature_pb2.UserSignature.DESCRIPTOR, "scheme", 2, True),
        (executed_transaction_pb2.ExecutedTransaction.DESCRIPTOR, "transaction", 2, True),
        (executed_transaction_pb2.ExecutedTransaction.DESCRIPTOR, "signatures", 3, False),
        (executed_transaction_pb2.ExecutedTransaction.DESCRIPTOR, "effects", 4, True),
        (effects_pb2.TransactionEffects.DESCRIPTOR, "status", 4, True),
        (effects_pb2.TransactionEffects.DESCRIPTOR, "gas_used", 6, True),
        (effects_pb2.TransactionEffects.DESCRIPTOR, "gas_object", 8, True),
        (effects_pb2.TransactionEffects.DESCRIPTOR, "changed_objects", 12, False),
        (effects_pb2.ChangedObject.DESCRIPTOR, "output_version", 7, True),
        (effects_pb2.ChangedObject.DESCRIPTOR, "output_owner", 9, True),
        (effects_pb2.GasCostSummary.DESCRIPTOR, "non_refundable_storage_fee", 4, True),
        (effects_pb2.ExecutionStatus.DESCRIPTOR, "error", 2, True),
        (effects_pb2.ExecutionError.DESCRIPTOR, "kind", 3, True),
        (effects_pb2.ExecutionError.DESCRIPTOR, "abort", 4, True),
        (effects_pb2.ExecutionError.DESCRIPTOR, "object_id", 10, True),
        (effects_pb2.MoveAbort.DESCRIPTOR, "location", 2, True),
        (ledger_service_pb2.GetEpochRequest.DESCRIPTOR, "read_mask", 2, True),
        (ledger_service_pb2.Epoch.DESCRIPTOR, "reference_gas_price", 8, True),
        (state_service_pb2.ListOwnedObjectsRequest.DESCRIPTOR, "object_type", 5, True),
        (state_service_pb2.ListOwnedObjectsResponse.DESCRIPTOR, "next_page_token", 2, True),
        (state_service_pb2.GetBalanceRequest.DESCRIPTOR, "coin_type", 2, True),
        (state_service_pb2.Balance.DESCRIPTOR, "balance", 3, True),
        (
            transaction_execution_service_pb2.ExecuteTransactionRequest.DESCRIPTOR,
            "signatures",
            2,
            False,
        ),
        (
            transaction_execution_service_pb2.ExecuteTransactionRequest.DESCRIPTOR,
            "read_mask",
            3,
            True,
        ),
        (
            transaction_execution_service_pb2.SimulateTransactionRequest.DESCRIPTOR,
            "checks",
            3,
            True,
        ),
        (
            transaction_execution_service_pb2.SimulateTransactionRequest.DESCRIPTOR,
            "do_gas_selection",
            4,
            True,
        ),
        (
            transaction_execution_service_pb2.SimulateTransactionResponse.DESCRIPTOR,
            "command_outputs",
            2,
            False,
        ),
        (
            transaction_execution_service_pb2.SimulateTransactionResponse.DESCRIPTOR,
            "suggested_gas_price",
            3,
            True,
        ),
        (transaction_execution_service_pb2.CommandResult.DESCRIPTOR, "return_values", 1, False),
        (transaction_execution_service_pb2.CommandOutput.DESCRIPTOR, "value", 2, True),
        (argument_pb2.Argument.DESCRIPTOR, "subresult", 4, True),
        (transaction_pb2.Transaction.DESCRIPTOR, "kind", 4, True),
        (transaction_pb2.Transaction.DESCRIPTOR, "expiration", 7, True),
        (transaction_pb2.MoveCall.DESCRIPTOR, "arguments", 5, False),
        (input_pb2.Input.DESCRIPTOR, "mutable", 6, True),
        (executed_transaction_pb2.ExecutedTransaction.DESCRIPTOR, "balance_changes", 8, False),
        (effects_pb2.ChangedObject.DESCRIPTOR, "input_owner", 5, True),
        (effects_pb2.TransactionEffects.DESCRIPTOR, "lamport_version", 11, True),
        (ledger_service_pb2.Epoch.DESCRIPTOR, "protocol_config", 9, True),
        (ledger_service_pb2.GetObjectResult.DESCRIPTOR, "error", 2, True),
        (state_service_pb2.Balance.DESCRIPTOR, "coin_balance", 5, True),
        (move_package_pb2.FunctionDescriptor.DESCRIPTOR, "parameters", 8, False),
        (coordinator_pb2.Job.DESCRIPTOR, "attempts", 15, False),
        (coordinator_pb2.Job.DESCRIPTOR, "description", 2, True),
        (coordinator_pb2.GetJobRequest.DESCRIPTOR, "session_id", 4, False),
        (coordinator_pb2.GetJobResponse.DESCRIPTOR, "job", 3, True),
        (coordinator_pb2.FailJobRequest.DESCRIPTOR, "error_message", 2, False),
    ],
)
def test_field_numbers(message: Descriptor, field: str, number: int, presence: bool) -> None:
    descriptor = message.fields_by_name[field]
    assert descriptor.number == number
    assert descriptor.has_presence == presence


def test_names_match_upstream() -> None:
    assert event_pb2.Event.DESCRIPTOR.full_name == "sui.rpc.v2.Event"
    assert [d.name for d in filter_pb2.EventLiteral.DESCRIPTOR.oneofs] == ["predicate"]
    get_checkpoint = ledger_service_pb2.GetCheckpointRequest.DESCRIPTOR
    assert get_checkpoint.oneofs_by_name["checkpoint_id"].fields == [
        get_checkpoint.fields_by_name["sequence_number"],
        get_checkpoint.fields_by_name["digest"],
    ]
    assert query_options_pb2.Ordering.Name(1) == "ORDERING_DESCENDING"
    assert query_options_pb2.QueryEndReason.Name(5) == "QUERY_END_REASON_LEDGER_TIP"
    assert owner_pb2.Owner.OwnerKind.Name(3) == "SHARED"
    assert signature_pb2.SignatureScheme.Name(0) == "ED25519"
    error = effects_pb2.ExecutionError
    assert [error.ExecutionErrorKind.Value(n) for n in ("INSUFFICIENT_GAS", "MOVE_ABORT")] == [
        1,
        13,
    ]
    assert error.ExecutionErrorKind.Value("INPUT_OBJECT_DELETED") == 33
    assert [f.name for f in error.DESCRIPTOR.oneofs_by_name["error_details"].fields] == [
        "abort",
        "object_id",
        "congested_objects",
    ]
    assert effects_pb2.ChangedObject.IdOperation.Value("DELETED") == 3
    assert (
        transaction_execution_service_pb2.SimulateTransactionRequest.TransactionChecks.Name(1)
        == "DISABLED"
    )
    assert set(coordinator_pb2.Job.DESCRIPTOR.fields_by_number) == set(range(1, 19))


UNARY, STREAM = purerpc.Cardinality.UNARY_UNARY, purerpc.Cardinality.UNARY_STREAM


@pytest.mark.parametrize(
    ("servicer", "stub", "name", "methods"),
    [
        (
            ledger_service_grpc.LedgerServiceServicer,
            ledger_service_grpc.LedgerServiceStub,
            "sui.rpc.v2.LedgerService",
            {
                "GetServiceInfo": UNARY,
                "GetObject": UNARY,
                "BatchGetObjects": UNARY,
                "GetTransaction": UNARY,
                "GetCheckpoint": UNARY,
                "GetEpoch": UNARY,
                "ListEvents": STREAM,
            },
        ),
        (
            subscription_service_grpc.SubscriptionServiceServicer,
            subscription_service_grpc.SubscriptionServiceStub,
            "sui.rpc.v2.SubscriptionService",
            {"SubscribeCheckpoints": STREAM, "SubscribeEvents": STREAM},
        ),
        (
            state_service_grpc.StateServiceServicer,
            state_service_grpc.StateServiceStub,
            "sui.rpc.v2.StateService",
            {"ListDynamicFields": UNARY, "ListOwnedObjects": UNARY, "GetBalance": UNARY,
             "ListBalances": UNARY},
        ),
        (
            transaction_execution_service_grpc.TransactionExecutionServiceServicer,
            transaction_execution_service_grpc.TransactionExecutionServiceStub,
            "sui.rpc.v2.TransactionExecutionService",
            {"ExecuteTransaction": UNARY, "SimulateTransaction": UNARY},
        ),
        (
            coordinator_grpc.CoordinatorServiceServicer,
            coordinator_grpc.CoordinatorServiceStub,
            "silvana.coordinator.v1.CoordinatorService",
            # Upstream's 31 calls; the wire test (test_rpc_wire.py) checks each one.
            {name: UNARY for name in coordinator_pb2.DESCRIPTOR
             .services_by_name["CoordinatorService"].methods_by_name},
        ),
        (
            coordinator_grpc.CoordinatorStatusServiceServicer,
            coordinator_grpc.CoordinatorStatusServiceStub,
            "silvana.coordinator.v1.CoordinatorStatusService",
            {"GetStatus": UNARY},
        ),
    ],
)
def test_purerpc_bindings(
    servicer: type[Any], stub: type[Any], name: str, methods: dict[str, purerpc.Cardinality]
) -> None:
    service = servicer().service
    assert service.name == name
    assert {m: bound.signature.cardinality for m, bound in service.methods.items()} == methods
    for method, bound in service.methods.items():
        rpc = descriptor_pool.Default().FindServiceByName(name).methods_by_name[method]
        assert bound.signature.request_type.DESCRIPTOR is rpc.input_type
        assert bound.signature.response_type.DESCRIPTOR is rpc.output_type
        assert callable(getattr(stub, method))


def test_unknown_error_kinds_survive_decoding() -> None:
    """Kinds we do not name (upstream has ~40) still arrive, as their number."""
    # ExecutionError{kind = 25 (EFFECTS_TOO_LARGE upstream)}: tag (3 << 3 | 0), value 25.
    error = effects_pb2.ExecutionError.FromString(bytes([0x18, 25]))
    assert error.kind == 25


def test_wire_bytes_of_an_execute_request() -> None:
    """Tag bytes as protoc assigns them from upstream's numbers (field << 3 | wire type)."""
    request = transaction_execution_service_pb2.ExecuteTransactionRequest(
        transaction={"bcs": {"value": b"\x00"}},
        signatures=[{"bcs": {"value": b"\x01"}}],
    )
    # transaction (1, LEN) { bcs (1, LEN) { value (2, LEN) } }, signatures (2, LEN) { ... }
    assert request.SerializeToString() == bytes(
        [0x0A, 5, 0x0A, 3, 0x12, 1, 0x00, 0x12, 5, 0x0A, 3, 0x12, 1, 0x01]
    )
    coin = object_pb2.Object(balance=1, owner={"kind": 1})
    assert coin.SerializeToString() == bytes([0x2A, 2, 0x08, 1, 0xA8, 0x06, 1])


# --- Round trips against an independent gRPC implementation (grpcio) on 127.0.0.1 ---


def serialize(message: Any) -> bytes:
    data: bytes = message.SerializeToString()
    return data


def checkpoint(sequence: int) -> checkpoint_pb2.Checkpoint:
    event = event_pb2.Event(
        event_type="0x1::coordination::JobCreatedEvent",
        contents={"value": b"\x01\x02"},
        event_index=0,
    )
    return checkpoint_pb2.Checkpoint(
        sequence_number=sequence,
        transactions=[{"digest": f"tx{sequence}", "events": {"events": [event]}}],
    )


@pytest.fixture
def grpcio_sui() -> Iterator[tuple[int, list[Any]]]:
    """A grpcio server with GetServiceInfo and SubscribeCheckpoints; yields (port, requests)."""
    requests: list[Any] = []

    def get_service_info(request: Any, context: grpc.ServicerContext) -> Any:
        requests.append((request, dict(context.invocation_metadata())))
        return ledger_service_pb2.GetServiceInfoResponse(chain="testnet", checkpoint_height=12)

    def subscribe_checkpoints(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        requests.append(request)
        response = subscription_service_pb2.SubscribeCheckpointsResponse
        yield response(cursor=10, checkpoint=checkpoint(10))
        yield response(cursor=11)  # progress only
        yield response(cursor=12, checkpoint=checkpoint(12))
        context.abort(grpc.StatusCode.UNAVAILABLE, "stream reset")

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                "sui.rpc.v2.LedgerService",
                {
                    "GetServiceInfo": grpc.unary_unary_rpc_method_handler(
                        get_service_info,
                        request_deserializer=ledger_service_pb2.GetServiceInfoRequest.FromString,
                        response_serializer=serialize,
                    ),
                },
            ),
            grpc.method_handlers_generic_handler(
                "sui.rpc.v2.SubscriptionService",
                {
                    "SubscribeCheckpoints": grpc.unary_stream_rpc_method_handler(
                        subscribe_checkpoints,
                        request_deserializer=subscription_service_pb2.SubscribeCheckpointsRequest.FromString,
                        response_serializer=serialize,
                    ),
                },
            ),
        ]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield port, requests
    finally:
        server.stop(grace=None)


async def test_stub_unary_against_grpcio(grpcio_sui: tuple[int, list[Any]]) -> None:
    port, requests = grpcio_sui
    with trio.fail_after(10):
        async with purerpc.insecure_channel("127.0.0.1", port) as channel:
            stub = ledger_service_grpc.LedgerServiceStub(channel)
            info = await stub.GetServiceInfo(
                ledger_service_pb2.GetServiceInfoRequest(), metadata=[("x-silvana", "test")]
            )
            assert (info.chain, info.checkpoint_height) == ("testnet", 12)
            assert not info.HasField("epoch")
            assert requests[0][1]["x-silvana"] == "test"

            with pytest.raises(purerpc.UnimplementedError):
                await stub.GetObject(ledger_service_pb2.GetObjectRequest(object_id="0x5"))


async def test_stub_server_stream_against_grpcio(grpcio_sui: tuple[int, list[Any]]) -> None:
    port, requests = grpcio_sui
    request = subscription_service_pb2.SubscribeCheckpointsRequest(
        read_mask={"paths": ["transactions.events.events.contents"]},
        filter={"terms": [{"literals": [{"emit_module": {"module": "0x1::coordination"}}]}]},
    )
    frames = []
    with trio.fail_after(10):
        async with purerpc.insecure_channel("127.0.0.1", port) as channel:
            stub = subscription_service_grpc.SubscriptionServiceStub(channel)
            with pytest.raises(purerpc.UnavailableError, match="stream reset"):
                async with aclosing(stub.SubscribeCheckpoints(request)) as stream:
                    async for frame in stream:
                        frames.append(frame)

    assert requests == [request]
    assert [f.cursor for f in frames] == [10, 11, 12]
    assert all(f.HasField("cursor") for f in frames)
    assert [f.HasField("checkpoint") for f in frames] == [True, False, True]
    event = frames[2].checkpoint.transactions[0].events.events[0]
    assert (event.contents.value, event.event_index) == (b"\x01\x02", 0)
    assert event.HasField("event_index") and not event.HasField("checkpoint")


async def test_servicer_answers_grpcio_client(nursery: trio.Nursery) -> None:
    """Our Servicer under purerpc: overridden streams work, the rest answer UNIMPLEMENTED."""

    class Subscriptions(subscription_service_grpc.SubscriptionServiceServicer):
        async def SubscribeCheckpoints(
            self, input_message: subscription_service_pb2.SubscribeCheckpointsRequest
        ) -> AsyncGenerator[subscription_service_pb2.SubscribeCheckpointsResponse, None]:
            for cursor in (1, 2):
                yield subscription_service_pb2.SubscribeCheckpointsResponse(cursor=cursor)

    service = Subscriptions().service
    # purerpc.Server binds every interface; serve its connection handler on 127.0.0.1 only.
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    handler = ConnectionHandler({service.name: service}, purerpc.Server())
    nursery.start_soon(listener.serve, handler)

    def call() -> tuple[list[int], grpc.StatusCode]:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            subscribe = channel.unary_stream(
                "/sui.rpc.v2.SubscriptionService/SubscribeCheckpoints",
                request_serializer=serialize,
                response_deserializer=subscription_service_pb2.SubscribeCheckpointsResponse.FromString,
            )
            cursors = [
                f.cursor
                for f in subscribe(
                    subscription_service_pb2.SubscribeCheckpointsRequest(), timeout=10
                )
            ]
            events = channel.unary_stream(
                "/sui.rpc.v2.SubscriptionService/SubscribeEvents",
                request_serializer=serialize,
                response_deserializer=subscription_service_pb2.SubscribeEventsResponse.FromString,
            )
            with pytest.raises(grpc.RpcError) as error:
                list(events(subscription_service_pb2.SubscribeEventsRequest(), timeout=10))
            return cursors, error.value.code()

    with trio.fail_after(20):
        cursors, code = await trio.to_thread.run_sync(call)
    assert cursors == [1, 2]
    assert code == grpc.StatusCode.UNIMPLEMENTED
