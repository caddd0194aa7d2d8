"""What the simulator's Sui servicers share: upstream's default read masks and
limits, argument checks, and `Servicer` (the simulator, the fault gate and
the read mask of each call)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import purerpc
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message

from coordinator import __version__
from coordinator._pb.sui.rpc.v2 import (
    checkpoint_pb2,
    event_pb2,
    executed_transaction_pb2,
    ledger_service_pb2,
    object_pb2,
    state_service_pb2,
    transaction_execution_service_pb2,
)
from coordinator.events import normalize_address
from coordinator.simnet.engine import Engine
from coordinator.simnet.faults import NEWER_FIELDS, Faults
from coordinator.simnet.filters import (
    MaskTree,
    apply_mask,
    parse_mask,
)

M = TypeVar("M", bound=Message)
T = TypeVar("T")

CHAIN_NAME = "simnet"
SERVER = f"silvana-simnet/{__version__}"
LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX = 50, 1000
PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX = 50, 1000

_TYPE_ADDRESS = re.compile(r"0x[0-9a-fA-F]{1,64}")


@dataclass(frozen=True)
class ReadMask:
    """The message a call's read mask is relative to, and upstream's default
    paths when the request has none."""

    message_type: type[Message]
    default: str


# Upstream's documented defaults; the event calls return whole events.
CHECKPOINT_MASK = ReadMask(checkpoint_pb2.Checkpoint, "sequence_number,digest")
TRANSACTION_MASK = ReadMask(executed_transaction_pb2.ExecutedTransaction, "digest")
OBJECT_MASK = ReadMask(object_pb2.Object, "object_id,version,digest")
DYNAMIC_FIELD_MASK = ReadMask(state_service_pb2.DynamicField, "parent,field_id")
OWNED_OBJECT_MASK = ReadMask(object_pb2.Object, "object_id,version,object_type")
EPOCH_MASK = ReadMask(ledger_service_pb2.Epoch, "epoch,reference_gas_price")
EXECUTED_MASK = ReadMask(executed_transaction_pb2.ExecutedTransaction, "effects")
SIMULATED_MASK = ReadMask(
    transaction_execution_service_pb2.SimulateTransactionResponse, "transaction.effects"
)
EVENT_MASK = ReadMask(event_pb2.Event, (
    "package_id,module,sender,event_type,contents,checkpoint,"
    "transaction_digest,transaction_index,event_index"
))  # fmt: skip


def invalid(message: str) -> purerpc.InvalidArgumentError:
    return purerpc.InvalidArgumentError(message)


def _mask(
    faults: Faults, mask: FieldMask | None, message_type: type[Message], default: str
) -> MaskTree:
    """The read mask checked against the fields this node knows (fewer on an old node)."""
    try:
        return parse_mask(mask, message_type, default,
                          unknown=NEWER_FIELDS if faults.old_node else None)
    except ValueError as exc:
        raise invalid(str(exc)) from None


def masked(message: M, tree: MaskTree) -> M:
    apply_mask(message, tree)
    return message


def canonical_type(type_name: str) -> str:
    """A Move type with every address in full, so `0x2::sui::SUI` matches its long form."""
    return _TYPE_ADDRESS.sub(lambda m: normalize_address(m.group(0)), type_name.strip())


def owner_address(value: str, name: str = "owner") -> str:
    if not value:
        raise invalid(f"{name} is required")
    try:
        return normalize_address(value)
    except ValueError:
        raise invalid(f"{name} {value!r} is not an address") from None


def _optional(message: Message, name: str) -> FieldMask | None:
    if not message.HasField(name):
        return None
    value: FieldMask = getattr(message, name)
    return value


def found(value: T | None, what: str) -> T:
    """`value`, or NOT_FOUND saying that `what` was not found."""
    if value is None:
        raise purerpc.NotFoundError(f"{what} not found")
    return value


def page_of(
    items: Sequence[T], object_id: Callable[[T], str], page_token: bytes, page_size: int
) -> tuple[Sequence[T], bytes | None]:
    """One page of `items` (in the order of their ids) after `page_token`, and the
    token of the next page if there is one (the last id on this page)."""
    if page_token:
        if len(page_token) != 32:
            raise invalid("page_token is not from this server")
        after = "0x" + page_token.hex()
        items = [item for item in items if object_id(item) > after]
    size = min(page_size or PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX)
    page = items[:size]
    token = bytes.fromhex(object_id(page[-1]).removeprefix("0x")) if len(items) > size else None
    return page, token


class Servicer:
    """A Sui servicer over the simulator's engine."""

    def __init__(self, sim: Engine) -> None:
        self.sim = sim

    def enter(self, method: str, request: Message, read_mask: ReadMask) -> MaskTree:
        """Count the call (or refuse it, as a fault says) and check its read mask."""
        self.sim.gate.enter(method)
        return _mask(
            self.sim.faults, _optional(request, "read_mask"), read_mask.message_type,
            read_mask.default,
        )  # fmt: skip
