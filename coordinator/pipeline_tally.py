"""The proof pipeline as the chain shows it, per app instance: proofs submitted
and rejected, merge jobs created and completed, blocks created, proved and
settled. It feeds the live view (GetStatus `pipeline`) and the metrics; it
decides nothing, so it is counted since start, in memory only.

The pipeline's events mostly name no app instance (reference §1.8): a
`ProofSubmittedEvent` or a `BlockSettledEvent` says its block, not whose. An
event is tied to the instance another event of **the same transaction**
names (a block's `BlockCreatedEvent`, the job events of a multicall batch,
which is per app instance), before or after it. One whose transaction names
none is counted in the row without an instance, and its transaction handed to
`unnamed` (the `attribution` child, `coordinator.pipeline_attribution`), which
asks the chain which AppInstance the transaction changed and moves its events
with `attribute`; what it cannot attribute stays in that row. Merge jobs are
the jobs of the reserved method `merge` (created by the coordinators' merge
loop).

What it shows is what the events say: `block` and `settlement` functions are
public, so any package can emit such events (reference §1.8). It is a view,
never a reason to act.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import trio
from pydantic import BaseModel

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.events.job_events import JobCompleted, JobCreated
from coordinator.events.models import app_instance_address
from coordinator.events.parser import CoordinationEvent
from coordinator.events.pipeline import (
    BlockCreatedEvent,
    BlockProofEvent,
    BlockSettledEvent,
    ProofRejectedEvent,
    ProofSubmittedEvent,
)
from coordinator.instruments import (
    PIPELINE_BLOCKS,
    PIPELINE_MERGES,
    PIPELINE_PROOFS,
    PIPELINE_SETTLEMENTS,
)

__all__ = ["MERGE_METHOD", "PIPELINE_MODULES", "PipelineTally", "remember"]

# The Move modules whose events are the pipeline's (besides `jobs`).
PIPELINE_MODULES = ("prover", "block", "settlement", "app_instance")
MERGE_METHOD = "merge"
UNATTRIBUTED = ""
# Transactions remembered for attribution, and merge jobs awaiting completion.
RECENT_TRANSACTIONS = 1024
OPEN_MERGES = 4096
MAX_INSTANCES = 256  # rows shown; the least recently active are dropped

K = TypeVar("K")
V = TypeVar("V")


def remember(table: OrderedDict[K, V], key: K, value: V, limit: int = RECENT_TRANSACTIONS) -> V:
    """`table[key]`, set to `value` if new, as the most recent of at most `limit`."""
    if key not in table:
        table[key] = value
    table.move_to_end(key)
    while len(table) > limit:
        table.popitem(last=False)
    return table[key]


@dataclass
class InstancePipeline:
    proofs_submitted: int = 0
    proofs_rejected: int = 0
    merges_created: int = 0
    merges_completed: int = 0
    blocks_created: int = 0
    blocks_proved: int = 0
    blocks_settled: int = 0
    last_block: int | None = None
    last_settled_block: int | None = None
    last_event_at: float = 0.0

    def count(self, kind: str, block: int | None) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if kind == "blocks_created" and block is not None:
            self.last_block = max(block, self.last_block or 0)
        if kind == "blocks_settled" and block is not None:
            self.last_settled_block = max(block, self.last_settled_block or 0)

    def uncount(self, kind: str) -> None:
        setattr(self, kind, max(0, getattr(self, kind) - 1))

    def empty(self) -> bool:
        return not any(getattr(self, kind) for kind in _METRIC)


def _named_instance(payload: BaseModel) -> str | None:
    """The app instance an event names itself, if any."""
    for field in ("app_instance_address", "app_instance_id", "app_instance"):
        value = getattr(payload, field, None)
        if isinstance(value, str) and value:
            try:
                return app_instance_address(value)
            except ValueError:
                return None
    return None


def _kind(payload: BaseModel) -> tuple[str, int | None] | None:
    """What a pipeline event counts as, and its block."""
    if isinstance(payload, ProofSubmittedEvent):
        return "proofs_submitted", payload.block_number
    if isinstance(payload, ProofRejectedEvent):
        return "proofs_rejected", payload.block_number
    if isinstance(payload, BlockCreatedEvent):
        return "blocks_created", payload.block_number
    if isinstance(payload, BlockProofEvent):
        return "blocks_proved", payload.block_number
    if isinstance(payload, BlockSettledEvent):
        return "blocks_settled", payload.block_number
    return None


_METRIC = {
    "proofs_submitted": PIPELINE_PROOFS.labels("submitted"),
    "proofs_rejected": PIPELINE_PROOFS.labels("rejected"),
    "merges_created": PIPELINE_MERGES.labels("created"),
    "merges_completed": PIPELINE_MERGES.labels("completed"),
    "blocks_created": PIPELINE_BLOCKS.labels("created"),
    "blocks_proved": PIPELINE_BLOCKS.labels("proved"),
    "blocks_settled": PIPELINE_SETTLEMENTS,
}


class PipelineTally:
    """Counts the pipeline's chain events by app instance (see module doc)."""

    def __init__(self) -> None:
        # Told each transaction whose first pipeline event named no instance
        # (must not block: it runs in the dispatcher's batch).
        self.unnamed: Callable[[str], None] | None = None
        self.instances: OrderedDict[str, InstancePipeline] = OrderedDict()
        self._tx_instance: OrderedDict[str, str] = OrderedDict()
        # Events counted without an instance, by transaction: moved to the
        # instance when a later event of the transaction names it.
        self._waiting: OrderedDict[str, list[tuple[str, int | None]]] = OrderedDict()
        self._merges: OrderedDict[tuple[str, int], None] = OrderedDict()

    def on_chain_event(self, event: CoordinationEvent) -> None:
        now = trio.current_time()
        payload = event.event
        if payload is None:
            return
        tx = event.position.tx_digest
        named = _named_instance(payload)
        if named is not None:
            self._learn(tx, named, now)
        if isinstance(payload, JobCreated | JobCompleted):
            self._merge_job(payload, now)
            return
        kind = _kind(payload)
        if kind is None:
            return
        instance = named or self._tx_instance.get(tx)
        self._row(instance or UNATTRIBUTED, now).count(*kind)
        if instance is None:
            waiting = remember(self._waiting, tx, [])
            waiting.append(kind)
            if len(waiting) == 1 and self.unnamed is not None:
                self.unnamed(tx)
        _METRIC[kind[0]].inc()

    def _merge_job(self, job: JobCreated | JobCompleted, now: float) -> None:
        instance = app_instance_address(job.app_instance)
        key = (instance, job.job_sequence)
        if isinstance(job, JobCreated):
            if job.app_instance_method != MERGE_METHOD:
                return
            remember(self._merges, key, None, limit=OPEN_MERGES)
            kind = "merges_created"
        else:
            if key not in self._merges:
                return
            del self._merges[key]
            kind = "merges_completed"
        self._row(instance, now).count(kind, None)
        _METRIC[kind].inc()

    def waiting(self, tx: str) -> bool:
        """Whether events of `tx` are still counted without an instance."""
        return tx in self._waiting

    def attribute(self, tx: str, instance: str) -> None:
        """`tx` changed `instance` (the chain says): its events counted without
        an instance move to its row, and later ones of it go there."""
        self._learn(tx, app_instance_address(instance), trio.current_time())

    def _learn(self, tx: str, instance: str, now: float) -> None:
        remember(self._tx_instance, tx, instance)
        waiting = self._waiting.pop(tx, None)
        if waiting:
            unattributed = self.instances.get(UNATTRIBUTED)
            row = self._row(instance, now)
            for kind, block in waiting:
                if unattributed is not None:
                    unattributed.uncount(kind)
                row.count(kind, block)
            if unattributed is not None and unattributed.empty():
                self.instances.pop(UNATTRIBUTED, None)  # every event of it attributed

    def _row(self, instance: str, now: float) -> InstancePipeline:
        row = self.instances.pop(instance, None) or InstancePipeline()
        row.last_event_at = now
        self.instances[instance] = row  # most recently active last
        while len(self.instances) > MAX_INSTANCES:
            self.instances.popitem(last=False)
        return row

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        for instance, row in sorted(self.instances.items()):
            item = message.pipeline.add(
                app_instance=instance, proofs_submitted=row.proofs_submitted,
                proofs_rejected=row.proofs_rejected, merges_created=row.merges_created,
                merges_completed=row.merges_completed, blocks_created=row.blocks_created,
                blocks_proved=row.blocks_proved, blocks_settled=row.blocks_settled,
                last_event_age_secs=max(0.0, now - row.last_event_at))
            if row.last_block is not None:
                item.last_block = row.last_block
            if row.last_settled_block is not None:
                item.last_settled_block = row.last_settled_block
