"""The dispatcher child: deliveries from ingest, handled durably, exactly once.

A batch of deliveries is handled in three steps: which events were seen
before (a replay after a crash between handling and the cursor move: counted
and skipped); the handlers apply the new ones to the in-memory state on the
Trio thread and return what to write; one sqlite transaction then writes that,
marks the events seen and moves the cursor, so the cursor never passes an
event that is not durably handled. Each event's log line ("event TYPE at
POSITION: fields") and its count in the status follow that commit: a line
always names a durably handled event, and no crash and restart logs one twice
(a SIGKILL between the commit and the line can leave one unlogged, never
unhandled).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import trio
from pydantic import BaseModel

from coordinator.events.parser import CoordinationEvent
from coordinator.status import DaemonStatus
from coordinator.store import Ledger, Store
from coordinator.sui.ingest import CheckpointDone, Delivery

log = logging.getLogger("coordinator.dispatch")

# Deliveries already waiting are handled in one transaction, up to this many.
BATCH_MAX = 512

LedgerWrite = Callable[[Ledger], None]
EventHandler = Callable[[CoordinationEvent], list[LedgerWrite]]
"""Applies one new event on the Trio thread; returns the writes that make it
durable (run later in a worker thread, inside the batch's transaction)."""


def describe(event: BaseModel | None) -> str:
    """A short, log-safe rendering of an event's fields (bytes by length only)."""
    if event is None:
        return "(no model for this type)"
    parts = []
    for name, value in event:
        if isinstance(value, bytes):
            text = f"<{len(value)} bytes>"
        else:
            text = str(value)
            text = text if len(text) <= 40 else text[:37] + "..."
        parts.append(f"{name}={text}")
    return " ".join(parts)


@dataclass
class Dispatcher:
    store: Store
    deliveries: trio.MemoryReceiveChannel[Delivery]
    status: DaemonStatus
    handle: EventHandler

    async def run(self) -> None:
        async for first in self.deliveries:
            batch = [first]
            while len(batch) < BATCH_MAX:
                try:
                    batch.append(self.deliveries.receive_nowait())
                except (trio.WouldBlock, trio.EndOfChannel):  # nothing more now, or ever
                    break
            await self._handle_batch(batch)

    async def _handle_batch(self, batch: list[Delivery]) -> None:
        events = [item for item in batch if isinstance(item, CoordinationEvent)]
        ids = [event.position.event_id for event in events]
        seen = await self.store.run(lambda ledger: {i for i in ids if ledger.seen(i)})
        fresh = [event for event in events if event.position.event_id not in seen]
        self.status.duplicates += len(events) - len(fresh)
        writes: list[LedgerWrite] = []
        for event in fresh:
            writes += self.handle(event)
        cursor = max((i.checkpoint for i in batch if isinstance(i, CheckpointDone)), default=None)

        def commit(ledger: Ledger) -> None:
            for write in writes:
                write(ledger)
            for event in fresh:
                ledger.mark_seen(event.position.event_id, event.position.checkpoint)
            if cursor is not None:
                ledger.set_cursor(cursor)

        await self.store.run(commit)
        # Only now are the events handled: a line logged before the commit could
        # name an event that a crash (SIGKILL, power loss) leaves unhandled, and
        # the replay after the restart would log it a second time.
        for event in fresh:
            self.status.events_by_type[event.type_name] += 1
            log.info("event %s at %s: %s", event.type_name, event.position, describe(event.event))
        if cursor is not None:
            self.status.cursor = max(cursor, self.status.cursor or 0)
