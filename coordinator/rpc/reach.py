"""Where the agent API listens on TCP when `rpc.listen` is `auto:PORT` (the default).

Upstream's SDK dials `http://host.docker.internal:50051`, and agent containers
map that name to the host (`coordinator.docker.container`): under host
networking (TEE mode included) it is 127.0.0.1, on a bridge it is Docker's
`host-gateway`, the default bridge's gateway address. So the listener binds
exactly there: the operator's containers reach it, and a port on the bridge's
gateway is not one a machine on the operator's LAN is offered (unlike
0.0.0.0, which only an explicit `rpc.listen` gives). The decision is a pure
function (`choose_host`) of the engine's answer, so it is tested without
touching the bridge; `resolve_listen` asks the engine once, at start.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import trio

from coordinator.docker.engine import DockerEngine, DockerError, retrying
from coordinator.docker.settings import DockerSettings
from coordinator.errors import SetupError
from coordinator.rpc.settings import AUTO, RpcSettings

__all__ = ["LOOPBACK", "ReachError", "bridge_gateway", "choose_host", "resolve_listen"]

LOOPBACK = "127.0.0.1"

# How long a start waits for an engine that is still starting (a boot where
# Docker and the coordinator start together) before it gives up in one line.
ENGINE_WAIT_SECS = 30.0

# Agents on these networks see the host's loopback as their own (or have no
# network at all, and use their socket).
_LOOPBACK_MODES = frozenset({"host", "none"})


class ReachError(SetupError):
    """`rpc.listen = "auto:PORT"` cannot be resolved; one line (exit 2)."""


def choose_host(*, use_tee: bool, network_mode: str, gateway: str | None) -> str:
    """The address to bind: loopback when agents share the host's network (TEE
    mode, `network_mode = "host"`) or have none, else the bridge `gateway`,
    which every bridge container's `host-gateway` mapping names."""
    if use_tee or network_mode in _LOOPBACK_MODES:
        return LOOPBACK
    if gateway is None:
        raise ReachError(
            f"rpc.listen: {AUTO}: the Docker engine names no gateway for its bridge network; "
            "set rpc.listen to IP:port (the address agent containers reach the host at)")
    return gateway


def bridge_gateway(network: dict[str, Any]) -> str | None:
    """The IPv4 gateway of a network as the engine describes it (`docker network
    inspect bridge`); without an explicit one, the subnet's first host, which
    is where Docker puts the gateway when none is configured."""
    configs = (network.get("IPAM") or {}).get("Config") or []
    for config in configs:
        gateway = config.get("Gateway")
        if gateway and ipaddress.ip_address(gateway.split("/")[0]).version == 4:
            return str(gateway.split("/")[0])
    for config in configs:
        subnet = config.get("Subnet")
        if subnet:
            net = ipaddress.ip_network(subnet, strict=False)
            if net.version == 4 and net.num_addresses > 2:
                return str(net.network_address + 1)
    return None


async def resolve_listen(rpc: RpcSettings, docker: DockerSettings, *,
                         wait_secs: float = ENGINE_WAIT_SECS) -> RpcSettings:
    """`rpc` with `auto:PORT` replaced by the address `choose_host` picks (the
    engine asked only when agents use a bridge, waiting up to `wait_secs` for
    it to answer); other values unchanged."""
    port = rpc.listen_port
    if not rpc.listen_auto or port is None:
        return rpc
    gateway = None
    if not (docker.use_tee or docker.network_mode in _LOOPBACK_MODES):
        gateway = await _engine_bridge_gateway(wait_secs)
    host = choose_host(use_tee=docker.use_tee, network_mode=docker.network_mode,
                       gateway=gateway)
    return rpc.model_copy(update={"listen": f"{host}:{port}"})


async def _engine_bridge_gateway(wait_secs: float) -> str | None:
    engine = await _connect(wait_secs)
    try:
        try:
            network = await engine.call(lambda: engine.client.networks.get("bridge").attrs)
        finally:
            await engine.aclose()
    except DockerError as exc:
        raise _unanswered(str(exc)) from None
    return bridge_gateway(network)


async def _connect(wait_secs: float) -> DockerEngine:
    """The engine, once it answers (retried with a warning while it does not)."""
    with trio.move_on_after(wait_secs):
        try:
            return await retrying(DockerEngine.connect, what=f"rpc.listen: {AUTO}")
        except DockerError as exc:
            raise _unanswered(str(exc)) from None
    raise _unanswered(f"no answer within {wait_secs:g} s")


def _unanswered(why: str) -> ReachError:
    return ReachError(f"rpc.listen: {AUTO}: cannot ask the Docker engine for its bridge "
                      f"gateway ({why}); start Docker or set rpc.listen to IP:port")
