"""Signed transactions on the simulated chain: run and committed.

A transaction `checks.prepare` accepted is run by `run`, through the handlers
the Move modules registered with the engine, with the sender as the
coordinator, and charged by the gas model (`gas`); `execute` lands the result:
gas charged, object versions advanced, the events in the next checkpoint;
`simulate` says what executing would do, with nothing committed.

A transaction already executed is answered again from memory (Sui executes a
digest once), so a client that lost an answer may resend the same bytes.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from coordinator._pb.sui.rpc.v2 import (
    bcs_pb2,
    effects_pb2,
    executed_transaction_pb2,
    signature_pb2,
    transaction_execution_service_pb2,
)
from coordinator.events.bcs import BOOL
from coordinator.events.models import BcsEvent
from coordinator.simnet import tables
from coordinator.simnet.chain import TxRecord, digest
from coordinator.simnet.checks import Plan
from coordinator.simnet.effects import (
    Run,
    effects_of,
    executed_message,
    function_of,
    input_states,
    object_changes,
)
from coordinator.simnet.engine import Engine
from coordinator.simnet.gas import COIN_BYTES, computation_units, object_size, rebate, storage_fee
from coordinator.simnet.handlers import OURS, Call, MoveAbort, derived_ids
from coordinator.simnet.objects import AppInstance, Job


def abort_description(abort: MoveAbort, command: int, package_id: str) -> str:
    """A Move abort as a fullnode describes it in the effects' status."""
    address = (package_id if abort.address == OURS else abort.address).removeprefix("0x")
    address = address.rjust(64, "0")
    return (f"MoveAbort(MoveLocation {{ module: ModuleId {{ address: {address}, "
            f"name: Identifier(\"{abort.module}\") }}, function_name: "
            f"Some(\"{abort.function}\") }}, {abort.code}) in command {command}")


def run(sim: Engine, plan: Plan, apps: dict[str, AppInstance], now: int) -> Run:
    """Execute the plan's calls on `apps` (changed in place: pass copies to
    simulate) and size the gas. Nothing else of the chain changes here."""
    tx = plan.tx
    operations = [call.operation for call in plan.calls]
    computation = computation_units(operations) * tx.gas.price
    if plan.bad_command is not None:
        index, kind, text = plan.bad_command
        return Run(False, (kind, text, index), min(computation, tx.gas.budget), 0, 0, [], [])
    call = Call(sender=tx.sender, now=now)
    touched: dict[str, Job] = {}
    before = {app_id: (object_size(app), dict(app.jobs)) for app_id, app in apps.items()}
    sizes_before: dict[str, int] = {}
    for decoded in plan.calls:
        app = apps[decoded.app_instance.object_id]
        for sequence in sim.handlers[type(decoded.operation)].jobs(decoded.operation):
            job = app.jobs.get(sequence)
            if job is not None and job.id not in touched:
                touched[job.id] = job
                sizes_before[job.id] = object_size(job)
    events: list[BcsEvent] = []
    returns: list[bool] = []
    new_id = derived_ids(plan.digest)
    for index, decoded in enumerate(plan.calls):
        try:
            handler = sim.handlers[type(decoded.operation)]
            applied, emitted = handler.run(
                apps[decoded.app_instance.object_id], decoded.operation, call, new_id
            )
        except MoveAbort as abort:
            description = abort_description(abort, index, sim.package_id)
            error = (effects_pb2.ExecutionError.MOVE_ABORT, description, index)
            return Run(False, error, min(computation, tx.gas.budget), 0, 0, [], [], abort=abort)
        returns.append(applied)
        events.extend(emitted)
    deleted = [
        job for app_id, app in apps.items() for seq, job in before[app_id][1].items()
        if seq not in app.jobs and job.id in touched
    ]  # fmt: skip
    created = [job for app_id, app in apps.items() for seq, job in app.jobs.items()
               if seq not in before[app_id][1]]
    live = [job for job in touched.values() if job not in deleted] + created
    storage = sum(storage_fee(object_size(obj)) for obj in [*apps.values(), *live])
    storage += storage_fee(COIN_BYTES)
    rebated = sum(rebate(size) for size, _ in before.values())
    rebated += sum(rebate(sizes_before[job.id]) for job in touched.values())
    rebated += rebate(COIN_BYTES) * len(plan.coins)
    if computation > tx.gas.budget or computation + storage - rebated > tx.gas.budget:
        kind = effects_pb2.ExecutionError.INSUFFICIENT_GAS
        return Run(False, (kind, "InsufficientGas", None), tx.gas.budget, 0, 0, [], [])
    result = Run(True, None, computation, storage, rebated, events, returns)
    result.deleted_jobs, result.touched_jobs, result.created_jobs = deleted, live, created
    return result


def _snapshot(apps: dict[str, AppInstance]) -> dict[str, AppInstance]:
    """Copies to simulate on: the live objects stay as they are."""
    return {app_id: copy.deepcopy(app) for app_id, app in apps.items()}


def simulate(
    sim: Engine, plan: Plan
) -> transaction_execution_service_pb2.SimulateTransactionResponse:
    """What executing the plan now would do, with nothing committed."""
    apps = _snapshot(plan.apps)
    inputs = input_states(sim, plan)
    result = run(sim, plan, apps, sim.clock_ms())
    version = sim.next_version
    balance = sum(coin.balance for coin in plan.coins) - result.charged
    changes = object_changes(sim, plan, apps, result, version, balance, inputs)
    effects = effects_of(sim, plan, result, version, changes)
    function = function_of(sim, plan)
    called = function.split("::", 1)[0]
    records = tuple(sim.event_record(event, plan.tx.sender, called) for event in result.events)
    contents = [part for e in records for part in (e.event_type, e.contents)]
    tx = TxRecord(
        plan.digest, plan.tx.sender, function, records, digest(b"events", *contents)
    )
    response = transaction_execution_service_pb2.SimulateTransactionResponse(
        transaction=executed_message(plan, tx, effects)
    )
    for value in result.returns:
        output = response.command_outputs.add().return_values.add()
        output.value.CopyFrom(bcs_pb2.Bcs(name="bool", value=BOOL.to_bytes(value)))
    return response


def execute(
    sim: Engine, plan: Plan, signatures: Sequence[bytes] = ()
) -> executed_transaction_pb2.ExecutedTransaction:
    """Execute the plan and commit it: gas charged (coins merged into the
    first), versions advanced, deleted jobs gone, the transaction and its
    events queued for the next checkpoint. The answer (kept to give again)
    carries the `signatures` it was sent with."""
    now = sim.clock_ms()
    inputs = input_states(sim, plan)
    result = run(sim, plan, _snapshot(plan.apps), now)
    children = {app_id: tables.snapshot(app) for app_id, app in plan.apps.items()}
    if result.success:
        result = run(sim, plan, plan.apps, now)  # the same, on the live objects
    version = sim.next_version
    payer, *merged = plan.coins
    balance = sum(coin.balance for coin in plan.coins) - result.charged
    changes = object_changes(sim, plan, plan.apps, result, version, balance, inputs)
    payer.balance, payer.version = balance, version
    for coin in merged:
        sim.coins.delete(coin.id)
    for job in result.deleted_jobs:
        sim.objects.remove(job.id)
    for app in plan.apps.values():
        if result.success:
            app.updated_at = now
        app.object_version = version
    for job in result.created_jobs:
        sim.objects.add(job)
        sim.jobs_created += 1
    for job in result.touched_jobs:
        job.object_version = version
    for app_id, app in plan.apps.items():
        for child in tables.sync(sim.objects, app, children[app_id]):
            child.object_version = version
    tx = sim.submit_transaction(
        function_of(sim, plan), result.events, sender=plan.tx.sender, tx_digest=plan.digest
    )
    executed = executed_message(plan, tx, effects_of(sim, plan, result, version, changes))
    executed.signatures.extend(
        # The first byte of a serialized signature is its scheme's flag.
        signature_pb2.UserSignature(
            bcs=bcs_pb2.Bcs(name="UserSignatureBytes", value=signature),
            scheme=signature_pb2.SignatureScheme.Name(signature[0]),
        )
        for signature in signatures if signature
    )
    sim.executed[plan.digest] = executed
    return executed
