"""Sui `TransactionData` and its BCS, byte for byte as Mysten's SDK writes it.

Only the part of Sui's transaction language the coordinator uses is modelled:
programmable transactions of Move calls (type arguments read and written, see
`type_tags`), pure and object inputs, no expiration or an epoch one. Anything
else decodes to a `BcsError` naming what is not supported, which a node
answers as a rejected transaction. What the Move calls mean is not known
here: `coordinator.sui.calls` builds and reads them; `coordinator.sui.signing`
signs the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import base58

from coordinator.events.bcs import U32_MAX, BcsError, Codec, Reader, Writer
from coordinator.sui.type_tags import read_type_tag, write_type_tag

DIGEST_LENGTH = 32


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
    """`package::module::function<type_arguments>(arguments)`; the type
    arguments as canonical text (`type_tags`): none of ours takes any."""

    package: str
    module: str
    function: str
    arguments: tuple[Argument, ...]
    type_arguments: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProgrammableTransaction:
    """The inputs, and the commands that use them by index, in order."""

    inputs: tuple[CallArg, ...]
    commands: tuple[MoveCall, ...]


@dataclass(frozen=True)
class GasData:
    """Who pays with which coins, at what price per gas unit, up to what budget (MIST)."""

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
        type_arguments = tuple(reader.vector(read_type_tag))
    with reader.scope(".arguments"):
        arguments = tuple(reader.vector(_read_argument))
    return MoveCall(package, module, function, arguments, type_arguments)


def _write_move_call(writer: Writer, call: MoveCall) -> None:
    writer.variant_index(_COMMAND_MOVE_CALL)
    writer.address(call.package)
    writer.string(call.module)
    writer.string(call.function)
    writer.vector(call.type_arguments, write_type_tag)
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
