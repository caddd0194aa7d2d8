"""Which app instance a pipeline event belongs to, asked of the chain.

Most of the proof pipeline's events name no app instance (reference §1.8): a
`submit_proof` alone in its transaction emits a `ProofSubmittedEvent` with its
block and sequences only. `PipelineTally` ties an event to the instance another
event of its transaction names; when none does, it hands the transaction here
(`PipelineTally.unnamed`). The `attribution` child reads the transaction's
effects (Sui gRPC v2 GetTransaction, `effects.changed_objects`): every
pipeline call takes the instance as `&mut AppInstance`, so the one
`<package>::app_instance::AppInstance` it changed is the event's instance,
and `PipelineTally.attribute` moves the transaction's events to its row.

Each transaction is asked about once, and counted by result:

- `attributed`: exactly one AppInstance of the package among the changed objects;
- `unattributed`: the chain answered, but the transaction is not found (pruned,
  or lost) or changed no AppInstance of the package, or more than one;
- `failed`: no answer within `timeout` (the connect included), a chain error,
  or the queue was full. Not asked again: the view is not worth a read loop.

The last two stay in the row without an instance. Bounded: at most
QUEUE_SIZE transactions wait (a burst beyond it is counted failed, never
blocking the dispatcher), and CACHE_SIZE answers are remembered, so a
transaction seen again (a replay after a restart of the dispatcher) is not
read twice. A view only: nothing is decided from it.
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict

import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.events.models import normalize_address
from coordinator.instruments import PIPELINE_ATTRIBUTION
from coordinator.pipeline_tally import PipelineTally, remember
from coordinator.sui.errors import SuiError, SuiNotFound
from coordinator.sui.objects import Connect

__all__ = ["CACHE_SIZE", "QUEUE_SIZE", "RESULTS", "PipelineAttribution"]

log = logging.getLogger("coordinator.pipeline")

QUEUE_SIZE = 256
CACHE_SIZE = 1024
RESULTS = ("attributed", "unattributed", "failed")
READ_MASK = ("effects.changed_objects",)
APP_INSTANCE_TYPE = ("app_instance", "AppInstance")


def changed_app_instance(package_id: str, object_types: list[tuple[str, str]]) -> str | None:
    """The one AppInstance of `package_id` among (object id, object type) pairs
    of a transaction's changed objects; None for none, or more than one."""
    found = set()
    for object_id, object_type in object_types:
        parts = object_type.split("::")
        if len(parts) != 3 or tuple(parts[1:]) != APP_INSTANCE_TYPE:
            continue
        try:
            if normalize_address(parts[0]) == package_id:
                found.add(normalize_address(object_id))
        except ValueError:
            continue  # not an address: not ours
    return found.pop() if len(found) == 1 else None


class PipelineAttribution:
    """The `attribution` child and its counts (see the module doc)."""

    def __init__(self, tally: PipelineTally, connect: Connect, package_id: str,
                 timeout: float) -> None:
        self.tally = tally
        self.connect = connect
        self.package_id = normalize_address(package_id)
        self.timeout = timeout
        self.counts: Counter[str] = Counter()
        self._send, self._receive = trio.open_memory_channel[str](QUEUE_SIZE)
        self._queued: set[str] = set()
        self._answers: OrderedDict[str, str | None] = OrderedDict()
        tally.unnamed = self.ask
        for result in RESULTS:  # each series exported from the start, at 0
            PIPELINE_ATTRIBUTION.labels(result)

    def ask(self, tx: str) -> None:
        """Queue `tx` to be asked about; never blocks (see the module doc)."""
        if tx in self._queued:
            return
        if tx in self._answers:  # asked before (a replay): the answer again, no read
            self._answers.move_to_end(tx)
            instance = self._answers[tx]
            if instance is not None:
                self.tally.attribute(tx, instance)
            return
        try:
            self._send.send_nowait(tx)
        except trio.WouldBlock:
            self._count("failed")
            log.debug("pipeline attribution: queue full, transaction %s not asked", tx)
            return
        self._queued.add(tx)

    async def run(self) -> None:
        """Ask the chain about each queued transaction in turn (a connection
        each: transactions that name no instance are few, a proof at most)."""
        while True:
            await self._ask_chain(await self._receive.receive())

    async def _ask_chain(self, tx: str) -> None:
        self._queued.discard(tx)
        if not self.tally.waiting(tx):  # a later event of it named the instance
            return
        instance: str | None = None
        result = "failed"
        with trio.move_on_after(self.timeout) as deadline:
            try:
                async with self.connect() as client:
                    executed = await client.get_transaction(tx, READ_MASK, timeout=self.timeout)
                changed = [(change.object_id, change.object_type)
                           for change in executed.effects.changed_objects]
                instance = changed_app_instance(self.package_id, changed)
                result = "attributed" if instance is not None else "unattributed"
            except SuiNotFound:
                result = "unattributed"  # pruned or lost: the chain has no answer to give
            except (SuiError, OSError) as exc:
                log.info("pipeline attribution: transaction %s: %s", tx, exc)
        if deadline.cancelled_caught:
            log.info("pipeline attribution: transaction %s: no answer within %g s", tx,
                     self.timeout)
        if result != "failed":
            remember(self._answers, tx, instance, CACHE_SIZE)
        self._count(result)
        if instance is not None:
            self.tally.attribute(tx, instance)

    def _count(self, result: str) -> None:
        self.counts[result] += 1
        PIPELINE_ATTRIBUTION.labels(result).inc()

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        part = message.pipeline_attribution
        part.enabled = True
        part.attributed = self.counts["attributed"]
        part.unattributed = self.counts["unattributed"]
        part.failed = self.counts["failed"]
        part.queued = len(self._queued)

