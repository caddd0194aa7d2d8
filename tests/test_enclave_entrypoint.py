"""The enclave entrypoint's pieces that run on an ordinary machine, and the
daemon reaching its chain through the forwarder child (in-process, with the
vsock dial swapped for a TCP one to the simulator)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import trio

from coordinator import app, forwarder
from coordinator.config import ConfigError, load_settings
from coordinator.enclave import entrypoint
from coordinator.simnet import Simnet, serve
from tests.e2e_support import free_port, status_when

CONFIG = Path(__file__).resolve().parent.parent / "config" / "enclave.toml"


def settings_from(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return load_settings(path, env={})


def test_the_shipped_enclave_config_is_tee_with_a_forwarder() -> None:
    settings = load_settings(CONFIG, env={"COORDINATION_PACKAGE_ID": "0x5"})
    entrypoint.check_tee(settings)
    assert settings.enclave.vsock_address == (3, 8443)
    assert settings.status.mode == "plain"
    # Upstream's agents find the service on TCP, inside the enclave only.
    assert settings.rpc.listen_address == ("127.0.0.1", 50051)
    assert entrypoint.forwarded_host(settings) == "fullnode.mainnet.sui.io"
    assert entrypoint.DEFAULT_CONFIG == CONFIG
    # The host hands the key over and reads metrics, status and logs over vsock.
    enclave = settings.enclave
    assert (enclave.key_channel, enclave.metrics_channel, enclave.status_channel,
            enclave.logs_channel) == ("vsock:-1:7000", "vsock:-1:9464", "vsock:-1:9465",
                                      "vsock:3:9466")
    assert settings.sui.key_file is None and settings.sui.key_credential is None


def test_tee_mode_is_required(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, '[sui]\npackage_id = "0x5"\n')
    with pytest.raises(ConfigError, match=r"docker\.use_tee must be true"):
        entrypoint.check_tee(settings)


def test_hosts_file_maps_the_fullnode_to_the_forwarder(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, """
[sui]
package_id = "0x5"
rpc_url = "https://fullnode.testnet.sui.io:443"
[enclave]
vsock_proxy = "3:8443"
listen = "127.0.0.2:443"
""")
    host = entrypoint.forwarded_host(settings)
    assert host == "fullnode.testnet.sui.io"
    text = entrypoint.hosts_file(host, settings.enclave.listen_address[0])
    lines = [line.split() for line in text.splitlines() if line and not line.startswith("#")]
    assert ["127.0.0.1", "localhost"] in lines
    assert ["127.0.0.2", "fullnode.testnet.sui.io"] in lines
    # Written in place (a bind mount under Docker must keep its inode).
    target = tmp_path / "hosts"
    target.write_text("old\n")
    inode = target.stat().st_ino
    entrypoint.write_hosts(target, text)
    assert target.read_text() == text and target.stat().st_ino == inode


def test_no_hosts_entry_without_a_forwarder_or_for_an_address(tmp_path: Path) -> None:
    plain = settings_from(tmp_path, '[sui]\npackage_id = "0x5"\n')
    assert entrypoint.forwarded_host(plain) is None
    by_ip = settings_from(tmp_path, """
[sui]
package_id = "0x5"
rpc_url = "http://127.0.0.1:9000"
[enclave]
vsock_proxy = "3:8443"
listen = "127.0.0.1:9000"
""")
    assert entrypoint.forwarded_host(by_ip) is None
    assert entrypoint.hosts_file(None, "127.0.0.1").count("\n") == 3


def test_dockerd_is_configured_for_an_enclave() -> None:
    command = entrypoint.dockerd_command(Path("/run/silvana/docker"))
    assert command[0] == "dockerd"
    for flag in ("--iptables=false", "--bridge=none", "--ip-forward=false",
                 "--data-root=/run/silvana/docker", "--host=unix:///var/run/docker.sock"):
        assert flag in command


def test_loopback_up_runs_ip_and_reports_failure() -> None:
    calls: list[list[str]] = []

    def ok(argv: list[str], **_: Any) -> subprocess.CompletedProcess[bytes]:
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 0, b"", b"")

    entrypoint.loopback_up(ok)
    assert calls == [["ip", "link", "set", "lo", "up"]]

    def refused(argv: list[str], **_: Any) -> subprocess.CompletedProcess[bytes]:
        stderr = b"RTNETLINK answers: Operation not permitted"
        return subprocess.CompletedProcess(argv, 2, b"", stderr)

    with pytest.raises(entrypoint.SetupError, match="Operation not permitted"):
        entrypoint.loopback_up(refused)


def test_arguments_and_environment() -> None:
    options = entrypoint.parse_args(["--log-level-is-not-ours"], {})
    assert options.config == entrypoint.DEFAULT_CONFIG and not options.host_docker
    assert list(options.coordinator_args) == ["--log-level-is-not-ours"]
    options = entrypoint.parse_args(
        ["--config", "/etc/x.toml", "--package-id", "0x7"],
        {"SILVANA_ENCLAVE_HOST_DOCKER": "1"},
    )
    assert options.config == Path("/etc/x.toml") and options.host_docker
    assert list(options.coordinator_args) == ["--package-id", "0x7"]
    options = entrypoint.parse_args([], {"SILVANA_ENCLAVE_CONFIG": "/c.toml"})
    assert options.config == Path("/c.toml")


def test_main_refuses_a_config_without_tee(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[sui]\npackage_id = "0x5"\n')
    assert entrypoint.main(["--config", str(path), "--host-docker"]) == 2
    assert "docker.use_tee must be true" in capsys.readouterr().err
    assert entrypoint.main(["--config", str(tmp_path / "missing.toml")]) == 2


async def test_the_daemon_reaches_its_chain_through_the_forwarder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """app.run with [enclave] vsock_proxy set: the forwarder child listens on
    enclave.listen, sui.rpc_url points there, and every connection goes to
    `open_vsock`, here replaced by a TCP dial to the simulator."""
    sim = Simnet(checkpoint_interval_secs=0.2)
    dialed: list[tuple[int, int]] = []
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        sim_host, _, sim_port = target.rpartition(":")

        async def fake_vsock(cid: int, port: int) -> trio.SocketStream:
            dialed.append((cid, port))
            return await trio.open_tcp_stream(sim_host, int(sim_port))

        monkeypatch.setattr(forwarder, "open_vsock", fake_vsock)
        listen = free_port()
        sock = Path(tmp_path) / "c.sock"
        if len(str(sock)) > 100:
            sock = Path("/tmp") / f"silvana-fwd-{listen}.sock"
        settings = settings_from(tmp_path, f"""
[sui]
package_id = "0x5117a7a"
rpc_url = "http://127.0.0.1:{listen}"
chain = "localnet"
start_checkpoint = 0
[enclave]
vsock_proxy = "3:8443"
listen = "127.0.0.1:{listen}"
[rpc]
socket_path = "{sock}"
listen = ""
[state]
dir = "{tmp_path / 'state'}"
[status]
mode = "off"
""")
        nursery.start_soon(app.run, settings)
        status = await status_when(
            sock, lambda s: s.connection.state == "connected" and s.chain_tip >= 3,
            within=30, what="connected through the forwarder",
        )
        assert status.connection.endpoint == f"http://127.0.0.1:{listen}"
        assert dialed and set(dialed) == {(3, 8443)}
        nursery.cancel_scope.cancel()
