"""`rpc.listen = "auto:PORT"` (the default): the bind decision as a unit.

Given the engine's answer, which address is chosen; nothing here connects to
or binds the bridge's address (tests keep to loopback).
"""

from __future__ import annotations

import ipaddress
import signal
from pathlib import Path
from typing import Any

import docker
import pytest
import trio
from docker.errors import DockerException
from pydantic import ValidationError

from coordinator.config import Settings, load_settings
from coordinator.docker.settings import DockerSettings
from coordinator.rpc import reach
from coordinator.rpc.reach import ReachError, bridge_gateway, choose_host, resolve_listen
from coordinator.rpc.settings import RpcSettings
from coordinator.shipped import SHIPPED
from tests.e2e_support import free_port
from tests.support import CONFIGS, need
from tests.test_cli import DEAD_NODE, ROOT, coordinator, private_testnet_config, wait_for_line


def bridge(*configs: dict[str, str]) -> dict[str, Any]:
    """The shape of `docker network inspect bridge` (docker-py's attrs)."""
    return {"Name": "bridge", "IPAM": {"Driver": "default", "Config": list(configs)}}


def test_the_default_is_auto_on_upstreams_port() -> None:
    rpc = RpcSettings()
    assert rpc.listen == "auto:50051" and rpc.listen_auto and rpc.listen_port == 50051
    with pytest.raises(ValueError, match="not resolved"):
        _ = rpc.listen_address
    settings = Settings.model_validate({"sui": {"package_id": "0x1"}})
    assert settings.agent_coordinator_url == "http://host.docker.internal:50051"


@pytest.mark.parametrize("listen", ["auto:", "auto:x", "auto:0", "auto:70000", "auto"])
def test_a_bad_auto_is_refused(listen: str) -> None:
    with pytest.raises(ValidationError, match=r"port|auto:PORT|host:port"):
        RpcSettings(listen=listen)


@pytest.mark.parametrize(
    ("use_tee", "network_mode", "chosen"),
    [(False, "bridge", "172.17.0.1"), (False, "my-net", "172.17.0.1"),
     (False, "host", "127.0.0.1"), (False, "none", "127.0.0.1"),
     (True, "bridge", "127.0.0.1"), (True, "host", "127.0.0.1")],
)
def test_the_bind_decision(use_tee: bool, network_mode: str, chosen: str) -> None:
    assert choose_host(use_tee=use_tee, network_mode=network_mode,
                       gateway="172.17.0.1") == chosen


def test_no_gateway_on_a_bridge_is_one_line() -> None:
    with pytest.raises(ReachError, match=r"^rpc\.listen: auto: .*set rpc\.listen to IP:port"):
        choose_host(use_tee=False, network_mode="bridge", gateway=None)


@pytest.mark.parametrize(
    ("network", "gateway"),
    [(bridge({"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"}), "172.17.0.1"),
     # Docker leaves Gateway out when it is the subnet's first host.
     (bridge({"Subnet": "172.18.0.0/16"}), "172.18.0.1"),
     (bridge({"Subnet": "fd00::/64", "Gateway": "fd00::1"},
             {"Subnet": "10.9.0.0/24", "Gateway": "10.9.0.254"}), "10.9.0.254"),
     (bridge({"Subnet": "fd00::/64"}), None),
     (bridge(), None), ({}, None)],
)
def test_the_gateway_from_the_engines_answer(network: dict[str, Any],
                                             gateway: str | None) -> None:
    assert bridge_gateway(network) == gateway


async def test_resolve_asks_the_engine_only_on_a_bridge(
        monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []

    async def gateway(wait_secs: float) -> str:
        asked.append(1)
        await trio.lowlevel.checkpoint()
        return "172.17.0.1"

    monkeypatch.setattr(reach, "_engine_bridge_gateway", gateway)
    auto = RpcSettings(listen="auto:50051")
    resolved = await resolve_listen(auto, DockerSettings())
    assert resolved.listen == "172.17.0.1:50051" and asked == [1]
    assert resolved.listen_address == ("172.17.0.1", 50051)
    for loopback in (DockerSettings(use_tee=True), DockerSettings(network_mode="host")):
        assert (await resolve_listen(auto, loopback)).listen == "127.0.0.1:50051"
    for explicit in ("", "0.0.0.0:50051", "127.0.0.1:7000"):
        rpc = RpcSettings(listen=explicit)
        assert await resolve_listen(rpc, DockerSettings()) is rpc
    assert asked == [1]


async def test_an_engine_that_does_not_answer_is_one_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(ReachError, match=r"^rpc\.listen: auto: cannot ask the Docker engine "
                                         r"for its bridge gateway \(no answer within 1\.5 s\)"):
        await resolve_listen(RpcSettings(), DockerSettings(), wait_secs=1.5)


async def test_the_real_engines_answer_is_its_bridge_gateway() -> None:
    """The engine asked over its own socket; the address is only compared."""
    try:
        client = docker.from_env(timeout=30)
        network = client.networks.get("bridge").attrs
        client.close()
    except DockerException as exc:
        need(f"no Docker engine reachable: {exc}")
    expected = bridge_gateway(network)
    if expected is None:
        need("the engine's bridge network has no IPv4 gateway")
    resolved = await resolve_listen(RpcSettings(), DockerSettings())
    assert resolved.listen == f"{expected}:50051"
    assert ipaddress.ip_address(expected).is_private and expected != "0.0.0.0"


def test_the_daemon_binds_what_auto_resolves_to(tmp_path: Path) -> None:
    """The whole start, as a process: auto under host networking is loopback."""
    port = free_port()
    config = Path(private_testnet_config(tmp_path))
    text = config.read_text().replace('listen = ""', f'listen = "auto:{port}"', 1)
    config.write_text(text.replace("use_tee = false", 'use_tee = false\nnetwork_mode = "host"'))
    proc = coordinator("--config", str(config), "--rpc-url", DEAD_NODE)
    try:
        wait_for_line(proc, f"listening on TCP 127.0.0.1:{port}")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err


@pytest.mark.parametrize("path", [*(CONFIGS / f"{name}.toml" for name in SHIPPED),
                                  ROOT / "config" / "enclave.toml"])
async def test_every_shipped_config_is_reachable_as_shipped(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unchanged, each tells agents upstream's URL and binds where they are."""
    async def gateway(wait_secs: float) -> str:
        await trio.lowlevel.checkpoint()
        return "172.17.0.1"

    monkeypatch.setattr(reach, "_engine_bridge_gateway", gateway)
    settings = load_settings(path, env={"COORDINATION_PACKAGE_ID": "0x2"})
    assert settings.agent_coordinator_url == "http://host.docker.internal:50051"
    resolved = await resolve_listen(settings.rpc, settings.docker)
    loopback = settings.docker.use_tee or settings.docker.network_mode == "host"
    assert resolved.listen == ("127.0.0.1:50051" if loopback else "172.17.0.1:50051")
