"""The normal-mode image (`scripts/build-image --normal`), as an operator runs it
from deploy/compose: the coordinator as a container beside the host's Docker
engine (its socket mounted), with host networking on loopback.

It runs on the embedded simulator (`[simnet] enabled`) with a key file
mounted read-only, its state and sockets in host directories. Checked: the
image is the enclave image's root filesystem (the same single layer, so the
same Debian lock) with the daemon as entrypoint; GetStatus answers from the
host through the socket the container made; the chain is connected and the
key's funded balance shows in the status and in /metrics; SIGTERM stops it
with status 0, its state database left on the host.

The build reuses the enclave image and its cached Debian stage (see
tests/test_enclave_image.py): deriving this image is a metadata-only step.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import docker
import pytest
import trio
from prometheus_client.parser import text_string_to_metric_families

from coordinator.store import DB_FILE
from coordinator.sui.keys import SuiKey
from tests.e2e_support import free_port, status_when
from tests.support import SUI
from tests.test_enclave_image import BUILD_IMAGE, IMAGE, lock_args
from tests.test_enclave_image import debian_lock_fixture as debian_lock_fixture  # the fixture
from tests.test_metrics import get

pytestmark = pytest.mark.docker

NORMAL_IMAGE = "silvana-coordinator-normal:latest"
FUNDS = 7 * SUI


@pytest.fixture(scope="session", name="normal_image")
def normal_image_fixture(docker_client: docker.DockerClient, debian_lock: Path) -> str:
    result = subprocess.run([BUILD_IMAGE, "--normal", *lock_args(debian_lock)], check=False,
                            capture_output=True, text=True)
    assert result.returncode == 0, f"scripts/build-image --normal failed:\n{result.stderr[-4000:]}"
    return NORMAL_IMAGE


def test_the_normal_image_is_the_enclave_images_filesystem_running_the_daemon(
    normal_image: str, docker_client: docker.DockerClient,
) -> None:
    normal = docker_client.images.get(normal_image).attrs
    enclave = docker_client.images.get(IMAGE).attrs
    assert normal["RootFS"]["Layers"] == enclave["RootFS"]["Layers"]
    assert len(normal["RootFS"]["Layers"]) == 1
    assert normal["Config"]["Entrypoint"] == ["python3", "-m", "coordinator"]
    assert "COORDINATOR_CONFIG=/etc/silvana/coordinator.toml" in normal["Config"]["Env"]
    revision = "org.opencontainers.image.revision"
    assert normal["Config"]["Labels"][revision] == enclave["Config"]["Labels"][revision]


async def test_the_normal_image_serves_getstatus_on_the_embedded_simulator(
    normal_image: str, docker_client: docker.DockerClient, tmp_path: Path, sock_dir: Path,
) -> None:
    config_dir, state_dir = tmp_path / "config", tmp_path / "state"
    config_dir.mkdir()
    state_dir.mkdir()
    key = SuiKey.generate()
    key_file = config_dir / "coordinator.key"
    key_file.write_text(key.export() + "\n")
    key_file.chmod(0o600)
    sim_port, metrics_port = free_port(), free_port()
    (config_dir / "coordinator.toml").write_text(f"""
[sui]
rpc_url = "http://127.0.0.1:{sim_port}"
chain = "localnet"
package_id = "0x5117a7a"
start_checkpoint = 0
idle_timeout_secs = 10
key_file = "/etc/silvana/coordinator.key"

[simnet]
enabled = true
listen = "127.0.0.1:{sim_port}"
checkpoint_interval_secs = 0.5
fund_coordinator_mist = {FUNDS}

[settle]
balance_interval_secs = 1

[docker]
require_digest = false
host_agent_socket_dir = "{sock_dir}/coordinator.sock.agents"

[rpc]
socket_path = "/run/silvana/coordinator.sock"
listen = ""

[metrics]
listen = "127.0.0.1:{metrics_port}"

[state]
dir = "/var/lib/silvana"

[status]
mode = "plain"
""")
    container = docker_client.containers.run(
        normal_image, name=f"silvana-normal-{uuid.uuid4().hex[:8]}", detach=True,
        network_mode="host",
        volumes={
            "/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"},
            str(sock_dir): {"bind": "/run/silvana", "mode": "rw"},
            str(state_dir): {"bind": "/var/lib/silvana", "mode": "rw"},
            str(config_dir): {"bind": "/etc/silvana", "mode": "ro"},
        },
    )
    try:
        status = await status_when(
            sock_dir / "coordinator.sock",
            lambda s: s.connection.state == "connected" and s.settlement.has_balance,
            within=120, what="the image's coordinator connected with its balance read",
        )
        code, _, metrics = await trio.to_thread.run_sync(get, f"127.0.0.1:{metrics_port}",
                                                         "/metrics")
        container.kill(signal="SIGTERM")
        result = await trio.to_thread.run_sync(lambda: container.wait(timeout=60))
        logs = container.logs().decode(errors="replace")
    finally:
        container.remove(force=True)
    print(logs)  # shown by pytest when something below fails
    assert status.mode == "chain"
    assert status.settlement.address == key.address
    assert status.settlement.balance_mist == FUNDS
    assert code == 200
    samples = {sample.name: sample.value
               for family in text_string_to_metric_families(metrics) for sample in family.samples}
    assert samples["silvana_coordinator_balance_mist"] == FUNDS
    assert result["StatusCode"] == 0, logs
    assert (state_dir / DB_FILE).is_file(), logs
    assert key.export() not in logs
