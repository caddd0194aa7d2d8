"""The job book's chain side: what the chain's events, the recovery at start and
the reconciler say about jobs.

The chain is the truth about a job: started by another coordinator it is not
ours to run; failed, it is pending again after the chain's retry interval while
attempts remain; rescheduled or restarted, it is pending again; completed,
deleted or terminated, it is gone. A failed job waits for the chain's retry
interval; the chain's events say when it is pending again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from coordinator.domain import ChainOperation, Job, JobRef, JobState, OperationKind
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
    book_job,
)
from coordinator.events.models import normalize_address
from coordinator.events.parser import CoordinationEvent
from coordinator.jobs.core import (
    CHAIN_CLOCK_MARGIN_SECS,
    CHAIN_RETRY_INTERVAL_SECS,
    MAX_JOB_ID,
    BookCore,
)

__all__ = ["ChainIntake", "Placed"]

log = logging.getLogger("coordinator.jobs")


class Placed(Protocol):
    """What the intake filter reads of a job or of the event that creates one."""

    @property
    def app_instance(self) -> str: ...

    @property
    def app_instance_method(self) -> str: ...


class ChainIntake(BookCore):
    """Chain events (the dispatcher), jobs recovered from chain, and the
    reconciler's corrections."""

    # Which jobs the book takes (`restrict`); None: all of them.
    _takes: Callable[[Placed], bool] | None = None

    def restrict(self, takes: Callable[[Placed], bool]) -> None:
        """Take only the jobs `takes` accepts (upstream's APP_INSTANCE_FILTER
        and SETTLE_ONLY): others never enter the book, so they are neither
        claimed, run nor settled here, and the chain's word about them changes
        nothing; those already pending in it (from a run without the filter)
        leave its queues and stay for that run."""
        self._takes = takes
        for job in list(self.jobs.values()):
            if job.state is JobState.PENDING and not takes(job):
                self._dequeue(job)

    def _left_out(self, placed: Placed) -> bool:
        return self._takes is not None and not self._takes(placed)

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
            return [] if self._left_out(payload) else self._created(payload)
        if isinstance(payload, JobsRestarted):
            changed: list[Job] = []
            for sequence in payload.failed_jobs:
                job = self._find(sequence, tx)
                if job is not None and job.state is not JobState.PENDING \
                        and not self._left_out(job):
                    changed += self._chain_pending(job, 0.0, "restarted on chain", attempts=0)
            return changed
        if isinstance(payload, JobStarted) and self.shares is not None:
            self.shares.saw_claim(payload.app_instance, payload.coordinator)
        if payload is None or not hasattr(payload, "job_sequence"):
            return []
        job = self._find(payload.job_sequence, tx, app_instance)
        if job is None or self._left_out(job):
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
        if event.attempts < self.attempts_allowed(job.app_instance):
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
        job = book_job(event, updated_at=event.created_at)
        self.jobs[ref] = job
        self._enqueue(job)
        self._touch(job)
        self._wake()
        return [job]

    def add_recovered(self, job: Job) -> bool:
        """A job found pending on chain (see `coordinator.recovery`); False
        when the book already has it."""
        if job.ref in self.jobs or job.job_id > MAX_JOB_ID or self._left_out(job):
            return False
        job.state = JobState.PENDING
        self.jobs[job.ref] = job
        self._enqueue(job)
        self._touch(job)
        self._wake()
        return True

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
        if job is None or job.state is not JobState.DROPPED or self._left_out(job):
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
