"""The job book: the daemon's jobs with their two sides, each its own owner.

    chain side   (`coordinator.jobs.chain`)    chain events, recovery, reconciliation
    agent side   (`coordinator.jobs.sessions`) sessions, GetJob and the settling calls
    shared state (`coordinator.jobs.core`)     jobs, queues, outbox operations, commits
"""

from __future__ import annotations

import logging

from pydantic import Field

from coordinator.jobs.chain import ChainIntake, Placed
from coordinator.jobs.sessions import AgentSessions
from coordinator.jobs.shares import Shares, SharesSettings
from coordinator.section import Section
from coordinator.sui.settings import ObjectId

__all__ = ["SETTLE_METHOD", "JobBook", "JobsSettings"]

log = logging.getLogger("coordinator.jobs")

# The app instance method of upstream's settlement jobs (its job_searcher's name).
SETTLE_METHOD = "settle"


class JobsSettings(Section):
    """`[jobs]`: which jobs this coordinator takes, and how often it tries one."""

    max_attempts: int = Field(default=3, ge=1, le=255)
    """Tries per job before it is dead, until the chain's own value of its app instance
    (`Jobs.max_attempts`) is read at recovery or by the reconciler."""
    # Upstream's APP_INSTANCE_FILTER / --instance: only this app instance's
    # jobs are taken (claimed, run, settled); None: every app instance's.
    app_instance: ObjectId | None = None
    """Take only this app instance's jobs: others never enter the job book, so they are neither
    claimed, run nor settled here (left to other coordinators); jobs of others still pending
    in the state from an earlier run stay there, unqueued."""
    # Upstream's SETTLE_ONLY / --settle: a settlement node, which takes only
    # the jobs of the app instances' `settle` method.
    settle_only: bool = False
    """A settlement node (upstream's): take only jobs whose app instance method is `settle`."""

    @property
    def restricted(self) -> bool:
        """Whether some jobs are left to other coordinators."""
        return self.app_instance is not None or self.settle_only

    def takes(self, job: Placed) -> bool:
        """Whether this coordinator takes `job` (the book's intake filter)."""
        if self.app_instance is not None and job.app_instance != self.app_instance:
            return False
        return not self.settle_only or job.app_instance_method == SETTLE_METHOD


class JobBook(ChainIntake, AgentSessions):
    """The jobs this coordinator may run, as the chain and its agents change them.
    One instance per daemon, on the Trio thread only."""

    def share_with_peers(self, settings: SharesSettings) -> None:
        """Split each app instance's jobs with the coordinators seen claiming there
        (`coordinator.jobs.shares`); only with a key: without one nothing is claimed."""
        if settings.enabled and self.address is not None:
            self.shares = Shares(self.address, settings, self.clock)

    def take_only(self, jobs: JobsSettings) -> None:
        """The `[jobs]` restriction (upstream's APP_INSTANCE_FILTER, SETTLE_ONLY),
        when there is one: see `restrict`."""
        if not jobs.restricted:
            return
        self.restrict(jobs.takes)
        log.info("taking only the jobs of %s%s", jobs.app_instance or "every app instance",
                 ", settle method only" if jobs.settle_only else "")
