"""Shared fixtures. Docker tests use the real engine: with CI=true a missing
engine fails the test (never skips); elsewhere it skips with the reason."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import docker
import pytest
from docker.errors import DockerException, ImageNotFound

from coordinator.store import Store

ROOT = Path(__file__).resolve().parent.parent
BUSYBOX_IMAGE = "silvana-test/busybox:latest"


def _need(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: Docker tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except DockerException as exc:
        _need(f"no Docker engine reachable: {exc}")
    try:
        client.images.get(BUSYBOX_IMAGE)
    except ImageNotFound:
        subprocess.run([str(ROOT / "scripts" / "build-test-images")], check=True)
    yield client
    client.close()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """The sqlite state in the test's own directory, closed afterwards."""
    opened = await Store.open(tmp_path / "state")
    yield opened
    await opened.close()
