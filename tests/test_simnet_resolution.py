"""What a wallet or SDK asks of the simulator besides signed BCS, over grpcio:
structured transactions resolved by SimulateTransaction (object inputs by id,
do_gas_selection), BatchGetObjects, ListBalances, GetEpoch's system state and
protocol config, and MovePackageService."""

from __future__ import annotations

import grpc
import pytest
import trio
from google.protobuf.field_mask_pb2 import FieldMask

from coordinator._pb.sui.rpc.v2 import (
    argument_pb2,
    input_pb2,
    ledger_service_pb2,
    move_package_pb2,
    move_package_service_pb2,
    state_service_pb2,
    transaction_execution_service_pb2,
    transaction_pb2,
)
from coordinator.simnet import Simnet, serve
from coordinator.simnet.gas import BASE_UNITS
from coordinator.sui.codec import CLOCK, SharedObject, TransactionData
from coordinator.sui.keys import SuiKey
from tests.support import job_chain
from tests.test_simnet_grpc import Client, in_thread

SUI = 1_000_000_000
TX = "sui.rpc.v2.TransactionExecutionService"
LEDGER = "sui.rpc.v2.LedgerService"
STATE = "sui.rpc.v2.StateService"
PACKAGES = "sui.rpc.v2.MovePackageService"
Sim = transaction_execution_service_pb2.SimulateTransactionRequest
Input = input_pb2.Input
Argument = argument_pb2.Argument


@pytest.fixture
async def served(nursery: trio.Nursery) -> tuple[Simnet, str, SuiKey]:
    sim = job_chain()
    key = SuiKey.generate()
    sim.fund(key.address, 3 * SUI)
    sim.fund(key.address, 5 * SUI)
    sim.seal()
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    return sim, target, key


def start_job(sim: Simnet, sender: str, app_input: Input) -> transaction_pb2.Transaction:
    """`start_app_job(app, 1, clock)` as an SDK sends it: objects by id, no gas."""
    call = transaction_pb2.MoveCall(
        package=sim.package_id, module="app_instance", function="start_app_job",
        arguments=[Argument(kind=Argument.INPUT, input=i) for i in range(3)],
    )  # fmt: skip
    tx = transaction_pb2.Transaction(sender=sender)
    programmable = tx.kind.programmable_transaction
    programmable.inputs.extend(
        [app_input, Input(kind=Input.PURE, pure=(1).to_bytes(8, "little")), Input(object_id="0x6")]
    )
    programmable.commands.add().move_call.CopyFrom(call)
    return tx


def simulate(client: Client, tx: transaction_pb2.Transaction) -> object:
    request = Sim(transaction=tx, do_gas_selection=True, read_mask=FieldMask(paths=[
        "transaction.transaction", "transaction.effects.status", "transaction.effects.gas_used",
    ]))  # fmt: skip
    return client.unary(
        f"{TX}/SimulateTransaction", request,
        transaction_execution_service_pb2.SimulateTransactionResponse,
    )  # fmt: skip


async def test_a_structured_transaction_is_resolved_and_given_gas(
    served: tuple[Simnet, str, SuiKey],
) -> None:
    sim, target, key = served
    app = sim.app_instance("app")
    tx = start_job(sim, key.address, Input(object_id=app.id))
    response = await in_thread(target, lambda client: simulate(client, tx))
    resolved = response.transaction.transaction  # type: ignore[attr-defined]
    assert response.transaction.effects.status.success  # type: ignore[attr-defined]
    data = TransactionData.from_bytes(resolved.bcs.value)
    assert data.kind.inputs[0] == SharedObject(app.id, app.initial_shared_version, True)
    assert data.kind.inputs[2] == CLOCK
    # The larger coin alone covers the dry run's budget, at the reference price.
    largest = max(sim.coins.owned_by(key.address), key=lambda coin: coin.balance)
    assert [ref.object_id for ref in data.gas.payment] == [largest.id]
    assert data.gas.price == sim.reference_gas_price
    assert data.gas.budget >= BASE_UNITS * data.gas.price
    used = response.transaction.effects.gas_used  # type: ignore[attr-defined]
    assert data.gas.budget > used.computation_cost
    # The structured form says the same as the BCS.
    assert resolved.gas_payment.budget == data.gas.budget
    assert resolved.kind.programmable_transaction.inputs[0].kind == Input.SHARED
    assert resolved.expiration.kind == transaction_pb2.TransactionExpiration.NONE


async def test_a_kind_alone_is_resolved_with_checks_disabled(
    served: tuple[Simnet, str, SuiKey],
) -> None:
    """What the SDK sends to build only a transaction kind (e.g. for a sponsor)."""
    sim, target, _ = served
    app = sim.app_instance("app")
    tx = start_job(sim, "0x0", Input(object_id=app.id))
    request = Sim(transaction=tx, checks=Sim.DISABLED, read_mask=FieldMask(paths=[
        "transaction.transaction.kind", "transaction.effects.status",
    ]))  # fmt: skip
    response = await in_thread(target, lambda client: client.unary(
        f"{TX}/SimulateTransaction", request,
        transaction_execution_service_pb2.SimulateTransactionResponse,
    ))  # fmt: skip
    inputs = response.transaction.transaction.kind.programmable_transaction.inputs
    assert [(i.kind, i.object_id) for i in inputs if i.kind != Input.PURE] == [
        (Input.SHARED, app.id), (Input.SHARED, CLOCK.object_id),
    ]
    assert [i.mutable for i in inputs if i.kind == Input.SHARED] == [True, False]


async def test_resolution_refuses_what_the_chain_lacks(served: tuple[Simnet, str, SuiKey]) -> None:
    sim, target, key = served
    unknown = start_job(sim, key.address, Input(object_id="0x" + "ab" * 32))
    poor = start_job(sim, SuiKey.generate().address, Input(object_id=sim.app_instance("app").id))

    def refusals(client: Client) -> list[tuple[grpc.StatusCode, str]]:
        found = []
        for tx in (unknown, poor):
            with pytest.raises(grpc.RpcError) as caught:
                simulate(client, tx)
            found.append((caught.value.code(), caught.value.details()))
        return found

    (code, text), (poor_code, poor_text) = await in_thread(target, refusals)
    assert code == poor_code == grpc.StatusCode.INVALID_ARGUMENT
    assert f"Could not find the referenced object 0x{'ab' * 32}" in text
    assert "Cannot find gas coin for signer address" in poor_text


async def test_objects_balances_and_epoch(served: tuple[Simnet, str, SuiKey]) -> None:
    sim, target, key = served
    app, coin = sim.app_instance("app"), sim.coins.owned_by(key.address)[0]
    missing = "0x" + "cd" * 32
    faucet = sim.chain.tip.transactions[-1].digest  # the simulator's own transaction

    def reads(client: Client) -> tuple[object, ...]:
        batch = client.unary(f"{LEDGER}/BatchGetObjects", ledger_service_pb2.BatchGetObjectsRequest(
            requests=[ledger_service_pb2.GetObjectRequest(object_id=i)
                      for i in (app.id, coin.id, missing)],
            read_mask=FieldMask(paths=["object_id", "owner", "balance"]),
        ), ledger_service_pb2.BatchGetObjectsResponse)  # fmt: skip
        balances = client.unary(
            f"{STATE}/ListBalances", state_service_pb2.ListBalancesRequest(owner=key.address),
            state_service_pb2.ListBalancesResponse,
        )  # fmt: skip
        epoch = client.unary(f"{LEDGER}/GetEpoch", ledger_service_pb2.GetEpochRequest(
            read_mask=FieldMask(paths=["protocol_config", "system_state.epoch", "start"])
        ), ledger_service_pb2.GetEpochResponse)  # fmt: skip
        funded = client.unary(f"{LEDGER}/GetTransaction", ledger_service_pb2.GetTransactionRequest(
            digest=faucet, read_mask=FieldMask(paths=["effects.status"])
        ), ledger_service_pb2.GetTransactionResponse)  # fmt: skip
        return batch, balances, epoch, funded

    batch, balances, epoch, funded = await in_thread(target, reads)
    assert funded.transaction.effects.status.success  # type: ignore[attr-defined]
    first, second, third = batch.objects  # type: ignore[attr-defined]
    assert first.object.object_id == app.id and first.object.owner.version > 0
    assert second.object.balance == coin.balance
    assert (third.error.code, third.error.message) == (5, f"object {missing} not found")
    (balance,) = balances.balances  # type: ignore[attr-defined]
    assert balance.balance == balance.coin_balance == 8 * SUI and balance.address_balance == 0
    got = epoch.epoch  # type: ignore[attr-defined]
    assert got.system_state.epoch == 0 and not got.HasField("reference_gas_price")
    assert got.protocol_config.protocol_version > 0 and got.start.seconds > 0


async def test_move_package_service(served: tuple[Simnet, str, SuiKey]) -> None:
    sim, target, _ = served

    def reads(client: Client) -> tuple[object, object, object, grpc.StatusCode]:
        packages = move_package_service_pb2
        datatype = client.unary(f"{PACKAGES}/GetDatatype", packages.GetDatatypeRequest(
            package_id=sim.package_id, module_name="jobs", name="Job"
        ), packages.GetDatatypeResponse)  # fmt: skip
        status = client.unary(f"{PACKAGES}/GetDatatype", packages.GetDatatypeRequest(
            package_id=sim.package_id, module_name="jobs", name="JobStatus"
        ), packages.GetDatatypeResponse)  # fmt: skip
        function = client.unary(f"{PACKAGES}/GetFunction", packages.GetFunctionRequest(
            package_id=sim.package_id, module_name="app_instance", name="create_app_job"
        ), packages.GetFunctionResponse)  # fmt: skip
        with pytest.raises(grpc.RpcError) as caught:
            client.unary(f"{PACKAGES}/GetPackage", move_package_service_pb2.GetPackageRequest(
                package_id="0x99"
            ), move_package_service_pb2.GetPackageResponse)  # fmt: skip
        return datatype, status, function, caught.value.code()

    datatype, status, function, code = await in_thread(target, reads)
    job = datatype.datatype  # type: ignore[attr-defined]
    assert job.type_name == f"{sim.package_id}::jobs::Job"
    assert list(job.abilities) == [move_package_pb2.KEY, move_package_pb2.STORE]
    Body = move_package_pb2.OpenSignatureBody
    # Its fields as the Move source declares them: sequences is Option<vector<u64>>.
    sequences = job.fields[10]
    assert (sequences.name, sequences.position) == ("sequences", 10)
    vector = sequences.type.type_parameter_instantiation[0]
    assert (vector.type, vector.type_parameter_instantiation[0].type) == (Body.VECTOR, Body.U64)
    # JobStatus, an enum: Pending, Running, Failed(String).
    variants = status.datatype.variants  # type: ignore[attr-defined]
    assert [(v.name, [f.name for f in v.fields]) for v in variants] == [
        ("Pending", []), ("Running", []), ("Failed", ["pos0"])
    ]
    params = function.function.parameters  # type: ignore[attr-defined]
    # AppInstance, method_name, description: Option<String>, ..., Clock, TxContext.
    assert len(params) == 1 + 10 + 2
    assert params[1].body.type_name == "0x" + "0" * 63 + "1::string::String"
    option = params[2].body
    assert option.type == Body.DATATYPE and option.type_parameter_instantiation[0].type_name
    assert params[7].body.type == Body.VECTOR  # data: vector<u8>
    assert code == grpc.StatusCode.NOT_FOUND
