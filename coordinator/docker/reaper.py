"""Orphan reaping: containers a previous run of this coordinator left behind
(it was killed, or the engine could not remove them) are stopped and removed
at start, and their jobs handed back so the job layer can fail them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import trio

from coordinator.docker.engine import DockerEngine, retrying
from coordinator.docker.removal import stop_and_remove
from coordinator.docker.spec import LABEL_COORDINATOR, LABEL_JOB, LABEL_SESSION

log = logging.getLogger(__name__)

REAP_REASON = "coordinator restarted"


@dataclass(frozen=True)
class ReapedContainer:
    container_id: str
    job_id: int | None  # None when the label is missing or not a number
    session_fingerprint: str | None
    removed: bool  # False: the engine refused; the error was logged


async def reap_orphans(
    engine: DockerEngine, instance_id: str, *, stop_grace_secs: int = 10
) -> list[ReapedContainer]:
    """Stop and remove every container labelled with `instance_id`; say which.

    Call it before starting any container of this run: all it finds is left
    over. It waits for the engine (with backoff) if the engine is away.
    """
    found: list[dict[str, Any]] = await retrying(
        lambda: engine.call(
            engine.client.api.containers,
            all=True,
            filters={"label": f"{LABEL_COORDINATOR}={instance_id}"},
        ),
        what="listing orphaned containers",
    )
    reaped: list[ReapedContainer] = []

    async def reap(summary: dict[str, Any]) -> None:
        container_id: str = summary["Id"]
        labels = summary.get("Labels") or {}
        job = labels.get(LABEL_JOB, "")
        removed = await stop_and_remove(engine, container_id, stop_grace_secs)
        reaped.append(
            ReapedContainer(
                container_id=container_id,
                job_id=int(job) if job.isdigit() else None,
                session_fingerprint=labels.get(LABEL_SESSION),
                removed=removed,
            )
        )
        log.warning(
            "reaped container %s of job %s left by an earlier run (%s)",
            container_id[:12], job or "?", REAP_REASON,
        )

    async with trio.open_nursery() as nursery:
        for summary in found:
            nursery.start_soon(reap, summary)
    return reaped
