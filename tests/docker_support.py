"""Fixtures and helpers shared by the tests/test_docker_*.py files: the local
registry, a connected engine, a per-test instance id whose containers are
always removed, and a real Unix socket to bind-mount.

Test modules import the fixtures by their `*_fixture` names, which pytest
registers under `name=`; the test parameters then shadow nothing."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import docker
import pytest

from coordinator.docker import ContainerOptions, ContainerSpec, DockerEngine
from tests.conftest import BUSYBOX_IMAGE, ROOT

REGISTRY_SCRIPT = ROOT / "scripts" / "registry"


def registry_port() -> int:
    return int(os.environ.get("SILVANA_TEST_REGISTRY_PORT", "5000"))


def run_registry(command: str, env: dict[str, str] | None = None) -> bool:
    """scripts/registry <command>; True when it exited 0."""
    result = subprocess.run(
        [str(REGISTRY_SCRIPT), command], env={**os.environ, **(env or {})}, check=False
    )
    return result.returncode == 0


@pytest.fixture(scope="session", name="registry")
def registry_fixture(docker_client: docker.DockerClient) -> Iterator[str]:
    """host:port of the local registry; started here unless scripts/test did."""
    was_up = run_registry("status")
    assert run_registry("start"), "scripts/registry could not start docker-registry"
    yield f"127.0.0.1:{registry_port()}"
    if not was_up:
        run_registry("stop")


@pytest.fixture(name="engine")
async def engine_fixture(docker_client: docker.DockerClient) -> AsyncIterator[DockerEngine]:
    # docker_client first: it makes a missing engine fail under CI=true.
    engine = await DockerEngine.connect()
    yield engine
    await engine.aclose()


def containers_of(client: docker.DockerClient, instance_id: str) -> list[Any]:
    return client.containers.list(all=True, filters={"label": f"silvana.coordinator={instance_id}"})


@pytest.fixture(name="instance_id")
def instance_id_fixture(docker_client: docker.DockerClient) -> Iterator[str]:
    """A coordinator instance id of this test only; its containers go afterwards."""
    value = f"test-{uuid.uuid4().hex[:12]}"
    yield value
    for container in containers_of(docker_client, value):
        container.remove(force=True)


@pytest.fixture(name="socket_path")
def socket_path_fixture() -> Iterator[Path]:
    """A listening Unix socket, as the RPC service would leave one (short path:
    sun_path is 108 bytes)."""
    directory = Path(tempfile.mkdtemp(prefix="silvana-"))
    path = directory / "coordinator.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.listen()
    yield path
    listener.close()
    shutil.rmtree(directory)


def make_options(instance_id: str, socket_path: Path, **changes: Any) -> ContainerOptions:
    """Short limits for tests; no network at all in standard mode."""
    base = ContainerOptions(
        instance_id=instance_id,
        host_socket_path=socket_path,
        timeout_secs=30,
        stop_grace_secs=2,
        network_mode="none",
        tee_poll_interval_secs=0.2,
    )
    return replace(base, **changes)


def make_spec(job_id: int, command: str, **changes: Any) -> ContainerSpec:
    base = ContainerSpec(
        job_id=job_id,
        session_id=f"session-{job_id}",
        developer="dev",
        agent="agent",
        agent_method="method",
        app_instance="0xapp",
        job_data=b"\x01\x02",
        image=BUSYBOX_IMAGE,
        command=("sh", "-c", command),
    )
    return replace(base, **changes)
