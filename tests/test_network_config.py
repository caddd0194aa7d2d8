"""The registry from Silvana's config service: asked once at start while
`sui.registry_id` is empty, as upstream's coordinator asks it.

The service here is a real gRPC server on loopback speaking upstream's
`silvana.rpc.v1.SilvanaRpcService/GetConfig` (names and field numbers as
upstream's rpc.proto), answering as the test tells it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio

from coordinator._pb.silvana.rpc.v1 import config_grpc
from coordinator._pb.silvana.rpc.v1 import config_pb2 as pb
from coordinator.events.models import normalize_address
from coordinator.grpc import serve_tcp
from coordinator.sui.network_config import with_registry
from coordinator.sui.settings import SuiSettings
from tests.e2e_support import Daemon, status_when
from tests.support import DEAD_NODE
from tests.test_e2e_jobs import chain, create_jobs, outcome_reasons, start

PACKAGE = normalize_address("0x5117a7a")
REGISTRY = normalize_address("0x916a3b24de8165fb6fb25d060ec82b50683dc9e9cebf0dfae559f943ee32adb2")


class ConfigService(config_grpc.SilvanaRpcServiceServicer):
    """GetConfig answering `config` (or refusing with `refusal`); `asked`: the
    chains it was asked for."""

    def __init__(self, config: dict[str, str], refusal: str = "") -> None:
        self.config = config
        self.refusal = refusal
        self.asked: list[str] = []

    async def GetConfig(self, input_message: pb.GetConfigRequest) -> pb.GetConfigResponse:
        self.asked.append(input_message.chain)
        if self.refusal:
            return pb.GetConfigResponse(success=False, message=self.refusal)
        return pb.GetConfigResponse(success=True, config=self.config)


async def served(nursery: trio.Nursery, service: ConfigService) -> str:
    port = await nursery.start(serve_tcp, "127.0.0.1", 0, service.service)
    return f"http://127.0.0.1:{port}"


def sui(url: str, **keys: str) -> SuiSettings:
    return SuiSettings(package_id=PACKAGE, chain="testnet", config_service=url, **keys)


@pytest.fixture
async def service_url(nursery: trio.Nursery) -> AsyncIterator[tuple[ConfigService, str]]:
    service = ConfigService({"SILVANA_REGISTRY": REGISTRY, "SILVANA_REGISTRY_PACKAGE": "0x5117a7a",
                             "LAST_VERSION": "1.0.0"})
    yield service, await served(nursery, service)


async def test_an_empty_registry_is_filled_from_the_service(
    service_url: tuple[ConfigService, str], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="coordinator.sui")
    service, url = service_url
    learned = await with_registry(sui(url))
    assert learned.registry_id == REGISTRY
    assert service.asked == ["testnet"]
    assert f"registry {REGISTRY} from the config service {url} (testnet)" in caplog.text


async def test_the_operators_registry_wins_and_the_service_is_not_asked(
    service_url: tuple[ConfigService, str],
) -> None:
    service, url = service_url
    mine = normalize_address("0x77")
    assert (await with_registry(sui(url, registry_id=mine))).registry_id == mine
    assert service.asked == []


@pytest.mark.parametrize(("config", "refusal", "reason"), [
    ({"SILVANA_REGISTRY": REGISTRY, "SILVANA_REGISTRY_PACKAGE": "0x32f8"}, "",
     f"its registry {REGISTRY} belongs to package 0x32f8, not to sui.package_id {PACKAGE}"),
    ({"SILVANA_REGISTRY": "0xzz"}, "", "its SILVANA_REGISTRY '0xzz' is not an object id"),
    ({}, "", "the answer names no SILVANA_REGISTRY"),
    ({}, "unknown chain", "GetConfig refused: unknown chain"),
])
async def test_an_unusable_answer_is_one_warning_and_no_registry(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture,
    config: dict[str, str], refusal: str, reason: str,
) -> None:
    url = await served(nursery, ConfigService(config, refusal))
    assert (await with_registry(sui(url))).registry_id is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and reason in warnings[0], warnings
    assert "set sui.registry_id or SILVANA_REGISTRY" in warnings[0]


async def test_a_service_out_of_reach_is_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    assert (await with_registry(sui(DEAD_NODE))).registry_id is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "cannot reach it" in warnings[0], warnings


async def test_a_local_chain_never_asks(service_url: tuple[ConfigService, str]) -> None:
    service, url = service_url
    local = SuiSettings(package_id=PACKAGE, chain="localnet", config_service=url)
    assert (await with_registry(local)).registry_id is None
    assert service.asked == []


@pytest.mark.docker
async def test_a_first_start_at_the_tip_runs_jobs_of_methods_known_only_to_the_service(
    agent_image: str, tmp_path: Path, sock_dir: Path, daemons: list[Daemon],
) -> None:
    """As on testnet: the agent's method was registered before the daemon's
    first start at the tip, no registry is configured; the config service names
    it, and the jobs run."""
    sim = chain(agent_image)
    sim.seal()  # the method is history before the daemon starts
    service = ConfigService({"SILVANA_REGISTRY": sim.registry.id,
                             "SILVANA_REGISTRY_PACKAGE": "0x5117a7a"})
    async with trio.open_nursery() as nursery:
        url = await served(nursery, service)
        daemon = await start(nursery, sim, tmp_path, sock_dir, start_checkpoint=None,
                             sui=f'chain = "testnet"\nconfig_service = "{url}"')
        daemons.append(daemon)
        await status_when(daemon.socket, lambda s: s.connection.state == "connected",
                          within=30, what="connected")
        ids = create_jobs(sim, 2)
        status = await status_when(
            daemon.socket, lambda s: s.jobs_by_state["completed"] == 2 and not s.running,
            within=60, what="2 jobs completed with a method found through the registry")
        nursery.cancel_scope.cancel()
    assert sorted(outcome_reasons(status)) == ids
    assert service.asked == ["testnet"]
