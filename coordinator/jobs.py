"""The job state machine and the queues, one per (developer, agent, method).

    pending -> running -> completed
                       -> failed -> pending (attempts left, after a backoff)
                                 -> dead    (no attempts left; the error is kept)
    pending | running  -> dropped (completed or deleted on chain by another coordinator)

`JobBook` holds the working state in memory, on the Trio thread only, and
owns its persistence: every change marks the job, and the marked jobs reach
sqlite as one unit of work, either inside a caller's transaction
(`changes()`, the dispatcher's batch) or on their own (`commit()`, the socket
service, the runner, recovery). The same write prunes finished jobs, so the
jobs table holds the unfinished ones and at most `KEEP_FINISHED` finished.
The store is the truth across restarts: `JobBook.load` rebuilds the book, and
jobs that a dead process left running are failed and retried.

With the coordinator's chain address (a Sui key), the chain is the system of
record: every claim (`start`) and every settlement the book decides becomes a
`ChainOperation`, written to the outbox in the same unit of work as the job
change it belongs to, and sent by the settler (coordinator.settlement). A job
handed to a container is not the container's until its claim is confirmed;
a failed job waits for the chain's retry interval, the chain's events say when
it is pending again. Without an address the book settles locally, as before.

Sessions tie jobs to one agent container. The trigger job goes to the
container by env; more come through GetJob; CompleteJob/FailJob settle them;
when the container ends, `close_session` settles the rest by its outcome.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import trio
from pydantic import Field

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.backoff import Backoff
from coordinator.domain import (
    AgentKey,
    ChainOperation,
    Job,
    JobRef,
    JobState,
    OperationKind,
    Session,
)
from coordinator.errors import describe
from coordinator.events.job_events import (
    JobCompleted,
    JobCreated,
    JobDeleted,
    JobFailed,
    JobRescheduled,
    JobRestarted,
    JobsRestarted,
    JobStarted,
    JobTerminated,
    JobUpdated,
)
from coordinator.events.models import normalize_address
from coordinator.events.parser import CoordinationEvent
from coordinator.instruments import JOB_OUTCOMES
from coordinator.logs import escape, session_fingerprint
from coordinator.promptly import promptly
from coordinator.section import Section
from coordinator.store import Ledger, LedgerWrite, Store
from coordinator.sui.keys import SuiKey

log = logging.getLogger("coordinator.jobs")

# sqlite stores signed 64-bit integers; a larger chain job id is refused.
MAX_JOB_ID = 2**63 - 1
# Finished jobs kept (in memory and in sqlite) for status and inspection;
# older ones are forgotten.
KEEP_FINISHED = 1000
RECENT_OUTCOMES = 20
# The chain's wait before a failed job may start again (jobs.move RETRY_INTERVAL_MS).
CHAIN_RETRY_INTERVAL_SECS = 60.0
# A job failed on chain is claimed again this much after the chain allows it:
# the chain's clock and ours differ a little, and an early claim is refused.
CHAIN_CLOCK_MARGIN_SECS = 2.0


class JobsSettings(Section):
    max_attempts: int = Field(default=3, ge=1, le=255)



class JobError(Exception):
    """A request about jobs that cannot be honoured; the message says why."""


class SessionDenied(JobError):
    """Unknown session, or a session of another key."""


class JobNotFound(JobError):
    pass


class JobNotRunning(JobError):
    """The job exists but is not running in this session (already settled?)."""


class CommitFailed(Exception):
    """The shared commit that carried this caller's changes was not written."""


@dataclass
class _Commit:
    """One group commit: its callers wait for `done`; `failure` says why it was
    not written, if it was not."""

    done: trio.Event = field(default_factory=trio.Event)
    failure: str | None = None


@dataclass(frozen=True)
class Outcome:
    """How a job ended, for the status view."""

    ref: JobRef
    key: AgentKey
    state: JobState
    reason: str
    at: float
    exit_code: int | None = None  # of the container, when one ran to its end
    duration_secs: float = 0.0


class JobBook:
    def __init__(
        self,
        store: Store,
        *,
        max_attempts: int,
        lease_secs: float,
        retry: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        address: str | None = None,
    ) -> None:
        self.store = store
        # Our Sui address: jobs are claimed and settled on chain (None: locally).
        self.address = None if address is None else normalize_address(address)
        self.max_attempts = max_attempts
        self.lease_secs = lease_secs
        self.retry = retry or Backoff(initial=2.0, maximum=120.0)
        self.clock = clock
        self.jobs: dict[JobRef, Job] = {}
        self.sessions: dict[str, Session] = {}
        self.outcomes: deque[Outcome] = deque(maxlen=RECENT_OUTCOMES)
        # Pending jobs per key, oldest first (a dict keeps insertion order).
        self._pending: dict[AgentKey, dict[JobRef, None]] = {}
        # The app instance of the last job event per transaction: JobUpdated
        # and JobDeleted do not name it, the event before them does.
        self._tx_app_instance: tuple[str, str] | None = None
        self.changed = trio.Event()  # set when new work may be ready
        self._unsaved: dict[JobRef, Job] = {}  # changed since the last unit of work
        self._operations: list[ChainOperation] = []  # for the outbox, in that unit
        self.operations_written = trio.Event()  # set when the outbox got new operations
        self._committing = trio.Lock()
        self._next_commit: _Commit | None = None  # the commit later callers join
        self._writing: _Commit | None = None  # the commit being written

    # --- loading and saving -------------------------------------------------

    @classmethod
    async def load(cls, store: Store, *, max_attempts: int, lease_secs: float,
                   address: str | None = None) -> JobBook:
        book = cls(store, max_attempts=max_attempts, lease_secs=lease_secs, address=address)
        jobs = await store.run(lambda ledger: ledger.jobs())
        recovered: list[Job] = []
        for job in jobs:
            book.jobs[job.ref] = job
            if job.state is JobState.RUNNING:
                # Its container was reaped (or is gone): the process died under it.
                # Whether our claim of it ever landed is the chain's to say (the
                # reconciler's), so nothing is sent for it here.
                recovered += book._fail(job, "coordinator restarted", settle=False)
            elif job.state is JobState.PENDING:
                book._enqueue(job)
        await book.commit()
        if recovered:
            log.warning("%d job(s) were running when the coordinator stopped; failed "
                        "and retried: %s", len(recovered), ", ".join(str(j.ref) for j in recovered))
        return book

    def _touch(self, job: Job) -> None:
        self._unsaved[job.ref] = job

    def changes(self) -> LedgerWrite:
        """The jobs changed since the last unit of work, as one write for the
        caller's transaction; finished jobs past `KEEP_FINISHED` are pruned."""
        changed, self._unsaved = list(self._unsaved.values()), {}
        operations, self._operations = self._operations, []
        now = self.clock()

        def write(ledger: Ledger) -> None:
            ledger.save_jobs(changed, now)
            ledger.add_operations(operations)
            if any(job.state.terminal for job in changed):
                ledger.prune_finished_jobs(KEEP_FINISHED)

        return write

    async def commit(self) -> None:
        """Make every change so far durable, in a transaction of its own.

        Callers that come while a commit is being written share the next one
        (a group commit): with many agents calling at once, one worker-thread
        hop and one transaction serve them all instead of one each. A change
        taken meanwhile by the dispatcher's batch (`changes()`) is durable no
        later: its transaction was queued on the store first (trio's locks are
        fair), so it is over before the next commit is."""
        if not (self._unsaved or self._operations):
            # Nothing left to write; but a commit in flight may carry our changes.
            if self._writing is not None:
                await self._joined(self._writing)
            return
        if self._next_commit is not None:
            await self._joined(self._next_commit)
            return
        commit = self._next_commit = _Commit()
        try:
            async with promptly(self._committing):  # the commit in flight, if any, ends first
                self._next_commit, self._writing = None, commit  # later changes: the next one
                written = bool(self._operations)
                await self.store.run(self.changes())
        except BaseException as exc:
            commit.failure = describe(exc)
            raise
        finally:
            if self._writing is commit:
                self._writing = None
            commit.done.set()
        if written:
            self.operations_written.set()
            self.operations_written = trio.Event()

    @staticmethod
    async def _joined(commit: _Commit) -> None:
        """Wait for another caller's commit, and fail as it failed."""
        await commit.done.wait()
        if commit.failure is not None:
            raise CommitFailed(commit.failure)

    def _settle(self, kind: OperationKind, job: Job, error: str = "") -> None:
        """With an address: the chain must hear of this (see the module doc)."""
        if self.address is not None:
            self._operations.append(ChainOperation(
                kind, job.app_instance, job.job_id, error, created_at=self.clock()))

    def _wake(self) -> None:
        self.changed.set()
        self.changed = trio.Event()

    # --- queues ---------------------------------------------------------------

    def _enqueue(self, job: Job) -> None:
        self._pending.setdefault(job.key, {})[job.ref] = None

    def _dequeue(self, job: Job) -> None:
        queue = self._pending.get(job.key)
        if queue is not None:
            queue.pop(job.ref, None)
            if not queue:
                del self._pending[job.key]

    def next_pending(self, key: AgentKey) -> Job | None:
        """The oldest pending job of `key` whose retry time has come."""
        now = self.clock()
        for ref in self._pending.get(key, ()):
            job = self.jobs[ref]
            if job.not_before <= now:
                return job
        return None

    def ready_keys(self) -> list[AgentKey]:
        """Keys with a job ready now, the one with the oldest such job first."""
        ready = []
        for key in self._pending:
            job = self.next_pending(key)
            if job is not None:
                ready.append((job.created_at, key))
        return [key for _, key in sorted(ready)]

    def next_retry_at(self) -> float | None:
        """When the earliest waiting retry becomes ready (wall clock)."""
        now = self.clock()
        times = [
            self.jobs[ref].not_before
            for queue in self._pending.values() for ref in queue
            if self.jobs[ref].not_before > now
        ]
        return min(times, default=None)

    def pending_count(self, key: AgentKey) -> int:
        return len(self._pending.get(key, ()))

    # --- chain events (the dispatcher) --------------------------------------

    def on_chain_event(self, event: CoordinationEvent) -> list[Job]:
        """Apply a (layout-neutral) `jobs` module event; return the jobs it changed.

        The chain is the truth about a job: started by another coordinator it
        is not ours to run; failed, it is pending again after the chain's
        retry interval while attempts remain; rescheduled or restarted, it is
        pending again; completed, deleted or terminated, it is gone.
        """
        payload = event.event
        tx = event.position.tx_digest
        app_instance = getattr(payload, "app_instance", None)
        if app_instance is not None:
            self._tx_app_instance = (tx, app_instance)
        if isinstance(payload, JobCreated):
            return self._created(payload)
        if isinstance(payload, JobsRestarted):
            changed: list[Job] = []
            for sequence in payload.failed_jobs:
                job = self._find(sequence, tx)
                if job is not None and job.state is not JobState.PENDING:
                    changed += self._chain_pending(job, 0.0, "restarted on chain", attempts=0)
            return changed
        if payload is None or not hasattr(payload, "job_sequence"):
            return []
        job = self._find(payload.job_sequence, tx, app_instance)
        if job is None:
            return []
        if isinstance(payload, JobCompleted):
            return self._drop(job.ref, "completed on chain")
        if isinstance(payload, JobTerminated):
            return self._drop(job.ref, f"terminated on chain by {payload.coordinator}")
        if isinstance(payload, JobDeleted):
            return self._drop(job.ref, "deleted on chain")
        if isinstance(payload, JobStarted):
            return self._started_elsewhere(job, payload)
        if isinstance(payload, JobFailed):
            return self._failed_on_chain(job, payload)
        if isinstance(payload, JobRescheduled):
            return self._chain_pending(job, payload.next_scheduled_at / 1000,
                                       "rescheduled on chain", attempts=0)
        if isinstance(payload, JobRestarted):
            return self._chain_pending(job, 0.0, "restarted on chain", attempts=0)
        if isinstance(payload, JobUpdated):
            if payload.status.kind == "pending" and job.state is not JobState.PENDING:
                return self._requeue(job)
        return []

    def _find(self, job_id: int, tx: str, app_instance: str | None = None) -> Job | None:
        if app_instance is not None:
            return self.jobs.get(JobRef(app_instance, job_id))
        # Older events (2025-08 JobUpdated/JobDeleted) do not name the app
        # instance; the job event before them in the same transaction does.
        if self._tx_app_instance is not None and self._tx_app_instance[0] == tx:
            return self.jobs.get(JobRef(self._tx_app_instance[1], job_id))
        matches = [job for ref, job in self.jobs.items() if ref.job_id == job_id]
        return matches[0] if len(matches) == 1 else None

    def _started_elsewhere(self, job: Job, event: JobStarted) -> list[Job]:
        """Started on chain while pending here: another coordinator runs it
        (our own claim's event is no news: the settler has its answer)."""
        if job.state is not JobState.PENDING or self._ours(event.coordinator):
            return []
        self._dequeue(job)
        job.state = JobState.DROPPED
        self._touch(job)
        self._record(job, f"started on chain by coordinator {event.coordinator}")
        return [job]

    def _ours(self, coordinator: str) -> bool:
        try:
            return self.address is not None and normalize_address(coordinator) == self.address
        except ValueError:
            return False

    def _failed_on_chain(self, job: Job, event: JobFailed) -> list[Job]:
        job.last_error = event.error
        job.attempts = max(job.attempts, event.attempts)
        self._touch(job)
        if event.attempts < self.max_attempts:
            # With an address we claim it again: a little after the chain allows it.
            margin = CHAIN_CLOCK_MARGIN_SECS if self.address is not None else 0.0
            return self._chain_pending(
                job, event.failed_at / 1000 + CHAIN_RETRY_INTERVAL_SECS + margin,
                f"failed on chain (attempt {event.attempts}), retrying: {event.error}",
            )
        if job.state is JobState.DEAD:
            return [job]
        self._dequeue(job)
        self._release(job)
        job.state = JobState.DEAD
        self._record(job, f"failed on chain after {event.attempts} attempts: {event.error}")
        return [job]

    def _chain_pending(
        self, job: Job, not_before: float, reason: str, *, attempts: int | None = None
    ) -> list[Job]:
        """Pending again by the chain's word, from `not_before` (wall clock)."""
        was_pending = job.state is JobState.PENDING
        if attempts is not None:
            job.attempts = attempts
        job.not_before = not_before
        self._touch(job)
        if not was_pending:
            self._requeue(job)
            self._record(job, reason)
        else:
            self._wake()
        return [job]

    def _created(self, event: JobCreated) -> list[Job]:
        if event.job_sequence > MAX_JOB_ID:
            log.warning("job sequence %d of app instance %s is out of range; skipped",
                        event.job_sequence, event.app_instance)
            return []
        ref = JobRef(event.app_instance, event.job_sequence)
        if ref in self.jobs:
            return []
        job = Job(
            app_instance=event.app_instance, job_id=event.job_sequence, developer=event.developer,
            agent=event.agent, agent_method=event.agent_method, app=event.app,
            app_instance_method=event.app_instance_method, description=event.description,
            sequences=tuple(event.sequences or ()), data=event.data,
            created_at=event.created_at, updated_at=event.created_at,
        )
        self.jobs[ref] = job
        self._enqueue(job)
        self._touch(job)
        self._wake()
        return [job]

    def _drop(self, ref: JobRef, reason: str) -> list[Job]:
        job = self.jobs.get(ref)
        if job is None or job.state.terminal:
            return []
        self._dequeue(job)
        self._release(job)
        job.state = JobState.DROPPED
        self._touch(job)
        self._record(job, reason)
        return [job]

    def add_recovered(self, job: Job) -> bool:
        """A job found pending on chain (see `coordinator.recovery`); False
        when the book already has it."""
        if job.ref in self.jobs or job.job_id > MAX_JOB_ID:
            return False
        job.state = JobState.PENDING
        self.jobs[job.ref] = job
        self._enqueue(job)
        self._touch(job)
        self._wake()
        return True

    # --- reconciliation with the chain (coordinator.reconciler) ----------------

    def live_here(self, ref: JobRef) -> bool:
        """A container of ours (or an agent holding a GetJob lease) runs the job now."""
        job = self.jobs.get(ref)
        if job is None or job.state is not JobState.RUNNING:
            return False
        if job.session_id is None:
            return job.lease_until > self.clock()
        return job.session_id in self.sessions

    def drop(self, ref: JobRef, reason: str) -> bool:
        """The chain says the job is not ours to run (taken or finished
        elsewhere); False when the book has no unfinished job `ref`."""
        return bool(self._drop(ref, reason))

    def reopen(self, ref: JobRef, not_before: float, reason: str) -> bool:
        """A job dropped here is pending on chain again (its restart was missed)."""
        job = self.jobs.get(ref)
        if job is None or job.state is not JobState.DROPPED:
            return False
        self._chain_pending(job, not_before, reason)
        return True

    def fail_here(self, ref: JobRef, reason: str) -> bool:
        """Fail an unfinished job in the book only (an attempt spent, retried
        while attempts remain); False when there is none to fail."""
        job = self.jobs.get(ref)
        if job is None or job.state.terminal or self.live_here(ref):
            return False
        self._dequeue(job)  # `_fail` queues it again while attempts remain
        self._fail(job, reason)
        return True

    def fail_abandoned(self, ref: JobRef, reason: str) -> bool:
        """Fail on chain a job that another coordinator left running there
        (the reconciler's stale limit): the book may not have it, or have it
        dropped as started elsewhere, so only the outbox hears of it; the
        chain's JobFailedEvent (or the next reconciliation) makes it pending
        here. A job the book has unfinished is failed as by `fail_here`. False
        without an address, or when a container of ours runs it."""
        job = self.jobs.get(ref)
        if job is not None and not job.state.terminal:
            return self.fail_here(ref, reason)
        if self.address is None:
            return False
        self._operations.append(ChainOperation(
            OperationKind.FAIL, ref.app_instance, ref.job_id, reason, created_at=self.clock()))
        return True

    def forget_chain(self) -> None:
        """The chain was reset (the store already forgot its jobs): job ids
        start again, so no job of the old chain may shadow a new one.
        Containers still running keep their sessions but hold no job."""
        for session in self.sessions.values():
            session.held.clear()
        self.jobs.clear()
        self._pending.clear()
        self._unsaved.clear()
        self._operations.clear()

    def _requeue(self, job: Job) -> list[Job]:
        self._release(job)
        job.state = JobState.PENDING
        self._enqueue(job)
        self._touch(job)
        self._wake()
        return [job]

    def _release(self, job: Job) -> None:
        if job.session_id is not None and job.session_id in self.sessions:
            self.sessions[job.session_id].held.discard(job.ref)
        job.session_id = None

    # --- sessions (containers and the socket service) ------------------------

    def open_session(self, key: AgentKey) -> tuple[Session, Job] | None:
        """Start a session for a new container with the next ready job as trigger."""
        job = self.next_pending(key)
        if job is None:
            return None
        # As upstream's coordinator: the session is a fresh Ed25519 key, its id
        # the key's Sui address (unguessable, so it is also the credential).
        session_key = SuiKey.generate()
        session = Session(session_key.address, key, started_at=self.clock(),
                          private_key=session_key.export())
        self.sessions[session.session_id] = session
        self._start(job, session)
        session.reserved = job.ref
        return session, job

    @property
    def claims(self) -> bool:
        """Whether a job handed out must first be claimed on chain."""
        return self.address is not None

    def lose_claim(self, ref: JobRef, coordinator: str = "another coordinator") -> list[Job]:
        """The chain refused our claim (`start` returned false): the job is taken
        elsewhere (or no longer pending) and leaves the book; no attempt spent."""
        job = self.jobs.get(ref)
        if job is None or job.state.terminal:
            return []
        self._dequeue(job)
        self._release(job)
        job.state = JobState.DROPPED
        self._touch(job)
        self._record(job, f"claim lost on chain (taken by {coordinator})")
        self._wake()
        return [job]

    def _start(self, job: Job, session: Session | None) -> None:
        self._dequeue(job)
        job.state = JobState.RUNNING
        self._touch(job)
        self._settle(OperationKind.START, job)
        if session is None:
            job.session_id, job.lease_until = None, self.clock() + self.lease_secs
        else:
            job.session_id = session.session_id
            session.held.add(job.ref)

    def take(self, key: AgentKey, session_id: str | None) -> Job | None:
        """GetJob: the next ready job of `key`, now running for that session.

        Without a session (the original agents' call) the job is leased and
        fails if not settled within `lease_secs`. A session's first call gets
        the job its container was started for, unless the agent settled it
        already (from JOB_ID): upstream's agents learn their job only this way.
        """
        session = self._session(session_id, key) if session_id is not None else None
        if session is not None and session.reserved is not None:
            reserved, session.reserved = session.reserved, None
            if reserved in session.held:
                return self.jobs[reserved]
        job = self.next_pending(key)
        if job is not None:
            self._start(job, session)
        return job

    def _session(self, session_id: str, key: AgentKey | None = None) -> Session:
        session = self.sessions.get(session_id)
        if session is None:
            # The fingerprint, not the id: the id is a credential.
            raise SessionDenied(f"session {session_fingerprint(session_id)} does not belong "
                                f"to a running agent")
        if key is not None and session.key != key:
            raise SessionDenied(f"session {session_fingerprint(session_id)} belongs to "
                                f"{session.key}, not {key}")
        return session

    def held(self, session_id: str | None, job_id: int, app_instance: str | None = None) -> Job:
        """The running job `job_id` of this session (or a leased one without);
        `app_instance`, when given, tells apart jobs of one number in two instances."""
        def named(ref: JobRef) -> bool:
            return ref.job_id == job_id and app_instance in (None, ref.app_instance)

        if session_id is not None:
            session = self._session(session_id)
            for ref in session.held:
                if named(ref):
                    return self.jobs[ref]
            known = [job for ref, job in self.jobs.items() if named(ref)]
            if any(job.session_id not in (None, session_id) for job in known):
                raise SessionDenied(f"job {job_id} is not this session's")
        else:
            known = [job for ref, job in self.jobs.items()
                     if named(ref) and job.session_id is None]
            running = [job for job in known if job.state is JobState.RUNNING]
            if running:
                return running[0]
        if not known:
            raise JobNotFound(f"job {job_id} is not known to this coordinator")
        raise JobNotRunning(f"job {job_id} is {known[0].state.value}, not running in this session")

    def complete(self, session_id: str | None, job_id: int,
                 app_instance: str | None = None) -> Job:
        job = self.held(session_id, job_id, app_instance)
        self._release(job)
        job.state = JobState.COMPLETED
        self._touch(job)
        self._settle(OperationKind.COMPLETE, job)
        self._record(job, "completed")
        return job

    def fail(self, session_id: str | None, job_id: int, error: str,
             app_instance: str | None = None) -> list[Job]:
        return self._fail(self.held(session_id, job_id, app_instance), error)

    def terminate(self, session_id: str | None, job_id: int,
                  app_instance: str | None = None) -> Job:
        """TerminateJob: the agent gives the job up for good. Upstream removes it
        on chain with no retry; here it is dead at once, attempts left or not."""
        job = self.held(session_id, job_id, app_instance)
        self._release(job)
        job.state = JobState.DEAD
        job.last_error = "terminated by the agent"
        self._touch(job)
        self._settle(OperationKind.TERMINATE, job)
        self._record(job, "terminated by the agent; not retried")
        return job

    def _fail(self, job: Job, error: str, *, settle: bool = True) -> list[Job]:
        self._release(job)
        job.attempts += 1
        job.last_error = error
        self._touch(job)
        if settle:
            self._settle(OperationKind.FAIL, job, error)
        if job.attempts >= self.max_attempts:
            job.state = JobState.DEAD
            self._record(job, f"dead after {job.attempts} attempts: {error}")
        else:
            job.state = JobState.PENDING
            if self.address is not None:
                # The chain decides when it may start again (its JobFailedEvent).
                job.not_before = self.clock() + CHAIN_RETRY_INTERVAL_SECS + \
                    CHAIN_CLOCK_MARGIN_SECS
            else:
                job.not_before = self.clock() + self.retry.delay(job.attempts - 1)
            self._enqueue(job)
            self._record(job, f"attempt {job.attempts} failed, retrying: {error}")
            self._wake()
        return [job]

    def close_session(
        self,
        session_id: str,
        failure: str | None,
        *,
        exit_code: int | None = None,
        duration_secs: float = 0.0,
    ) -> list[Job]:
        """The container ended: with `failure` None (exit 0) its running jobs
        complete, otherwise they fail with that reason."""
        session = self.sessions.pop(session_id, None)
        if session is None:
            return []
        changed: list[Job] = []
        for ref in sorted(session.held):
            job = self.jobs[ref]
            job.session_id = None
            if failure is None:
                job.state = JobState.COMPLETED
                self._touch(job)
                self._settle(OperationKind.COMPLETE, job)
                self._record(job, "completed (container exited 0)")
                changed.append(job)
            else:
                changed += self._fail(job, failure)
            if self.outcomes and self.outcomes[-1].ref == ref:
                self.outcomes[-1] = replace(
                    self.outcomes[-1], exit_code=exit_code, duration_secs=duration_secs
                )
        self._wake()  # the key may have more work, and a slot is free
        return changed

    def abandon_session(self, session_id: str, reason: str) -> list[Job]:
        """Shutdown: the session's running jobs go back to pending, no attempt spent
        (with an address, the chain spends one: see below)."""
        session = self.sessions.pop(session_id, None)
        if session is None:
            return []
        changed = []
        for ref in sorted(session.held):
            job = self.jobs[ref]
            job.session_id = None
            job.state = JobState.PENDING
            if self.address is not None:
                # Running under our address on chain: only a fail gives it back
                # (an attempt spent, the chain's retry interval).
                self._settle(OperationKind.FAIL, job, reason)
                job.not_before = self.clock() + CHAIN_RETRY_INTERVAL_SECS + \
                    CHAIN_CLOCK_MARGIN_SECS
            self._enqueue(job)
            self._touch(job)
            self._record(job, reason)
            changed.append(job)
        return changed

    def expire_leases(self) -> list[Job]:
        """Fail jobs handed out without a session and not settled in time."""
        now = self.clock()
        expired = [job for job in self.jobs.values()
                   if job.state is JobState.RUNNING and job.session_id is None
                   and job.lease_until <= now]
        changed: list[Job] = []
        for job in expired:
            changed += self._fail(job, f"not settled within {self.lease_secs:g} s of GetJob")
        return changed

    def forget_finished(self) -> None:
        """Keep memory bounded: drop all but the newest finished jobs."""
        finished = [ref for ref, job in self.jobs.items() if job.state.terminal]
        for ref in finished[:-KEEP_FINISHED] if len(finished) > KEEP_FINISHED else []:
            del self.jobs[ref]

    # --- status -------------------------------------------------------------

    def _record(self, job: Job, reason: str) -> None:
        self.outcomes.append(Outcome(job.ref, job.key, job.state, reason, self.clock()))
        JOB_OUTCOMES.labels(job.state.value).inc()
        log.info("job %s (%s): %s", job.ref, job.key, escape(reason))  # may be agent text

    def counts(self) -> Counter[str]:
        return Counter(job.state.value for job in self.jobs.values())

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        """The book's part of the status: jobs by state, recent outcomes."""
        message.jobs_by_state.update(self.counts())
        for outcome in reversed(self.outcomes):
            message.recent_outcomes.append(pb.JobOutcome(
                job_id=outcome.ref.job_id, state=outcome.state.value, reason=outcome.reason,
                exit_code=outcome.exit_code or 0, duration_secs=outcome.duration_secs,
                developer=outcome.key.developer, agent=outcome.key.agent,
                agent_method=outcome.key.agent_method, app_instance=outcome.ref.app_instance,
            ))
