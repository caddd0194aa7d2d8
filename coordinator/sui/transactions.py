"""Sui `TransactionData` for the coordinator's Move calls: built, signed, decoded.

The coordinator writes to the chain with programmable transactions of Move calls
into `<package>::app_instance` (start/complete/fail/terminate a job, or a
multicall of them). This module turns those operations into the exact BCS bytes
Mysten's SDK makes (tests prove it against vectors signed by `@mysten/sui`), signs
them the way Sui wallets do, and decodes such bytes back, because the simulator
must understand what it is sent.

Only the part of Sui's transaction language the coordinator uses is modelled:
programmable transactions of Move calls without type arguments, pure and object
inputs, no expiration or an epoch one. Anything else decodes to a `BcsError`
naming what is not supported, which a node answers as a rejected transaction.

Input order follows the SDK as the vectors show it: the AppInstance, then the
Clock, then each call's pure arguments in call order (pure inputs are never
merged, even when equal). One transaction touches one AppInstance: operations on
several instances go into several transactions (they also contend separately).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import base58

from coordinator.events.bcs import (
    BYTES,
    STRING,
    U32_MAX,
    U64,
    BcsError,
    Codec,
    Reader,
    Writer,
    option,
    vector,
)
from coordinator.sui.keys import (
    ED25519_FLAG,
    PUBLIC_KEY_LENGTH,
    SIGNATURE_LENGTH,
    SuiKey,
    address_of,
    blake2b256,
    verify_ed25519,
)

__all__ = [
    "APP_INSTANCE_MODULE",
    "CLOCK",
    "AddMetadata",
    "AgentWrite",
    "Argument",
    "CallArg",
    "CompleteJob",
    "CreateAppJob",
    "DecodedCall",
    "DeleteKV",
    "FailJob",
    "GasData",
    "MoveCall",
    "Multicall",
    "ObjectRef",
    "Operation",
    "ProgrammableTransaction",
    "Pure",
    "SetKV",
    "SharedObject",
    "StartJob",
    "TerminateJob",
    "TransactionData",
    "build_transaction",
    "decode_operation",
    "sign_transaction",
    "transaction_digest",
    "verify_transaction_signature",
]

APP_INSTANCE_MODULE = "app_instance"
DIGEST_LENGTH = 32
# The intent of a user transaction: scope TransactionData (0), version 0, app Sui (0).
TRANSACTION_INTENT = bytes([0, 0, 0])
SERIALIZED_SIGNATURE_LENGTH = 1 + SIGNATURE_LENGTH + PUBLIC_KEY_LENGTH


# --- The data -----------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectRef:
    """An owned object at one version; `digest` in base58, as Sui shows it."""

    object_id: str
    version: int
    digest: str


@dataclass(frozen=True)
class SharedObject:
    """A shared object input: its id, the version it became shared at, and whether
    the transaction may mutate it (which makes it go through consensus ordering)."""

    object_id: str
    initial_shared_version: int
    mutable: bool


# The system Clock: shared at version 1, only ever read by user transactions.
CLOCK = SharedObject("0x" + "0" * 63 + "6", 1, False)


@dataclass(frozen=True)
class Pure:
    """A pure (non-object) input: the BCS bytes of a Move value."""

    value: bytes


CallArg = Pure | ObjectRef | SharedObject


@dataclass(frozen=True)
class Argument:
    """Where a command argument comes from: the gas coin, an input, or a result."""

    kind: Literal["gas", "input", "result", "nested_result"]
    index: int = 0
    sub_index: int = 0


@dataclass(frozen=True)
class MoveCall:
    package: str
    module: str
    function: str
    arguments: tuple[Argument, ...]


@dataclass(frozen=True)
class ProgrammableTransaction:
    inputs: tuple[CallArg, ...]
    commands: tuple[MoveCall, ...]


@dataclass(frozen=True)
class GasData:
    payment: tuple[ObjectRef, ...]
    owner: str
    price: int
    budget: int


@dataclass(frozen=True)
class TransactionData:
    """`TransactionData::V1` of a programmable transaction.

    `expiration_epoch` None is `TransactionExpiration::None`; a number is
    `Epoch(n)` (the transaction is void after that epoch).
    """

    sender: str
    gas: GasData
    kind: ProgrammableTransaction
    expiration_epoch: int | None = None

    def to_bytes(self) -> bytes:
        return TRANSACTION_DATA.to_bytes(self)

    @staticmethod
    def from_bytes(data: bytes) -> TransactionData:
        reader = Reader(data, "TransactionData")
        value = TRANSACTION_DATA.decode(reader)
        reader.finish()
        return value


# --- BCS ----------------------------------------------------------------------------


def _read_digest(reader: Reader) -> str:
    raw = reader.u8_vector()
    if len(raw) != DIGEST_LENGTH:
        raise reader.error(f"an object digest has {DIGEST_LENGTH} bytes, not {len(raw)}")
    return base58.b58encode(raw).decode("ascii")


def _write_digest(writer: Writer, digest: str) -> None:
    try:
        raw = base58.b58decode(digest)
    except ValueError:
        raise BcsError(f"object digest {digest!r} is not base58") from None
    if len(raw) != DIGEST_LENGTH:
        raise BcsError(f"object digest {digest!r} is not {DIGEST_LENGTH} bytes")
    writer.u8_vector(raw)


def _read_object_ref(reader: Reader) -> ObjectRef:
    return ObjectRef(reader.address(), reader.u64(), _read_digest(reader))


def _write_object_ref(writer: Writer, ref: ObjectRef) -> None:
    writer.address(ref.object_id)
    writer.u64(ref.version)
    _write_digest(writer, ref.digest)


OBJECT_REF: Codec[ObjectRef] = Codec("ObjectRef", _read_object_ref, _write_object_ref)

# Variant indexes of Sui's enums (sui-types); only those named here are supported.
_CALL_ARG_PURE, _CALL_ARG_OBJECT = 0, 1
_OBJECT_ARG_OWNED, _OBJECT_ARG_SHARED = 0, 1
_ARGUMENT_KINDS: tuple[Literal["gas", "input", "result", "nested_result"], ...] = (
    "gas",
    "input",
    "result",
    "nested_result",
)
_COMMAND_MOVE_CALL = 0
_KIND_PROGRAMMABLE = 0
_EXPIRATION_NONE, _EXPIRATION_EPOCH = 0, 1
_TRANSACTION_DATA_V1 = 0


def _supported(reader: Reader, what: str, supported: int) -> int:
    """Read a variant index; refuse a known-but-unsupported one with a clear message."""
    index = reader.uleb128(U32_MAX)
    if index >= supported:
        raise reader.error(f"{what} variant {index} is not supported")
    return index


def _read_call_arg(reader: Reader) -> CallArg:
    if _supported(reader, "CallArg", 2) == _CALL_ARG_PURE:
        return Pure(reader.u8_vector())
    if _supported(reader, "ObjectArg", 2) == _OBJECT_ARG_OWNED:
        return _read_object_ref(reader)
    return SharedObject(reader.address(), reader.u64(), reader.boolean())


def _write_call_arg(writer: Writer, arg: CallArg) -> None:
    if isinstance(arg, Pure):
        writer.variant_index(_CALL_ARG_PURE)
        writer.u8_vector(arg.value)
        return
    writer.variant_index(_CALL_ARG_OBJECT)
    if isinstance(arg, ObjectRef):
        writer.variant_index(_OBJECT_ARG_OWNED)
        _write_object_ref(writer, arg)
    else:
        writer.variant_index(_OBJECT_ARG_SHARED)
        writer.address(arg.object_id)
        writer.u64(arg.initial_shared_version)
        writer.boolean(arg.mutable)


def _read_argument(reader: Reader) -> Argument:
    kind = _ARGUMENT_KINDS[reader.variant_index(len(_ARGUMENT_KINDS))]
    if kind == "gas":
        return Argument("gas")
    index = reader.u16()
    return Argument(kind, index, reader.u16() if kind == "nested_result" else 0)


def _write_argument(writer: Writer, arg: Argument) -> None:
    writer.variant_index(_ARGUMENT_KINDS.index(arg.kind))
    if arg.kind != "gas":
        writer.u16(arg.index)
    if arg.kind == "nested_result":
        writer.u16(arg.sub_index)


def _read_move_call(reader: Reader) -> MoveCall:
    _supported(reader, "Command", 1)
    package, module, function = reader.address(), reader.string(), reader.string()
    with reader.scope(".type_arguments"):
        if reader.length():
            raise reader.error("type arguments are not supported")
    with reader.scope(".arguments"):
        arguments = tuple(reader.vector(_read_argument))
    return MoveCall(package, module, function, arguments)


def _write_move_call(writer: Writer, call: MoveCall) -> None:
    writer.variant_index(_COMMAND_MOVE_CALL)
    writer.address(call.package)
    writer.string(call.module)
    writer.string(call.function)
    writer.length(0)  # no type arguments
    writer.vector(call.arguments, _write_argument)


def _read_transaction_data(reader: Reader) -> TransactionData:
    _supported(reader, "TransactionData", 1)
    with reader.scope(".kind"):
        _supported(reader, "TransactionKind", 1)
        with reader.scope(".inputs"):
            inputs = tuple(reader.vector(_read_call_arg))
        with reader.scope(".commands"):
            commands = tuple(reader.vector(_read_move_call))
    with reader.scope(".sender"):
        sender = reader.address()
    with reader.scope(".gas_data"):
        payment = tuple(reader.vector(_read_object_ref))
        gas = GasData(payment, reader.address(), reader.u64(), reader.u64())
    with reader.scope(".expiration"):
        if _supported(reader, "TransactionExpiration", 2) == _EXPIRATION_NONE:
            epoch = None
        else:
            epoch = reader.u64()
    return TransactionData(sender, gas, ProgrammableTransaction(inputs, commands), epoch)


def _write_transaction_data(writer: Writer, tx: TransactionData) -> None:
    writer.variant_index(_TRANSACTION_DATA_V1)
    writer.variant_index(_KIND_PROGRAMMABLE)
    writer.vector(tx.kind.inputs, _write_call_arg)
    writer.vector(tx.kind.commands, _write_move_call)
    writer.address(tx.sender)
    writer.vector(tx.gas.payment, _write_object_ref)
    writer.address(tx.gas.owner)
    writer.u64(tx.gas.price)
    writer.u64(tx.gas.budget)
    if tx.expiration_epoch is None:
        writer.variant_index(_EXPIRATION_NONE)
    else:
        writer.variant_index(_EXPIRATION_EPOCH)
        writer.u64(tx.expiration_epoch)


TRANSACTION_DATA: Codec[TransactionData] = Codec(
    "TransactionData", _read_transaction_data, _write_transaction_data
)


# --- Operations: the coordinator's Move calls ---------------------------------------


@dataclass(frozen=True)
class StartJob:
    """Claim a pending job (`start_app_job`): the lock that makes the job ours."""

    job_sequence: int


@dataclass(frozen=True)
class CompleteJob:
    job_sequence: int


@dataclass(frozen=True)
class FailJob:
    job_sequence: int
    error: str


@dataclass(frozen=True)
class TerminateJob:
    job_sequence: int


@dataclass(frozen=True)
class Multicall:
    """`multicall_app_job_operations`: many operations, one result each in the
    MulticallExecutedEvent. `start` pairs a job with its memory requirement."""

    complete: tuple[int, ...] = ()
    fail: tuple[tuple[int, str], ...] = ()
    terminate: tuple[int, ...] = ()
    start: tuple[tuple[int, int], ...] = ()
    available_memory: int = 0


@dataclass(frozen=True)
class SetKV:
    """`set_kv`: an agent's key-value pair on its app instance (replaces)."""

    key: str
    value: str


@dataclass(frozen=True)
class DeleteKV:
    """`delete_kv`: a missing key is no change (and no event)."""

    key: str


@dataclass(frozen=True)
class AddMetadata:
    """`add_metadata`: written once per key; an existing key aborts the call."""

    key: str
    value: str


@dataclass(frozen=True)
class CreateAppJob:
    """`create_app_job`: a new pending job for a method of the app instance."""

    method_name: str
    description: str | None = None
    block_number: int | None = None
    sequences: tuple[int, ...] | None = None
    sequences1: tuple[int, ...] | None = None
    sequences2: tuple[int, ...] | None = None
    data: bytes = b""
    interval_ms: int | None = None
    next_scheduled_at: int | None = None
    settlement_chain: str | None = None


# What agents write through the coordinator (not job operations: no bool result).
AgentWrite = SetKV | DeleteKV | AddMetadata | CreateAppJob
Operation = StartJob | CompleteJob | FailJob | TerminateJob | Multicall | AgentWrite

_U64S = vector(U64)
_STRINGS = vector(STRING)
_OPTION_STRING = option(STRING)
_OPTION_U64 = option(U64)
_OPTION_U64S = option(_U64S)


def _call_of(operation: Operation) -> tuple[str, list[bytes]]:
    """The Move function and the BCS of its pure arguments, in signature order."""
    match operation:
        case StartJob(sequence):
            return "start_app_job", [U64.to_bytes(sequence)]
        case CompleteJob(sequence):
            return "complete_app_job", [U64.to_bytes(sequence)]
        case FailJob(sequence, error):
            return "fail_app_job", [U64.to_bytes(sequence), STRING.to_bytes(error)]
        case TerminateJob(sequence):
            return "terminate_app_job", [U64.to_bytes(sequence)]
        case Multicall():
            return "multicall_app_job_operations", [
                _U64S.to_bytes(operation.complete),
                _U64S.to_bytes([job for job, _ in operation.fail]),
                _STRINGS.to_bytes([error for _, error in operation.fail]),
                _U64S.to_bytes(operation.terminate),
                _U64S.to_bytes([job for job, _ in operation.start]),
                _U64S.to_bytes([memory for _, memory in operation.start]),
                U64.to_bytes(operation.available_memory),
            ]
        case SetKV(key, value):
            return "set_kv", [STRING.to_bytes(key), STRING.to_bytes(value)]
        case DeleteKV(key):
            return "delete_kv", [STRING.to_bytes(key)]
        case AddMetadata(key, value):
            return "add_metadata", [STRING.to_bytes(key), STRING.to_bytes(value)]
        case CreateAppJob():
            return "create_app_job", [
                STRING.to_bytes(operation.method_name),
                _OPTION_STRING.to_bytes(operation.description),
                _OPTION_U64.to_bytes(operation.block_number),
                _OPTION_U64S.to_bytes(operation.sequences),
                _OPTION_U64S.to_bytes(operation.sequences1),
                _OPTION_U64S.to_bytes(operation.sequences2),
                BYTES.to_bytes(operation.data),
                _OPTION_U64.to_bytes(operation.interval_ms),
                _OPTION_U64.to_bytes(operation.next_scheduled_at),
                _OPTION_STRING.to_bytes(operation.settlement_chain),
            ]


# Pure parameters of each function (after the AppInstance), and whether the
# Clock follows them (the kv and metadata calls take only the TxContext, which
# a transaction never passes).
_SIGNATURES: dict[str, tuple[tuple[Codec[Any], ...], bool]] = {
    "start_app_job": ((U64,), True),
    "complete_app_job": ((U64,), True),
    "fail_app_job": ((U64, STRING), True),
    "terminate_app_job": ((U64,), True),
    "multicall_app_job_operations": ((_U64S, _U64S, _STRINGS, _U64S, _U64S, _U64S, U64), True),
    "set_kv": ((STRING, STRING), False),
    "delete_kv": ((STRING,), False),
    "add_metadata": ((STRING, STRING), False),
    "create_app_job": ((STRING, _OPTION_STRING, _OPTION_U64, _OPTION_U64S, _OPTION_U64S,
                        _OPTION_U64S, BYTES, _OPTION_U64, _OPTION_U64, _OPTION_STRING), True),
}


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
    calls = [_call_of(operation) for operation in operations]
    with_clock = any(_SIGNATURES[function][1] for function, _ in calls)
    inputs: list[CallArg] = [app_instance, CLOCK] if with_clock else [app_instance]
    commands: list[MoveCall] = []
    for function, pures in calls:
        first = len(inputs)
        inputs.extend(Pure(value) for value in pures)
        clock = (Argument("input", 1),) if _SIGNATURES[function][1] else ()
        arguments = (
            Argument("input", 0),
            *(Argument("input", first + offset) for offset in range(len(pures))),
            *clock,
        )
        commands.append(MoveCall(package, APP_INSTANCE_MODULE, function, arguments))
    return TransactionData(
        sender, gas, ProgrammableTransaction(tuple(inputs), tuple(commands)), expiration_epoch
    )


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
    known = _SIGNATURES.get(call.function) if call.module == APP_INSTANCE_MODULE else None
    if known is None:
        raise BcsError(f"{where}: not an app_instance job operation")
    signature, with_clock = known
    count = len(signature) + 1 + with_clock
    if len(call.arguments) != count:
        raise BcsError(f"{where}: expected {count} arguments")

    def input_of(argument: Argument) -> CallArg:
        if argument.kind != "input" or argument.index >= len(tx.kind.inputs):
            raise BcsError(f"{where}: argument {argument} is not an input of the transaction")
        return tx.kind.inputs[argument.index]

    app_instance = input_of(call.arguments[0])
    clock = input_of(call.arguments[-1]) if with_clock else CLOCK
    if not isinstance(app_instance, SharedObject) or not app_instance.mutable:
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
    return DecodedCall(app_instance, _operation_of(call.function, values, where), clock)


def _u64s(value: object) -> tuple[int, ...] | None:
    return None if value is None else tuple(cast(list[int], value))


def _operation_of(function: str, values: list[object], where: str) -> Operation:
    match function, values:
        case "start_app_job", [int(sequence)]:
            return StartJob(sequence)
        case "complete_app_job", [int(sequence)]:
            return CompleteJob(sequence)
        case "fail_app_job", [int(sequence), str(error)]:
            return FailJob(sequence, error)
        case "terminate_app_job", [int(sequence)]:
            return TerminateJob(sequence)
        case "multicall_app_job_operations", [
            list(complete), list(fail_jobs), list(fail_errors),
            list(terminate), list(start_jobs), list(memory), int(available),
        ]:  # fmt: skip
            if len(fail_jobs) != len(fail_errors) or len(start_jobs) != len(memory):
                raise BcsError(f"{where}: paired vectors differ in length")
            return Multicall(
                tuple(complete),
                tuple(zip(fail_jobs, fail_errors, strict=True)),
                tuple(terminate),
                tuple(zip(start_jobs, memory, strict=True)),
                available,
            )
        case "set_kv", [str(key), str(value)]:
            return SetKV(key, value)
        case "delete_kv", [str(key)]:
            return DeleteKV(key)
        case "add_metadata", [str(key), str(value)]:
            return AddMetadata(key, value)
        case "create_app_job", [str(method), *rest] if len(rest) == 9:
            # The codecs of the signature made these values; only the shapes are named here.
            description, block, seqs, seqs1, seqs2, data, interval, scheduled, chain = rest
            return CreateAppJob(
                method, cast(str | None, description), cast(int | None, block),
                _u64s(seqs), _u64s(seqs1), _u64s(seqs2), cast(bytes, data),
                cast(int | None, interval), cast(int | None, scheduled),
                cast(str | None, chain),
            )
    raise BcsError(f"{where}: unexpected argument values")


# --- Signing ------------------------------------------------------------------------


def signing_digest(tx_bytes: bytes) -> bytes:
    """What the key signs: BLAKE2b-256 of the intent message (intent || tx bytes)."""
    return blake2b256(TRANSACTION_INTENT + tx_bytes)


def sign_transaction(key: SuiKey, tx_bytes: bytes) -> bytes:
    """Sui's serialized signature: flag (Ed25519) || signature || public key."""
    return bytes([ED25519_FLAG]) + key.sign(signing_digest(tx_bytes)) + key.public_key


def verify_transaction_signature(tx_bytes: bytes, signature: bytes) -> str | None:
    """The signer's address when `signature` is a valid Ed25519 signature of
    `tx_bytes`, else None (a wrong length, scheme or signature alike)."""
    if len(signature) != SERIALIZED_SIGNATURE_LENGTH or signature[0] != ED25519_FLAG:
        return None
    raw, public_key = signature[1 : 1 + SIGNATURE_LENGTH], signature[1 + SIGNATURE_LENGTH :]
    if not verify_ed25519(public_key, raw, signing_digest(tx_bytes)):
        return None
    return address_of(public_key)


def transaction_digest(tx_bytes: bytes) -> str:
    """The transaction's digest as Sui shows it: base58 of BLAKE2b-256 of
    `TransactionData::` || the BCS bytes."""
    return base58.b58encode(blake2b256(b"TransactionData::" + tx_bytes)).decode("ascii")
