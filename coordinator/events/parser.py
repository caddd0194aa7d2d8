"""From Sui `Event` / `Checkpoint` messages to typed `CoordinationEvent`s.

Only events of the configured package and modules pass; the filter is applied
here always, because an older server silently ignores a filter it does not
know. A payload that does not decode is a fact about the chain, not a reason
to stop: it is logged once with its ledger position, counted and skipped.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from google.protobuf import json_format
from pydantic import ValidationError

from coordinator._pb.sui.rpc.v2 import checkpoint_pb2, event_pb2
from coordinator.events.bcs import BcsError
from coordinator.events.models import EVENT_MODELS, BcsEvent, normalize_address
from coordinator.metrics.instruments import EVENTS_MALFORMED
from coordinator.store import EventId

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

    `event` is None for a type of our package this build has no model for
    (a newer package version): it is recorded and shown, never acted on.
    """

    position: LedgerPosition
    module: str
    name: str
    sender: str
    event: BcsEvent | None

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
    def __init__(self, package_id: str, modules: list[str]) -> None:
        self.package_id = normalize_address(package_id)
        self.modules = frozenset(modules)
        self.malformed = 0
        self._logged: OrderedDict[EventId, None] = OrderedDict()

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
        model = EVENT_MODELS.get((module, name))
        decoded: BcsEvent | None = None
        if model is not None:
            try:
                decoded = self._decode(model, event)
            except (BcsError, ValidationError, ValueError) as exc:
                self._malformed(position, f"{module}::{name}", exc)
                return None
        return CoordinationEvent(position, module, name, event.sender, decoded)

    def _decode(self, model: type[BcsEvent], event: event_pb2.Event) -> BcsEvent:
        if event.HasField("contents") and event.contents.value:
            return model.from_bcs(event.contents.value)
        if event.HasField("json"):
            # The JSON rendering is only a fallback for servers that send no BCS.
            return model.model_validate(json_format.MessageToDict(event.json))
        raise ValueError("event has neither BCS contents nor json")

    def _malformed(self, position: LedgerPosition, type_name: str, exc: Exception) -> None:
        """Log and count a bad payload once per event (its identity), however often
        it is read again."""
        if position.event_id in self._logged:
            return
        self.malformed += 1
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
