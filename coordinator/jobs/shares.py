"""Coordinators on one app instance split its jobs instead of racing for them.

Every coordinator sees every pending job at the same moment; if each claimed
the oldest (upstream's choice), all but one claim would abort on chain and
their gas be wasted. Instead each job has an owner among the coordinators
that recently claimed on its app instance (`peers`): rendezvous hashing
(highest random weight) of the job's id over them, so every coordinator
computes the same owner from the same view, and a coordinator that comes or
goes moves only its own share. The peers are learned from the chain's own
events (`JobStartedEvent` names the coordinator), so nothing is configured
and nothing is exchanged; we are always a peer of ourselves.

A coordinator takes its own jobs at once and the others' only once they are
late: ready for `shares.steal_after_ms` without being started (their owner
busy, stopped, or not running that agent), times its rank for the job (the
second in the job's hash order steals first, the third after twice the
delay). A thief takes the youngest late job, the one the busy owner would
reach last, unless an older one starves. So no coordinator is ever needed for
progress, and a peer that stopped claiming leaves the view after
`shares.window_secs`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from pydantic import Field

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.domain import Job, JobRef
from coordinator.events.models import normalize_address
from coordinator.instruments import SHARES_TAKEN
from coordinator.section import Section

__all__ = ["MAX_PEERS", "Shares", "SharesSettings", "ready_since"]

# Peers remembered per app instance (the most recent): bounded whatever the chain says.
MAX_PEERS = 64
# A late job of another coordinator ready this many steal delays is stolen
# before younger ones (stealing takes the youngest first otherwise).
STARVING = 10
# Ranks of jobs remembered (a job's rank is computed once while its peers stay).
RANKS_CACHED = 65_536
# App instances whose peers the status shows (the most recently claimed on).
REPORTED_APP_INSTANCES = 20
# App instances whose peers are remembered (the least recently seen forgotten).
MAX_APP_INSTANCES = 4096


class SharesSettings(Section):
    """`[shares]`: how coordinators with keys on one app instance split its jobs
    (coordinator.jobs.shares, docs/claims.md)."""

    enabled: bool = True
    """Prefer this coordinator's share of each app instance's pending jobs (rendezvous hashing
    over the coordinators seen claiming there) and take the others' only when late; off: every
    ready job is claimed as soon as a slot is free (upstream's race for the oldest)."""
    window_secs: float = Field(default=300.0, gt=0, le=86_400)
    """A coordinator is a peer of an app instance while it claimed a job there within this
    many seconds (learned from the chain's JobStartedEvents)."""
    steal_after_ms: int = Field(default=1000, ge=0, le=600_000)
    """A job of another coordinator's share is taken here once it has been ready this long
    times this coordinator's rank for it (the second in the job's hash order after this, the
    third after twice as long) without being started (its owner busy or gone); 0 takes every
    job at once."""


def ready_since(job: Job) -> float:
    """When `job` became ready (wall clock, s): created on chain, or allowed again."""
    return max(job.created_at / 1000, job.not_before)


def _weight(coordinator: str, ref: JobRef) -> int:
    digest = hashlib.blake2b(f"{coordinator}/{ref.app_instance}/{ref.job_id}".encode(),
                             digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass
class Shares:
    """The peers per app instance and the choice of the next job (see the module doc)."""

    address: str
    settings: SharesSettings
    clock: Callable[[], float]
    _peers: dict[str, dict[str, float]] = field(default_factory=dict)  # app -> peer -> seen
    # The peers of an app instance as last computed: the same tuple object while
    # they stay, so a job's cached rank is known to hold by identity.
    _views: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # (app instance, job id) -> (the view it was ranked in, our rank).
    _ranks: dict[tuple[str, int], tuple[tuple[str, ...], int]] = field(default_factory=dict)
    stolen: int = 0
    own: int = 0

    def __post_init__(self) -> None:
        self.address = normalize_address(self.address)

    def saw_claim(self, app_instance: str, coordinator: str) -> None:
        """`coordinator` started a job of `app_instance` (its JobStartedEvent)."""
        try:
            peer = normalize_address(coordinator)
        except ValueError:
            return
        seen = self._peers.pop(app_instance, {})
        self._peers[app_instance] = seen  # most recently seen last
        seen.pop(peer, None)
        seen[peer] = self.clock()
        while len(seen) > MAX_PEERS:
            del seen[next(iter(seen))]
        while len(self._peers) > MAX_APP_INSTANCES:
            forgotten = next(iter(self._peers))
            del self._peers[forgotten]
            self._views.pop(forgotten, None)

    def peers(self, app_instance: str) -> tuple[str, ...]:
        """The coordinators that claimed on `app_instance` within the window, us
        included, sorted."""
        horizon = self.clock() - self.settings.window_secs
        seen = self._peers.get(app_instance, {})
        recent = sorted({*(peer for peer, at in seen.items() if at >= horizon), self.address})
        view = self._views.get(app_instance)
        if view is None or list(view) != recent:
            view = self._views[app_instance] = tuple(recent)
        return view

    def ranked(self, ref: JobRef, peers: Sequence[str] | None = None) -> list[str]:
        """The coordinators in the order they should take `ref`: its owner first."""
        among = self.peers(ref.app_instance) if peers is None else peers
        return sorted(among, key=lambda peer: _weight(peer, ref), reverse=True)

    def owner(self, ref: JobRef, peers: Sequence[str] | None = None) -> str:
        """The coordinator whose share `ref` is."""
        return self.ranked(ref, peers)[0]

    def _rank(self, job: Job, view: tuple[str, ...]) -> int:
        """Where we stand for `job` among `view` (0: its owner); computed once
        per job while the view stays, since every GetJob looks at every ready
        job of its key."""
        if len(view) == 1:  # alone on the instance: every job is ours, nothing to cache
            return 0
        name = (job.app_instance, job.job_id)
        cached = self._ranks.get(name)
        if cached is not None and cached[0] is view:
            return cached[1]
        if len(self._ranks) >= RANKS_CACHED:
            self._ranks.clear()
        rank = self.ranked(job.ref, view).index(self.address)
        self._ranks[name] = (view, rank)
        return rank

    def views(self) -> Callable[[str], tuple[str, ...]]:
        """`peers`, computed once per app instance: for one pass over many
        pending jobs (the peers cannot change within it)."""
        views: dict[str, tuple[str, ...]] = {}

        def view(app_instance: str) -> tuple[str, ...]:
            found = views.get(app_instance)
            if found is None:
                found = views[app_instance] = self.peers(app_instance)
            return found

        return view

    def takes_at(self, job: Job, view: tuple[str, ...] | None = None) -> float:
        """When this coordinator may take `job`: at once if it is ours, else
        `steal_after_ms` after it became ready times our rank for it, so two
        idle coordinators do not steal the same job at the same moment. `view`:
        its app instance's peers, when the caller has them (`views`)."""
        rank = self._rank(job, self.peers(job.app_instance) if view is None else view)
        if rank == 0:
            return 0.0
        return ready_since(job) + rank * self.settings.steal_after_ms / 1000

    def ready_times(self, jobs: Iterable[Job]) -> Iterator[float]:
        """When each of `jobs` may be taken here: not before its retry time, nor
        before `takes_at` (the peers computed once per app instance)."""
        view_of = self.views()
        for job in jobs:
            yield max(job.not_before, self.takes_at(job, view_of(job.app_instance)))

    def choose(self, ready: Iterable[Job]) -> Job | None:
        """What this coordinator takes now of `ready`: the first of its own in
        hand-out order; else, of the others' late jobs, the last, which their
        owner would reach last (its first ones it is about to take itself),
        unless one has waited `STARVING` steal delays: then the first of those.
        One pass, no sort: a GetJob over many pending jobs stays linear."""
        now = self.clock()
        delay = self.settings.steal_after_ms / 1000
        starving_since = now - STARVING * delay
        view_of = self.views()
        # (hand-out order, job) of the best so far; None: none yet.
        own: tuple[tuple[object, ...], Job] | None = None
        youngest: tuple[tuple[object, ...], Job] | None = None
        starving: tuple[tuple[object, ...], Job] | None = None
        for job in ready:
            rank = self._rank(job, view_of(job.app_instance))
            if rank == 0:
                order = job.handout_order
                if own is None or order < own[0]:
                    own = (order, job)
                continue
            since = ready_since(job)
            if since + rank * delay > now:
                continue
            order = job.handout_order
            if youngest is None or order > youngest[0]:
                youngest = (order, job)
            if since <= starving_since and (starving is None or order < starving[0]):
                starving = (order, job)
        best = own or starving or youngest
        return None if best is None else best[1]

    def report(self, message: pb.GetStatusResponse) -> None:
        """The shares' part of the status: the peers of the app instances most
        recently claimed on (at most `REPORTED_APP_INSTANCES`), jobs taken."""
        part = message.shares
        part.steal_after_ms = self.settings.steal_after_ms
        part.jobs_own, part.jobs_stolen = self.own, self.stolen
        for app_instance in list(self._peers)[-REPORTED_APP_INSTANCES:][::-1]:
            part.app_instances.add(app_instance=app_instance, peers=self.peers(app_instance))

    def taken(self, job: Job) -> None:
        """Count a job handed out here: of our share, or stolen."""
        if self.owner(job.ref) == self.address:
            self.own += 1
            SHARES_TAKEN.labels("own").inc()
        else:
            self.stolen += 1
            SHARES_TAKEN.labels("stolen").inc()
