"""Orphan reaping: a coordinator process SIGKILLed with its container running
leaves the container behind; the next start removes it and names its job."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import docker
import trio

from coordinator.docker import DockerEngine, reap_orphans
from coordinator.logs import session_fingerprint
from tests.support import BUSYBOX_IMAGE, ROOT, containers_of

# A stand-in for the coordinator: it supervises one long container, then dies.
COORDINATOR = """
import sys
from pathlib import Path

import trio

from coordinator.docker import DockerEngine, run_container
from tests.docker_support import make_options, make_spec

async def main(instance_id: str, socket_path: str) -> None:
    engine = await DockerEngine.connect()
    options = make_options(instance_id, timeout_secs=300)
    await run_container(engine, make_spec(77, "sleep 300", session_id="s-77"), options)

trio.run(main, *sys.argv[1:])
"""


async def test_next_start_reaps_the_container_of_a_killed_coordinator(
    engine: DockerEngine, docker_client: docker.DockerClient, instance_id: str,
    socket_path: Path,
) -> None:
    # Another coordinator's container must survive the reaping.
    bystander = docker_client.containers.create(
        BUSYBOX_IMAGE, ["sleep", "300"], network_mode="none",
        labels={"silvana.coordinator": instance_id + "-other", "silvana.job": "1"},
    )
    process = await trio.lowlevel.open_process(
        [sys.executable, "-c", COORDINATOR, instance_id, str(socket_path)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        with trio.fail_after(30):
            while not [
                c for c in containers_of(docker_client, instance_id) if c.status == "running"
            ]:
                assert process.poll() is None, "the stand-in coordinator exited early"
                await trio.sleep(0.1)
        process.send_signal(signal.SIGKILL)
        with trio.fail_after(10):
            assert await process.wait() == -signal.SIGKILL
        [orphan] = containers_of(docker_client, instance_id)
        assert orphan.status == "running"

        reaped = await reap_orphans(engine, instance_id, stop_grace_secs=1)

        assert [(r.container_id, r.job_id, r.session_fingerprint, r.removed) for r in reaped] == [
            (orphan.id, 77, session_fingerprint("s-77"), True)
        ]
        assert containers_of(docker_client, instance_id) == []
        bystander.reload()
        assert bystander.status == "created"
        assert await reap_orphans(engine, instance_id) == []
    finally:
        if process.poll() is None:
            process.kill()
        bystander.remove(force=True)
