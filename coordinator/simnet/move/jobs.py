"""The `2025-11` job rules of the coordination package, as the simulator runs them.

One function per Move function of `jobs.move` (SilvanaOne/silvana d1563ea)
that a coordinator's transaction reaches through `app_instance.move`: each
changes the app instance's `Jobs` in place and returns whether it applied and
the events the Move code emits, in its order. A refused operation (unknown
job, wrong status, not due yet) changes nothing and emits an
`OperationFailedEvent` instead of aborting, as on chain.

The caller (the simulator's admin actions, and `execution` for signed
transactions, through `HANDLERS`) wraps the result in one transaction, removes
the objects of jobs that left `app.jobs`, and bumps object versions.
"""

from __future__ import annotations

from collections.abc import Sequence

from coordinator.events import JobStatus
from coordinator.events.models import JOB_STATUS, BcsEvent
from coordinator.events.models_2025_11 import (
    JobCompletedEvent,
    JobCreatedEvent,
    JobDeletedEvent,
    JobFailedEvent,
    JobRescheduledEvent,
    JobRestartedEvent,
    JobsRestartedEvent,
    JobStartedEvent,
    JobTerminatedEvent,
    JobUpdatedEvent,
    MulticallExecutedEvent,
    OperationFailedEvent,
)
from coordinator.simnet.handlers import Call, Handler, Handlers, NewId, Result
from coordinator.simnet.objects import AppInstance, Job
from coordinator.sui.calls.jobs import CompleteJob, FailJob, Multicall, StartJob, TerminateJob

DEFAULT_MAX_ATTEMPTS = 3
RETRY_INTERVAL_MS = 60_000  # a failed job may start again this long after
MIN_INTERVAL_MS = 60_000  # the shortest period of a periodic job

PENDING = JobStatus(kind="pending")
RUNNING = JobStatus(kind="running")


def _refused(call: Call, operation: str, sequence: int, reason: str,
             status: JobStatus | None = None) -> Result:
    return False, [OperationFailedEvent(
        operation=operation, entity_type="job", entity_id=sequence, reason=reason,
        caller=call.sender, timestamp=call.now,
        additional_data=None if status is None else JOB_STATUS.to_bytes(status),
    )]


def _updated(job: Job, now: int) -> JobUpdatedEvent:
    return JobUpdatedEvent(
        job_sequence=job.job_id, developer=job.developer, agent=job.agent,
        agent_method=job.agent_method, app_instance=job.app_instance, status=job.status,
        attempts=job.attempts, updated_at=now,
    )


def _add_pending(app: AppInstance, sequence: int) -> None:
    if sequence not in app.pending_jobs:
        app.pending_jobs.append(sequence)


def _remove_pending(app: AppInstance, sequence: int) -> None:
    if sequence in app.pending_jobs:
        app.pending_jobs.remove(sequence)


def create_job(app: AppInstance, job: Job, call: Call) -> Result:
    """`create_job`: `job` (its id and fields set by the caller) gets the next
    sequence and is pending; a period under a minute is refused."""
    if job.interval_ms is not None and job.interval_ms < MIN_INTERVAL_MS:
        return _refused(call, "create", 0, "Interval must be >= 60000 ms")
    job.job_id = app.next_job_id
    job.status, job.attempts = PENDING, 0
    job.created_at = job.updated_at = call.now
    app.jobs[job.job_id] = job
    _add_pending(app, job.job_id)
    app.next_job_id += 1
    return True, [JobCreatedEvent(
        job_sequence=job.job_id, description=job.description, developer=job.developer,
        agent=job.agent, agent_method=job.agent_method, app=job.app,
        app_instance=job.app_instance, app_instance_method=job.app_instance_method,
        block_number=job.block_number, sequences=job.sequences, sequences1=job.sequences1,
        sequences2=job.sequences2, data=job.data, status=PENDING, created_at=call.now,
    )]


def start_job(app: AppInstance, sequence: int, call: Call) -> Result:
    """Pending (and due, when periodic) -> running, attempts + 1."""
    job = app.jobs.get(sequence)
    if job is None:
        return _refused(call, "start", sequence, "job_not_found")
    if job.status != PENDING:
        return _refused(call, "start", sequence, "wrong_status", job.status)
    if job.periodic and job.next_scheduled_at is not None and call.now < job.next_scheduled_at:
        return _refused(call, "start", sequence, "not_due_yet", job.status)
    job.status, job.attempts, job.updated_at = RUNNING, job.attempts + 1, call.now
    events: list[BcsEvent] = [
        _updated(job, call.now),
        JobStartedEvent(job_sequence=sequence, app_instance=job.app_instance,
                        coordinator=call.sender, started_at=call.now),
    ]
    _remove_pending(app, sequence)
    return True, events


def complete_job(app: AppInstance, sequence: int, call: Call) -> Result:
    """Running -> gone, or, periodic, pending again one interval later."""
    job = app.jobs.get(sequence)
    if job is None:
        return _refused(call, "complete", sequence, "job_not_found")
    if job.status != RUNNING:
        return _refused(call, "complete", sequence, "wrong_status, should be running",
                        job.status)
    events: list[BcsEvent] = [JobCompletedEvent(
        job_sequence=sequence, app_instance=job.app_instance, coordinator=call.sender,
        completed_at=call.now,
    )]
    if job.periodic:
        events += _reschedule(app, job, call.now)
    else:
        events.append(_delete(app, job, call.now))
    return True, events


def fail_job(app: AppInstance, sequence: int, error: str, call: Call) -> Result:
    """Running -> pending after the retry interval while attempts remain; else
    a periodic job waits for its next period, any other stays Failed."""
    job = app.jobs.get(sequence)
    if job is None:
        return _refused(call, "fail", sequence, "job_not_found")
    if job.status != RUNNING:
        return _refused(call, "fail", sequence, "wrong_status, should be running", job.status)
    events: list[BcsEvent] = [JobFailedEvent(
        job_sequence=sequence, app_instance=job.app_instance, coordinator=call.sender,
        error=error, attempts=job.attempts, failed_at=call.now,
    )]
    if job.attempts < app.max_attempts:
        job.status, job.updated_at = PENDING, call.now
        job.next_scheduled_at = call.now + RETRY_INTERVAL_MS
        events.append(_updated(job, call.now))
        _add_pending(app, sequence)
    elif job.periodic:
        events += _reschedule(app, job, call.now)
    else:
        job.status, job.updated_at = JobStatus(kind="failed", error=error), call.now
        app.failed_jobs.append(sequence)
    return True, events


def terminate_job(app: AppInstance, sequence: int, call: Call) -> Result:
    """Any status -> gone."""
    job = app.jobs.get(sequence)
    if job is None:
        return _refused(call, "terminate", sequence, "job_not_found")
    terminated = JobTerminatedEvent(job_sequence=sequence, app_instance=job.app_instance,
                                    coordinator=call.sender, terminated_at=call.now)
    deleted = _delete(app, job, call.now)
    return True, [terminated, deleted]


def restart_failed_jobs(app: AppInstance, sequences: Sequence[int] | None, call: Call) -> Result:
    """Failed jobs (all, or those named) pending again with no attempts spent."""
    chosen = list(app.failed_jobs if sequences is None else sequences)
    events: list[BcsEvent] = []
    for sequence in chosen:
        if sequence not in app.failed_jobs:
            continue
        app.failed_jobs.remove(sequence)
        job = app.jobs[sequence]
        job.status, job.attempts, job.next_scheduled_at = PENDING, 0, None
        job.updated_at = call.now
        events += [_updated(job, call.now), JobRestartedEvent(
            job_sequence=sequence, app_instance=job.app_instance, started_at=call.now)]
        _add_pending(app, sequence)
    events.append(JobsRestartedEvent(failed_jobs=tuple(chosen), num_failed_jobs=len(chosen),
                                     restarted_at=call.now))
    return True, events


def multicall(
    app: AppInstance,
    call: Call,
    *,
    complete: Sequence[int] = (),
    fail: Sequence[tuple[int, str]] = (),
    terminate: Sequence[int] = (),
    start: Sequence[tuple[int, int]] = (),
    available_memory: int = 0,
) -> Result:
    """`multicall_job_operations`: completes, then fails, then terminates, then
    starts (each start while the memory it needs is left), one result each,
    and a MulticallExecutedEvent with them all."""
    events: list[BcsEvent] = []

    def run(result: Result) -> bool:
        events.extend(result[1])
        return result[0]

    complete_results = [run(complete_job(app, s, call)) for s in complete]
    fail_results = [run(fail_job(app, s, error, call)) for s, error in fail]
    terminate_results = [run(terminate_job(app, s, call)) for s in terminate]
    start_results = []
    remaining = available_memory
    for sequence, memory in start:
        started = remaining >= memory and run(start_job(app, sequence, call))
        if started:
            remaining -= memory
        start_results.append(started)
    events.append(MulticallExecutedEvent(
        coordinator=call.sender,
        complete_jobs=tuple(complete), complete_results=tuple(complete_results),
        fail_jobs=tuple(s for s, _ in fail), fail_results=tuple(fail_results),
        terminate_jobs=tuple(terminate), terminate_results=tuple(terminate_results),
        start_jobs=tuple(s for s, _ in start), start_results=tuple(start_results),
        timestamp=call.now,
    ))
    return True, events


def _reschedule(app: AppInstance, job: Job, now: int) -> list[BcsEvent]:
    assert job.interval_ms is not None
    next_run = now + job.interval_ms
    job.status, job.attempts, job.updated_at = PENDING, 0, now
    job.next_scheduled_at = next_run
    _add_pending(app, job.job_id)
    return [_updated(job, now), JobRescheduledEvent(
        job_sequence=job.job_id, app_instance=job.app_instance, next_scheduled_at=next_run,
        rescheduled_at=now)]


def _delete(app: AppInstance, job: Job, now: int) -> JobDeletedEvent:
    del app.jobs[job.job_id]
    _remove_pending(app, job.job_id)
    if job.job_id in app.failed_jobs:
        app.failed_jobs.remove(job.job_id)
    return JobDeletedEvent(job_sequence=job.job_id, app_instance=job.app_instance,
                           deleted_at=now)


# --- the entry functions a signed transaction reaches ---------------------------------


def _start(app: AppInstance, operation: StartJob, call: Call, new_id: NewId) -> Result:
    return start_job(app, operation.job_sequence, call)


def _complete(app: AppInstance, operation: CompleteJob, call: Call, new_id: NewId) -> Result:
    return complete_job(app, operation.job_sequence, call)


def _fail(app: AppInstance, operation: FailJob, call: Call, new_id: NewId) -> Result:
    return fail_job(app, operation.job_sequence, operation.error, call)


def _terminate(app: AppInstance, operation: TerminateJob, call: Call, new_id: NewId) -> Result:
    return terminate_job(app, operation.job_sequence, call)


def _multicall(app: AppInstance, operation: Multicall, call: Call, new_id: NewId) -> Result:
    return multicall(
        app, call, complete=operation.complete, fail=operation.fail,
        terminate=operation.terminate, start=operation.start,
        available_memory=operation.available_memory,
    )  # fmt: skip


def _one_job(operation: StartJob | CompleteJob | FailJob | TerminateJob) -> list[int]:
    return [operation.job_sequence]


def _multicall_jobs(operation: Multicall) -> list[int]:
    return [
        *operation.complete, *(s for s, _ in operation.fail),
        *operation.terminate, *(s for s, _ in operation.start),
    ]  # fmt: skip


HANDLERS: Handlers = {
    StartJob: Handler(_start, _one_job),
    CompleteJob: Handler(_complete, _one_job),
    FailJob: Handler(_fail, _one_job),
    TerminateJob: Handler(_terminate, _one_job),
    Multicall: Handler(_multicall, _multicall_jobs),
}
