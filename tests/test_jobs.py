"""The job state machine: queues, sessions, retries, chain events, recovery."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import trio
import trio.testing

from coordinator.domain import AgentKey, JobRef, JobState
from coordinator.events import (
    JobCompletedEvent,
    JobDeletedEvent,
    JobFailedEvent,
    JobStatus,
    JobUpdatedEvent,
)
from coordinator.events import models_2025_11 as v11
from coordinator.events.layouts import neutral
from coordinator.events.models import BcsEvent
from coordinator.events.parser import CoordinationEvent, LedgerPosition
from coordinator.jobs import CommitFailed, JobBook, JobNotFound, JobNotRunning, SessionDenied
from coordinator.jobs.sessions import EXITED_HOLDING_JOBS
from coordinator.store import Ledger, Store
from coordinator.sui.keys import SuiKey
from tests.support import ADD_KEY, AGENT, APP_INSTANCE, DEV, created

KEY = ADD_KEY
OTHER = AgentKey(DEV, AGENT, "verify")
APP = APP_INSTANCE


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def chain(payload: BcsEvent, tx: str = "tx", index: int = 0) -> CoordinationEvent:
    return CoordinationEvent(LedgerPosition(1, tx, 0, index), "jobs", type(payload).__name__,
                             "0x1", neutral(payload))


@pytest.fixture
async def book(tmp_path: Path) -> JobBook:
    store = await Store.open(tmp_path)
    book = JobBook(store, max_attempts=3, lease_secs=60, clock=Clock())
    book.retry.jitter = 0
    return book


async def test_created_jobs_queue_per_key_oldest_first(book: JobBook) -> None:
    for job_id, key in [(1, KEY), (2, OTHER), (3, KEY)]:
        assert [j.job_id for j in book.on_chain_event(created(job_id, key))] == [job_id]
    assert book.on_chain_event(created(1)) == []  # replay: nothing new
    assert book.ready_keys() == [KEY, OTHER]
    opened = book.open_session(KEY)
    assert opened is not None
    session, trigger = opened
    assert trigger.job_id == 1 and trigger.state is JobState.RUNNING
    # The session's first take is its trigger job (upstream agents learn it so).
    assert book.take(KEY, session.session_id) is trigger
    taken = book.take(KEY, session.session_id)
    assert taken is not None and taken.job_id == 3
    assert book.take(KEY, session.session_id) is None
    assert book.counts() == {"running": 2, "pending": 1}


async def test_a_trigger_settled_from_env_is_not_handed_out_again(book: JobBook) -> None:
    for job_id in (1, 2):
        book.on_chain_event(created(job_id))
    opened = book.open_session(KEY)
    assert opened is not None
    session, trigger = opened
    book.complete(session.session_id, trigger.job_id, trigger.app_instance)
    taken = book.take(KEY, session.session_id)
    assert taken is not None and taken.job_id == 2


async def test_a_session_is_a_fresh_key_whose_address_is_its_id(book: JobBook) -> None:
    """As upstream makes sessions: SESSION_PRIVATE_KEY's address is SESSION_ID."""
    for job_id in (1, 2):
        book.on_chain_event(created(job_id))
    sessions = [opened[0] for opened in (book.open_session(KEY), book.open_session(KEY))
                if opened is not None]
    assert len(sessions) == 2
    for session in sessions:
        assert SuiKey.from_text(session.private_key).address == session.session_id
        assert session.private_key not in repr(session)
    assert sessions[0].session_id != sessions[1].session_id


async def test_terminate_ends_the_job_without_retry(book: JobBook) -> None:
    book.on_chain_event(created(1))
    opened = book.open_session(KEY)
    assert opened is not None
    session, trigger = opened
    job = book.terminate(session.session_id, 1)
    assert job is trigger and job.state is JobState.DEAD and job.attempts == 0
    assert job.last_error == "terminated by the agent"
    assert book.ready_keys() == [] and job.ref not in session.held
    with pytest.raises(JobNotRunning):
        book.complete(session.session_id, 1)


async def test_sessions_are_checked(book: JobBook) -> None:
    book.on_chain_event(created(1))
    book.on_chain_event(created(2, OTHER))
    opened = book.open_session(KEY)
    assert opened is not None
    session, _ = opened
    with pytest.raises(SessionDenied, match="does not belong"):
        book.take(KEY, "nope")
    with pytest.raises(SessionDenied, match="belongs to AddExampleDev/AddAgent/prove"):
        book.take(OTHER, session.session_id)
    with pytest.raises(JobNotFound):
        book.complete(session.session_id, 99)
    with pytest.raises(JobNotRunning):
        book.complete(session.session_id, 2)  # pending job of another key


async def test_fail_retries_with_backoff_then_dead(book: JobBook) -> None:
    clock = book.clock
    assert isinstance(clock, Clock)
    book.on_chain_event(created(1))
    for attempt in range(1, 4):
        opened = book.open_session(KEY)
        assert opened is not None, f"attempt {attempt} should be ready"
        session, job = opened
        [failed] = book.fail(session.session_id, job.job_id, f"boom {attempt}")
        assert failed.attempts == attempt
        book.close_session(session.session_id, None)
        if attempt < 3:
            assert failed.state is JobState.PENDING
            assert book.open_session(KEY) is None  # waiting for its retry time
            retry_at = book.next_retry_at()
            assert retry_at == pytest.approx(clock.now + 2.0 * 2 ** (attempt - 1))
            clock.now = retry_at
    assert failed.state is JobState.DEAD
    assert failed.last_error == "boom 3"
    assert book.counts() == {"dead": 1}


async def test_close_session_fails_held_jobs_even_on_exit_0(book: JobBook) -> None:
    """The agent never said complete: a job a container still holds when it
    exits 0 is failed (upstream: "container terminated"), not completed."""
    for job_id in (1, 2, 3):
        book.on_chain_event(created(job_id))
    opened = book.open_session(KEY)
    assert opened is not None
    session, _ = opened
    book.take(KEY, session.session_id)  # its trigger, job 1
    book.take(KEY, session.session_id)
    book.complete(session.session_id, 2)
    changed = book.close_session(session.session_id, None)
    assert [(j.job_id, j.state, j.attempts, j.last_error) for j in changed] == [
        (1, JobState.PENDING, 1, EXITED_HOLDING_JOBS)]
    opened = book.open_session(KEY)
    assert opened is not None
    session, _job = opened
    changed = book.close_session(session.session_id, "exit code 1")
    assert [(j.job_id, j.state, j.last_error) for j in changed] == [
        (3, JobState.PENDING, "exit code 1")]
    with pytest.raises(SessionDenied):
        book.take(KEY, session.session_id)  # the session is gone


async def test_chain_events_requeue_and_drop(book: JobBook) -> None:
    book.on_chain_event(created(1))
    book.on_chain_event(created(2))
    opened = book.open_session(KEY)
    assert opened is not None
    session, _job = opened
    # Another coordinator's agent failed job 1 on chain; it is pending again.
    [requeued] = book.on_chain_event(chain(JobFailedEvent(
        job_id=1, app_instance=APP, error="e", attempts=1, failed_at=2), tx="f"))
    assert book.on_chain_event(chain(JobUpdatedEvent(
        job_id=1, status=JobStatus(kind="pending"), attempts=1, updated_at=2), tx="f", index=1)
    ) == []  # already pending
    assert requeued.state is JobState.PENDING and requeued.last_error == "e"
    assert session.held == set()
    # Job 2 was completed on chain elsewhere.
    book.on_chain_event(chain(JobCompletedEvent(job_id=2, app_instance=APP, completed_at=3),
                              tx="c"))
    book.on_chain_event(chain(JobDeletedEvent(job_id=2, deleted_at=3), tx="c", index=1))
    assert book.jobs[JobRef(APP, 2)].state is JobState.DROPPED
    assert book.ready_keys() == [KEY]


async def test_leased_job_without_session_expires(book: JobBook) -> None:
    clock = book.clock
    assert isinstance(clock, Clock)
    book.on_chain_event(created(1))
    job = book.take(KEY, None)
    assert job is not None and job.state is JobState.RUNNING
    assert book.expire_leases() == []
    clock.now += 61
    [expired] = book.expire_leases()
    assert expired.state is JobState.PENDING and "not settled within 60 s" in expired.last_error


async def test_recovery_fails_jobs_left_running(tmp_path: Path) -> None:
    store = await Store.open(tmp_path)
    book = JobBook(store, max_attempts=3, lease_secs=60)
    book.on_chain_event(created(1))
    book.on_chain_event(created(2))
    await book.commit()
    opened = book.open_session(KEY)
    assert opened is not None
    await book.commit()
    # The process dies here; a new one loads the store.
    again = await JobBook.load(store, max_attempts=3, lease_secs=60)
    job = again.jobs[JobRef(APP, 1)]
    assert job.state is JobState.PENDING and job.attempts == 1
    assert job.last_error == "coordinator restarted"
    assert again.jobs[JobRef(APP, 2)].state is JobState.PENDING
    reloaded = await JobBook.load(store, max_attempts=3, lease_secs=60)
    assert reloaded.jobs[JobRef(APP, 1)].attempts == 1  # the recovery was persisted
    assert reloaded.jobs[JobRef(APP, 1)].data == bytes([1, 2, 1])
    assert reloaded.jobs[JobRef(APP, 1)].sequences == (7, 8)


async def test_the_book_commits_its_own_changes_and_keeps_the_jobs_table_bounded(
    book: JobBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("coordinator.jobs.core.KEEP_FINISHED", 3)
    for job_id in range(1, 7):
        book.on_chain_event(created(job_id))
    await book.commit()
    assert [job.job_id for job in await book.store.run(Ledger.jobs)] == [1, 2, 3, 4, 5, 6]
    for _ in range(5):  # five finish; the sixth stays pending
        opened = book.open_session(KEY)
        assert opened is not None
        book.complete(opened[0].session_id, opened[1].job_id)
        book.close_session(opened[0].session_id, None)
        book.clock.now += 1  # type: ignore[attr-defined]
        await book.commit()
    stored = {job.job_id: job.state for job in await book.store.run(Ledger.jobs)}
    # The three most recently finished, and every unfinished one.
    assert stored == {3: JobState.COMPLETED, 4: JobState.COMPLETED, 5: JobState.COMPLETED,
                      6: JobState.PENDING}
async def test_callers_committing_at_once_share_transactions_and_each_change_is_durable(
    book: JobBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty agents taking jobs at once: fewer transactions than callers, and
    when a caller's commit returns, its job is in the store as it left it."""
    for job_id in range(1, 21):
        book.on_chain_event(created(job_id))
    await book.commit()
    transactions = 0
    run = book.store.run

    async def counted(work):  # type: ignore[no-untyped-def]
        nonlocal transactions
        transactions += 1
        return await run(work)

    monkeypatch.setattr(book.store, "run", counted)
    durable: dict[int, JobState] = {}

    async def agent() -> None:
        opened = book.open_session(KEY)
        assert opened is not None
        _session, job = opened
        await book.commit()
        stored = {j.job_id: j for j in await run(Ledger.jobs)}
        durable[job.job_id] = stored[job.job_id].state

    async with trio.open_nursery() as nursery:
        for _ in range(20):
            nursery.start_soon(agent)
    assert durable == {job_id: JobState.RUNNING for job_id in range(1, 21)}
    # The first writes its own change at once; the nineteen that came while it
    # was being written share the next transaction.
    assert transactions == 2


async def test_a_change_another_commit_carries_is_durable_when_commit_returns(
    book: JobBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change taken into a commit already being written (it was made before
    that commit began, and this caller commits later): `commit` returns only
    once that write is done."""
    for job_id in (1, 2):
        book.on_chain_event(created(job_id))
    await book.commit()
    run, release, order = book.store.run, trio.Event(), []

    async def slow(work):  # type: ignore[no-untyped-def]
        await release.wait()
        return await run(work)

    monkeypatch.setattr(book.store, "run", slow)

    async def first() -> None:
        assert book.open_session(KEY) is not None
        await book.commit()
        order.append("first written")

    async def second() -> None:
        await book.commit()  # its change went into the first's commit
        order.append("second returned")

    async with trio.open_nursery() as nursery:
        assert book.open_session(KEY) is not None  # the second caller's change
        nursery.start_soon(first)  # its commit takes both changes
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(second)
        await trio.testing.wait_all_tasks_blocked()
        assert order == []  # not before the write is done
        release.set()
    assert sorted(order) == ["first written", "second returned"]
    stored = {job.job_id: job.state for job in await run(Ledger.jobs)}
    assert stored == {1: JobState.RUNNING, 2: JobState.RUNNING}


async def test_a_shared_commit_that_fails_fails_every_caller_of_it(
    book: JobBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    for job_id in range(1, 4):
        book.on_chain_event(created(job_id))
    await book.commit()
    run = book.store.run
    release = trio.Event()

    async def failing(work):  # type: ignore[no-untyped-def]
        await release.wait()
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(book.store, "run", failing)
    errors: list[str] = []

    async def agent() -> None:
        assert book.open_session(KEY) is not None
        try:
            await book.commit()
        except (sqlite3.OperationalError, CommitFailed) as exc:
            errors.append(str(exc))

    async with trio.open_nursery() as nursery:
        for _ in range(3):
            nursery.start_soon(agent)
        await trio.testing.wait_all_tasks_blocked()
        release.set()
    # The first writes its own; the two that came meanwhile share the next one,
    # whose writer gets the store's error and the other one the shared failure.
    assert errors == ["disk I/O error", "disk I/O error", "OperationalError: disk I/O error"]
    monkeypatch.setattr(book.store, "run", run)


# --- 2025-11: every jobs event ------------------------------------------------

COORDINATOR = "0x" + "c" * 64


async def test_2025_11_job_started_by_another_coordinator_is_not_ours(book: JobBook) -> None:
    book.on_chain_event(created(1, layout="2025-11"))
    [job] = book.on_chain_event(chain(v11.JobStartedEvent(
        job_sequence=1, app_instance=APP, coordinator=COORDINATOR, started_at=5)))
    assert job.state is JobState.DROPPED and book.ready_keys() == []
    assert COORDINATOR in book.outcomes[-1].reason


async def test_2025_11_failed_job_waits_the_chain_retry_interval_then_dies(book: JobBook) -> None:
    clock = book.clock
    assert isinstance(clock, Clock)
    book.on_chain_event(created(1, layout="2025-11"))
    book.on_chain_event(chain(v11.JobStartedEvent(
        job_sequence=1, app_instance=APP, coordinator=COORDINATOR, started_at=5)))
    failed_at_ms = int(clock.now * 1000)
    [job] = book.on_chain_event(chain(v11.JobFailedEvent(
        job_sequence=1, app_instance=APP, coordinator=COORDINATOR, error="oom", attempts=1,
        failed_at=failed_at_ms)))
    assert job.state is JobState.PENDING and job.last_error == "oom"
    assert book.ready_keys() == []  # the chain refuses a start for 60 s
    clock.now += 60
    assert book.ready_keys() == [KEY]
    [job] = book.on_chain_event(chain(v11.JobFailedEvent(
        job_sequence=1, app_instance=APP, coordinator=COORDINATOR, error="oom again",
        attempts=3, failed_at=failed_at_ms)))
    assert job.state is JobState.DEAD and job.last_error == "oom again"
    assert book.ready_keys() == []


async def test_2025_11_restart_reschedule_and_removal(book: JobBook) -> None:
    clock = book.clock
    assert isinstance(clock, Clock)
    for sequence in (1, 2, 3, 4):
        book.on_chain_event(created(sequence, layout="2025-11"))
    book.on_chain_event(chain(v11.JobFailedEvent(
        job_sequence=1, app_instance=APP, coordinator=COORDINATOR, error="e", attempts=3,
        failed_at=1)))
    assert book.jobs[JobRef(APP, 1)].state is JobState.DEAD
    # restart_failed_jobs: JobUpdated + JobRestarted per job, then JobsRestarted.
    [job] = book.on_chain_event(chain(v11.JobRestartedEvent(
        job_sequence=1, app_instance=APP, started_at=2), tx="r"))
    assert job.state is JobState.PENDING and job.attempts == 0
    assert book.on_chain_event(chain(v11.JobsRestartedEvent(
        failed_jobs=(1,), num_failed_jobs=1, restarted_at=2), tx="r", index=1)) == []
    # A periodic job completed elsewhere comes back at next_scheduled_at.
    book.on_chain_event(chain(v11.JobCompletedEvent(
        job_sequence=2, app_instance=APP, coordinator=COORDINATOR, completed_at=3), tx="p"))
    assert book.jobs[JobRef(APP, 2)].state is JobState.DROPPED
    next_at = int((clock.now + 120) * 1000)
    [job] = book.on_chain_event(chain(v11.JobRescheduledEvent(
        job_sequence=2, app_instance=APP, next_scheduled_at=next_at, rescheduled_at=3),
        tx="p", index=2))
    assert job.state is JobState.PENDING and job.not_before == next_at / 1000
    # Terminated and deleted jobs are gone.
    [job] = book.on_chain_event(chain(v11.JobTerminatedEvent(
        job_sequence=3, app_instance=APP, coordinator=COORDINATOR, terminated_at=4)))
    assert job.state is JobState.DROPPED
    [job] = book.on_chain_event(chain(v11.JobDeletedEvent(
        job_sequence=4, app_instance=APP, deleted_at=4)))
    assert job.state is JobState.DROPPED
    assert book.pending_count(KEY) == 2  # 1 (restarted) and 2 (rescheduled)


# --- with our chain address: claims and settlements go to the outbox ------------------

OURS = "0x" + "0c" * 32


@pytest.fixture
async def chain_book(tmp_path: Path) -> JobBook:
    store = await Store.open(tmp_path)
    return JobBook(store, max_attempts=3, lease_secs=60, clock=Clock(), address=OURS)


async def test_our_own_job_started_event_does_not_drop_our_job(chain_book: JobBook) -> None:
    chain_book.on_chain_event(created(1, layout="2025-11"))
    chain_book.on_chain_event(created(2, layout="2025-11"))
    # Our address, however the event spells it (case), is ours.
    assert chain_book.on_chain_event(chain(v11.JobStartedEvent(
        job_sequence=1, app_instance=APP, coordinator="0x" + "0C" * 32, started_at=5))) == []
    assert chain_book.jobs[JobRef(APP, 1)].state is JobState.PENDING
    [other] = chain_book.on_chain_event(chain(v11.JobStartedEvent(
        job_sequence=2, app_instance=APP, coordinator=COORDINATOR, started_at=5)))
    assert other.state is JobState.DROPPED


async def test_claims_and_settlements_are_written_with_the_job_change(
    chain_book: JobBook,
) -> None:
    book = chain_book
    for n in (1, 2, 3):
        book.on_chain_event(created(n, layout="2025-11"))
    opened = book.open_session(KEY)
    assert opened is not None
    session, trigger = opened
    more = book.take(KEY, session.session_id)  # the trigger: already claimed with the session
    assert more is trigger
    second = book.take(KEY, session.session_id)
    assert second is not None
    written = book.operations_written
    await book.commit()
    assert written.is_set()
    book.complete(session.session_id, trigger.job_id, APP)
    book.fail(session.session_id, second.job_id, "bad input", APP)
    await book.commit()
    ops = await book.store.run(Ledger.operations)
    assert [(o.kind.value, o.job_sequence, o.error) for o in ops] == [
        ("start", 1, ""), ("start", 2, ""), ("complete", 1, ""), ("fail", 2, "bad input"),
    ]
    assert all(o.app_instance == APP and o.state == "due" for o in ops)
    # The chain decides when the failed job may start again (its retry interval).
    assert second.state is JobState.PENDING
    assert second.not_before >= book.clock() + 60
    assert [job.state for job in (await book.store.run(Ledger.jobs))] == [
        JobState.COMPLETED, JobState.PENDING, JobState.PENDING]


async def test_a_lost_claim_takes_the_job_out_without_a_settlement(chain_book: JobBook) -> None:
    chain_book.on_chain_event(created(1, layout="2025-11"))
    opened = chain_book.open_session(KEY)
    assert opened is not None
    session, job = opened
    [dropped] = chain_book.lose_claim(job.ref)
    assert dropped.state is JobState.DROPPED
    assert "claim lost on chain" in chain_book.outcomes[-1].reason
    assert chain_book.close_session(session.session_id, None) == []
    await chain_book.commit()
    assert [o.kind.value for o in await chain_book.store.run(Ledger.operations)] == ["start"]


async def test_without_an_address_nothing_goes_to_the_outbox(book: JobBook) -> None:
    book.on_chain_event(created(1))
    opened = book.open_session(KEY)
    assert opened is not None
    book.complete(opened[0].session_id, 1)
    await book.commit()
    assert await book.store.run(Ledger.operations) == []


async def test_a_job_another_coordinator_left_running_is_failed_through_the_outbox(
    chain_book: JobBook,
) -> None:
    """The reconciler's stale limit: the job was started elsewhere (dropped here)
    or never known here; only the outbox hears of it, the book is unchanged."""
    chain_book.on_chain_event(created(1, layout="2025-11"))
    chain_book.on_chain_event(chain(v11.JobStartedEvent(
        job_sequence=1, app_instance=APP, coordinator=COORDINATOR, started_at=5)))
    assert chain_book.fail_abandoned(JobRef(APP, 1), "stale")
    assert chain_book.fail_abandoned(JobRef(APP, 9), "stale")
    await chain_book.commit()
    ops = await chain_book.store.run(Ledger.operations)
    assert [(o.kind.value, o.job_sequence, o.error) for o in ops] == [
        ("fail", 1, "stale"), ("fail", 9, "stale")]
    assert chain_book.jobs[JobRef(APP, 1)].state is JobState.DROPPED
    assert JobRef(APP, 9) not in chain_book.jobs
    # An unfinished job of the book is failed there (an attempt spent).
    chain_book.on_chain_event(created(2, layout="2025-11"))
    assert chain_book.fail_abandoned(JobRef(APP, 2), "stale")
    assert chain_book.jobs[JobRef(APP, 2)].attempts == 1
    # Without an address nothing can be failed on chain.
    keyless = JobBook(chain_book.store, max_attempts=3, lease_secs=60)
    assert not keyless.fail_abandoned(JobRef(APP, 9), "stale")


async def test_the_chains_max_attempts_of_an_app_instance_rule_its_jobs(book: JobBook) -> None:
    """Upstream retries a failed job while the chain's `Jobs.max_attempts`
    allows: once read, that value, not `jobs.max_attempts`, says dead or retried."""
    assert book.attempts_allowed(APP) == book.max_attempts == 3
    book.chain_max_attempts[APP] = 1
    book.on_chain_event(created(1))
    opened = book.open_session(KEY)
    assert opened is not None
    [failed] = book.fail(opened[0].session_id, 1, "boom")
    assert (failed.state, failed.attempts) == (JobState.DEAD, 1)
    # Failed on chain after 3 attempts of an instance allowing 5: retried.
    book.chain_max_attempts[APP] = 5
    book.on_chain_event(created(2))
    [retried] = book.on_chain_event(chain(JobFailedEvent(
        job_id=2, app_instance=APP, error="e", attempts=3, failed_at=2), tx="f"))
    assert (retried.job_id, retried.state, retried.attempts) == (2, JobState.PENDING, 3)


async def test_settle_jobs_first_then_by_block_and_fewest_sequences(book: JobBook) -> None:
    """Upstream's order of a key's pending jobs: settle, then block ascending
    (no block last), fewer sequences first, then the job's sequence."""
    jobs = [(1, "add", None, None), (2, "add", 2, (5,)), (3, "merge", 1, (1, 2)),
            (4, "add", 1, (3,)), (5, "settle", None, None), (6, "add", 1, (2,))]
    for job_id, method, block, sequences in jobs:
        book.on_chain_event(created(job_id, layout="2025-11", app_instance_method=method,
                                    block_number=block, sequences=sequences, sequences1=None))
    opened = book.open_session(KEY)
    assert opened is not None
    session, trigger = opened
    assert book.take(KEY, session.session_id) is trigger  # the container's own job
    order = [trigger.job_id]
    while (taken := book.take(KEY, session.session_id)) is not None:
        order.append(taken.job_id)
    assert order == [5, 4, 6, 3, 2, 1]


async def test_take_leaves_skipped_jobs_pending(book: JobBook) -> None:
    for job_id in (1, 2):
        book.on_chain_event(created(job_id))
    opened = book.open_session(KEY)
    assert opened is not None
    session, trigger = opened
    assert book.take(KEY, session.session_id) is trigger
    book.on_chain_event(created(3))
    assert book.take(KEY, session.session_id, skip={JobRef(APP, 2)}) is not None
    left = book.next_pending(KEY)
    assert left is not None and left.job_id == 2
    assert book.take(KEY, session.session_id, skip={JobRef(APP, 2)}) is None
