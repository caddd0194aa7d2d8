"""The coordinator's Move calls, one module per Move module they serve, and the
programmable transactions made of them.

`build_transaction` turns operations into the exact transaction Mysten's SDK
makes (tests prove it against vectors signed by `@mysten/sui`);
`decode_operation` reads such a call back, because the simulator must
understand what it is sent. Each module lists its `FUNCTIONS` (a
`MoveFunction` per Move function): a new Move module's calls are a new
module here and its table added to `_FUNCTIONS`.

Input order follows the SDK as the vectors show it: the AppInstance, then the
Clock, then each call's pure arguments in call order (pure inputs are never
merged, even when equal). One transaction touches one AppInstance: operations on
several instances go into several transactions (they also contend separately).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from coordinator.events.bcs import BcsError, Reader
from coordinator.sui.calls import app_instance, block, jobs, prover, settlement
from coordinator.sui.calls.app_instance import (
    AddMetadata,
    AgentWrite,
    CreateAppJob,
    DeleteKV,
    SetKV,
)
from coordinator.sui.calls.base import APP_INSTANCE_MODULE, MoveFunction
from coordinator.sui.calls.block import BlockCall
from coordinator.sui.calls.jobs import (
    CompleteJob,
    FailJob,
    JobOperation,
    Multicall,
    StartJob,
    TerminateJob,
)
from coordinator.sui.calls.prover import ProverCall
from coordinator.sui.calls.settlement import SettlementCall
from coordinator.sui.codec import (
    CLOCK,
    Argument,
    CallArg,
    GasData,
    MoveCall,
    ProgrammableTransaction,
    Pure,
    SharedObject,
    TransactionData,
)

__all__ = [
    "APP_INSTANCE_MODULE",
    "AddMetadata",
    "AgentWrite",
    "CompleteJob",
    "CreateAppJob",
    "DecodedCall",
    "DeleteKV",
    "FailJob",
    "Multicall",
    "Operation",
    "SetKV",
    "StartJob",
    "TerminateJob",
    "build_transaction",
    "decode_operation",
    "move_function",
]

# The proof pipeline's calls (`prover`, `block`, `settlement`) are operations too.
Operation = JobOperation | AgentWrite | ProverCall | BlockCall | SettlementCall

_FUNCTIONS: tuple[MoveFunction[Any], ...] = (
    *jobs.FUNCTIONS, *app_instance.FUNCTIONS, *prover.FUNCTIONS, *block.FUNCTIONS,
    *settlement.FUNCTIONS,
)
_BY_OPERATION = {function.operation: function for function in _FUNCTIONS}
_BY_NAME = {(function.module, function.function): function for function in _FUNCTIONS}


def build_transaction(
    *,
    package: str,
    app_instance: SharedObject,
    operations: Sequence[Operation],
    sender: str,
    gas: GasData,
    expiration_epoch: int | None = None,
) -> TransactionData:
    """One Move call per operation, all on `app_instance`, in the given order.
    The Clock is an input only when a call takes it."""
    if not operations:
        raise ValueError("a transaction needs at least one operation")
    calls = [(_BY_OPERATION[type(operation)], operation) for operation in operations]
    with_clock = any(function.with_clock for function, _ in calls)
    inputs: list[CallArg] = [app_instance, CLOCK] if with_clock else [app_instance]
    commands: list[MoveCall] = []
    for function, operation in calls:
        first = len(inputs)
        pures = function.pures(operation)
        inputs.extend(Pure(value) for value in pures)
        clock = (Argument("input", 1),) if function.with_clock else ()
        arguments = (
            Argument("input", 0),
            *(Argument("input", first + offset) for offset in range(len(pures))),
            *clock,
        )
        commands.append(MoveCall(package, function.module, function.function, arguments))
    return TransactionData(
        sender, gas, ProgrammableTransaction(tuple(inputs), tuple(commands)), expiration_epoch
    )


def move_function(operation: Operation) -> str:
    """The Move function an operation calls (`app_instance::<this>`)."""
    return _BY_OPERATION[type(operation)].function


@dataclass(frozen=True)
class DecodedCall:
    """A Move call of ours read back: which AppInstance it acts on, and what it does."""

    app_instance: SharedObject
    operation: Operation
    clock: SharedObject = field(default=CLOCK)


def decode_operation(tx: TransactionData, index: int) -> DecodedCall:
    """Read command `index` of `tx` back as an operation, checking the shape of the
    call against the function's signature (AppInstance, pure args..., [Clock]).

    Raises `BcsError` for a call that is not one of ours or is malformed; the
    package is not checked here (the caller knows which one it serves).
    """
    call = tx.kind.commands[index]
    where = f"command {index} ({call.module}::{call.function})"
    function = _BY_NAME.get((call.module, call.function))
    if function is None:
        raise BcsError(f"{where}: not an app_instance job operation")
    signature, with_clock = function.signature, function.with_clock
    count = len(signature) + 1 + with_clock
    if len(call.arguments) != count:
        raise BcsError(f"{where}: expected {count} arguments")

    def input_of(argument: Argument) -> CallArg:
        if argument.kind != "input" or argument.index >= len(tx.kind.inputs):
            raise BcsError(f"{where}: argument {argument} is not an input of the transaction")
        return tx.kind.inputs[argument.index]

    app = input_of(call.arguments[0])
    clock = input_of(call.arguments[-1]) if with_clock else CLOCK
    if not isinstance(app, SharedObject) or not app.mutable:
        raise BcsError(f"{where}: the first argument must be a mutable shared object")
    if not isinstance(clock, SharedObject) or clock.object_id != CLOCK.object_id:
        raise BcsError(f"{where}: the last argument must be the Clock (0x6)")
    values: list[object] = []
    for position, (codec, argument) in enumerate(
        zip(signature, call.arguments[1 : 1 + len(signature)], strict=True), 1
    ):
        pure = input_of(argument)
        if not isinstance(pure, Pure):
            raise BcsError(f"{where}: argument {position} must be a pure value")
        reader = Reader(pure.value, f"{where} argument {position}")
        values.append(codec.decode(reader))
        reader.finish()
    try:
        operation: Operation = function.make(values)
    except ValueError as exc:
        raise BcsError(f"{where}: {exc}") from None
    return DecodedCall(app, operation, clock)
