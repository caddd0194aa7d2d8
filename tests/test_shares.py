"""Coordinators split an app instance's jobs instead of racing (coordinator.jobs.shares):
the rule (rendezvous hashing over the peers learned from the chain's JobStartedEvents,
stealing only late jobs), the job book's choice with it, and three daemons with
their own keys on one simulator running a burst of jobs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import docker
import pytest
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import ConfigError, load_settings
from coordinator.domain import SETTLE_METHOD, JobRef
from coordinator.events import models_2025_11 as v11
from coordinator.events.layouts import neutral
from coordinator.events.parser import CoordinationEvent, LedgerPosition
from coordinator.jobs import JobBook, Shares, SharesSettings
from coordinator.store import Store
from coordinator.sui.keys import SuiKey
from tests.coordinators import Coordinators
from tests.e2e_support import Daemon
from tests.support import APP_INSTANCE, METHOD, created, job

APP = APP_INSTANCE
T0 = 1_700_000_000.0  # the clock of these tests: job n was created at T0 + n ms


class Clock:
    def __init__(self) -> None:
        self.now = T0 + 1

    def __call__(self) -> float:
        return self.now


def addresses(count: int) -> list[str]:
    return sorted(SuiKey.generate().address for _ in range(count))


def shares_of(address: str, clock: Clock, *, peers: list[str] = (),  # type: ignore[assignment]
              **settings: Any) -> Shares:
    shares = Shares(address, SharesSettings(**settings), clock)
    for peer in peers:
        shares.saw_claim(APP, peer)
    return shares


def started(job_id: int, coordinator: str) -> CoordinationEvent:
    payload = v11.JobStartedEvent(job_sequence=job_id, app_instance=APP,
                                  coordinator=coordinator, started_at=5)
    return CoordinationEvent(LedgerPosition(1, f"tx-start-{job_id}", 0, 0), "jobs",
                             "JobStartedEvent", "0x1", neutral(payload))


# --- the settings ---------------------------------------------------------------


@pytest.mark.parametrize(("toml", "expected"), [
    ("[shares]\nsteal_after_ms = -1\n",
     "config: shares.steal_after_ms: Input should be greater than or equal to 0"),
    ("[shares]\nwindow_secs = 0\n", "config: shares.window_secs: Input should be greater than 0"),
    ("[shares]\nenabled = \"maybe\"\n", "config: shares.enabled"),
    ("[shares]\npeers = 3\n", "config: unknown key shares.peers"),
])
def test_bad_shares_settings_give_one_line(tmp_path: Path, toml: str, expected: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[sui]\npackage_id = "0x1"\n' + toml)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert expected in str(caught.value) and "\n" not in str(caught.value)
    assert load_settings(None, env={"SILVANA_REGISTRY_PACKAGE": "0x2"}).shares == SharesSettings()


# --- the rule --------------------------------------------------------------------


def test_every_coordinator_computes_the_same_owner_and_each_gets_a_share() -> None:
    clock = Clock()
    peers = addresses(3)
    views = [shares_of(me, clock, peers=peers) for me in peers]
    owners = Counter()
    for n in range(900):
        ref = JobRef(APP, n)
        named = {view.owner(ref) for view in views}
        assert len(named) == 1  # all three agree
        owners[named.pop()] += 1
    assert set(owners) == set(peers)
    assert min(owners.values()) >= 900 * 0.25  # about a third each


def test_a_coordinator_that_joins_takes_jobs_only_for_itself() -> None:
    """Rendezvous hashing: a new peer moves jobs to itself, never between the others."""
    clock = Clock()
    old, new = addresses(3), SuiKey.generate().address
    before = shares_of(old[0], clock, peers=old)
    after = shares_of(old[0], clock, peers=[*old, new])
    moved = [n for n in range(600) if before.owner(JobRef(APP, n)) != after.owner(JobRef(APP, n))]
    assert moved
    assert {after.owner(JobRef(APP, n)) for n in moved} == {new}


def test_peers_are_those_seen_claiming_within_the_window_and_always_ourselves() -> None:
    clock = Clock()
    me, other = addresses(2)
    shares = shares_of(me, clock, window_secs=60)
    assert shares.peers(APP) == (me,)
    shares.saw_claim(APP, other.upper().replace("0X", "0x"))
    assert shares.peers(APP) == tuple(sorted([me, other]))
    assert shares.peers("0x" + "b" * 64) == (me,)  # per app instance
    clock.now += 61
    assert shares.peers(APP) == (me,)
    shares.saw_claim(APP, "not an address")
    assert shares.peers(APP) == (me,)


def test_our_jobs_go_at_once_the_others_only_once_late() -> None:
    clock = Clock()
    me, other = addresses(2)
    shares = shares_of(me, clock, peers=[other], steal_after_ms=1000)
    jobs = [job(n, created_at=int(T0 * 1000) + n) for n in range(1, 41)]
    ours = [j for j in jobs if shares.owner(j.ref) == me]
    theirs = [j for j in jobs if shares.owner(j.ref) == other]
    assert ours and theirs
    assert shares.choose(jobs) is ours[0]
    assert shares.choose(theirs) is None
    assert shares.takes_at(theirs[0]) == pytest.approx(T0 + theirs[0].job_id / 1000 + 1)
    clock.now = shares.takes_at(theirs[0])
    assert shares.choose(theirs) is theirs[0]
    # All late: the youngest goes first (its owner would reach it last) ...
    clock.now = T0 + 1.1
    assert shares.choose(theirs) is theirs[-1]
    # ... unless an older one starves (ready for 10 steal delays).
    clock.now = T0 + 10.01
    assert shares.choose(theirs) is theirs[0]


def test_thieves_steal_one_after_the_other_by_their_rank() -> None:
    clock = Clock()
    peers = addresses(3)
    views = {me: shares_of(me, clock, peers=peers, steal_after_ms=1000) for me in peers}
    late = job(1, created_at=int(T0 * 1000))
    owner, second, third = views[peers[0]].ranked(late.ref)
    assert (views[owner].takes_at(late), views[second].takes_at(late),
            views[third].takes_at(late)) == (0.0, T0 + 1, T0 + 2)


# --- the job book's choice ---------------------------------------------------------


@pytest.fixture
async def book(tmp_path: Path) -> JobBook:
    store = await Store.open(tmp_path)
    me = SuiKey.generate().address
    return JobBook(store, max_attempts=3, lease_secs=60, clock=Clock(), address=me)


def _created(book: JobBook, job_id: int, **fields: Any) -> None:
    book.on_chain_event(created(job_id, layout="2025-11",
                                created_at=int(T0 * 1000) + job_id, **fields))


async def test_the_book_hands_out_its_share_first_and_learns_peers_from_the_chain(
    book: JobBook,
) -> None:
    assert book.address is not None
    book.clock.now = T0  # type: ignore[attr-defined]
    book.share_with_peers(SharesSettings(steal_after_ms=500))
    shares = book.shares
    assert shares is not None
    other = SuiKey.generate().address
    book.on_chain_event(started(999, other))  # a job we never saw: the peer is learned
    assert shares.peers(APP) == tuple(sorted([book.address, other]))
    for n in range(1, 21):
        _created(book, n)
    key = book.jobs[JobRef(APP, 1)].key
    mine = sorted(n for n in range(1, 21) if shares.owner(JobRef(APP, n)) == book.address)
    theirs = sorted(set(range(1, 21)) - set(mine))
    assert mine and theirs
    handed = []
    while (taken := book.take(key, None)) is not None:
        handed.append(taken.job_id)
    assert handed == mine  # oldest first within the share; none of theirs yet
    assert book.ready_keys() == []
    assert book.next_retry_at() == pytest.approx(T0 + theirs[0] / 1000 + 0.5)
    book.clock.now = T0 + 0.6  # type: ignore[attr-defined]
    assert book.ready_keys() == [key]
    # Stolen youngest first: the owner, busy, would reach those last.
    stolen = [book.take(key, None).job_id for _ in theirs]  # type: ignore[union-attr]
    assert stolen == theirs[::-1]
    assert (shares.own, shares.stolen) == (len(mine), len(theirs))
    # The operator's view: the peers of the app instance, the jobs taken.
    message = pb.GetStatusResponse()
    book.report(message, book.clock())
    assert (message.shares.jobs_own, message.shares.jobs_stolen) == (len(mine), len(theirs))
    assert message.shares.steal_after_ms == 500
    [seen] = message.shares.app_instances
    assert (seen.app_instance, list(seen.peers)) == (APP, sorted([book.address, other]))


async def test_settle_jobs_first_among_ours_and_as_before_with_shares_off(
    book: JobBook,
) -> None:
    assert book.address is not None
    other = SuiKey.generate().address
    probe = shares_of(book.address, Clock(), peers=[other])
    theirs = next(n for n in range(1, 100) if probe.owner(JobRef(APP, n)) == other)
    ours = [n for n in range(1, 100) if probe.owner(JobRef(APP, n)) == book.address][:2]
    _created(book, theirs, app_instance_method=SETTLE_METHOD)
    for n in ours:
        _created(book, n)
    _created(book, ours[1] + 100, app_instance_method=SETTLE_METHOD)  # may be anyone's
    key = book.jobs[JobRef(APP, theirs)].key
    # Off: the settle job first, whoever's it is (hand-out order as always).
    assert book.next_pending(key).job_id == theirs  # type: ignore[union-attr]
    book.share_with_peers(SharesSettings(steal_after_ms=60_000))
    assert book.shares is not None
    book.shares.saw_claim(APP, other)
    first = book.next_pending(key)
    assert first is not None and book.shares.owner(first.ref) == book.address
    if first.app_instance_method != SETTLE_METHOD:
        assert first.job_id == ours[0]  # their settle job waits; ours go in order


# --- three daemons on one simulator ----------------------------------------------

JOBS = 30


@pytest.mark.docker
async def test_three_coordinators_split_a_burst_each_job_runs_once(
    agent_variant: Any, docker_client: docker.DockerClient, tmp_path: Path, sock_dir: Path,
    daemons: list[Daemon],
) -> None:
    group = Coordinators.with_app({METHOD: agent_variant("work:0.2")}, tmp_path, sock_dir)
    try:
        async with trio.open_nursery() as nursery:
            await group.serve(nursery)
            members = await group.start(3)
            daemons.extend(m.daemon for m in members)
            warm = await group.warm_up(METHOD)
            jobs = group.create_jobs(JOBS, METHOD)
            await group.finish(jobs, 180)
            tally = await group.tally(jobs)
            nursery.cancel_scope.cancel()
    finally:
        group.stop()
    # Every job started once and completed once, by the coordinator that started it.
    assert all(len(who) == 1 for who in tally.started.values()), tally.started
    assert all(tally.completed[job] == tally.started[job] for job in jobs)
    # Each coordinator took a share of the burst.
    shares = tally.shares(members)
    assert sum(shares.values()) == JOBS
    assert min(shares.values()) >= JOBS * 0.15, shares
    # Few claims lost (the warm-up's included: before the daemons knew each other
    # every one of them claimed the same first jobs).
    lost = sum(tally.claims_lost.values())
    assert lost <= 3 * warm + JOBS // 10, (tally.claims_lost, warm)
