"""Job events as the rest of the daemon sees them, whatever the package layout.

The parser decodes a payload under its layout (``layouts.py``) and hands on
one of these: a job is named by its `job_sequence` (the `2025-08` `job_id`),
and what an older layout does not carry is None (the app instance of a
`2025-08` JobUpdated/JobDeleted, the coordinator that caused an event). So the
job book has one set of rules for both layouts.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from coordinator.domain import Job
from coordinator.events.models import JobStatus


class JobEvent(BaseModel):
    """Base of the layout-neutral job events: frozen, fields copied by name."""

    # extra="ignore": a layout's fields the job book does not use (the
    # developer of a 2025-11 JobUpdatedEvent, num_failed_jobs) are dropped.
    model_config = ConfigDict(
        frozen=True, extra="ignore", ser_json_bytes="hex", val_json_bytes="hex"
    )


class _JobContent(JobEvent):
    """What a job is, as created and as kept on chain: both layouts carry these."""

    job_sequence: int
    description: str | None
    developer: str
    agent: str
    agent_method: str
    app: str
    app_instance: str
    app_instance_method: str
    sequences: tuple[int, ...] | None
    data: bytes
    created_at: int
    # Only the 2025-11 layout carries these (None in a 2025-08 job).
    block_number: int | None = None
    sequences1: tuple[int, ...] | None = None
    sequences2: tuple[int, ...] | None = None


class JobCreated(_JobContent):
    """A job as its JobCreatedEvent tells it: pending, never attempted."""


class JobUpdated(JobEvent):
    job_sequence: int
    app_instance: str | None = None
    status: JobStatus
    attempts: int
    updated_at: int


class JobStarted(JobEvent):
    job_sequence: int
    app_instance: str
    coordinator: str
    started_at: int


class JobRestarted(JobEvent):
    job_sequence: int
    app_instance: str
    started_at: int


class JobsRestarted(JobEvent):
    failed_jobs: tuple[int, ...]
    restarted_at: int


class JobCompleted(JobEvent):
    job_sequence: int
    app_instance: str
    coordinator: str | None = None
    completed_at: int


class JobFailed(JobEvent):
    job_sequence: int
    app_instance: str
    coordinator: str | None = None
    error: str
    attempts: int
    failed_at: int


class JobDeleted(JobEvent):
    job_sequence: int
    app_instance: str | None = None
    deleted_at: int


class JobTerminated(JobEvent):
    job_sequence: int
    app_instance: str
    coordinator: str
    terminated_at: int


class JobRescheduled(JobEvent):
    job_sequence: int
    app_instance: str
    next_scheduled_at: int
    rescheduled_at: int


class ChainJob(_JobContent):
    """A `jobs::Job` object as read from chain (recovery), either layout."""

    status: JobStatus
    attempts: int
    interval_ms: int | None = None
    next_scheduled_at: int | None = None
    updated_at: int


def book_job(content: JobCreated | ChainJob, **state: Any) -> Job:
    """The book's job for a job the chain tells of (created, or read back),
    every field upstream's `Job` message carries taken from it; `state` sets
    the book's own fields (attempts, not_before ...)."""
    return Job(
        app_instance=content.app_instance, job_id=content.job_sequence,
        developer=content.developer, agent=content.agent, agent_method=content.agent_method,
        app=content.app, app_instance_method=content.app_instance_method,
        description=content.description, block_number=content.block_number,
        sequences=tuple(content.sequences or ()), sequences1=tuple(content.sequences1 or ()),
        sequences2=tuple(content.sequences2 or ()), data=content.data,
        created_at=content.created_at, **state,
    )


# Move struct name -> neutral model (the same for every layout).
BY_MOVE_NAME: dict[str, type[JobEvent]] = {
    "JobCreatedEvent": JobCreated,
    "JobUpdatedEvent": JobUpdated,
    "JobStartedEvent": JobStarted,
    "JobRestartedEvent": JobRestarted,
    "JobsRestartedEvent": JobsRestarted,
    "JobCompletedEvent": JobCompleted,
    "JobFailedEvent": JobFailed,
    "JobDeletedEvent": JobDeleted,
    "JobTerminatedEvent": JobTerminated,
    "JobRescheduledEvent": JobRescheduled,
    "Job": ChainJob,
}
