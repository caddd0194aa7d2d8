"""Event and transaction filters for a package's modules, and read masks that
fall back to simpler ones for servers that refuse a path."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from google.protobuf import field_mask_pb2

from coordinator._pb.sui.rpc.v2 import filter_pb2
from coordinator.logs import escape
from coordinator.sui.errors import SuiError

log = logging.getLogger("coordinator.sui")


def _modules(package_id: str, modules: Iterable[str]) -> list[str]:
    names = [f"{package_id}::{module}" for module in modules]
    if not names:
        raise ValueError("a module filter needs at least one module (empty would match all)")
    return names


# Events are matched by the module that *defines* their type (`event_type =
# 0xPKG::module`). `emit_module` would be wrong here: on Sui it names the
# top-level Move call of the transaction, which for Silvana is an entry
# function of another module (or of an app's own package).


def module_event_filter(package_id: str, modules: Iterable[str]) -> filter_pb2.EventFilter:
    """Events whose type is defined in any of `package_id::module` (OR-ed terms)."""
    return filter_pb2.EventFilter(
        terms=[
            filter_pb2.EventTerm(
                literals=[filter_pb2.EventLiteral(event_type={"event_type": name})]
            )
            for name in _modules(package_id, modules)
        ]
    )


def module_transaction_filter(
    package_id: str, modules: Iterable[str]
) -> filter_pb2.TransactionFilter:
    """Transactions with an event whose type is defined in any of the modules."""
    return filter_pb2.TransactionFilter(
        terms=[
            filter_pb2.TransactionTerm(
                literals=[filter_pb2.TransactionLiteral(event_type={"event_type": name})]
            )
            for name in _modules(package_id, modules)
        ]
    )


def read_mask_of(read_mask: Sequence[str]) -> field_mask_pb2.FieldMask | None:
    """None (the server's default mask) for an empty read mask."""
    if isinstance(read_mask, str):
        raise TypeError("read_mask is a sequence of paths, not one string")
    return field_mask_pb2.FieldMask(paths=list(read_mask)) if read_mask else None


class ReadMasks:
    """Read masks for one kind of call, from the richest to the simplest.

    Servers of different ages know different fields, and a server refuses a
    read-mask path it does not know with INVALID_ARGUMENT. Retrying the same
    mask would be refused forever, so `simpler` moves to the next mask; only
    the simplest mask's refusal stands (and is the caller's to report).
    """

    def __init__(self, what: str, calls: Iterable[str], *masks: Sequence[str]) -> None:
        if not masks:
            raise ValueError("ReadMasks needs at least one mask")
        self.what = what
        self.calls = frozenset(calls)  # e.g. "LedgerService/GetCheckpoint"
        self.masks = masks
        self.level = 0

    @property
    def paths(self) -> Sequence[str]:
        return self.masks[self.level]

    def at_least(self, level: int) -> None:
        """Skip the richer masks (a server known to be older than them)."""
        self.level = max(self.level, min(level, len(self.masks) - 1))

    def simpler(self, exc: SuiError) -> bool:
        """After a refusal: True when a simpler mask is now in use, so asking
        again can help; False when `exc` is no refusal of these calls or no
        simpler mask is left."""
        if (exc.code != "INVALID_ARGUMENT" or exc.call not in self.calls
                or self.level + 1 >= len(self.masks)):
            return False
        self.level += 1
        log.warning("%s refused the read mask of %s (%s); asking with a simpler one: %s",
                    exc.call, self.what, escape(exc.message), ", ".join(self.paths))
        return True

