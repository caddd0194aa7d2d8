"""What a transaction did (`Run`) as a fullnode reports it: the effects'
status, gas summary and changed objects, and the ExecutedTransaction."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import base58

from coordinator._pb.sui.rpc.v2 import (
    balance_change_pb2,
    effects_pb2,
    executed_transaction_pb2,
    owner_pb2,
)
from coordinator.events.models import BcsEvent, normalize_address
from coordinator.simnet import messages, structured
from coordinator.simnet.chain import TxRecord, digest
from coordinator.simnet.checks import Plan
from coordinator.simnet.coins import GAS_COIN_TYPE_LONG, SUI_COIN_TYPE_LONG, GasCoin
from coordinator.simnet.engine import Engine
from coordinator.simnet.gas import REBATE_PERCENT
from coordinator.simnet.handlers import OURS, MoveAbort
from coordinator.simnet.move_object import MoveObject
from coordinator.simnet.objects import AppInstance, Job

ExecutionErrorKind = effects_pb2.ExecutionError.ExecutionErrorKind


@dataclass
class Run:
    """What a transaction did (or would do): outcome, gas, events, return values."""

    success: bool
    error: tuple[ExecutionErrorKind, str, int | None] | None
    computation_cost: int
    storage_cost: int
    storage_rebate: int
    events: list[BcsEvent]
    returns: list[bool]  # one per command, when it succeeded
    deleted_jobs: list[Job] = field(default_factory=list)
    touched_jobs: list[Job] = field(default_factory=list)  # created ones included
    created_jobs: list[Job] = field(default_factory=list)
    abort: MoveAbort | None = None  # what failed it, when a Move abort did

    @property
    def charged(self) -> int:
        return self.computation_cost + self.storage_cost - self.storage_rebate


def changed_object(
    object_id: str, object_type: str, input_version: int | None, output_version: int,
    output_digest: str | None, owner: owner_pb2.Owner | None,
) -> effects_pb2.ChangedObject:  # fmt: skip
    """One entry of the effects' changed objects; no output digest: deleted."""
    changed = effects_pb2.ChangedObject(object_id=object_id, object_type=object_type)
    changed.input_state = effects_pb2.ChangedObject.INPUT_OBJECT_STATE_DOES_NOT_EXIST
    if input_version is not None:
        changed.input_version = input_version
        changed.input_state = effects_pb2.ChangedObject.INPUT_OBJECT_STATE_EXISTS
    if output_digest is None:
        changed.output_state = effects_pb2.ChangedObject.OUTPUT_OBJECT_STATE_DOES_NOT_EXIST
        changed.id_operation = effects_pb2.ChangedObject.DELETED
    else:
        changed.output_state = effects_pb2.ChangedObject.OUTPUT_OBJECT_STATE_OBJECT_WRITE
        changed.id_operation = effects_pb2.ChangedObject.NONE
        changed.output_version = output_version
        changed.output_digest = output_digest
        if owner is not None:
            changed.output_owner.CopyFrom(owner)
    return changed


def effects_of(
    sim: Engine, plan: Plan, result: Run, version: int, changed: list[effects_pb2.ChangedObject]
) -> effects_pb2.TransactionEffects:
    status = effects_pb2.ExecutionStatus(success=result.success)
    if result.error is not None:
        kind, description, command = result.error
        status.error.kind, status.error.description = kind, description
        if command is not None:
            status.error.command = command
    if result.abort is not None:
        status.error.abort.abort_code = result.abort.code
        location = status.error.abort.location
        # The module's runtime id: the original id for our package's modules.
        address = result.abort.address
        location.package = sim.package_id if address == OURS else normalize_address(address)
        location.module = result.abort.module
        location.function_name = result.abort.function
    rebated = result.storage_rebate * 100 // REBATE_PERCENT if result.storage_rebate else 0
    return effects_pb2.TransactionEffects(
        digest=digest(b"effects", plan.digest, version, result.success, str(result.charged)),
        version=2,
        status=status,
        epoch=sim.chain.epoch,
        gas_used=effects_pb2.GasCostSummary(
            computation_cost=result.computation_cost,
            storage_cost=result.storage_cost,
            storage_rebate=result.storage_rebate,
            non_refundable_storage_fee=rebated - result.storage_rebate,
        ),
        transaction_digest=plan.digest,
        gas_object=changed[0],
        dependencies=dependencies(sim, changed),
        lamport_version=version,
        changed_objects=changed,
    )


def dependencies(sim: Engine, changed: list[effects_pb2.ChangedObject]) -> list[str]:
    """The transactions that last wrote the objects this one read, as Sui lists
    them (each once, ordered by digest bytes)."""
    writers = {
        sim.objects.written_by(change.input_version)
        for change in changed if change.HasField("input_version")
    }  # fmt: skip
    return sorted((w for w in writers if w is not None), key=base58.b58decode)


# An input object's digest and owner before the transaction, by object id.
InputStates = dict[str, tuple[str, owner_pb2.Owner | None]]


def input_states(sim: Engine, plan: Plan) -> InputStates:
    """What the effects' changed objects say they were (`input_digest`,
    `input_owner`): the coins, the AppInstances and the jobs the calls name,
    taken before the transaction runs."""
    states: InputStates = {
        coin.id: (coin.digest, owner_pb2.Owner(kind=owner_pb2.Owner.ADDRESS, address=coin.owner))
        for coin in plan.coins
    }
    for app in plan.apps.values():
        shared = owner_pb2.Owner(kind=owner_pb2.Owner.SHARED, version=app.initial_shared_version)
        states[app.id] = (messages.move_object(sim.objects, app).digest, shared)
    for call in plan.calls:
        app = plan.apps[call.app_instance.object_id]
        for sequence in sim.handlers[type(call.operation)].jobs(call.operation):
            job = app.jobs.get(sequence)
            if job is not None:
                states[job.id] = (messages.move_object(sim.objects, job).digest, None)
    return states


def object_changes(
    sim: Engine,
    plan: Plan,
    apps: dict[str, AppInstance],
    result: Run,
    version: int,
    payer_balance: int,
    inputs: InputStates,
) -> list[effects_pb2.ChangedObject]:
    """The effects' changed objects, as they are (or would be) after the
    transaction at `version`: the paying coin first; each existing input's
    digest and owner from `inputs`."""
    payer, *merged = plan.coins
    coin_type = GAS_COIN_TYPE_LONG
    owner = owner_pb2.Owner(kind=owner_pb2.Owner.ADDRESS, address=payer.owner)
    after = GasCoin(payer.id, payer.owner, payer_balance, version)
    changes = [changed_object(payer.id, coin_type, payer.version, version, after.digest, owner)]
    changes += [changed_object(c.id, coin_type, c.version, version, None, None) for c in merged]
    for app in apps.values():
        shared = owner_pb2.Owner(kind=owner_pb2.Owner.SHARED, version=app.initial_shared_version)
        changes.append(_written(sim, app, version, shared))
    for job in result.touched_jobs:
        written = _written(sim, job, version, None)
        if job in result.created_jobs:
            written.ClearField("input_version")
            written.id_operation = effects_pb2.ChangedObject.CREATED
        changes.append(written)
    for job in result.deleted_jobs:
        changes.append(
            changed_object(job.id, sim.objects.object_type(job), job.object_version, version,
                           None, None)
        )
    for change in changes:
        if change.HasField("input_version") and change.object_id in inputs:
            digest_before, owner_before = inputs[change.object_id]
            change.input_digest = digest_before
            if owner_before is not None:
                change.input_owner.CopyFrom(owner_before)
    return changes


def _written(
    sim: Engine, obj: MoveObject, version: int, owner: owner_pb2.Owner | None
) -> effects_pb2.ChangedObject:
    before = obj.object_version
    obj_after = copy.copy(obj)
    obj_after.object_version = version
    rendered = messages.move_object(sim.objects, obj_after)
    return changed_object(obj.id, rendered.object_type, before, version, rendered.digest, owner)


def function_of(sim: Engine, plan: Plan) -> str:
    commands = plan.tx.kind.commands
    first = commands[0] if commands else None
    if first is None:
        return f"{sim.package_id}::app_instance::none"
    # The version called (an upgraded package's calls name its new id).
    return f"{first.package}::{first.module}::{first.function}"


def executed_message(
    plan: Plan, tx: TxRecord, effects: effects_pb2.TransactionEffects
) -> executed_transaction_pb2.ExecutedTransaction:
    message = messages.transaction(tx)
    message.transaction.CopyFrom(structured.message(plan.tx, plan.tx_bytes))
    message.effects.CopyFrom(effects)
    if tx.events:  # Sui's effects name the events' digest when there are any
        message.effects.events_digest = tx.events_digest
    charged = effects.gas_used.computation_cost + effects.gas_used.storage_cost
    charged -= effects.gas_used.storage_rebate
    if charged:
        message.balance_changes.append(balance_change_pb2.BalanceChange(
            address=plan.tx.gas.owner, coin_type=SUI_COIN_TYPE_LONG, amount=str(-charged)
        ))  # fmt: skip
    return message
