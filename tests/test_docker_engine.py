"""The real Docker engine, through docker-py, with our locally built image."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import docker
import pytest
import trio

from coordinator.backoff import Backoff
from coordinator.docker import (
    DockerEngine,
    DockerError,
    DockerNotFound,
    DockerTimeout,
    DockerUnavailable,
    retrying,
)
from tests.support import BUSYBOX_IMAGE


def test_create_start_wait_remove(docker_client: docker.DockerClient) -> None:
    container = docker_client.containers.create(
        BUSYBOX_IMAGE,
        ["sh", "-c", 'echo "hello from $GREETING"; exit 3'],
        environment={"GREETING": "silvana"},
        labels={"silvana.test": "engine"},
    )
    try:
        container.start()
        result = container.wait(timeout=60)
        assert result["StatusCode"] == 3
        assert container.logs().decode() == "hello from silvana\n"
        container.reload()
        assert container.attrs["State"]["Status"] == "exited"
    finally:
        container.remove(force=True)
    listed = docker_client.containers.list(all=True, filters={"id": container.id})
    assert listed == []


# DockerEngine: docker-py behind Trio, with deadlines and our error types.

DOCKER_SOCKET = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock").removeprefix("unix://")


async def test_engine_errors_are_readable(engine: DockerEngine) -> None:
    with pytest.raises(DockerNotFound, match="No such container: silvana-no-such"):
        await engine.call(engine.client.api.inspect_container, "silvana-no-such")
    with pytest.raises(DockerError, match=r"HTTP 400") as caught:
        await engine.call(engine.client.api.create_container, BUSYBOX_IMAGE, name="bad name!")
    assert not isinstance(caught.value, DockerUnavailable)


async def test_every_call_has_a_deadline(
    engine: DockerEngine, docker_client: docker.DockerClient
) -> None:
    container = docker_client.containers.run(
        BUSYBOX_IMAGE, ["sleep", "30"], detach=True, network_mode="none",
        labels={"silvana.test": "engine"},
    )
    try:
        started = time.monotonic()
        with pytest.raises(DockerTimeout, match=r"did not finish within 0\.5 s"):
            await engine.call(engine.client.api.wait, container.id, timeout=0.5, long=True)
        assert time.monotonic() - started < 2
    finally:
        container.remove(force=True)


async def test_unreachable_engine_is_docker_unavailable(tmp_path: Path) -> None:
    missing = tmp_path / "docker.sock"
    with pytest.raises(DockerUnavailable) as caught:
        await DockerEngine.connect(f"unix://{missing}", call_timeout=5)
    assert str(missing) in str(caught.value)
    assert "No such file or directory" in str(caught.value)


async def _forward(listen: Path, delay: float) -> None:
    """After `delay`, a Unix socket at `listen` that relays to the real engine:
    an engine that comes up late."""
    await trio.sleep(delay)
    sock = trio.socket.socket(socket.AF_UNIX)
    await sock.bind(str(listen))
    sock.listen()

    async def relay(client: trio.SocketStream) -> None:
        async def pipe(source: trio.SocketStream, sink: trio.SocketStream) -> None:
            async for data in source:
                await sink.send_all(data)
            await sink.send_eof()

        async with client, await trio.open_unix_socket(DOCKER_SOCKET) as upstream:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(pipe, client, upstream)
                nursery.start_soon(pipe, upstream, client)

    await trio.serve_listeners(relay, [trio.SocketListener(sock)])


async def test_retrying_waits_for_a_late_engine(
    docker_client: docker.DockerClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    listen = tmp_path / "late.sock"
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_forward, listen, 1.0)
        with trio.fail_after(15):
            engine = await retrying(
                lambda: DockerEngine.connect(f"unix://{listen}", call_timeout=5),
                what="connecting to docker",
                backoff=Backoff(initial=0.2, maximum=0.4),
            )
        assert await engine.call(engine.client.ping) is True
        await engine.aclose()
        nursery.cancel_scope.cancel()
    retries = [r for r in caplog.records if "retrying in" in r.getMessage()]
    assert retries and all("connecting to docker" in r.getMessage() for r in retries)
