"""The proof pipeline's local records, owned: settlement proofs and proof events.

Upstream's coordinator sends proof events to its Silvana RPC service and reads
settlement proofs back from it; this coordinator keeps both in its state
database (`coordinator.proof_rows`) instead. `ProofLog` is the one owner: the
agent calls record through it (each record durable before the call answers),
and the status view and metrics read its copy in memory, which never blocks:

    log = await ProofLog.load(store)
    await log.record_event(ProofEventRecord(...))
    log.counts()            # {app instance: {kind: count}}, every event ever recorded
    log.totals()            # {kind: count} over every app instance
    log.recent(app, 10)     # the newest events of an app instance, newest first
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.instruments import PIPELINE_PROOF_EVENTS
from coordinator.proof_rows import RECENT_PROOF_EVENTS, ProofEventRecord, SettlementProofRecord
from coordinator.store import Ledger, Store

__all__ = ["PROOF_EVENT_KINDS", "ProofLog"]

# What the status shows: the most recently active app instances, the newest
# events of each.
STATUS_INSTANCES = 256
STATUS_RECENT = 5

# upstream's ProofEventType values by name (0 and unknown values count as submitted, as
# upstream forwards them)
PROOF_EVENT_KINDS = {1: "submitted", 2: "fetched", 3: "verified", 5: "unavailable",
                     6: "rejected"}


class ProofLog:
    """Settlement proofs by (app instance, block, chain) and the proof events of
    each app instance (bounded), kept in the store and mirrored in memory."""

    def __init__(self, store: Store, events: list[ProofEventRecord],
                 counts: dict[str, dict[str, int]], clock: Callable[[], float] = time.time
                 ) -> None:
        self.store = store
        self.clock = clock  # wall clock: records outlive the process
        self._recent: dict[str, deque[ProofEventRecord]] = {}
        for event in events:
            self._recent_of(event.app_instance).append(event)
        self._counts = {app: Counter(kinds) for app, kinds in counts.items()}

    @classmethod
    async def load(cls, store: Store) -> ProofLog:
        events = await store.run(Ledger.proof_events)
        return cls(store, events, await store.run(Ledger.proof_event_counts))

    def _recent_of(self, app_instance: str) -> deque[ProofEventRecord]:
        return self._recent.setdefault(app_instance, deque(maxlen=RECENT_PROOF_EVENTS))

    async def record_event(self, event: ProofEventRecord) -> None:
        """Keep one proof event (durably, then in memory)."""
        await self.store.run(lambda ledger: ledger.add_proof_event(event))
        self._recent_of(event.app_instance).append(event)
        self._counts.setdefault(event.app_instance, Counter())[event.kind] += 1
        PIPELINE_PROOF_EVENTS.labels(event.kind).inc()

    async def record_settlement_proof(self, record: SettlementProofRecord) -> None:
        await self.store.run(lambda ledger: ledger.save_settlement_proof(record))

    async def settlement_proof(self, app_instance: str, block_number: int,
                               chain: str) -> SettlementProofRecord | None:
        """The newest settlement proof recorded for the block on that chain."""
        return await self.store.run(
            lambda ledger: ledger.settlement_proof(app_instance, block_number, chain))

    async def settlement_descriptors(self, app_instance: str) -> set[str]:
        return await self.store.run(lambda ledger: ledger.settlement_descriptors(app_instance))

    def counts(self) -> dict[str, dict[str, int]]:
        """Every proof event ever recorded, by app instance, then kind."""
        return {app: dict(kinds) for app, kinds in self._counts.items()}

    def totals(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for kinds in self._counts.values():
            total.update(kinds)
        return dict(total)

    def recent(self, app_instance: str, limit: int = RECENT_PROOF_EVENTS
               ) -> list[ProofEventRecord]:
        """The newest events of an app instance kept, newest first."""
        kept = self._recent.get(app_instance, ())
        return list(reversed(kept))[:limit]

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        """GetStatus `proof_events`: counts by kind and the newest few, for the
        app instances whose latest event is newest (at most STATUS_INSTANCES)."""
        wall = self.clock()
        latest = {app: events[-1].at for app, events in self._recent.items() if events}
        shown = sorted(self._counts, key=lambda app: latest.get(app, 0.0))[-STATUS_INSTANCES:]
        for app in sorted(shown):
            item = message.proof_events.add(app_instance=app)
            item.kinds.update(self._counts[app])
            for event in self.recent(app, STATUS_RECENT):
                item.recent.add(age_secs=max(0.0, wall - event.at), kind=event.kind,
                                job_id=event.job_id, block_number=event.block_number,
                                sequences=event.sequences,
                                settlement_chain=event.settlement_chain or "")
