"""The real Docker engine, through docker-py, with our locally built image."""

from __future__ import annotations

import docker

from tests.conftest import BUSYBOX_IMAGE


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
