"""The ingest child: a gap-free, duplicate-free stream of coordination events.

It keeps one idea: `delivered`, the last checkpoint whose events have all been
handed to the dispatcher. Everything follows from it:

- On every (re)connect the live stream starts at the chain tip, so the gap
  `delivered + 1 ..` up to where the stream begins is backfilled first
  (`ListEvents`, or `GetCheckpoint` per checkpoint on an older server).
- A live or backfilled event at or below `delivered` was already delivered and
  is dropped; events of the checkpoint in progress are remembered by identity,
  so a checkpoint replayed after a cut mid-way yields each event once.
- After all events of a checkpoint went out, a `CheckpointDone` follows them;
  the dispatcher stores it as the cursor once those events are durably
  handled, and a restart begins at that cursor.

Failures never end ingest: every error reconnects after a backoff with
jitter (reset after a healthy session), and the state is shown in the status
record. Public fullnodes reset streams about every 30 s; that is routine.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import trio

from coordinator._pb.sui.rpc.v2 import checkpoint_pb2, query_options_pb2
from coordinator.backoff import Backoff
from coordinator.domain import EventId
from coordinator.events.parser import CoordinationEvent, EventParser
from coordinator.instruments import CHAIN_RECONNECTS
from coordinator.logs import escape
from coordinator.sui.chain_status import ChainStatus
from coordinator.sui.client import (
    ReadMasks,
    SuiClient,
    SuiError,
    SuiNotFound,
    SuiRejected,
    SuiUnavailable,
    SuiUnimplemented,
    connect,
    module_event_filter,
    module_transaction_filter,
)
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.settings import SuiSettings

log = logging.getLogger("coordinator.sui")

T = TypeVar("T")

EVENT_READ_MASK = [
    "event_type", "contents", "sender", "checkpoint", "transaction_digest",
    "transaction_index", "event_index",
]
# Checkpoint masks by the age of the node, richest first (see `ReadMasks`):
# `transactions.transaction_index` came with the 2026-07 APIs (sui-apis 4560c72),
# the other paths with the stable v2 API (2025-09); the last asks for whole events.
# Without the index a transaction's place in its checkpoint is its position
# in the list, which a checkpoint holds whole.
CHECKPOINT_READ_MASKS = (
    ["sequence_number", "transactions.digest", "transactions.transaction_index",
     "transactions.events.events.package_id", "transactions.events.events.module",
     "transactions.events.events.sender", "transactions.events.events.event_type",
     "transactions.events.events.contents"],
    ["sequence_number", "transactions.digest",
     "transactions.events.events.package_id", "transactions.events.events.module",
     "transactions.events.events.sender", "transactions.events.events.event_type",
     "transactions.events.events.contents"],
    ["sequence_number", "transactions.digest", "transactions.events"],
)
# The first mask a node without SubscribeEvents/ListEvents (before 2026-07) knows.
PRE_2026_07_MASK = 1
LIST_EVENTS_PAGE = 1000
HEALTHY_AFTER_SECS = 10.0
BACKFILL_PROGRESS_SECS = 5.0
# How long to wait for a lagging index to reach the live stream's start.
INDEX_LAG_POLL_SECS = 0.5
# A stored cursor this far past a node's tip is a node behind the others (load-
# balanced fullnodes differ by a few checkpoints): nothing is lost by going on.
# Further ahead it is a reset chain, another node or a bogus cursor.
CURSOR_AHEAD_TOLERANCE = 100
RESET_CURSOR_HINT = "python -m coordinator reset-cursor --config FILE"

_End = query_options_pb2.QueryEndReason


@dataclass(frozen=True)
class CheckpointDone:
    """Every event of checkpoints up to `checkpoint` has been sent before this."""

    checkpoint: int


Delivery = CoordinationEvent | CheckpointDone


class CursorAhead(SuiError):
    """The stored cursor is far past the node's tip: following the node would
    skip every event up to the cursor. Ingest keeps asking (the node may catch
    up) and says each time how to start over."""

    def __init__(self, message: str) -> None:
        super().__init__("GetServiceInfo", "cursor ahead of the chain", message)

    def __str__(self) -> str:
        return self.message


class Ingest:
    def __init__(
        self,
        settings: SuiSettings,
        chain: ChainStatus,
        parser: EventParser,
        out: trio.MemorySendChannel[Delivery],
        cursor: int | None,
        chain_changed: Callable[[str], Awaitable[bool]] | None = None,
        *,
        backoff: Backoff | None = None,
    ) -> None:
        self.settings = settings
        self.chain = chain
        self.parser = parser
        self.out = out
        self.delivered = cursor
        # Told the node's chain id on every connect; True: another chain than
        # the stored cursor's, which is then forgotten.
        self.chain_changed = chain_changed
        # Waits between reconnects; tests pass a fast one.
        self.backoff = backoff if backoff is not None else Backoff(maximum=60.0)
        # Events delivered for checkpoints above `delivered`, by identity.
        self._in_progress: dict[EventId, int] = {}
        self._events_api = settings.stream != "checkpoints"
        self._list_events_api = True
        self.checkpoint_masks = ReadMasks(
            "checkpoints",
            ["SubscriptionService/SubscribeCheckpoints", "LedgerService/GetCheckpoint"],
            *CHECKPOINT_READ_MASKS,
        )
        self.endpoint = Endpoint.parse(settings.rpc_url)

    async def run(self) -> None:
        """Forever: connect, backfill, follow the stream; on failure back off."""
        backoff = self.backoff
        while True:
            self.chain.connecting()
            started, delivered_before = trio.current_time(), self.delivered
            try:
                async with connect(self.endpoint, timeout=self.settings.rpc_timeout_secs) as client:
                    await self._session(client)
            except SuiError as exc:
                # Healthy: it made progress, or lasted. A node that cuts every
                # stream after a while (public fullnodes: ~30 s) is not failing.
                healthy = (
                    delivered_before is not None and self.delivered != delivered_before
                ) or trio.current_time() - started >= HEALTHY_AFTER_SECS
                if healthy:
                    backoff.reset()
                if isinstance(exc, SuiRejected):
                    backoff.attempts = 64  # straight to the longest wait
                delay = backoff.next_delay()
                self.chain.reconnecting(delay, str(exc))
                CHAIN_RECONNECTS.inc()
                level = logging.INFO if healthy and exc.retryable else logging.WARNING
                if isinstance(exc, SuiRejected | CursorAhead):
                    level = logging.ERROR
                # The text may be the node's own (a gRPC status message).
                log.log(level, "%s; reconnecting in %.1f s", escape(str(exc)), delay)
                await trio.sleep(delay)

    # --- one connection ---------------------------------------------------

    async def _session(self, client: SuiClient) -> None:
        info = await client.service_info()
        tip = self.chain.tip = info.checkpoint_height
        if self.chain_changed is not None and await self.chain_changed(info.chain_id):
            log.warning("%s serves another chain (%s) than the stored cursor's; starting afresh",
                        self.endpoint, info.chain_id)
            self.delivered, self._in_progress = None, {}
        if self.delivered is None:
            start = self.settings.start_checkpoint
            first = tip + 1 if start is None else start
            if first > tip + 1:
                log.warning("sui.start_checkpoint %d is above the tip of %s (%d): starting at "
                            "the tip instead", first, self.endpoint, tip)
                first = tip + 1
            log.info("no stored cursor: starting at checkpoint %d", first)
            await self._done(first - 1)
        elif self.delivered > tip + CURSOR_AHEAD_TOLERANCE:
            raise CursorAhead(
                f"the stored cursor (checkpoint {self.delivered}) is ahead of the tip of "
                f"{self.endpoint} ({tip}): a reset chain, or another node than before? Events "
                f"up to the cursor would be skipped, so ingest waits for the node to reach it. "
                f"To start over at sui.start_checkpoint (or the tip): stop the coordinator, "
                f"then run `{RESET_CURSOR_HINT}`"
            )
        elif self.delivered > tip:
            log.warning("the tip of %s (%d) is behind the stored cursor (%d), a node behind "
                        "the others; events up to the cursor were handled, going on",
                        self.endpoint, tip, self.delivered)
        lowest = info.lowest_available_checkpoint
        assert self.delivered is not None
        if self.delivered + 1 < lowest:
            log.error(
                "the node no longer has checkpoints %d..%d (lowest available is %d); "
                "events there cannot be read from this node; continuing from %d",
                self.delivered + 1, lowest - 1, lowest, lowest,
            )
            await self._done(lowest - 1)

        while True:
            try:
                await self._follow(client)
                return
            except SuiRejected as exc:
                # A node refusing a path it does not know: ask again, more simply.
                if not self.checkpoint_masks.simpler(exc):
                    raise

    async def _follow(self, client: SuiClient) -> None:
        if self._events_api:
            try:
                await self._follow_events(client)
                return
            except (SuiUnimplemented, SuiRejected) as exc:
                if self.settings.stream == "events" or not _older_node(exc):
                    raise
                log.info("%s; using SubscribeCheckpoints on %s", _older_answer(exc),
                         self.endpoint)
                self._events_api = False
                self.checkpoint_masks.at_least(PRE_2026_07_MASK)
        await self._follow_checkpoints(client)

    @staticmethod
    async def _next(frames: AsyncIterator[T]) -> T | None:
        """The next frame, or None at the stream's end. A silent stream (the
        connection may be half-open) raises SuiUnavailable after its idle timeout."""
        try:
            return await anext(frames)
        except StopAsyncIteration:
            return None

    async def _next_live(self, frames: AsyncIterator[T]) -> T:
        """A subscription never ends successfully: its end is a reason to reconnect."""
        frame = await self._next(frames)
        if frame is None:
            raise SuiUnavailable("subscription", "ended", "the server ended the stream")
        self.chain.heard_at = trio.current_time()
        return frame

    async def _follow_events(self, client: SuiClient) -> None:
        event_filter = module_event_filter(self.parser.package_id, sorted(self.parser.modules))
        idle = self.settings.idle_timeout_secs
        async with client.subscribe_events(
            event_filter, EVENT_READ_MASK, idle_timeout=idle
        ) as frames:
            frame = await self._next_live(frames)
            # The stream starts at the tip; the first frame says where.
            if frame.HasField("event"):
                start = frame.event.checkpoint
            elif frame.watermark.HasField("checkpoint"):
                start = frame.watermark.checkpoint
            else:
                start = (await client.service_info()).checkpoint_height
            await self._backfill(client, through=start)
            self.chain.connected()
            log.info("following events of %s on %s", self._watched(), self.endpoint)
            while True:
                if frame.HasField("event"):
                    await self._deliver(self.parser.parse(frame.event))
                if frame.watermark.HasField("checkpoint"):
                    await self._done(frame.watermark.checkpoint)
                frame = await self._next_live(frames)

    async def _follow_checkpoints(self, client: SuiClient) -> None:
        transaction_filter = module_transaction_filter(
            self.parser.package_id, sorted(self.parser.modules)
        )
        idle = self.settings.idle_timeout_secs
        async with client.subscribe_checkpoints(
            self.checkpoint_masks.paths, transaction_filter, idle_timeout=idle
        ) as frames:
            frame = await self._next_live(frames)
            start = frame.cursor
            if frame.HasField("checkpoint"):
                start = frame.checkpoint.sequence_number
            await self._backfill(client, through=start)
            self.chain.connected()
            log.info("following checkpoints for %s on %s", self._watched(), self.endpoint)
            while True:
                if frame.HasField("checkpoint"):
                    await self._deliver_checkpoint(frame.checkpoint)
                await self._done(frame.cursor)
                frame = await self._next_live(frames)

    def _watched(self) -> str:
        package = self.parser.package_id
        return ", ".join(f"{package[:10]}…::{m}" for m in sorted(self.parser.modules))

    # --- delivery ---------------------------------------------------------

    async def _deliver(self, event: CoordinationEvent | None) -> None:
        if event is None:  # not ours, or malformed (counted by the parser)
            self.chain.malformed = self.parser.malformed
            return
        assert self.delivered is not None
        checkpoint = event.position.checkpoint
        event_id = event.position.event_id
        if checkpoint <= self.delivered or event_id in self._in_progress:
            return
        self._in_progress[event_id] = checkpoint
        await self.out.send(event)

    async def _deliver_checkpoint(self, checkpoint: checkpoint_pb2.Checkpoint) -> None:
        for event in self.parser.from_checkpoint(checkpoint):
            await self._deliver(event)
        await self._done(checkpoint.sequence_number)

    async def _done(self, checkpoint: int) -> None:
        """All events up to `checkpoint` are out: tell the dispatcher."""
        if self.delivered is not None and checkpoint <= self.delivered:
            return
        self.delivered = checkpoint
        self.chain.tip = max(self.chain.tip, checkpoint)
        self.chain.heard_at = trio.current_time()
        self._in_progress = {
            event_id: seen for event_id, seen in self._in_progress.items() if seen > checkpoint
        }
        await self.out.send(CheckpointDone(checkpoint))

    # --- backfill ---------------------------------------------------------

    async def _backfill(self, client: SuiClient, through: int) -> None:
        """Deliver every event of checkpoints `delivered + 1 ..= through`."""
        assert self.delivered is not None
        if through <= self.delivered:
            return
        first = self.delivered + 1
        self.chain.backfilling(first, through)
        log.info("backfilling checkpoints %d..%d", first, through)
        try:
            if self._list_events_api:
                try:
                    await self._backfill_list_events(client, through)
                except (SuiUnimplemented, SuiRejected) as exc:
                    if not _older_node(exc):
                        raise
                    log.info("%s; using GetCheckpoint on %s", _older_answer(exc), self.endpoint)
                    self._list_events_api = False
                    self.checkpoint_masks.at_least(PRE_2026_07_MASK)
            if not self._list_events_api:
                await self._backfill_checkpoints(client, through)
        finally:
            self.chain.backfill_from = self.chain.backfill_to = None
        log.info("backfill done through checkpoint %d", through)

    async def _backfill_list_events(self, client: SuiClient, through: int) -> None:
        event_filter = module_event_filter(self.parser.package_id, sorted(self.parser.modules))
        after: bytes | None = None
        assert self.delivered is not None
        while self.delivered < through:
            reason = _End.QUERY_END_REASON_UNKNOWN
            async with client.list_events(
                start_checkpoint=self.delivered + 1, end_checkpoint=through + 1,
                event_filter=event_filter, read_mask=EVENT_READ_MASK,
                limit=LIST_EVENTS_PAGE, after=after,
            ) as frames:
                while (frame := await self._next(frames)) is not None:
                    if frame.HasField("event"):
                        await self._deliver(self.parser.parse(frame.event))
                    if frame.watermark.HasField("cursor"):
                        after = frame.watermark.cursor
                    if frame.watermark.HasField("checkpoint"):
                        await self._done(min(frame.watermark.checkpoint, through))
                    if frame.HasField("end"):
                        reason = frame.end.reason
            if reason == _End.QUERY_END_REASON_UNKNOWN:
                raise SuiUnavailable("LedgerService/ListEvents", "ended",
                                     "the stream ended without a QueryEnd")
            if reason == _End.QUERY_END_REASON_CHECKPOINT_BOUND:
                await self._done(through)
            elif reason == _End.QUERY_END_REASON_LEDGER_TIP:
                # The index trails the live stream; ask again as it advances.
                await trio.sleep(INDEX_LAG_POLL_SECS)

    async def _backfill_checkpoints(self, client: SuiClient, through: int) -> None:
        assert self.delivered is not None
        last_report = trio.current_time()
        while self.delivered < through:
            sequence = self.delivered + 1
            try:
                checkpoint = await client.get_checkpoint(sequence, self.checkpoint_masks.paths)
            except SuiNotFound:
                info = await client.service_info()
                if sequence < info.lowest_available_checkpoint:
                    log.error("checkpoint %d was pruned by the node; continuing from %d",
                              sequence, info.lowest_available_checkpoint)
                    await self._done(info.lowest_available_checkpoint - 1)
                else:
                    await trio.sleep(INDEX_LAG_POLL_SECS)  # not executed yet
                continue
            await self._deliver_checkpoint(checkpoint)
            if trio.current_time() - last_report >= BACKFILL_PROGRESS_SECS:
                last_report = trio.current_time()
                log.info("backfill: checkpoint %d of %d", sequence, through)


def _older_node(exc: SuiError) -> bool:
    """The node lacks the 2026-07 event calls (UNIMPLEMENTED) or refuses their
    request as made (INVALID_ARGUMENT, e.g. a read mask): the checkpoint calls,
    which every v2 node has, do instead."""
    return isinstance(exc, SuiUnimplemented) or exc.code == "INVALID_ARGUMENT"


def _older_answer(exc: SuiError) -> str:
    if isinstance(exc, SuiUnimplemented):
        return f"{exc.call} is not implemented"
    return f"{exc.call} refused the request ({escape(exc.message)})"
