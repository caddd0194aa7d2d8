"""Recovery from chain: pending jobs of known app instances, read back at start.

Events are the coordinator's normal source, but a job can be pending on chain
without a JobCreatedEvent this coordinator will ever see: created before the
cursor (a fresh state dir starts at the tip), or made pending again while the
coordinator was down longer than the node keeps history. As the original
coordinator did, each known app instance's `jobs.pending_jobs` is read from
its object, and every such job the book does not have is added as pending.

Runs as a transient child: it retries (with backoff) until the chain answers
once, then its work is done.
"""

from __future__ import annotations

import logging
from typing import Any

import trio
from pydantic import ValidationError

from coordinator.backoff import Backoff
from coordinator.domain import Job
from coordinator.events import bcs
from coordinator.events.bcs import BcsError
from coordinator.events.layouts import JOB_OBJECTS, Layout, neutral_job
from coordinator.jobs import JobBook
from coordinator.sui.client import SuiError, SuiNotFound
from coordinator.sui.objects import Connect, object_json, table_child

log = logging.getLogger("coordinator.recovery")

async def recover_pending_jobs(connect: Connect, book: JobBook) -> None:
    """Add the chain's pending jobs of every app instance the book knows."""
    backoff = Backoff(initial=1.0, maximum=60.0)
    while True:
        app_instances = sorted({job.app_instance for job in book.jobs.values()})
        try:
            found = await read_pending_jobs(connect, app_instances)
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


async def read_pending_jobs(connect: Connect, app_instances: list[str]) -> list[Job]:
    jobs: list[Job] = []
    if not app_instances:
        return jobs
    async with connect() as client:
        for app_instance in app_instances:
            object_id = app_instance if app_instance.startswith("0x") else "0x" + app_instance
            try:
                instance = await object_json(client, object_id)
            except SuiNotFound:
                log.warning("app instance %s is not on chain (deleted?)", object_id)
                continue
            table = instance["jobs"]["jobs"]["id"]
            for job_id in instance["jobs"]["pending_jobs"]["contents"]:
                child = await table_child(client, table, bcs.U64.to_bytes(int(job_id)))
                if child is None:
                    continue
                try:
                    job = job_from_json(await object_json(client, child))
                except (BcsError, ValidationError) as exc:
                    log.warning("job %s of app instance %s is not a job of a known layout: %s",
                                job_id, object_id, str(exc).splitlines()[0])
                    continue
                if job is not None:
                    jobs.append(job)
    return jobs


def job_from_json(value: dict[str, Any]) -> Job | None:
    """A pending `jobs::Job` of either layout as GetObject renders it (a
    2025-11 job names itself by `job_sequence`); None when it is not pending."""
    layout: Layout = "2025-11" if "job_sequence" in value else "2025-08"
    chain_job = neutral_job(JOB_OBJECTS[layout].from_json(value))
    if chain_job.status.kind != "pending":
        return None
    return Job(
        app_instance=chain_job.app_instance, job_id=chain_job.job_sequence,
        developer=chain_job.developer, agent=chain_job.agent,
        agent_method=chain_job.agent_method, app=chain_job.app,
        app_instance_method=chain_job.app_instance_method, description=chain_job.description,
        sequences=tuple(chain_job.sequences or ()), data=chain_job.data,
        created_at=chain_job.created_at, updated_at=chain_job.updated_at,
        attempts=chain_job.attempts,
        # A job waiting for its retry interval or its next period.
        not_before=(chain_job.next_scheduled_at or 0) / 1000,
    )
