"""The job book: the daemon's jobs with their two sides, each its own owner.

    chain side   (`coordinator.jobs.chain`)    chain events, recovery, reconciliation
    agent side   (`coordinator.jobs.sessions`) sessions, GetJob and the settling calls
    shared state (`coordinator.jobs.core`)     jobs, queues, outbox operations, commits
"""

from __future__ import annotations

from pydantic import Field

from coordinator.jobs.chain import ChainIntake
from coordinator.jobs.sessions import AgentSessions
from coordinator.section import Section

__all__ = ["JobBook", "JobsSettings"]


class JobsSettings(Section):
    """The `[jobs]` section."""

    max_attempts: int = Field(default=3, ge=1, le=255)


class JobBook(ChainIntake, AgentSessions):
    """The jobs this coordinator may run, as the chain and its agents change them.
    One instance per daemon, on the Trio thread only."""
