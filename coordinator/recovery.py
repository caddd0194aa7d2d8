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

import base64
import logging
from typing import Any

import trio

from coordinator.backoff import Backoff
from coordinator.domain import Job
from coordinator.events import bcs
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
                job = await object_json(client, child)
                if job.get("status", {}).get("@variant") == "Pending":
                    jobs.append(_job_from_json(job))
    return jobs


def _job_from_json(value: dict[str, Any]) -> Job:
    """A `jobs::Job` as GetObject renders it (u64 as strings, bytes as base64)."""
    return Job(
        app_instance=str(value["app_instance"]), job_id=int(value["job_id"]),
        developer=str(value["developer"]), agent=str(value["agent"]),
        agent_method=str(value["agent_method"]), app=str(value.get("app", "")),
        app_instance_method=str(value.get("app_instance_method", "")),
        description=value.get("description"),
        sequences=tuple(int(s) for s in value.get("sequences") or ()),
        data=base64.b64decode(value.get("data") or ""),
        created_at=int(value.get("created_at", 0)), updated_at=int(value.get("updated_at", 0)),
        attempts=int(value.get("attempts", 0)),
    )
