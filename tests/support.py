"""Names the tests share that are not fixtures (those are in conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import docker
import pytest

from coordinator.docker import LABEL_COORDINATOR

ROOT = Path(__file__).resolve().parent.parent
BUSYBOX_IMAGE = "silvana-test/busybox:latest"


def need(reason: str) -> None:
    """A real part this test needs is missing: under CI=true the test fails
    (CI runs everything); elsewhere it is skipped with the reason."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: every test must run)")
    pytest.skip(reason)


def containers_of(client: docker.DockerClient, instance_id: str) -> list[Any]:
    """Every container (running or not) labelled with this coordinator instance."""
    found: list[Any] = client.containers.list(
        all=True, filters={"label": f"{LABEL_COORDINATOR}={instance_id}"}
    )
    return found
