"""The tests' shared fixtures, found by pytest by name (never imported).

Docker tests use the real engine: with CI=true a missing engine fails the
test (never skips); elsewhere it skips with the reason. The e2e fixtures
build the real agent image (scripts/build-agent-image); helpers that are not
fixtures live in tests/support.py, tests/docker_support.py and
tests/e2e_support.py."""

from __future__ import annotations

import io
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import docker
import pytest
from docker.errors import DockerException, ImageNotFound, NotFound

from coordinator.docker import DockerEngine
from coordinator.logs import PLAIN_FORMAT, TextFormatter
from coordinator.store import Store
from tests.docker_support import registry_port, run_registry
from tests.e2e_support import (
    UPSTREAM_PROTO,
    Daemon,
    build_agent_image,
    instance_id_of,
    make_agent_variant,
)
from tests.support import BUSYBOX_IMAGE, ROOT, containers_of, need


@pytest.fixture(scope="session", autouse=True)
def instance_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Default sockets and state directories (`coordinator.instance_paths`) in a
    directory of this run, for daemons started by tests too: the tests run as
    root, where the defaults are the machine's /run and /var/lib."""
    base = tmp_path_factory.mktemp("instances")
    saved = {name: os.environ.get(name) for name in ("STATE_DIRECTORY", "RUNTIME_DIRECTORY")}
    os.environ["STATE_DIRECTORY"] = str(base / "state")
    os.environ["RUNTIME_DIRECTORY"] = str(base / "run")
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except DockerException as exc:
        need(f"no Docker engine reachable: {exc}")
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


# --- Docker ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def registry(docker_client: docker.DockerClient) -> Iterator[str]:
    """host:port of the local registry; started here unless scripts/test did."""
    was_up = run_registry("status")
    assert run_registry("start"), "scripts/registry could not start docker-registry"
    yield f"127.0.0.1:{registry_port()}"
    if not was_up:
        run_registry("stop")


@pytest.fixture
async def engine(docker_client: docker.DockerClient) -> AsyncIterator[DockerEngine]:
    # docker_client first: it makes a missing engine fail under CI=true.
    engine = await DockerEngine.connect()
    yield engine
    await engine.aclose()


@pytest.fixture
def instance_id(docker_client: docker.DockerClient) -> Iterator[str]:
    """A coordinator instance id of this test only; its containers go afterwards."""
    value = f"test-{uuid.uuid4().hex[:12]}"
    yield value
    for container in containers_of(docker_client, value):
        container.remove(force=True)


@pytest.fixture
def socket_path() -> Iterator[Path]:
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


# --- end to end -----------------------------------------------------------------


@pytest.fixture(scope="session")
def agent_image(docker_client: docker.DockerClient) -> str:
    # docker_client first: a missing engine fails under CI=true.
    return build_agent_image()


@pytest.fixture(scope="session")
def upstream_agent_image(docker_client: docker.DockerClient) -> str:
    """The demo agent speaking upstream's own coordinator.proto, unchanged."""
    if not (UPSTREAM_PROTO / "silvana/coordinator/v1/coordinator.proto").is_file():
        need(f"upstream's agent proto is not at {UPSTREAM_PROTO}")
    return build_agent_image(str(UPSTREAM_PROTO))


def _variants(docker_client: docker.DockerClient, base: str) -> Iterator[Callable[[str], str]]:
    """`variant("fail")`: image `base` with `ENV AGENT_MODE=fail` baked in,
    tagged locally (silvana-e2e/agent:<random>), removed at the end."""
    made: dict[str, str] = {}

    def variant(mode: str) -> str:
        if mode not in made:
            made[mode] = make_agent_variant(docker_client, base, mode)
        return made[mode]

    yield variant
    for tag in made.values():
        try:
            docker_client.images.remove(tag, noprune=False)
        except NotFound:
            pass


@pytest.fixture(scope="session")
def agent_variant(
    docker_client: docker.DockerClient, agent_image: str
) -> Iterator[Callable[[str], str]]:
    """The demo agent in one of its modes (`agent_variant("fail")`)."""
    yield from _variants(docker_client, agent_image)


@pytest.fixture(scope="session")
def upstream_agent_variant(
    docker_client: docker.DockerClient, upstream_agent_image: str
) -> Iterator[Callable[[str], str]]:
    """The demo agent on upstream's proto, unchanged, in one of its modes."""
    yield from _variants(docker_client, upstream_agent_image)


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    """A directory with a short path: a Unix socket path has at most 107 bytes."""
    path = Path(tempfile.mkdtemp(prefix="silvana-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def daemons(docker_client: docker.DockerClient) -> Iterator[list[Daemon]]:
    """Tests append every daemon they start; whatever containers of those are
    left (a failed test, a killed daemon) are removed afterwards."""
    started: list[Daemon] = []
    yield started
    for daemon in started:
        instance_id = instance_id_of(daemon)
        for container in containers_of(docker_client, instance_id) if instance_id else []:
            container.remove(force=True)


@pytest.fixture
def daemon_log() -> Iterator[io.StringIO]:
    """The daemon's plain log lines (as on a pipe or journald)."""
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    handler.setFormatter(TextFormatter(PLAIN_FORMAT))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield text
    root.removeHandler(handler)
    root.setLevel(level)
