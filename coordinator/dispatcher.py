"""The dispatcher child: deliveries from ingest, handled durably, exactly once,
and the router that says where each new event goes.

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

`Router` is the handler the daemon uses: events of the `agent` module go to
the registry, those of the `jobs` module to the job book; what either changed
comes back as ledger writes for the batch's transaction. It also answers
ingest when the node serves another chain than the state was made on: the
daemon stops (exit 2, one line) and nothing is dropped, unless the chain is a
local one (`sui.chain = "localnet"`: a simulator or `sui start` begins a new
chain on each run), where the state starts over, though never while chain
operations wait to be sent.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import trio
from pydantic import BaseModel

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.errors import SetupError
from coordinator.events.parser import CoordinationEvent, EventParser
from coordinator.jobs import JobBook
from coordinator.pipeline_tally import PipelineTally
from coordinator.registry import Registry
from coordinator.store import Ledger, LedgerWrite, Store
from coordinator.sui.chain_id import chain_mismatch, state_of_another_chain
from coordinator.sui.ingest import CheckpointDone, Delivery

log = logging.getLogger("coordinator.dispatch")

# Deliveries already waiting are handled in one transaction, up to this many.
BATCH_MAX = 512

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
class DispatchStatus:
    """The dispatcher's part of the status: what is durably handled."""

    cursor: int | None = None  # durably handled through this checkpoint
    events_by_type: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0  # replayed events skipped

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        message.cursor, message.has_cursor = self.cursor or 0, self.cursor is not None
        message.events_by_type.update(self.events_by_type)
        message.duplicate_events = self.duplicates


class WrongChain(SetupError):
    """The node serves another chain than `sui.chain_id` names, or than the
    state was made on (exit 2)."""


@dataclass
class Router:
    """Applies each new chain event to the state it concerns (see module doc).

    With `sui.layout = "auto"` (the parser's `auto`) it also makes the parser's
    settled layout durable, in the transaction of the event that settled it,
    and forgets it with the chain (another chain may carry another
    publication). `expected_chain` is `sui.chain_id`: a node of another chain
    is refused with `WrongChain`. `local_chain`: a chain other than the
    state's starts over (see the module doc)."""

    store: Store
    registry: Registry
    book: JobBook
    status: DispatchStatus
    parser: EventParser
    expected_chain: str | None = None
    local_chain: bool = False
    stored_layout: str | None = None  # what the store remembers (auto)
    pipeline: PipelineTally | None = None  # the pipeline's events counted for the view

    def route(self, event: CoordinationEvent) -> list[LedgerWrite]:
        """An `EventHandler`: the registry's writes, then the book's changes."""
        writes = self.registry.on_chain_event(event)
        if self.parser.auto and event.layout is not None and event.layout != self.stored_layout:
            settled = self.stored_layout = event.layout
            writes.append(lambda ledger: ledger.set_layout(settled))
        self.book.on_chain_event(event)
        writes.append(self.book.changes())
        if self.pipeline is not None:
            self.pipeline.on_chain_event(event)
        return writes

    async def chain_changed(self, chain_id: str) -> bool:
        """Ingest's question on each connect; True when the state was for
        another (local) chain and is now dropped (the store's jobs and cursor,
        the book); `WrongChain` when it may not be."""
        if self.expected_chain is not None:
            wrong = chain_mismatch(chain_id, self.expected_chain)
            if wrong is not None:
                raise WrongChain(wrong)
        made_on = await self.store.run(lambda ledger: ledger.bind_chain(chain_id))
        if made_on is None:
            return False
        unsent = 0
        if self.local_chain:
            unsent = await self.store.run(lambda ledger: ledger.reset_chain(chain_id))
        if unsent or not self.local_chain:
            raise WrongChain(state_of_another_chain(self.store.path, made_on, chain_id, unsent))
        self.book.forget_chain()
        self.status.cursor = None
        if self.parser.auto:
            self.parser.layout = self.stored_layout = None
        return True


@dataclass
class Dispatcher:
    store: Store
    deliveries: trio.MemoryReceiveChannel[Delivery]
    status: DispatchStatus
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
