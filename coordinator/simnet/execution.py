"""Signed transactions on the simulated chain: checked, charged, executed.

`prepare` reads a transaction the way a fullnode does before running it and
refuses it with the node's status and wording (sui-rpc-api's error mapping,
sui-types' error texts): undecodable BCS, a bad or missing signature, a signer
that is not the sender, gas coins that are unknown, not the sender's or not
at their current version, a gas price under the reference price, a budget the
coins cannot cover, a shared input that is not the AppInstance or Clock it
claims to be. `run` then executes the Move calls through the handlers the Move
modules registered with the engine, with the sender as the coordinator, and
`execute` lands the result: gas charged, object versions advanced, the events
in the next checkpoint.

The gas model (simple, fixed, documented in the README):

- computation: `BASE_UNITS` per transaction, `CALL_UNITS` per Move call and
  `OPERATION_UNITS` per job operation (each of a multicall's), times the
  transaction's gas price;
- storage: every object the transaction writes costs its size (a fixed
  `OBJECT_OVERHEAD` plus its JSON rendering; a coin `COIN_BYTES`) x
  `STORAGE_UNITS_PER_BYTE` x `STORAGE_PRICE`; every object it rewrites or
  deletes gives back 99% of what its previous contents cost (`REBATE_PERCENT`);
- the gas coins are merged into the first, which pays computation + storage -
  rebate. A run that needs more than the budget fails with `InsufficientGas`:
  the budget's worth of computation is charged and nothing else changes except
  the versions of the gas coin and the mutable shared inputs, as on Sui.

A transaction already executed is answered again from memory (Sui executes a
digest once), so a client that lost an answer may resend the same bytes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from coordinator._pb.sui.rpc.v2 import (
    bcs_pb2,
    effects_pb2,
    executed_transaction_pb2,
    owner_pb2,
    transaction_execution_service_pb2,
)
from coordinator.events.bcs import BOOL, BcsError
from coordinator.events.models import BcsEvent
from coordinator.simnet import messages
from coordinator.simnet.chain import TxRecord, digest, hash_parts
from coordinator.simnet.coins import GAS_COIN_TYPE_LONG, GasCoin
from coordinator.simnet.engine import Engine
from coordinator.simnet.handlers import Call, MoveAbort
from coordinator.simnet.objects import AppInstance, Job, MoveObject
from coordinator.sui.calls import DecodedCall, Multicall, Operation, decode_operation
from coordinator.sui.codec import CLOCK, ObjectRef, SharedObject, TransactionData
from coordinator.sui.signing import transaction_digest, verify_transaction_signature

REFERENCE_GAS_PRICE = 1000  # MIST per gas unit
MAX_GAS_BUDGET = 50_000_000_000  # Sui's protocol maximum (50 SUI)
BASE_UNITS = 1000
CALL_UNITS = 1000
OPERATION_UNITS = 500
STORAGE_PRICE = 76  # MIST per storage unit, Sui's
STORAGE_UNITS_PER_BYTE = 100
REBATE_PERCENT = 99
OBJECT_OVERHEAD = 100  # id, version, digest, owner, type
COIN_BYTES = OBJECT_OVERHEAD + 40  # UID + u64 balance

ExecutionErrorKind = effects_pb2.ExecutionError.ExecutionErrorKind

# sui-rpc-api's wrapping of input errors (NonRecoverableTransactionError) and
# of signature errors (InvalidUserSignature); both answer INVALID_ARGUMENT.
_INPUT_ERRORS = (
    "Transaction execution failed due to issues with transaction inputs, "
    "please review the errors and try again: {}."
)
_SIGNATURE_ERROR = "Invalid user signature: {}"
BAD_SIGNATURE = (
    "Signature is not valid: Fail to verify user sig Invalid signature was given to the function"
)


class Refused(Exception):
    """A transaction the node refuses before running it: a gRPC status and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _input_error(text: str) -> Refused:
    return Refused("INVALID_ARGUMENT", _INPUT_ERRORS.format(text))


@dataclass
class Plan:
    """A checked transaction, ready to run."""

    tx: TransactionData
    tx_bytes: bytes
    digest: str
    coins: list[GasCoin]
    apps: dict[str, AppInstance]  # the shared AppInstance inputs by id
    calls: list[DecodedCall]
    # A command that is not a job operation of ours: it fails at execution.
    bad_command: tuple[int, ExecutionErrorKind, str] | None = None


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

    @property
    def charged(self) -> int:
        return self.computation_cost + self.storage_cost - self.storage_rebate


def _hex(version: int) -> str:
    return f"{version:#x}"


def decode_signed(tx_bytes: bytes, signatures: Sequence[bytes] | None) -> TransactionData:
    """The TransactionData, its signatures checked unless None (a simulation
    needs none). Raises `Refused`."""
    try:
        tx = TransactionData.from_bytes(tx_bytes)
    except BcsError as exc:
        raise Refused("INVALID_ARGUMENT", f"invalid transaction: {exc}") from None
    if signatures is not None:
        _check_signatures(tx, tx_bytes, signatures)
    return tx


def prepare(sim: Engine, tx: TransactionData, tx_bytes: bytes) -> Plan:
    """Check a decoded transaction's inputs as a fullnode does before execution.
    Raises `Refused`."""
    if sim.layout != "2025-11":
        raise Refused(
            "FAILED_PRECONDITION",
            f"the simulator executes transactions on a 2025-11 chain only, not {sim.layout}",
        )
    if tx.expiration_epoch is not None and tx.expiration_epoch < sim.chain.epoch:
        raise _input_error("Transaction Expired")
    coins = _check_gas(sim, tx)
    apps = _check_shared_inputs(sim, tx)
    calls: list[DecodedCall] = []
    bad: tuple[int, ExecutionErrorKind, str] | None = None
    for index, command in enumerate(tx.kind.commands):
        if command.package != sim.package_id:
            raise _input_error(f"Dependent package not found on-chain: {command.package}")
        try:
            calls.append(decode_operation(tx, index))
        except BcsError as exc:
            unknown = "not an app_instance job operation" in str(exc)
            kind = (
                effects_pb2.ExecutionError.FUNCTION_NOT_FOUND
                if unknown
                else effects_pb2.ExecutionError.COMMAND_ARGUMENT_ERROR
            )
            bad = (index, kind, str(exc))
            break
    return Plan(tx, tx_bytes, transaction_digest(tx_bytes), coins, apps, calls, bad)


def _check_signatures(tx: TransactionData, tx_bytes: bytes, signatures: Sequence[bytes]) -> None:
    required = [tx.sender] if tx.gas.owner == tx.sender else [tx.sender, tx.gas.owner]
    if len(signatures) != len(required):
        raise Refused(
            "INVALID_ARGUMENT",
            _SIGNATURE_ERROR.format(
                f"Expect {len(required)} signer signatures but got {len(signatures)}"
            ),
        )
    signers = [verify_transaction_signature(tx_bytes, signature) for signature in signatures]
    if any(signer is None for signer in signers):
        raise Refused("INVALID_ARGUMENT", _SIGNATURE_ERROR.format(BAD_SIGNATURE))
    for address in required:
        if address not in signers:
            shown = json.dumps(signers)
            raise Refused(
                "INVALID_ARGUMENT",
                _SIGNATURE_ERROR.format(f"Required Signature from {address} is absent {shown}"),
            )


def _check_gas(sim: Engine, tx: TransactionData) -> list[GasCoin]:
    gas = tx.gas
    if gas.price < sim.reference_gas_price:
        raise _input_error(
            f"Gas price {gas.price} under reference gas price (RGP) {sim.reference_gas_price}"
        )
    if gas.budget > MAX_GAS_BUDGET:
        raise _input_error(f"Gas budget: {gas.budget} is higher than max: {MAX_GAS_BUDGET}")
    least = BASE_UNITS * gas.price
    if gas.budget < least:
        raise _input_error(f"Gas budget: {gas.budget} is lower than min: {least}")
    if not gas.payment:
        raise _input_error("Gas payment should not be empty")
    coins: list[GasCoin] = []
    for ref in gas.payment:
        coin = _current_coin(sim, ref, gas.owner)
        if coin in coins:
            raise _input_error(
                f"Mutable object {ref.object_id} cannot appear more than one in one transaction"
            )
        coins.append(coin)
    total = sum(coin.balance for coin in coins)
    if total < gas.budget:
        raise _input_error(
            f"Balance of gas object {total} is lower than the needed amount: {gas.budget}"
        )
    return coins


def _current_coin(sim: Engine, ref: ObjectRef, owner: str) -> GasCoin:
    coin = sim.coins.get(ref.object_id)
    if coin is None:
        raise _input_error(
            f"Could not find the referenced object {ref.object_id} at version "
            f"Some(SequenceNumber({ref.version}))"
        )
    if (coin.version, coin.digest) != (ref.version, ref.digest):
        raise _input_error(
            f"Object ID {ref.object_id} Version {_hex(ref.version)} Digest {ref.digest} "
            f"is not available for consumption, current version: {_hex(coin.version)}"
        )
    if coin.owner != owner:
        raise _input_error(
            f"Object {coin.id} is owned by account address {coin.owner}, "
            f"but given owner/signer address is {owner}"
        )
    return coin


def _check_shared_inputs(sim: Engine, tx: TransactionData) -> dict[str, AppInstance]:
    apps: dict[str, AppInstance] = {}
    for arg in tx.kind.inputs:
        if not isinstance(arg, SharedObject):
            continue
        if arg.object_id == CLOCK.object_id:
            expected = CLOCK.initial_shared_version
            if arg.mutable:
                raise _input_error(f"Shared object {arg.object_id} can only be read (the Clock)")
        else:
            app = sim.app_by_id(arg.object_id)
            if app is None:
                raise _input_error(
                    f"Could not find the referenced object {arg.object_id} at version None"
                )
            expected = app.initial_shared_version
            apps[app.id] = app
        if arg.initial_shared_version != expected:
            raise _input_error(
                f"Shared object {arg.object_id} was given initial shared version "
                f"{arg.initial_shared_version}, but its initial shared version is {expected}"
            )
    return apps


# --- running -------------------------------------------------------------------


def _size(obj: MoveObject) -> int:
    rendered = json.dumps(obj.json(), sort_keys=True, separators=(",", ":"))
    return OBJECT_OVERHEAD + len(rendered)


def storage_fee(size: int) -> int:
    return size * STORAGE_UNITS_PER_BYTE * STORAGE_PRICE


def _rebate(size: int) -> int:
    return storage_fee(size) * REBATE_PERCENT // 100


def computation_units(operations: Sequence[Operation]) -> int:
    count = 0
    for operation in operations:
        if isinstance(operation, Multicall):
            count += (
                len(operation.complete) + len(operation.fail)
                + len(operation.terminate) + len(operation.start)
            )  # fmt: skip
        else:
            count += 1
    return BASE_UNITS + CALL_UNITS * len(operations) + OPERATION_UNITS * count


def abort_description(abort: MoveAbort, command: int) -> str:
    """A Move abort as a fullnode describes it in the effects' status."""
    return (f"MoveAbort(MoveLocation {{ module: ModuleId {{ address: {'0' * 63}2, "
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
    before = {app_id: (_size(app), dict(app.jobs)) for app_id, app in apps.items()}
    sizes_before: dict[str, int] = {}
    for decoded in plan.calls:
        app = apps[decoded.app_instance.object_id]
        for sequence in sim.handlers[type(decoded.operation)].jobs(decoded.operation):
            job = app.jobs.get(sequence)
            if job is not None and job.id not in touched:
                touched[job.id] = job
                sizes_before[job.id] = _size(job)
    events: list[BcsEvent] = []
    returns: list[bool] = []
    ids = iter(range(1, len(plan.calls) + 1))

    def new_id() -> str:
        # Derived from the transaction, as Sui derives a new object's id.
        return "0x" + hash_parts(b"object", plan.digest, next(ids)).hex()

    for index, decoded in enumerate(plan.calls):
        try:
            handler = sim.handlers[type(decoded.operation)]
            applied, emitted = handler.run(
                apps[decoded.app_instance.object_id], decoded.operation, call, new_id
            )
        except MoveAbort as abort:
            error = (effects_pb2.ExecutionError.MOVE_ABORT, abort_description(abort, index), index)
            return Run(False, error, min(computation, tx.gas.budget), 0, 0, [], [])
        returns.append(applied)
        events.extend(emitted)
    deleted = [
        job for app_id, app in apps.items() for seq, job in before[app_id][1].items()
        if seq not in app.jobs and job.id in touched
    ]  # fmt: skip
    created = [job for app_id, app in apps.items() for seq, job in app.jobs.items()
               if seq not in before[app_id][1]]
    live = [job for job in touched.values() if job not in deleted] + created
    storage = sum(storage_fee(_size(obj)) for obj in [*apps.values(), *live])
    storage += storage_fee(COIN_BYTES)
    rebate = sum(_rebate(size) for size, _ in before.values())
    rebate += sum(_rebate(sizes_before[job.id]) for job in touched.values())
    rebate += _rebate(COIN_BYTES) * len(plan.coins)
    if computation > tx.gas.budget or computation + storage - rebate > tx.gas.budget:
        kind = effects_pb2.ExecutionError.INSUFFICIENT_GAS
        return Run(False, (kind, "InsufficientGas", None), tx.gas.budget, 0, 0, [], [])
    result = Run(True, None, computation, storage, rebate, events, returns)
    result.deleted_jobs, result.touched_jobs, result.created_jobs = deleted, live, created
    return result


def _snapshot(apps: dict[str, AppInstance]) -> dict[str, AppInstance]:
    """Copies to simulate on: the live objects stay as they are."""
    return {app_id: copy.deepcopy(app) for app_id, app in apps.items()}


def _changed(
    object_id: str, object_type: str, input_version: int | None, output_version: int,
    output_digest: str | None, owner: owner_pb2.Owner | None,
) -> effects_pb2.ChangedObject:  # fmt: skip
    """One entry of the effects' changed objects; no output digest: deleted."""
    changed = effects_pb2.ChangedObject(object_id=object_id, object_type=object_type)
    if input_version is not None:
        changed.input_version = input_version
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


def _effects(
    sim: Engine, plan: Plan, result: Run, version: int, changed: list[effects_pb2.ChangedObject]
) -> effects_pb2.TransactionEffects:
    status = effects_pb2.ExecutionStatus(success=result.success)
    if result.error is not None:
        kind, description, command = result.error
        status.error.kind, status.error.description = kind, description
        if command is not None:
            status.error.command = command
    rebated = result.storage_rebate * 100 // REBATE_PERCENT if result.storage_rebate else 0
    return effects_pb2.TransactionEffects(
        digest=digest(b"effects", plan.digest, version, result.success, str(result.charged)),
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
        changed_objects=changed,
    )


def _object_changes(
    sim: Engine,
    plan: Plan,
    apps: dict[str, AppInstance],
    result: Run,
    version: int,
    payer_balance: int,
) -> list[effects_pb2.ChangedObject]:
    """The effects' changed objects, as they are (or would be) after the
    transaction at `version`: the paying coin first."""
    payer, *merged = plan.coins
    coin_type = GAS_COIN_TYPE_LONG
    owner = owner_pb2.Owner(kind=owner_pb2.Owner.ADDRESS, address=payer.owner)
    after = GasCoin(payer.id, payer.owner, payer_balance, version)
    changes = [_changed(payer.id, coin_type, payer.version, version, after.digest, owner)]
    changes += [_changed(c.id, coin_type, c.version, version, None, None) for c in merged]
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
            _changed(job.id, sim.objects.object_type(job), job.object_version, version, None, None)
        )
    return changes


def _written(
    sim: Engine, obj: MoveObject, version: int, owner: owner_pb2.Owner | None
) -> effects_pb2.ChangedObject:
    before = obj.object_version
    obj_after = copy.copy(obj)
    obj_after.object_version = version
    rendered = messages.move_object(sim.objects, obj_after)
    return _changed(obj.id, rendered.object_type, before, version, rendered.digest, owner)


def _function(sim: Engine, plan: Plan) -> str:
    commands = plan.tx.kind.commands
    first = commands[0] if commands else None
    name = f"{first.module}::{first.function}" if first else "app_instance::none"
    return f"{sim.package_id}::{name}"


def _executed(
    plan: Plan, tx: TxRecord, effects: effects_pb2.TransactionEffects
) -> executed_transaction_pb2.ExecutedTransaction:
    message = messages.transaction(tx)
    message.transaction.bcs.value = plan.tx_bytes
    message.transaction.digest = plan.digest
    message.transaction.sender = plan.tx.sender
    message.effects.CopyFrom(effects)
    return message


def simulate(
    sim: Engine, plan: Plan
) -> transaction_execution_service_pb2.SimulateTransactionResponse:
    """What executing the plan now would do, with nothing committed."""
    apps = _snapshot(plan.apps)
    result = run(sim, plan, apps, sim.clock_ms())
    version = sim.next_version
    balance = sum(coin.balance for coin in plan.coins) - result.charged
    changes = _object_changes(sim, plan, apps, result, version, balance)
    effects = _effects(sim, plan, result, version, changes)
    records = tuple(sim.event_record(event, plan.tx.sender) for event in result.events)
    contents = [part for e in records for part in (e.event_type, e.contents)]
    tx = TxRecord(
        plan.digest, plan.tx.sender, _function(sim, plan), records, digest(b"events", *contents)
    )
    response = transaction_execution_service_pb2.SimulateTransactionResponse(
        transaction=_executed(plan, tx, effects)
    )
    for value in result.returns:
        output = response.command_outputs.add().return_values.add()
        output.value.CopyFrom(bcs_pb2.Bcs(name="bool", value=BOOL.to_bytes(value)))
    return response


def execute(sim: Engine, plan: Plan) -> executed_transaction_pb2.ExecutedTransaction:
    """Execute the plan and commit it: gas charged (coins merged into the
    first), versions advanced, deleted jobs gone, the transaction and its
    events queued for the next checkpoint."""
    now = sim.clock_ms()
    result = run(sim, plan, _snapshot(plan.apps), now)
    if result.success:
        result = run(sim, plan, plan.apps, now)  # the same, on the live objects
    version = sim.next_version
    payer, *merged = plan.coins
    balance = sum(coin.balance for coin in plan.coins) - result.charged
    changes = _object_changes(sim, plan, plan.apps, result, version, balance)
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
    tx = sim.submit_transaction(
        _function(sim, plan), result.events, sender=plan.tx.sender, tx_digest=plan.digest
    )
    executed = _executed(plan, tx, _effects(sim, plan, result, version, changes))
    sim.executed[plan.digest] = executed
    return executed
