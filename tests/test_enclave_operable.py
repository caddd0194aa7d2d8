"""The enclave, operable (issue 27), in the image's enclave-mode flow.

The coordinator image runs as an enclave stand-in: `--network none` (nothing
reaches it but what it serves on its channels), the host's Docker socket
mounted (SILVANA_ENCLAVE_HOST_DOCKER=1), TEE mode, the embedded simulator
inside. Its channels are Unix sockets in a directory shared with the host, the
stand-in for vsock (coordinator/channel.py). Checked, as the host sees it:

- the entrypoint waits for the key; a wrong one is refused in one line, the
  right one is taken and the daemon runs with it (its address and funded
  balance in the status), and the key is in no file and no process
  environment inside, nor in any log line;
- GetStatus through the status channel and /metrics through the metrics
  channel (neither the operator's socket nor the metrics port is reachable
  otherwise);
- the daemon's log lines arrive on the logs channel;
- SIGTERM stops it with status 0.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any

import docker
import pytest
import trio
from prometheus_client.parser import text_string_to_metric_families

from coordinator.channel import Channel, open_channel_listener
from coordinator.enclave.key_handover import KeyHandoverError, hand_over
from coordinator.simnet import Simnet, serve
from coordinator.sui.keys import SuiKey
from tests.e2e_support import status_when
from tests.support import AGENT, DEMO_APP, DEV, METHOD, SUI, register_app
from tests.test_enclave_image import coordinator_image_fixture as coordinator_image_fixture
from tests.test_enclave_image import debian_lock_fixture as debian_lock_fixture

pytestmark = pytest.mark.docker

FUNDS = 3 * SUI
INSIDE = "/run/silvana"  # where the shared directory is mounted in the container


def http_over_unix(path: Path, target: str) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(path))
        sock.sendall(f"GET {target} HTTP/1.0\r\nHost: enclave\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.decode().partition("\r\n\r\n")
    assert head.startswith("HTTP/1.") and " 200 " in head.splitlines()[0], head
    return body


def stand_in(client: docker.DockerClient, image: str, sock_dir: Path, config_dir: Path,
             network: str) -> Any:
    """The image as an enclave stand-in: the host's engine, the shared channel
    directory at INSIDE, its config; its state in the container only (memory,
    in an enclave)."""
    return client.containers.run(
        image, ["--config", "/etc/silvana/coordinator.toml"],
        name=f"silvana-enclave-ops-{uuid.uuid4().hex[:8]}", detach=True, network_mode=network,
        environment={"SILVANA_ENCLAVE_HOST_DOCKER": "1"},
        volumes={
            "/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"},
            str(sock_dir): {"bind": INSIDE, "mode": "rw"},
            str(config_dir): {"bind": "/etc/silvana", "mode": "ro"},
        },
    )


def files_holding(container: Any, text: str) -> list[str]:
    """Regular files under the writable and config trees inside that hold `text`."""
    result = container.exec_run(["find", "/run", "/var/lib/silvana", "/tmp", "/etc", "/root",
                                 "/opt", "-type", "f", "-exec", "grep", "-lF", text, "{}", "+"],
                                stderr=False)
    return sorted(result.output.decode().split())


async def collect_lines(listener: trio.SocketListener, into: bytearray) -> None:
    async with listener:
        while True:
            stream = await listener.accept()
            async with stream:
                async for chunk in stream:
                    into.extend(chunk)


async def test_the_enclave_takes_its_key_from_the_host_and_reports_over_channels(
    coordinator_image: str, docker_client: docker.DockerClient, tmp_path: Path, sock_dir: Path,
) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "coordinator.toml").write_text(f"""
[sui]
rpc_url = "http://127.0.0.1:9000"
package_id = "0x5117a7a"
chain = "localnet"
start_checkpoint = 0

[simnet]
enabled = true
listen = "127.0.0.1:9000"
checkpoint_interval_secs = 0.5
fund_coordinator_mist = {FUNDS}

[settle]
balance_interval_secs = 1

[enclave]
key_channel = "unix:{INSIDE}/key.sock"
key_wait_secs = 120
metrics_channel = "unix:{INSIDE}/metrics.sock"
status_channel = "unix:{INSIDE}/status.sock"
logs_channel = "unix:{INSIDE}/logs.sock"

[docker]
use_tee = true

[rpc]
# Inside only: the host reaches it through status_channel.
socket_path = "/run/inside/coordinator.sock"
listen = ""

[metrics]
listen = "127.0.0.1:9464"

[state]
dir = "/var/lib/silvana"

[status]
mode = "plain"
""")
    key = SuiKey.generate()
    log_lines = bytearray()
    logs_listener = await open_channel_listener(Channel.parse(f"unix:{sock_dir}/logs.sock"))
    container = stand_in(docker_client, coordinator_image, sock_dir, config_dir, "none")
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(collect_lines, logs_listener, log_lines)
            key_channel = Channel.parse(f"unix:{sock_dir}/key.sock")
            with pytest.raises(KeyHandoverError, match="refused the key: error:"):
                await hand_over(key_channel, "suiprivkey1notakey", within=120)
            assert await hand_over(key_channel, key.export(), within=30) == key.address
            status = await status_when(
                sock_dir / "status.sock",
                lambda s: s.connection.state == "connected" and s.settlement.has_balance,
                within=120, what="the enclave's status through its status channel",
            )
            metrics = await trio.to_thread.run_sync(http_over_unix, sock_dir / "metrics.sock",
                                                    "/metrics")
            environ = container.exec_run(["cat", "/proc/1/environ"]).output
            found = files_holding(container, key.export())
            # The same search finds what is in a file (the config names the key's channel).
            assert files_holding(container, "key.sock") == ["/etc/silvana/coordinator.toml"]
            container.kill(signal="SIGTERM")
            result = await trio.to_thread.run_sync(lambda: container.wait(timeout=60))
            await trio.sleep(0.5)  # the last lines on their way
            nursery.cancel_scope.cancel()
        logs = container.logs().decode(errors="replace")
    finally:
        container.remove(force=True)
    print(logs)  # shown by pytest when something below fails
    assert status.mode == "chain" and status.running == []
    assert status.settlement.address == key.address
    assert status.settlement.balance_mist == FUNDS
    samples = {sample.name: sample.value
               for family in text_string_to_metric_families(metrics) for sample in family.samples}
    assert samples["silvana_coordinator_balance_mist"] == FUNDS
    assert key.export().encode() not in environ
    assert found == []
    assert result["StatusCode"] == 0, logs
    sent = log_lines.decode(errors="replace")
    assert f"coordinator {status.instance_id}: package" in sent, sent
    assert "coordinator: stopped" in sent, sent
    assert "refused" in logs and f"handed over the key of {key.address}" in logs
    for text in (logs, sent):
        assert key.export() not in text and "suiprivkey1notakey" not in text


async def test_a_restarted_enclave_rebuilds_its_book_from_the_chain(
    coordinator_image: str, agent_image: str, docker_client: docker.DockerClient,
    tmp_path: Path, sock_dir: Path,
) -> None:
    """Its state is in memory: killed (SIGKILL, no drain) and started afresh, the
    enclave replays the chain from sui.start_checkpoint, so the jobs it
    completed before stay completed (not run again) and the jobs created
    while it was down are run."""
    sim = register_app(Simnet(checkpoint_interval_secs=0.2), agent_image)
    key = SuiKey.generate()
    sim.fund(key.address, 10 * SUI)
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    socket_path = sock_dir / "coordinator.sock"

    def create(count: int, first: int) -> list[int]:
        return [sim.create_job(DEMO_APP, developer=DEV, agent=AGENT, method=METHOD,
                               data=bytes([n, 7]), description=f"job {n}").job_id
                for n in range(first, first + count)]

    async def run_once(ids: list[int], settled: int, replayed: int = 0) -> Any:
        container = stand_in(docker_client, coordinator_image, sock_dir, config_dir, "host")
        try:
            await hand_over(Channel.parse(f"unix:{sock_dir}/key.sock"), key.export(), 120)
            status = await status_when(
                socket_path,
                lambda s: s.jobs_by_state["completed"] == len(ids)
                and s.jobs_by_state["dropped"] == replayed and not s.running
                and s.settlement.jobs_settled == settled and s.settlement.outbox_operations == 0,
                within=120, what=f"{len(ids)} jobs completed by this run, {replayed} replayed",
            )
            container.kill()  # SIGKILL: no drain, the memory is gone
            await trio.to_thread.run_sync(lambda: container.wait(timeout=60))
            print(container.logs().decode(errors="replace"))
        finally:
            container.remove(force=True)
        return status

    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        (config_dir / "coordinator.toml").write_text(f"""
[sui]
rpc_url = "http://{target}"
package_id = "0x5117a7a"
chain = "localnet"
# Every start of an enclave is a first start: it follows the chain from here.
start_checkpoint = 0

[enclave]
key_channel = "unix:{INSIDE}/key.sock"
key_wait_secs = 120

[docker]
use_tee = true
require_digest = false
tee_poll_interval_secs = 0.5
container_timeout_secs = 60
stop_grace_secs = 1
max_concurrent = 2
host_agent_socket_dir = "{sock_dir}/coordinator.sock.agents"
agent_env = {{ AGENT_MODE = "work:1" }}

[rpc]
socket_path = "{INSIDE}/coordinator.sock"
listen = ""

[metrics]
listen = ""

[state]
dir = "/var/lib/silvana"

[status]
mode = "plain"
""")
        before = create(2, 0)
        first = await run_once(before, settled=2)
        while_down = create(2, 2)
        second = await run_once(while_down, settled=2, replayed=len(before))
        nursery.cancel_scope.cancel()

    assert first.instance_id != second.instance_id  # a new state, not the old one
    assert sorted(o.job_id for o in first.recent_outcomes) == before
    # The second run completed only the jobs created while it was down; the
    # first run's it learned from the chain as finished (by another run: to
    # the book, dropped) and ran none of them again.
    outcomes = {o.job_id: o.state for o in second.recent_outcomes}
    assert outcomes == {**dict.fromkeys(before, "dropped"),
                        **dict.fromkeys(while_down, "completed")}, outcomes
