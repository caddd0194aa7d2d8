"""The `2025-08` job rules of the coordination package (SilvanaOne/silvana
c903016), as the simulator's own actions run them.

That layout has no signed-transaction path here (the simulator executes
transactions on a 2025-11 chain only), so these functions serve the admin
actions of `app_instance.AppInstances` (its `RULES_2025_08`): each changes
the app instance's jobs in place and returns the events, in the Move code's
order; a job in the wrong state is a `SimnetError`, not an event.
"""

from __future__ import annotations

from coordinator.events import BcsEvent, JobStatus
from coordinator.events.models import (
    JobCompletedEvent,
    JobCreatedEvent,
    JobDeletedEvent,
    JobFailedEvent,
    JobUpdatedEvent,
)
from coordinator.simnet.errors import SimnetError
from coordinator.simnet.handlers import Call
from coordinator.simnet.objects import AppInstance, Job

PENDING = JobStatus(kind="pending")
RUNNING = JobStatus(kind="running")


def create_job(app: AppInstance, job: Job, now: int) -> list[BcsEvent]:
    """`job` (its id and fields set by the caller) enters the table, pending."""
    event = JobCreatedEvent(
        job_id=job.job_id, description=job.description, developer=job.developer,
        agent=job.agent, agent_method=job.agent_method, app=job.app,
        app_instance=job.app_instance, app_instance_method=job.app_instance_method,
        sequences=job.sequences, data=job.data, status=PENDING, created_at=now,
    )  # fmt: skip
    app.next_job_id += 1
    app.jobs[job.job_id] = job
    app.pending_jobs.append(job.job_id)
    return [event]


def start_job(app: AppInstance, job_id: int, call: Call) -> list[BcsEvent]:
    """Pending -> running, attempts + 1."""
    job, now = app.jobs[job_id], call.now
    if job.status.kind != "pending":
        raise SimnetError(f"job {job.job_id} is {job.status.kind}, not pending")
    job.status = RUNNING
    job.attempts += 1
    job.updated_at = now
    app.pending_jobs.remove(job.job_id)
    return [JobUpdatedEvent(
        job_id=job.job_id, status=RUNNING, attempts=job.attempts, updated_at=now
    )]  # fmt: skip


def _started(app: AppInstance, job: Job, call: Call) -> list[BcsEvent]:
    """Start a pending job first (one transaction doing both, like a multicall)."""
    return start_job(app, job.job_id, call) if job.status.kind == "pending" else []


def _delete(app: AppInstance, job: Job, now: int) -> JobDeletedEvent:
    del app.jobs[job.job_id]
    if job.job_id in app.pending_jobs:
        app.pending_jobs.remove(job.job_id)
    return JobDeletedEvent(job_id=job.job_id, deleted_at=now)


def fail_job(app: AppInstance, job_id: int, error: str, call: Call) -> list[BcsEvent]:
    """JobFailedEvent, then JobUpdatedEvent(Pending) or, at max attempts, JobDeletedEvent."""
    job, now = app.jobs[job_id], call.now
    events = _started(app, job, call)
    events.append(JobFailedEvent(
        job_id=job.job_id, app_instance=job.app_instance, error=error,
        attempts=job.attempts, failed_at=now,
    ))  # fmt: skip
    if job.attempts < app.max_attempts:
        job.status = PENDING
        job.updated_at = now
        app.pending_jobs.append(job.job_id)
        events.append(JobUpdatedEvent(
            job_id=job.job_id, status=PENDING, attempts=job.attempts, updated_at=now
        ))  # fmt: skip
    else:
        events.append(_delete(app, job, now))
    return events


def complete_job(app: AppInstance, job_id: int, call: Call) -> list[BcsEvent]:
    """JobCompletedEvent then JobDeletedEvent."""
    job, now = app.jobs[job_id], call.now
    events = _started(app, job, call)
    events.append(
        JobCompletedEvent(job_id=job.job_id, app_instance=job.app_instance, completed_at=now)
    )
    events.append(_delete(app, job, now))
    return events


def terminate_job(app: AppInstance, job_id: int, call: Call) -> list[BcsEvent]:
    """JobDeletedEvent (2025-08 has no JobTerminatedEvent)."""
    return [_delete(app, app.jobs[job_id], call.now)]
