"""From Sui `Event` / `Checkpoint` messages to typed `CoordinationEvent`s.

Only events of the configured package and modules pass; the filter is applied
here always, because an older server silently ignores a filter it does not
know. A payload that does not decode is a fact about the chain, not a reason
to stop: it is logged once with its ledger position, counted and skipped.
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from pydantic import BaseModel, ValidationError

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator._pb.sui.rpc.v2 import checkpoint_pb2, event_pb2
from coordinator.domain import EventId
from coordinator.events.bcs import BcsError
from coordinator.events.layouts import (
    LAYOUT_MODULES,
    LAYOUT_NAMES,
    Layout,
    decode,
    event_model,
    neutral,
)
from coordinator.events.models import BcsEvent, normalize_address
from coordinator.instruments import EVENTS_MALFORMED

log = logging.getLogger("coordinator.events")

# How many malformed events are remembered so a replay (a reconnect re-reading
# the tip checkpoint, a backfill overlapping a cut stream) neither logs nor
# counts one twice.
_LOGGED_LIMIT = 4096


@dataclass(frozen=True)
class LedgerPosition:
    checkpoint: int
    tx_digest: str
    tx_index: int
    event_index: int

    @property
    def event_id(self) -> EventId:
        return EventId(self.tx_digest, self.event_index)

    def __str__(self) -> str:
        return f"checkpoint {self.checkpoint} tx {self.tx_digest} event {self.event_index}"


@dataclass(frozen=True)
class CoordinationEvent:
    """One event of our package, decoded, with where it sits on the ledger.

    `event` is layout-neutral: a job event is a `job_events` model whatever
    the package's layout, other events their (shared) Move model. It is None
    for a type of our package no known layout has (a newer package version):
    recorded and shown, never acted on. `layout` is the layout a job event was
    decoded under (None for layout-free modules).
    """

    position: LedgerPosition
    module: str
    name: str
    sender: str
    event: BaseModel | None
    layout: Layout | None = None

    @property
    def type_name(self) -> str:
        return f"{self.module}::{self.name}"


def split_event_type(event_type: str) -> tuple[str, str, str]:
    """`0xPKG::module::Name<T>` -> (normalised package, module, Name)."""
    base = event_type.split("<", 1)[0]
    parts = base.split("::")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"not a Move event type: {event_type!r}")
    return normalize_address(parts[0]), parts[1], parts[2]


class EventParser:
    """Decodes our package's events under its layout.

    `layout` None means `sui.layout = "auto"` (`auto`) has not settled yet: the first
    job event that decodes whole under exactly one layout settles it (and
    the router makes it durable). A job payload that fits
    no layout (or, unsettled, both) is counted per type in `misfits`, logged
    once and skipped.
    """

    def __init__(
        self,
        package_id: str,
        modules: list[str],
        layout: Layout | None = "2025-11",
        *,
        auto: bool = False,
    ) -> None:
        self.package_id = normalize_address(package_id)
        self.modules = frozenset(modules)
        self.layout: Layout | None = layout
        self.auto = auto  # the layout is the chain's to say, not the config's
        self.misfits: Counter[str] = Counter()
        self._logged: OrderedDict[EventId, None] = OrderedDict()

    @property
    def malformed(self) -> int:
        """Payloads of our package that did not decode, all types together."""
        return sum(self.misfits.values())

    def parse(
        self,
        event: event_pb2.Event,
        *,
        checkpoint: int | None = None,
        tx_digest: str | None = None,
        tx_index: int | None = None,
        event_index: int | None = None,
    ) -> CoordinationEvent | None:
        """The typed event, or None when it is not ours or is malformed.

        Position fields missing from the message (a checkpoint's events carry
        none) come from the keyword arguments.
        """
        event_type = event.event_type
        # Fast path: nodes spell addresses in full, and nearly every event on
        # chain is someone else's, so compare the text before parsing it.
        if event_type[66:68] == "::" and event_type[:66].lower() != self.package_id:
            return None
        try:
            package, module, name = split_event_type(event_type)
        except ValueError:
            return None  # a foreign or garbled type is not ours to judge
        if package != self.package_id or module not in self.modules:
            return None
        position = LedgerPosition(
            checkpoint=event.checkpoint if event.HasField("checkpoint") else checkpoint or 0,
            tx_digest=event.transaction_digest or tx_digest or "",
            tx_index=event.transaction_index if event.HasField("transaction_index")
            else tx_index or 0,
            event_index=event.event_index if event.HasField("event_index")
            else event_index or 0,
        )
        contents = event.contents.value if event.HasField("contents") else None
        # The JSON rendering is only a fallback for servers that send no BCS.
        rendered = json_format.MessageToDict(event.json) if event.HasField("json") else None
        type_name = f"{module}::{name}"
        candidates = (
            [self.layout or LAYOUT_NAMES[0]] if module not in LAYOUT_MODULES
            else [self.layout] if self.layout is not None else list(LAYOUT_NAMES)
        )
        fits: dict[Layout, BcsEvent] = {}
        errors: list[str] = []
        for layout in candidates:
            model = event_model(layout, module, name)
            if model is None:
                continue
            try:
                fits[layout] = decode(model, contents, rendered)
            except (BcsError, ValidationError, ValueError) as exc:
                errors.append(f"{layout}: {str(exc).splitlines()[0]}")
        if len(fits) == 1:
            [(layout, decoded)] = fits.items()
            if module not in LAYOUT_MODULES:
                return CoordinationEvent(position, module, name, event.sender, neutral(decoded))
            if self.layout is None:
                self._settle(layout, type_name, position)
            return CoordinationEvent(position, module, name, event.sender, neutral(decoded),
                                     layout)
        if not fits and not errors and not self._known_elsewhere(module, name):
            return CoordinationEvent(position, module, name, event.sender, None)
        if fits:
            reason = "decodes under both layouts; the layout is not settled yet"
        elif errors:
            reason = "; ".join(errors)
        else:
            reason = f"no such event in layout {self.layout}"
        self._malformed(position, type_name, reason)
        return None

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        """The parser's part of the status: the layout, and the payloads that fit none."""
        message.package.layout = self.layout or ""
        message.package.layout_source = "auto" if self.auto else "configured"
        message.package.misfits.update(self.misfits)

    def _known_elsewhere(self, module: str, name: str) -> bool:
        """A type some layout has, though not the settled one (a misfit, not news)."""
        return any(event_model(layout, module, name) is not None for layout in LAYOUT_NAMES)

    def _settle(self, layout: Layout, type_name: str, position: LedgerPosition) -> None:
        self.layout = layout
        log.info("package layout settled: %s (%s at %s decodes whole only under it)",
                 layout, type_name, position)

    def _malformed(self, position: LedgerPosition, type_name: str, exc: Any) -> None:
        """Log and count a bad payload once per event (its identity), however often
        it is read again."""
        if position.event_id in self._logged:
            return
        self.misfits[type_name] += 1
        EVENTS_MALFORMED.labels(type_name).inc()
        self._logged[position.event_id] = None
        if len(self._logged) > _LOGGED_LIMIT:
            self._logged.popitem(last=False)
        reason = str(exc).splitlines()[0]
        log.warning("malformed %s at %s skipped: %s", type_name, position, reason)

    def from_checkpoint(self, checkpoint: checkpoint_pb2.Checkpoint) -> Iterator[CoordinationEvent]:
        """Our events in a checkpoint, in chain order."""
        sequence = checkpoint.sequence_number
        for tx_number, tx in enumerate(checkpoint.transactions):
            tx_index = tx.transaction_index if tx.HasField("transaction_index") else tx_number
            for index, event in enumerate(tx.events.events):
                parsed = self.parse(
                    event, checkpoint=sequence, tx_digest=tx.digest, tx_index=tx_index,
                    event_index=index,
                )
                if parsed is not None:
                    yield parsed
