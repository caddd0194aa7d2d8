"""Recovery from chain: pending jobs of known app instances, read back at start.

Events are the coordinator's normal source, but a job can be pending on chain
without a JobCreatedEvent this coordinator will ever see: created before the
cursor (a fresh state dir starts at the tip), or made pending again while the
coordinator was down longer than the node keeps history. As the original
coordinator did, each known app instance's pending jobs are read from its
objects (`coordinator.sui.app_jobs`), and every such job the book does not
have is added as pending. `coordinator.reconciler` does the same, and more,
every few minutes.

Runs as a transient child: it retries (with backoff) until the chain answers
once, then its work is done.
"""

from __future__ import annotations

import logging

import trio

from coordinator.backoff import Backoff
from coordinator.domain import Job
from coordinator.jobs import JobBook
from coordinator.sui.app_jobs import pending_job, read_app_jobs
from coordinator.sui.client import SuiError
from coordinator.sui.objects import Connect

log = logging.getLogger("coordinator.recovery")

async def recover_pending_jobs(connect: Connect, book: JobBook) -> None:
    """Add the chain's pending jobs of every app instance the book knows."""
    backoff = Backoff(initial=1.0, maximum=60.0)
    while True:
        app_instances = sorted({job.app_instance for job in book.jobs.values()})
        try:
            found = await read_pending_jobs(connect, app_instances,
                                            max_attempts=book.chain_max_attempts)
            break
        except SuiError as exc:
            delay = backoff.next_delay()
            log.warning("reading pending jobs from chain failed (%s); retrying in %.0f s",
                        exc, delay)
            await trio.sleep(delay)
    added = [job for job in found if book.add_recovered(job)]
    await book.commit()
    log.info("read %d pending job(s) of %d app instance(s) from chain; %d were new",
             len(found), len(app_instances), len(added))


async def read_pending_jobs(connect: Connect, app_instances: list[str], *,
                            max_attempts: dict[str, int] | None = None) -> list[Job]:
    """The jobs pending on chain of these app instances (oldest first in each);
    `max_attempts`, when given, gets each instance's `Jobs.max_attempts`."""
    jobs: list[Job] = []
    if not app_instances:
        return jobs
    async with connect() as client:
        for app_instance in app_instances:
            found = await read_app_jobs(client, app_instance)
            if found is not None:
                if max_attempts is not None:
                    max_attempts[app_instance] = found.max_attempts
                jobs += [pending_job(entry.job) for entry in found.by_status("pending")
                         if entry.job.job_sequence in found.pending]
    return jobs
