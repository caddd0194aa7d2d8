"""Names the tests share that are not fixtures (those are in conftest.py)."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import pytest
import trio

from coordinator.docker import LABEL_COORDINATOR
from coordinator.domain import AgentKey
from coordinator.events import JobCreatedEvent, JobStatus
from coordinator.events.layouts import neutral
from coordinator.events.parser import CoordinationEvent, LedgerPosition

ROOT = Path(__file__).resolve().parent.parent
BUSYBOX_IMAGE = "silvana-test/busybox:latest"


def need(reason: str) -> None:
    """A real part this test needs is missing: under CI=true the test fails
    (CI runs everything); elsewhere it is skipped with the reason."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: every test must run)")
    pytest.skip(reason)


async def eventually(
    done: Callable[[], bool], within: float, what: str, detail: Callable[[], str] = str
) -> None:
    """Poll `done` until it holds (state of several parts, no single event to
    wait on); AssertionError naming `what` and `detail()` after `within` s."""
    with trio.move_on_after(within) as scope:
        while not done():  # noqa: ASYNC110
            await trio.sleep(0.01)
    if scope.cancelled_caught:
        raise AssertionError(f"{what} did not happen within {within:g} s {detail()}".rstrip())


def containers_of(client: docker.DockerClient, instance_id: str) -> list[Any]:
    """Every container (running or not) labelled with this coordinator instance."""
    found: list[Any] = client.containers.list(
        all=True, filters={"label": f"{LABEL_COORDINATOR}={instance_id}"}
    )
    return found


# A log line as an agent might forge it, and how every real line of the plain
# format begins (tests of escaping agent text).
FORGED = "2026-01-01 00:00:00,000 ERROR   coordinator: wallet key leaked"
LINE_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")


def log_lines(log: io.StringIO) -> list[str]:
    lines = log.getvalue().splitlines()
    assert lines, "nothing was logged"
    return lines


def job_created(job_id: int, key: AgentKey, app_instance: str,
                description: str | None = "add") -> CoordinationEvent:
    """A pending job's `JobCreatedEvent` as the router hands it to the book
    (data `01 02 <job_id>`, sequences 7 and 8)."""
    payload = JobCreatedEvent(
        job_id=job_id, description=description, developer=key.developer, agent=key.agent,
        agent_method=key.agent_method, app="AddApp", app_instance=app_instance,
        app_instance_method="add", sequences=(7, 8), data=bytes([1, 2, job_id % 256]),
        status=JobStatus(kind="pending"), created_at=1_700_000_000_000 + job_id,
    )
    return CoordinationEvent(LedgerPosition(1, f"tx-{job_id}-{app_instance}", 0, 0), "jobs",
                             "JobCreatedEvent", "0x1", neutral(payload))
