"""The coordinator image (scripts/build-image) end to end, standing in for the
enclave: `docker run --network host` with the host's Docker socket mounted
and SILVANA_ENCLAVE_HOST_DOCKER=1 (no dockerd of its own), in TEE mode,
against the simulator on 127.0.0.1 (run by this test).

The daemon's socket lives in a host directory mounted into the coordinator's
container at another path (/run/silvana); `docker.host_agent_socket_dir` names
the host path of the agents' socket directories, which is what the agent
containers' bind mounts must use, since the host's engine resolves it.
Checked: jobs completed by the agent over its own socket (GetStatus from the
host through the operator's socket in the same directory), the agent
containers started with host networking and the host path mounted, TEE mode
in the status, and a clean stop (SIGTERM -> drain -> exit 0).

The image is built by the test if needed (cold about a minute, a no-op when
nothing changed, seconds after a code-only change). The world moves between
a commit and a later run: when the Debian archive no longer serves the
committed lock (build-image --check-lock exits 3), the tests say so in one
warning and prove the same machinery with a lock resolved afresh into a
temporary directory (build-image --update-lock --lock FILE); newer versions
served over the lock (exit 4) are a warning too. Any other failure of the
build fails the tests. Under CI=true, or with `SILVANA_CHECK_REPRODUCIBLE=1`,
scripts/check-reproducible runs too (two cold builds, about two minutes).
"""

from __future__ import annotations

import os
import subprocess
import threading
import uuid
import warnings
from pathlib import Path
from typing import Any

import docker
import pytest
import trio

from coordinator.simnet import Simnet, serve
from tests.e2e_support import status_when
from tests.support import AGENT, DEMO_APP, DEV, METHOD, ROOT, containers_of, register_app

pytestmark = pytest.mark.docker

IMAGE = "silvana-coordinator:latest"
APP = DEMO_APP
BUILD_IMAGE = str(ROOT / "scripts" / "build-image")
COMMITTED_LOCK = ROOT / "config" / "enclave" / "debian-packages.lock"
EXIT_STALE_LOCK, EXIT_NEWER = 3, 4


@pytest.fixture(scope="session", name="debian_lock")
def debian_lock_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Debian lock the image tests build with: the committed one while the
    archive serves it, else one resolved afresh (the same machinery, today's
    versions), with one warning saying so."""
    check = subprocess.run([BUILD_IMAGE, "--check-lock"], check=False,
                           capture_output=True, text=True)
    summary = check.stdout.strip().splitlines()[-1:] or [check.stderr.strip()]
    if check.returncode == EXIT_NEWER:
        warnings.warn(f"the Debian archive serves newer versions: {summary[0]}", stacklevel=1)
    if check.returncode in (0, EXIT_NEWER):
        return COMMITTED_LOCK
    assert check.returncode == EXIT_STALE_LOCK, f"--check-lock failed:\n{check.stderr[-4000:]}"
    fresh = tmp_path_factory.mktemp("debian-lock") / "debian-packages.lock"
    warnings.warn(f"{summary[0]}: the image tests use a lock resolved afresh into {fresh}",
                  stacklevel=1)
    resolve = subprocess.run([BUILD_IMAGE, "--update-lock", "--lock", str(fresh)], check=False,
                             capture_output=True, text=True)
    assert resolve.returncode == 0, f"--update-lock failed:\n{resolve.stderr[-4000:]}"
    return fresh


def lock_args(lock: Path) -> list[str]:
    return [] if lock == COMMITTED_LOCK else ["--lock", str(lock)]


@pytest.fixture(scope="session", name="coordinator_image")
def coordinator_image_fixture(docker_client: docker.DockerClient, debian_lock: Path) -> str:
    result = subprocess.run([BUILD_IMAGE, *lock_args(debian_lock)], check=False,
                            capture_output=True, text=True)
    assert result.returncode == 0, f"scripts/build-image failed:\n{result.stderr[-4000:]}"
    return IMAGE


def test_image_contents(coordinator_image: str, docker_client: docker.DockerClient,
                        debian_lock: Path) -> None:
    """The image has dockerd, ip and our Python dependencies at the locked versions,
    exactly the locked Debian packages, and runs the enclave entrypoint."""
    script = (
        "import importlib.metadata as m, shutil;"
        "print(shutil.which('dockerd'), shutil.which('ip'), m.version('pydantic'),"
        " m.version('trio'))"
    )
    out = docker_client.containers.run(coordinator_image, entrypoint=["python3", "-c", script],
                                       remove=True).decode().split()
    locked = (ROOT / "config" / "enclave" / "requirements.lock").read_text()
    assert [Path(p).name for p in out[:2]] == ["dockerd", "ip"], out
    assert f"pydantic=={out[2]} " in locked and f"trio=={out[3]} " in locked
    config = docker_client.images.get(coordinator_image).attrs["Config"]
    assert config["Entrypoint"] == ["python3", "-m", "coordinator.enclave"]
    layers = docker_client.images.get(coordinator_image).attrs["RootFS"]["Layers"]
    assert len(layers) == 1
    installed = docker_client.containers.run(
        coordinator_image, entrypoint=["dpkg-query", "-W", "-f", "${Package}=${Version}\\n"],
        remove=True).decode().split()
    lines = [line for line in debian_lock.read_text().splitlines() if line and line[0] != "#"]
    assert sorted(installed) == sorted(lines)


def _watch_agents(client: docker.DockerClient, seen: dict[str, Any], stop: threading.Event) -> None:
    """Record every agent container (label silvana.job) while it exists."""
    while not stop.is_set():
        try:
            for container in client.containers.list(all=True, filters={"label": "silvana.job"}):
                seen.setdefault(container.id, container.attrs)
        except docker.errors.NotFound:
            pass  # one went between listing and inspecting (other tests' too)
        stop.wait(0.1)


async def test_the_image_runs_the_job_flow_in_tee_mode(
    coordinator_image: str, agent_image: str, docker_client: docker.DockerClient,
    tmp_path: Path, sock_dir: Path,
) -> None:
    sim = register_app(Simnet(checkpoint_interval_secs=0.2), agent_image)
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    host_socket = sock_dir / "coordinator.sock"
    name = f"silvana-e2e-enclave-{uuid.uuid4().hex[:8]}"
    seen: dict[str, Any] = {}
    stop_watch = threading.Event()
    container = None
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        (config_dir / "coordinator.toml").write_text(f"""
[sui]
rpc_url = "http://{target}"
package_id = "0x5117a7a"
chain = "localnet"
start_checkpoint = 0
idle_timeout_secs = 10

[docker]
use_tee = true
# The demo agent image is local (docker import): no registry digest to pin.
require_digest = false
tee_poll_interval_secs = 0.5
container_timeout_secs = 60
stop_grace_secs = 1
max_concurrent = 2
host_agent_socket_dir = "{sock_dir}/coordinator.sock.agents"
agent_env = {{ AGENT_MODE = "work:1" }}

[rpc]
socket_path = "/run/silvana/coordinator.sock"

[state]
dir = "/var/lib/silvana"

[status]
mode = "plain"
""")
        watcher = threading.Thread(target=_watch_agents, args=(docker_client, seen, stop_watch),
                                   daemon=True)
        watcher.start()
        try:
            container = docker_client.containers.run(
                coordinator_image,
                ["--config", "/etc/silvana/coordinator.toml"],
                name=name, detach=True, network_mode="host",
                environment={"SILVANA_ENCLAVE_HOST_DOCKER": "1"},
                volumes={
                    "/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"},
                    str(sock_dir): {"bind": "/run/silvana", "mode": "rw"},
                    str(config_dir): {"bind": "/etc/silvana", "mode": "ro"},
                },
            )
            ids = [
                sim.create_job(APP, developer=DEV, agent=AGENT, method=METHOD,
                               data=bytes([n, 7]), description=f"job {n}").job_id
                for n in range(4)
            ]
            busy = await status_when(
                host_socket, lambda s: len(s.running) > 0, within=120,
                what="an agent container running",
            )
            running = list(busy.running)
            status = await status_when(
                host_socket,
                lambda s: s.jobs_by_state["completed"] == len(ids) and not s.running,
                within=120, what=f"{len(ids)} jobs completed by agents of the image's coordinator",
            )
            container.kill(signal="SIGTERM")
            result = await trio.to_thread.run_sync(lambda: container.wait(timeout=60))
            logs = container.logs().decode(errors="replace")
        finally:
            stop_watch.set()
            if container is not None:
                container.remove(force=True)
        nursery.cancel_scope.cancel()

    print(logs)  # shown by pytest when something below fails
    assert result["StatusCode"] == 0, logs
    assert sorted(o.job_id for o in status.recent_outcomes) == ids, logs
    assert {o.state for o in status.recent_outcomes} == {"completed"}
    # The agents: host networking (TEE mode), the socket mounted from the HOST path.
    agents = [attrs for attrs in seen.values()
              if attrs["Config"]["Labels"].get("silvana.coordinator") == status.instance_id]
    assert agents, logs
    for attrs in agents:
        assert attrs["HostConfig"]["NetworkMode"] == "host"
        mounts = {m["Destination"]: m["Source"] for m in attrs["Mounts"]}
        # Its own session's directory, never the operator's socket.
        assert os.path.dirname(mounts["/run/silvana"]) == f"{sock_dir}/coordinator.sock.agents"
    assert running and all(r.tee for r in running), running
    assert "stand-in mode" in logs, logs
    assert containers_of(docker_client, status.instance_id) == []


@pytest.mark.skipif(
    os.environ.get("CI") != "true" and os.environ.get("SILVANA_CHECK_REPRODUCIBLE") != "1",
    reason="two cold image builds (~2 min): runs under CI=true or SILVANA_CHECK_REPRODUCIBLE=1",
)
def test_reproducible_two_builds_give_the_same_layer_digest(
    docker_client: docker.DockerClient, debian_lock: Path,
) -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "check-reproducible"), "--worktree", *lock_args(debian_lock)],
        check=False, capture_output=True, text=True)
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "reproducible: the same layer digest" in result.stdout
