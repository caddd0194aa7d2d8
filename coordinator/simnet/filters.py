"""Server-side filters (EventFilter, TransactionFilter) and read masks.

Filters are DNF as upstream defines them: a filter matches when any term
matches, a term when all its literals match; a literal may be negated. A
present filter needs at least one term, a term at least one literal. Invalid
input raises `ValueError`, which the services answer with INVALID_ARGUMENT.

Read masks follow google.protobuf.FieldMask paths (`transactions.events.events.contents`),
descending into repeated messages too, which `FieldMask.MergeMessage` refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message

from coordinator._pb.sui.rpc.v2 import filter_pb2
from coordinator.events import normalize_address
from coordinator.simnet.chain import EventRecord, TxRecord

# --- Move paths -----------------------------------------------------------------


def _move_path(text: str, what: str, max_parts: int) -> list[str]:
    """`0xADDR[::module[::Name...]]` with the address normalised; ValueError otherwise."""
    parts = text.split("::", max_parts - 1)
    try:
        parts[0] = normalize_address(parts[0])
    except ValueError:
        raise ValueError(f"{what} {text!r}: must start with a 0x address") from None
    if any(not part for part in parts[1:]):
        raise ValueError(f"{what} {text!r}: empty path segment")
    return parts


def _emit_module_matches(pattern: list[str], event: EventRecord) -> bool:
    if pattern[0] != event.package_id:
        return False
    return len(pattern) == 1 or pattern[1] == event.module


def _event_type_matches(pattern: list[str], event_type: str) -> bool:
    """address / address::module / address::module::Name (any instantiation) / exact."""
    actual = event_type.split("::", 2)
    if len(pattern) < 3:
        return actual[: len(pattern)] == pattern
    if "<" in pattern[2]:
        return actual == pattern
    return actual[:2] == pattern[:2] and actual[2].split("<", 1)[0] == pattern[2]


def _function_matches(pattern: list[str], function: str) -> bool:
    return function.split("::", 2)[: len(pattern)] == pattern


# --- EventFilter -----------------------------------------------------------------

EventPredicate = Callable[[EventRecord, TxRecord], bool]


def _event_literal(literal: filter_pb2.EventLiteral) -> EventPredicate:
    kind = literal.WhichOneof("predicate")
    predicate: EventPredicate
    if kind == "sender":
        sender = normalize_address(literal.sender.address)
        predicate = lambda e, tx: tx.sender == sender  # noqa: E731
    elif kind == "emit_module":
        module = _move_path(literal.emit_module.module, "emit_module", 2)
        predicate = lambda e, tx: _emit_module_matches(module, e)  # noqa: E731
    elif kind == "event_type":
        pattern = _move_path(literal.event_type.event_type, "event_type", 3)
        predicate = lambda e, tx: _event_type_matches(pattern, e.event_type)  # noqa: E731
    elif kind == "event_stream_head":
        predicate = lambda e, tx: False  # noqa: E731  (no authenticated streams here)
    else:
        raise ValueError("a filter literal has no predicate")
    if literal.negated:
        return lambda e, tx: not predicate(e, tx)
    return predicate


def compile_event_filter(
    message: filter_pb2.EventFilter | None,
) -> EventPredicate:
    """A predicate for the filter (None: match everything); ValueError when invalid."""
    if message is None:
        return lambda e, tx: True
    if not message.terms:
        raise ValueError("a present filter needs at least one term")
    terms: list[list[EventPredicate]] = []
    for term in message.terms:
        if not term.literals:
            raise ValueError("a filter term needs at least one literal")
        terms.append([_event_literal(literal) for literal in term.literals])
    return lambda e, tx: any(all(lit(e, tx) for lit in term) for term in terms)


# --- TransactionFilter -------------------------------------------------------------

TxPredicate = Callable[[TxRecord], bool]


def _transaction_literal(literal: filter_pb2.TransactionLiteral) -> TxPredicate:
    kind = literal.WhichOneof("predicate")
    predicate: TxPredicate
    if kind == "sender":
        sender = normalize_address(literal.sender.address)
        predicate = lambda tx: tx.sender == sender  # noqa: E731
    elif kind == "emit_module":
        module = _move_path(literal.emit_module.module, "emit_module", 2)
        predicate = lambda tx: any(_emit_module_matches(module, e) for e in tx.events)  # noqa: E731
    elif kind == "event_type":
        pattern = _move_path(literal.event_type.event_type, "event_type", 3)
        predicate = lambda tx: any(  # noqa: E731
            _event_type_matches(pattern, e.event_type) for e in tx.events
        )
    elif kind == "move_call":
        function = _move_path(literal.move_call.function, "move_call", 3)
        predicate = lambda tx: _function_matches(function, tx.function)  # noqa: E731
    elif kind in ("affected_address", "affected_object"):
        raise ValueError(f"the simulator does not index {kind}")
    else:
        raise ValueError("a filter literal has no predicate")
    if literal.negated:
        return lambda tx: not predicate(tx)
    return predicate


def compile_transaction_filter(message: filter_pb2.TransactionFilter | None) -> TxPredicate:
    """A predicate for the filter (None: match everything); ValueError when invalid."""
    if message is None:
        return lambda tx: True
    if not message.terms:
        raise ValueError("a present filter needs at least one term")
    terms: list[list[TxPredicate]] = []
    for term in message.terms:
        if not term.literals:
            raise ValueError("a filter term needs at least one literal")
        terms.append([_transaction_literal(literal) for literal in term.literals])
    return lambda tx: any(all(lit(tx) for lit in term) for term in terms)


# --- read masks ----------------------------------------------------------------------

# Field name -> subtree; an empty subtree keeps the whole field.
MaskTree = dict[str, "MaskTree"]


def parse_mask(
    mask: FieldMask | None, message_type: type[Message], default: str,
    unknown: Mapping[str, frozenset[str]] | None = None,
) -> MaskTree:
    """The mask as a tree checked against `message_type`; `default` when unset or empty.
    `unknown` names fields (by message full name) this server does not know."""
    paths = list(mask.paths) if mask is not None and mask.paths else default.split(",")
    tree: MaskTree = {}
    for path in paths:
        node = tree
        # Descriptor of the message at this depth; None below a scalar field.
        message: Any = message_type.DESCRIPTOR
        for name in path.split("."):
            if message is None:
                raise ValueError(f"read_mask path {path!r}: {name!r} is inside a scalar field")
            fd = message.fields_by_name.get(name)
            if fd is None or (unknown and name in unknown.get(message.full_name, ())):
                raise ValueError(f"read_mask path {path!r}: {message.name} has no field {name!r}")
            if name in node and not node[name]:
                break  # an ancestor path already keeps all of it
            node = node.setdefault(name, {})
            message = fd.message_type if fd.type == FieldDescriptor.TYPE_MESSAGE else None
        else:
            node.clear()  # this path keeps the whole field
    return tree


def apply_mask(message: Message, tree: MaskTree) -> None:
    """Clear every field of `message` (in place) that the mask does not keep."""
    for fd, value in message.ListFields():
        if fd.name not in tree:
            message.ClearField(fd.name)
            continue
        subtree = tree[fd.name]
        if not subtree or fd.type != FieldDescriptor.TYPE_MESSAGE:
            continue
        items: Any = value if fd.is_repeated else [value]
        for item in items:
            apply_mask(item, subtree)
