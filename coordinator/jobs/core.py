"""The job book's state, shared by its two sides: the jobs, the queues, the
chain operations for the outbox, and their persistence.

    pending -> running -> completed
                       -> failed -> pending (attempts left, after a backoff)
                                 -> dead    (no attempts left; the error is kept)
    pending | running  -> dropped (completed or deleted on chain by another coordinator)

The working state is in memory, on the Trio thread only, and the book owns its
persistence: every change marks the job, and the marked jobs reach sqlite as
one unit of work, either inside a caller's transaction (`changes()`, the
dispatcher's batch) or on their own (`commit()`, a group commit: the socket
service, the runner, recovery). The same write prunes finished jobs, so the
jobs table holds the unfinished ones and at most `KEEP_FINISHED` finished.
The store is the truth across restarts: `load` rebuilds the book, and jobs that
a dead process left running are failed and retried.

With the coordinator's chain address (a Sui key), the chain is the system of
record: every claim (`start`) and every settlement the book decides becomes a
`ChainOperation`, written to the outbox in the same unit of work as the job
change it belongs to, and sent by the settler (coordinator.settlement). Without
an address the book settles locally.

The transitions both sides make (requeue, release, drop, fail) are here; what
only the chain does to a job is `coordinator.jobs.chain`, what only agents do
is `coordinator.jobs.sessions`.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Self

import trio

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
from coordinator.events.models import normalize_address
from coordinator.instruments import JOB_OUTCOMES
from coordinator.jobs.shares import Shares
from coordinator.logs import escape
from coordinator.promptly import promptly
from coordinator.store import Ledger, LedgerWrite, Store

__all__ = [
    "CHAIN_CLOCK_MARGIN_SECS",
    "CHAIN_RETRY_INTERVAL_SECS",
    "KEEP_FINISHED",
    "MAX_JOB_ID",
    "BookCore",
    "CommitFailed",
    "Outcome",
]

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


class BookCore:
    """The jobs, their queues and their unit of work (see the module doc)."""

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
        # The configured attempts, until the chain's own value of an app
        # instance is read (`attempts_allowed`).
        self.max_attempts = max_attempts
        self.chain_max_attempts: dict[str, int] = {}
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
        # With a key and `[shares]` on: which pending jobs are ours to take first.
        self.shares: Shares | None = None
        self._committing = trio.Lock()
        self._next_commit: _Commit | None = None  # the commit later callers join
        self._writing: _Commit | None = None  # the commit being written

    @classmethod
    async def load(cls, store: Store, *, max_attempts: int, lease_secs: float,
                   address: str | None = None) -> Self:
        book = cls(store, max_attempts=max_attempts, lease_secs=lease_secs, address=address)
        jobs = await store.run(lambda ledger: ledger.jobs())
        recovered: list[Job] = []
        for job in jobs:
            ref = job.ref
            book.jobs[ref] = job
            if job.state is JobState.RUNNING:
                # Its container was reaped (or is gone): the process died under it.
                # Whether our claim of it ever landed is the chain's to say (the
                # reconciler's), so nothing is sent for it here.
                recovered += book._fail(job, "coordinator restarted", settle=False)
            elif job.state is JobState.PENDING:
                book._enqueue(job, ref)  # the same ref as the key above: one each
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

    def _chain_retry_at(self) -> float:
        """When a job we failed on chain may be claimed again: the chain's retry
        interval from now, and a little more for the clocks' difference."""
        return self.clock() + CHAIN_RETRY_INTERVAL_SECS + CHAIN_CLOCK_MARGIN_SECS

    def _wake(self) -> None:
        self.changed.set()
        self.changed = trio.Event()

    def _enqueue(self, job: Job, ref: JobRef | None = None) -> None:
        self._pending.setdefault(job.key, {})[ref or job.ref] = None

    def _dequeue(self, job: Job) -> None:
        queue = self._pending.get(job.key)
        if queue is not None:
            queue.pop(job.ref, None)
            if not queue:
                del self._pending[job.key]

    def next_pending(self, key: AgentKey, skip: Collection[JobRef] = ()) -> Job | None:
        """The ready pending job of `key` to hand out first (`Job.handout_order`:
        settle jobs first, then by block), except those in `skip`; with shares,
        the first of them that is ours or late (`coordinator.jobs.shares`)."""
        now = self.clock()
        pending = (self.jobs[ref] for ref in self._pending.get(key, ()) if ref not in skip)
        ready = [job for job in pending if job.not_before <= now]
        if self.shares is None:
            return min(ready, key=lambda job: job.handout_order, default=None)
        return self.shares.choose(ready)

    def ready_keys(self) -> list[AgentKey]:
        """Keys with a job ready now, the one with the oldest such job first."""
        ready = []
        for key in self._pending:
            job = self.next_pending(key)
            if job is not None:
                ready.append((job.created_at, key))
        return [key for _, key in sorted(ready)]

    def next_retry_at(self) -> float | None:
        """When the earliest waiting job becomes ready (wall clock): a retry, or
        with shares another coordinator's job that is late by then."""
        now = self.clock()
        jobs = (self.jobs[ref] for queue in self._pending.values() for ref in queue)
        times = ((job.not_before for job in jobs) if self.shares is None
                 else self.shares.ready_times(jobs))
        return min((at for at in times if at > now), default=None)

    def pending_count(self, key: AgentKey) -> int:
        return len(self._pending.get(key, ()))

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

    def _fail(self, job: Job, error: str, *, settle: bool = True) -> list[Job]:
        self._release(job)
        job.attempts += 1
        job.last_error = error
        self._touch(job)
        if settle:
            self._settle(OperationKind.FAIL, job, error)
        if job.attempts >= self.attempts_allowed(job.app_instance):
            job.state = JobState.DEAD
            self._record(job, f"dead after {job.attempts} attempts: {error}")
        else:
            job.state = JobState.PENDING
            if self.address is not None:
                # The chain decides when it may start again (its JobFailedEvent).
                job.not_before = self._chain_retry_at()
            else:
                job.not_before = self.clock() + self.retry.delay(job.attempts - 1)
            self._enqueue(job)
            self._record(job, f"attempt {job.attempts} failed, retrying: {error}")
            self._wake()
        return [job]

    def attempts_allowed(self, app_instance: str) -> int:
        """How often a job of `app_instance` may be attempted: the chain's
        `Jobs.max_attempts` of it (the chain retries a failed job by that, so
        the book must agree), once recovery or the reconciler has read it;
        until then the configured `jobs.max_attempts`."""
        return self.chain_max_attempts.get(app_instance, self.max_attempts)

    def forget_finished(self) -> None:
        """Keep memory bounded: drop all but the newest finished jobs."""
        finished = [ref for ref, job in self.jobs.items() if job.state.terminal]
        for ref in finished[:-KEEP_FINISHED] if len(finished) > KEEP_FINISHED else []:
            del self.jobs[ref]

    def _record(self, job: Job, reason: str) -> None:
        self.outcomes.append(Outcome(job.ref, job.key, job.state, reason, self.clock()))
        JOB_OUTCOMES.labels(job.state.value).inc()
        log.info("job %s (%s): %s", job.ref, job.key, escape(reason))  # may be agent text

    def counts(self) -> Counter[str]:
        return Counter(job.state.value for job in self.jobs.values())

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        """The book's part of the status: jobs by state, recent outcomes, shares."""
        message.jobs_by_state.update(self.counts())
        if self.shares is not None:
            self.shares.report(message)
        for outcome in reversed(self.outcomes):
            message.recent_outcomes.append(pb.JobOutcome(
                job_id=outcome.ref.job_id, state=outcome.state.value, reason=outcome.reason,
                exit_code=outcome.exit_code or 0, duration_secs=outcome.duration_secs,
                developer=outcome.key.developer, agent=outcome.key.agent,
                agent_method=outcome.key.agent_method, app_instance=outcome.ref.app_instance,
            ))
