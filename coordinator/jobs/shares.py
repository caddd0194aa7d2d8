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

import functools
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from pydantic import Field

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
    without being started (its owner busy or gone); 0 takes every job at once."""


def ready_since(job: Job) -> float:
    """When `job` became ready (wall clock, s): created on chain, or allowed again."""
    return max(job.created_at / 1000, job.not_before)


@functools.lru_cache(maxsize=RANKS_CACHED)
def _rank(me: str, peers: tuple[str, ...], ref: JobRef) -> int:
    """Where `me` stands among `peers` for `ref` (0: its owner); cached, since
    every GetJob looks at every ready job of its key."""
    return sorted(peers, key=lambda peer: _weight(peer, ref), reverse=True).index(me)


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
            del self._peers[next(iter(self._peers))]

    def peers(self, app_instance: str) -> list[str]:
        """The coordinators that claimed on `app_instance` within the window, us included."""
        horizon = self.clock() - self.settings.window_secs
        seen = self._peers.get(app_instance, {})
        recent = {peer for peer, at in seen.items() if at >= horizon}
        recent.add(self.address)
        return sorted(recent)

    def ranked(self, ref: JobRef, peers: Sequence[str] | None = None) -> list[str]:
        """The coordinators in the order they should take `ref`: its owner first."""
        among = self.peers(ref.app_instance) if peers is None else peers
        return sorted(among, key=lambda peer: _weight(peer, ref), reverse=True)

    def owner(self, ref: JobRef, peers: Sequence[str] | None = None) -> str:
        """The coordinator whose share `ref` is."""
        return self.ranked(ref, peers)[0]

    def takes_at(self, job: Job, peers: Sequence[str] | None = None) -> float:
        """When this coordinator may take `job`: at once if it is ours, else
        `steal_after_ms` after it became ready times our rank for it, so two
        idle coordinators do not steal the same job at the same moment."""
        among = tuple(self.peers(job.app_instance) if peers is None else peers)
        rank = _rank(self.address, among, job.ref)
        if rank == 0:
            return 0.0
        return ready_since(job) + rank * self.settings.steal_after_ms / 1000

    def choose(self, ready: Iterable[Job]) -> Job | None:
        """What this coordinator takes now of `ready`: the first of its own in
        hand-out order; else, of the others' late jobs, the last, which their
        owner would reach last (its first ones it is about to take itself),
        unless one has waited `STARVING` steal delays: then the first of those.
        One pass, no sort: a GetJob over many pending jobs stays linear."""
        now = self.clock()
        starving_since = now - STARVING * self.settings.steal_after_ms / 1000
        peers: dict[str, tuple[str, ...]] = {}
        own = youngest = starving = None
        for job in ready:
            among = peers.get(job.app_instance)
            if among is None:
                among = peers[job.app_instance] = tuple(self.peers(job.app_instance))
            at = self.takes_at(job, among)
            order = job.handout_order
            if at == 0.0:
                if own is None or order < own.handout_order:
                    own = job
            elif at <= now:
                if youngest is None or order > youngest.handout_order:
                    youngest = job
                if ready_since(job) <= starving_since and (
                        starving is None or order < starving.handout_order):
                    starving = job
        return own or starving or youngest

    def taken(self, job: Job) -> None:
        """Count a job handed out here: of our share, or stolen."""
        if self.owner(job.ref) == self.address:
            self.own += 1
            SHARES_TAKEN.labels("own").inc()
        else:
            self.stolen += 1
            SHARES_TAKEN.labels("stolen").inc()

    def peer_count(self) -> int:
        """Peers over all app instances (ourselves counted once per instance)."""
        return sum(len(self.peers(app)) for app in self._peers)
