"""The job book: the job state machine, the queues (one per developer, agent and
method), the sessions, and their persistence (see `coordinator.jobs.core`)."""

from coordinator.domain import Session
from coordinator.jobs.book import JobBook, JobsSettings
from coordinator.jobs.core import KEEP_FINISHED, CommitFailed, Outcome
from coordinator.jobs.sessions import (
    JobError,
    JobNotFound,
    JobNotRunning,
    NotSessionsJob,
    SessionDenied,
)
from coordinator.jobs.shares import Shares, SharesSettings

__all__ = [
    "KEEP_FINISHED",
    "CommitFailed",
    "JobBook",
    "JobError",
    "JobNotFound",
    "JobNotRunning",
    "JobsSettings",
    "NotSessionsJob",
    "Outcome",
    "Session",
    "SessionDenied",
    "Shares",
    "SharesSettings",
]
