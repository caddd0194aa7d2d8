"""Reconciliation of the job book with the chain (issue 12, "Reconcile"), against
the simulator over loopback, on both package layouts: a job the stream missed
appears, jobs taken or finished elsewhere leave the book, and a job left
running under our address past the container timeout is handed to
`fail_on_chain` (or, with no settler, failed in the book)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
import trio

from coordinator import app
from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import ConfigError, load_settings
from coordinator.domain import JobRef, JobState
from coordinator.events.layouts import Layout
from coordinator.instruments import REGISTRY
from coordinator.jobs import JobBook
from coordinator.reconciler import MAX_READS_PER_PASS, FailOnChain, Reconciler, fail_through_book
from coordinator.recovery import read_pending_jobs
from coordinator.simnet import Simnet, serve
from coordinator.simnet.faults import Faults
from coordinator.status_text import summary_line
from coordinator.store import Store
from coordinator.sui.client import SuiClient, connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.executor import Executor
from coordinator.sui.keys import SuiKey
from coordinator.sui.objects import Connect
from coordinator.sui.transactions import SharedObject, StartJob
from tests.e2e_support import Daemon, status_when, stored_jobs, write_config
from tests.support import ADD_KEY, AGENT, DEV, METHOD, register_app

OURS = "0x" + "a1" * 32
OTHER = "0x" + "b2" * 32
TIMEOUT_SECS = 300.0
KEY = ADD_KEY
Failed = list[tuple[str, int, str]]


class Chain:
    """A served simulator with one app instance, and a book on a real store."""

    def __init__(self, sim: Simnet, connect_sui: Connect, book: JobBook) -> None:
        self.sim, self.connect, self.book = sim, connect_sui, book
        self.app = sim.create_app_instance("add")
        self.failed: Failed = []

    def create_jobs(self, count: int, app: str = "add") -> list[int]:
        jobs = [self.sim.create_job(app, developer=DEV, agent=AGENT, method=METHOD).job_id
                for _ in range(count)]
        self.sim.seal()
        return jobs

    async def learn(self, app_instance: str | None = None) -> None:
        """The book learns the chain's pending jobs, as the stream would tell it."""
        name = app_instance or self.app.app_instance
        for job in await read_pending_jobs(self.connect, [name]):
            self.book.add_recovered(job)

    def reconciler(self, *, address: str | None = OURS, late_secs: float = 0.0,
                   fail_on_chain: FailOnChain | None = None,
                   max_reads: int = MAX_READS_PER_PASS,
                   stale_running_secs: float | None = None) -> Reconciler:
        """A reconciler whose clock is `late_secs` ahead of the chain's; what it
        hands to `fail_on_chain` lands in `self.failed` unless told otherwise."""
        async def record(app_instance: str, job_sequence: int, reason: str) -> None:
            self.failed.append((app_instance, job_sequence, reason))

        return Reconciler(
            self.connect, self.book, address=address, fail_on_chain=fail_on_chain or record,
            interval_secs=60, running_timeout_secs=TIMEOUT_SECS, max_reads=max_reads,
            stale_running_secs=stale_running_secs, clock=lambda: time.time() + late_secs,
        )

    def ref(self, job_id: int) -> JobRef:
        return JobRef(self.app.app_instance, job_id)

    def state(self, job_id: int) -> JobState:
        return self.book.jobs[self.ref(job_id)].state


async def serve_chain(nursery: trio.Nursery, layout: Layout, store: Store) -> Chain:
    sim = Simnet(checkpoint_interval_secs=0, layout=layout)
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    endpoint = Endpoint.parse(f"http://{target}")

    def connect_sui() -> AbstractAsyncContextManager[SuiClient]:
        return connect(endpoint, timeout=10)

    return Chain(sim, connect_sui, JobBook(store, max_attempts=3, lease_secs=60))


@pytest.fixture(params=["2025-11", "2025-08"])
async def chain(
    nursery: trio.Nursery, request: pytest.FixtureRequest, store: Store
) -> AsyncIterator[Chain]:
    yield await serve_chain(nursery, request.param, store)


def counted(name: str, label: str, value: str) -> float:
    return REGISTRY.get_sample_value(f"silvana_coordinator_{name}_total", {label: value}) or 0.0


async def test_a_job_the_stream_missed_appears_after_a_pass(chain: Chain, store: Store) -> None:
    chain.create_jobs(1)
    await chain.learn()
    # Created on chain while the stream was away: the book does not know it.
    [missed] = chain.create_jobs(1)
    assert chain.ref(missed) not in chain.book.jobs
    added_before = counted("reconcile_jobs", "action", "added")
    ok_before = counted("reconcile_passes", "result", "ok")

    with trio.fail_after(20):
        report = await chain.reconciler().reconcile_once()

    assert (report.result, report.added, report.dropped, report.failed) == ("ok", 1, 0, 0)
    job = chain.book.jobs[chain.ref(missed)]
    assert (job.state, job.key) == (JobState.PENDING, KEY)
    assert chain.book.pending_count(KEY) == 2  # ours to try
    stored = await store.run(lambda ledger: ledger.jobs())
    assert sorted(j.job_id for j in stored) == [1, missed]  # the book made it durable
    assert counted("reconcile_jobs", "action", "added") == added_before + 1
    assert counted("reconcile_passes", "result", "ok") == ok_before + 1
    # The pass read the instance's max attempts, which now rule its jobs.
    chain.app.max_attempts = 7
    await chain.reconciler().reconcile_once()
    assert chain.book.attempts_allowed(chain.ref(missed).app_instance) == 7
    # A second pass finds nothing more to do.
    again = await chain.reconciler().reconcile_once()
    assert (again.added, again.dropped, again.failed) == (0, 0, 0)


async def test_jobs_taken_or_finished_elsewhere_leave_the_book(chain: Chain) -> None:
    sim = chain.sim
    chain.create_jobs(5)
    await chain.learn()
    # Behind the stream's back: one completed, one terminated, one started by
    # another coordinator, one started by us a moment ago.
    sim.complete_job("add", 1)
    sim.terminate_job("add", 2)
    sim.start_job("add", 3, sender=OTHER)
    sim.start_job("add", 4, sender=OURS)
    sim.seal()

    with trio.fail_after(20):
        report = await chain.reconciler().reconcile_once()

    assert (report.result, report.added, report.dropped, report.failed) == ("ok", 0, 3, 0)
    assert [chain.state(n) for n in (1, 2, 3, 4, 5)] == [
        JobState.DROPPED, JobState.DROPPED, JobState.DROPPED, JobState.PENDING, JobState.PENDING]
    reasons = {o.ref.job_id: o.reason for o in chain.book.outcomes}
    assert reasons[1].startswith("gone from chain") and reasons[2].startswith("gone from chain")
    assert reasons[3] == f"started on chain by coordinator {OTHER} (reconciliation)"
    assert chain.book.pending_count(KEY) == 2
    assert chain.failed == []


async def test_a_job_failed_for_good_on_chain_leaves_the_book(
    nursery: trio.Nursery, store: Store
) -> None:
    """2025-11 keeps a job that used its last attempt, as failed: the book, which
    still has it pending, drops it with the chain's error; its neighbour stays."""
    chain = await serve_chain(nursery, "2025-11", store)
    chain.create_jobs(2)
    await chain.learn()
    for _ in range(10):  # each failure is an attempt; the chain's limit ends it
        chain.sim.fail_job("add", 1, "proof did not verify")
        if chain.app.jobs[1].status.kind == "failed":
            break
    chain.sim.seal()
    assert chain.app.jobs[1].status.kind == "failed"
    assert chain.state(1) is JobState.PENDING  # the book has not heard

    with trio.fail_after(20):
        report = await chain.reconciler().reconcile_once()

    assert (report.result, report.added, report.dropped, report.failed) == ("ok", 0, 1, 0)
    assert [chain.state(n) for n in (1, 2)] == [JobState.DROPPED, JobState.PENDING]
    [outcome] = [o for o in chain.book.outcomes if o.ref == chain.ref(1)]
    assert outcome.reason == "failed on chain: proof did not verify (reconciliation)"
    assert chain.failed == []


async def test_a_job_left_running_under_our_address_past_the_timeout_is_failed_on_chain(
    chain: Chain,
) -> None:
    sim = chain.sim
    chain.create_jobs(4)
    await chain.learn()
    sim.start_job("add", 1, sender=OURS)   # ours, and a container here runs it
    sim.start_job("add", 2, sender=OURS)   # ours, its container gone with a crash
    sim.start_job("add", 3, sender=OTHER)  # another coordinator's: not ours to fail
    sim.seal()
    opened = chain.book.open_session(KEY)  # the oldest pending: job 1
    assert opened is not None and opened[1].job_id == 1

    # Within the timeout nothing is failed (job 3 runs elsewhere: dropped here).
    first = await chain.reconciler().reconcile_once()
    assert (first.failed, first.dropped) == (0, 1)
    assert chain.failed == []

    late = chain.reconciler(late_secs=TIMEOUT_SECS + 60)
    with trio.fail_after(20):
        report = await late.reconcile_once()

    assert report.result == "ok" and report.failed == 1
    [(app_instance, sequence, reason)] = chain.failed
    assert (app_instance, sequence) == (chain.app.app_instance, 2)
    assert "left running on chain" in reason and "no container here" in reason
    # Handed over once: the next pass, the chain unchanged, does not hand it again.
    assert (await late.reconcile_once()).failed == 0
    assert len(chain.failed) == 1
    assert chain.state(1) is JobState.RUNNING  # the live one is left alone
    assert [chain.state(n) for n in (2, 3, 4)] == [
        JobState.PENDING, JobState.DROPPED, JobState.PENDING]


async def test_without_a_settler_a_stale_job_of_ours_is_failed_in_the_book(
    chain: Chain, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="coordinator.reconciler")
    chain.create_jobs(1)
    await chain.learn()
    chain.sim.start_job("add", 1, sender=OURS)
    chain.sim.seal()
    reconciler = chain.reconciler(late_secs=TIMEOUT_SECS + 60,
                                  fail_on_chain=fail_through_book(chain.book))
    with trio.fail_after(20):
        report = await reconciler.reconcile_once()
    assert report.failed == 1
    job = chain.book.jobs[chain.ref(1)]
    assert (job.attempts, job.state) == (1, JobState.PENDING)
    assert "left running on chain" in job.last_error
    [line] = [r.getMessage() for r in caplog.records if "would be failed on chain" in r.msg]
    assert str(chain.ref(1)) in line and "failed in the book only" in line


async def test_a_claim_signed_by_our_key_makes_the_job_ours(nursery: trio.Nursery,
                                                            store: Store) -> None:
    """The owner is read from chain: the sender of the signed start_app_job."""
    chain = await serve_chain(nursery, "2025-11", store)
    ours, theirs = SuiKey.generate(), SuiKey.generate()
    for key in (ours, theirs):
        chain.sim.fund(key.address, 10**10)
    chain.create_jobs(2)
    await chain.learn()
    app = SharedObject(chain.app.id, chain.app.initial_shared_version, True)
    for key, sequence in ((ours, 1), (theirs, 2)):
        executor = Executor(key=key, connect=chain.connect, package=chain.sim.package_id)
        with trio.fail_after(20):
            outcome = await executor.execute(app, [StartJob(sequence)])
        assert outcome.results[0].applied
        chain.sim.seal()
    report = await chain.reconciler(address=ours.address,
                                    late_secs=TIMEOUT_SECS + 60).reconcile_once()
    assert (report.failed, report.dropped) == (1, 1)
    assert [(n, r.startswith("left running")) for _, n, r in chain.failed] == [(1, True)]
    assert chain.state(2) is JobState.DROPPED
    assert chain.book.outcomes[-1].reason == (
        f"started on chain by coordinator {theirs.address} (reconciliation)")


STALE_SECS = 600.0


async def test_a_job_running_under_any_address_past_the_stale_limit_is_failed_on_chain(
    chain: Chain,
) -> None:
    """Several coordinators: one died holding jobs; the survivors fail them."""
    sim = chain.sim
    chain.create_jobs(3)
    await chain.learn()
    for sequence in (1, 2, 3):
        sim.start_job("add", sequence, sender=OTHER)
    sim.seal()
    past_timeout = chain.reconciler(late_secs=TIMEOUT_SECS + 60, stale_running_secs=STALE_SECS)
    # Past the container timeout but not the stale limit: another's, left alone.
    assert (await past_timeout.reconcile_once()).failed == 0
    assert chain.failed == []
    # The book dropped them (started elsewhere); past the stale limit they are failed.
    late = chain.reconciler(late_secs=STALE_SECS + 60, stale_running_secs=STALE_SECS)
    with trio.fail_after(20):
        report = await late.reconcile_once()
    assert report.failed == 3
    assert [n for _, n, _ in chain.failed] == [1, 2, 3]
    assert all("whoever holds it" in reason for _, _, reason in chain.failed)
    assert (await late.reconcile_once()).failed == 0  # handed once
    # Without a key nothing on chain is failed: we could not sign it.
    keyless = chain.reconciler(address=None, late_secs=STALE_SECS + 60,
                               stale_running_secs=STALE_SECS)
    assert (await keyless.reconcile_once()).failed == 0


async def test_a_stale_job_the_book_dropped_is_failed_through_the_outbox(
    chain: Chain, store: Store,
) -> None:
    book = JobBook(store, max_attempts=3, lease_secs=60, address=OURS)
    chain.book = book
    chain.create_jobs(2)
    await chain.learn()
    chain.sim.start_job("add", 1, sender=OTHER)
    chain.sim.start_job("add", 2, sender=OTHER)
    chain.sim.seal()
    assert book.drop(chain.ref(1), "started on chain by coordinator elsewhere")
    del book.jobs[chain.ref(2)]  # never known here
    reconciler = chain.reconciler(late_secs=STALE_SECS + 60, stale_running_secs=STALE_SECS,
                                  fail_on_chain=fail_through_book(book))
    with trio.fail_after(20):
        assert (await reconciler.reconcile_once()).failed == 2
    outbox = await store.run(lambda ledger: ledger.operations())
    assert [(op.kind.value, op.job_sequence) for op in outbox] == [("fail", 1), ("fail", 2)]
    assert all("whoever holds it" in op.error for op in outbox)


def test_the_stale_limit_is_never_below_the_container_timeout(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[sui]\npackage_id = "0x1"\n')
    settings = load_settings(config, env={})
    assert settings.reconcile.stale_running_secs == 600  # upstream's STUCK_JOB_TIMEOUT_SECS
    config.write_text('[sui]\npackage_id = "0x1"\n[docker]\ncontainer_timeout_secs = 900\n')
    settings = load_settings(config, env={})
    assert settings.reconcile.stale_after_secs(settings.docker) == 900
    config.write_text('[sui]\npackage_id = "0x1"\n[docker]\ncontainer_timeout_secs = 30\n'
                      '[reconcile]\nstale_running_secs = 10\n')
    with pytest.raises(ConfigError) as error:
        load_settings(config, env={})
    assert "reconcile.stale_running_secs (10) must not be below " \
        "docker.container_timeout_secs (30)" in str(error.value)


async def test_without_a_key_no_job_on_chain_is_ours(chain: Chain) -> None:
    chain.create_jobs(2)
    await chain.learn()
    chain.sim.start_job("add", 1, sender=OURS)
    chain.sim.seal()
    report = await chain.reconciler(address=None, late_secs=TIMEOUT_SECS + 60).reconcile_once()
    assert (report.failed, report.dropped) == (0, 1)
    assert chain.failed == []
    assert chain.book.outcomes[-1].reason == (
        "started on chain by coordinator unknown (reconciliation)")


async def test_a_pass_reads_within_its_budget_and_the_next_goes_on(chain: Chain) -> None:
    second = chain.sim.create_app_instance("mul")
    chain.create_jobs(1)
    chain.create_jobs(1, app="mul")
    await chain.learn()
    await chain.learn(second.app_instance)
    chain.create_jobs(1)
    chain.create_jobs(1, app="mul")  # both missed
    reconciler = chain.reconciler(max_reads=2)  # one app instance a pass
    first = await reconciler.reconcile_once()
    assert (first.result, first.app_instances, first.added) == ("partial", 1, 1)
    # The next pass begins with the app instance the last one did not reach.
    following = await reconciler.reconcile_once()
    assert (following.result, following.app_instances, following.added) == ("partial", 1, 1)
    assert len(chain.book.jobs) == 4
    reconciler.max_reads = 100
    whole = await reconciler.reconcile_once()
    assert (whole.result, whole.app_instances, whole.added) == ("ok", 2, 0)


async def test_a_chain_error_is_one_line_and_the_next_pass_tries_again(
    chain: Chain, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="coordinator.reconciler")
    chain.create_jobs(1)
    await chain.learn()
    chain.create_jobs(1)
    errors_before = counted("reconcile_passes", "result", "error")
    chain.sim.faults = Faults(unimplemented=frozenset({"ListDynamicFields"}))
    reconciler = chain.reconciler()
    failed = await reconciler.reconcile_once()
    assert (failed.result, failed.added) == ("error", 0)
    assert "ListDynamicFields" in failed.error and "UNIMPLEMENTED" in failed.error
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith("reconciliation with the chain failed (") and "\n" not in line
    assert counted("reconcile_passes", "result", "error") == errors_before + 1

    message = pb.GetStatusResponse()
    reconciler.report(message, trio.current_time())
    assert (message.reconcile.last_result, message.reconcile.last_error) == (
        "error", failed.error)

    chain.sim.faults = Faults()
    assert (await reconciler.reconcile_once()).added == 1


async def test_the_status_shows_the_last_pass(chain: Chain) -> None:
    chain.create_jobs(1)
    await chain.learn()
    chain.create_jobs(1)
    reconciler = chain.reconciler()
    message = pb.GetStatusResponse()
    reconciler.report(message, trio.current_time())
    assert message.HasField("reconcile") and message.reconcile.last_pass_at == 0
    assert "reconcile no pass yet" in summary_line(message, 0.0)

    before = time.time()
    await reconciler.reconcile_once()
    message = pb.GetStatusResponse()
    reconciler.report(message, trio.current_time())
    status = message.reconcile
    assert status.last_pass_at >= before and status.interval_secs == 60
    assert (status.last_result, status.added, status.dropped, status.failed,
            status.app_instances) == ("ok", 1, 0, 0, 1)
    assert "reconcile ok 0s ago (1 app instances): 1 added, 0 dropped, 0 failed" in (
        summary_line(message, 0.0))


async def test_run_makes_its_first_pass_soon_then_one_every_interval(
    nursery: trio.Nursery, store: Store, autojump_clock: trio.abc.Clock,
) -> None:
    book = JobBook(store, max_attempts=3, lease_secs=60)  # no app instance: no chain read

    def no_chain() -> AbstractAsyncContextManager[SuiClient]:
        raise AssertionError("an empty book needs no chain")

    reconciler = Reconciler(no_chain, book, address=None, fail_on_chain=fail_through_book(book),
                            interval_secs=120, running_timeout_secs=TIMEOUT_SECS)
    passes = []
    base = counted("reconcile_passes", "result", "ok")
    start = trio.current_time()
    await nursery.start(reconciler.run)
    for at in (4, 6, 124, 126, 246):
        await trio.sleep_until(start + at)
        passes.append((at, counted("reconcile_passes", "result", "ok") - base))
    assert passes == [(4, 0), (6, 1), (124, 1), (126, 2), (246, 3)]
    message = pb.GetStatusResponse()
    reconciler.report(message, trio.current_time())
    assert message.reconcile.next_pass_in_secs == pytest.approx(119, abs=0.5)


def test_reconcile_interval_is_configured_in_its_section(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[sui]\npackage_id = "0x1"\n')
    assert load_settings(config, env={}).reconcile.interval_secs == 300
    config.write_text('[sui]\npackage_id = "0x1"\n[reconcile]\ninterval_secs = 0\n')
    assert load_settings(config, env={}).reconcile.interval_secs == 0
    config.write_text('[sui]\npackage_id = "0x1"\n[reconcile]\ninterval_secs = 0.5\n')
    with pytest.raises(ConfigError) as error:
        load_settings(config, env={})
    assert str(error.value).startswith("config: reconcile.interval_secs: must be 0 (off) or 1")


@pytest.mark.docker
async def test_the_daemon_reconciles_what_its_stream_missed_and_shows_it(
    tmp_path: Path, sock_dir: Path, daemons: list[Daemon],
) -> None:
    """The wiring: the daemon's reconciler child, its passes in GetStatus."""
    sim = Simnet(checkpoint_interval_secs=0.2)
    register_app(sim, None, "add")  # no method: the jobs wait, no container runs
    sim.create_job("add", developer=DEV, agent=AGENT, method=METHOD)
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        daemon = write_config(tmp_path, sock_dir, f"http://{target}",
                              extra="[reconcile]\ninterval_secs = 1\n")
        daemons.append(daemon)
        nursery.start_soon(app.run, load_settings(daemon.config, env={}))
        await status_when(daemon.socket, lambda s: s.jobs_by_state["pending"] == 1,
                          within=30, what="the first job, seen by the stream")
        # Two transactions the stream never hears of: they reach no checkpoint.
        sim.create_job("add", developer=DEV, agent=AGENT, method=METHOD)
        sim.chain.pending.pop()
        sim.complete_job("add", 1)
        sim.chain.pending.pop()
        status = await status_when(
            daemon.socket, lambda s: (s.reconcile.added, s.reconcile.dropped) == (1, 1),
            within=30, what="a pass that added the missed job and dropped the completed one",
        )
        nursery.cancel_scope.cancel()
    assert dict(status.jobs_by_state) == {"pending": 1, "dropped": 1}
    assert (status.reconcile.last_result, status.reconcile.interval_secs) == ("ok", 1)
    assert [(r["job_id"], r["state"]) for r in stored_jobs(daemon.db)] == [
        (1, "dropped"), (2, "pending")]
