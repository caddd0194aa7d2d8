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
from coordinator.sui.keys import SuiKey
from tests.e2e_support import status_when
from tests.support import SUI
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
    container = docker_client.containers.run(
        coordinator_image, ["--config", "/etc/silvana/coordinator.toml"],
        name=f"silvana-enclave-ops-{uuid.uuid4().hex[:8]}", detach=True, network_mode="none",
        environment={"SILVANA_ENCLAVE_HOST_DOCKER": "1"},
        volumes={
            "/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"},
            str(sock_dir): {"bind": INSIDE, "mode": "rw"},
            str(config_dir): {"bind": "/etc/silvana", "mode": "ro"},
        },
    )
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
