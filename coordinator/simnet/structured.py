"""Transactions in their structured proto form (`sui.rpc.v2.Transaction`'s
`kind`, `sender`, `gas_payment`, `expiration`), both ways.

Mysten's SDK builds a transaction by sending it structured and unresolved to
SimulateTransaction: object inputs named by id only, gas left out. `read`
resolves such inputs against the simulated chain as a fullnode does (an
AppInstance or the Clock becomes a shared input at its initial shared version,
a coin an owned input at its current version) and leaves the gas it was not
given to `gas_selection`. `message` is the other way: what a node returns as
the transaction, which the SDK reads back, serializes and signs.
"""

from __future__ import annotations

from dataclasses import dataclass

from coordinator._pb.sui.rpc.v2 import (
    argument_pb2,
    input_pb2,
    object_reference_pb2,
    transaction_pb2,
)
from coordinator.events import normalize_address
from coordinator.simnet.checks import input_error
from coordinator.simnet.engine import Engine
from coordinator.sui import codec
from coordinator.sui.signing import transaction_digest
from coordinator.sui.type_tags import parse_type_tag

Input = input_pb2.Input
Expiration = transaction_pb2.TransactionExpiration
_ARGUMENT_KINDS = {
    argument_pb2.Argument.GAS: "gas",
    argument_pb2.Argument.INPUT: "input",
    argument_pb2.Argument.RESULT: "result",
}


@dataclass(frozen=True)
class Unresolved:
    """A transaction read from its structured form, and which parts of its gas
    the client left to the node (None: not given)."""

    tx: codec.TransactionData
    payment: tuple[codec.ObjectRef, ...] | None
    price: int | None
    budget: int | None


def _address(value: str, what: str) -> str:
    try:
        return normalize_address(value)
    except ValueError:
        raise input_error(f"{what} {value!r} is not an address") from None


def _object_input(sim: Engine, given: input_pb2.Input) -> codec.CallArg:
    """An object input named by id, resolved as the chain holds it now."""
    object_id = _address(given.object_id, "object input")
    if object_id == codec.CLOCK.object_id:
        return codec.CLOCK
    app = sim.app_by_id(object_id)
    if app is not None:
        mutable = given.mutable if given.HasField("mutable") else True
        return codec.SharedObject(object_id, app.initial_shared_version, mutable)
    coin = sim.coins.get(object_id)
    if coin is not None:
        return codec.ObjectRef(coin.id, coin.version, coin.digest)
    raise input_error(f"Could not find the referenced object {object_id} at version None")


def _input(sim: Engine, given: input_pb2.Input) -> codec.CallArg:
    kind = given.kind
    if kind == Input.PURE:
        return codec.Pure(given.pure)
    if kind == Input.INPUT_KIND_UNKNOWN and given.HasField("object_id"):
        return _object_input(sim, given)
    object_id = _address(given.object_id, "object input")
    if kind == Input.IMMUTABLE_OR_OWNED:
        return codec.ObjectRef(object_id, given.version, given.digest)
    if kind == Input.SHARED:
        return codec.SharedObject(object_id, given.version, given.mutable)
    raise input_error(f"input kind {Input.InputKind.Name(kind)} is not supported")


def _argument(given: argument_pb2.Argument) -> codec.Argument:
    kind = _ARGUMENT_KINDS.get(given.kind)
    if kind is None:
        raise input_error("an argument has no kind")
    if kind == "gas":
        return codec.Argument("gas")
    if kind == "input":
        return codec.Argument("input", given.input)
    if given.HasField("subresult"):
        return codec.Argument("nested_result", given.result, given.subresult)
    return codec.Argument("result", given.result)


def _command(given: transaction_pb2.Command) -> codec.MoveCall:
    if not given.HasField("move_call"):
        raise input_error("the simulator runs Move calls only")
    call = given.move_call
    try:
        type_arguments = tuple(parse_type_tag(text) for text in call.type_arguments)
    except ValueError as exc:
        raise input_error(f"{call.module}::{call.function}: {exc}") from None
    return codec.MoveCall(
        _address(call.package, "package"), call.module, call.function,
        tuple(_argument(argument) for argument in call.arguments), type_arguments,
    )  # fmt: skip


def _expiration(given: transaction_pb2.Transaction) -> int | None:
    if not given.HasField("expiration") or given.expiration.kind == Expiration.NONE:
        return None
    if given.expiration.kind == Expiration.EPOCH:
        return given.expiration.epoch
    raise input_error("expirations other than None and Epoch are not supported")


def read(sim: Engine, given: transaction_pb2.Transaction) -> Unresolved:
    """The transaction a structured message describes, its object inputs
    resolved; gas the client left out is zero here and None in the result."""
    kind = given.kind
    if not kind.HasField("programmable_transaction"):
        raise input_error("transaction.kind: a programmable transaction is required")
    if not given.HasField("sender"):
        raise input_error("transaction.sender is required")
    sender = _address(given.sender, "sender")
    programmable = kind.programmable_transaction
    inputs = tuple(_input(sim, given_input) for given_input in programmable.inputs)
    commands = tuple(_command(command) for command in programmable.commands)
    gas = given.gas_payment
    owner = _address(gas.owner, "gas owner") if gas.HasField("owner") else sender
    payment = tuple(
        codec.ObjectRef(_address(ref.object_id, "gas object"), ref.version, ref.digest)
        for ref in gas.objects
    )
    price = gas.price if gas.HasField("price") else None
    budget = gas.budget if gas.HasField("budget") else None
    tx = codec.TransactionData(
        sender, codec.GasData(payment, owner, price or 0, budget or 0),
        codec.ProgrammableTransaction(inputs, commands), _expiration(given),
    )  # fmt: skip
    return Unresolved(tx, payment or None, price, budget)


def _input_message(arg: codec.CallArg) -> input_pb2.Input:
    if isinstance(arg, codec.Pure):
        return Input(kind=Input.PURE, pure=arg.value)
    if isinstance(arg, codec.ObjectRef):
        return Input(
            kind=Input.IMMUTABLE_OR_OWNED, object_id=arg.object_id, version=arg.version,
            digest=arg.digest,
        )  # fmt: skip
    return Input(
        kind=Input.SHARED, object_id=arg.object_id, version=arg.initial_shared_version,
        mutable=arg.mutable,
    )  # fmt: skip


def _argument_message(arg: codec.Argument) -> argument_pb2.Argument:
    if arg.kind == "gas":
        return argument_pb2.Argument(kind=argument_pb2.Argument.GAS)
    if arg.kind == "input":
        return argument_pb2.Argument(kind=argument_pb2.Argument.INPUT, input=arg.index)
    message = argument_pb2.Argument(kind=argument_pb2.Argument.RESULT, result=arg.index)
    if arg.kind == "nested_result":
        message.subresult = arg.sub_index
    return message


def message(tx: codec.TransactionData, tx_bytes: bytes) -> transaction_pb2.Transaction:
    """The transaction as a node returns it: BCS, digest and the structured fields."""
    result = transaction_pb2.Transaction(
        digest=transaction_digest(tx_bytes), version=1, sender=tx.sender,
        gas_payment=transaction_pb2.GasPayment(
            objects=[
                object_reference_pb2.ObjectReference(
                    object_id=ref.object_id, version=ref.version, digest=ref.digest
                )
                for ref in tx.gas.payment
            ],
            owner=tx.gas.owner, price=tx.gas.price, budget=tx.gas.budget,
        ),
    )  # fmt: skip
    result.bcs.name, result.bcs.value = "TransactionData", tx_bytes
    programmable = result.kind.programmable_transaction
    result.kind.kind = transaction_pb2.TransactionKind.PROGRAMMABLE_TRANSACTION
    programmable.inputs.extend(_input_message(arg) for arg in tx.kind.inputs)
    for call in tx.kind.commands:
        programmable.commands.add().move_call.CopyFrom(
            transaction_pb2.MoveCall(
                package=call.package, module=call.module, function=call.function,
                arguments=[_argument_message(arg) for arg in call.arguments],
                type_arguments=call.type_arguments,
            )
        )  # fmt: skip
    if tx.expiration_epoch is None:
        result.expiration.kind = Expiration.NONE
    else:
        result.expiration.kind, result.expiration.epoch = Expiration.EPOCH, tx.expiration_epoch
    return result
