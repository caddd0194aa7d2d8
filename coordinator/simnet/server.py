"""Serve a `Simnet` over gRPC (HTTP/2, plaintext) on one TCP address.

Sui's LedgerService, SubscriptionService, StateService,
TransactionExecutionService and MovePackageService plus our SimnetAdmin share
the listener.
`simnet_child` is the daemon's optional
`simnet` child.
"""

from __future__ import annotations

import functools
import logging

import trio

from coordinator.grpc import serve_tcp
from coordinator.hostport import split_host_port
from coordinator.simnet.admin import AdminService
from coordinator.simnet.scenario import build_simnet, load_scenario
from coordinator.simnet.services import (
    LedgerService,
    MovePackageService,
    StateService,
    SubscriptionService,
    TransactionExecutionService,
)
from coordinator.simnet.settings import SimnetSettings
from coordinator.simnet.sim import Simnet
from coordinator.supervisor import Child, ChildSpec

log = logging.getLogger("coordinator.simnet")


async def serve(
    sim: Simnet,
    host: str,
    port: int,
    *,
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the simulator's clock and serve it on host:port only (port 0: any free one);
    `task_status.started` gets the bound "host:port"."""
    services = (
        LedgerService(sim),
        SubscriptionService(sim),
        StateService(sim),
        TransactionExecutionService(sim),
        MovePackageService(sim),
        AdminService(sim),
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(sim.run)
        bound = await nursery.start(serve_tcp, host, port, *services)
        address = f"[{host}]:{bound}" if ":" in host else f"{host}:{bound}"
        log.info(
            "simnet listening on %s (chain id %s, package %s, registry %s, tip %d)",
            address,
            sim.chain.chain_id,
            sim.package_id,
            sim.registry.id,
            sim.chain.tip.sequence_number,
        )
        task_status.started(address)


def simnet_from_settings(
    config: SimnetSettings, *, package_id: str, registry_id: str | None
) -> Simnet:
    """The simulator `[simnet]` describes; `ScenarioError` for a bad scenario file.

    The chain uses the coordinator's `sui.package_id` (and `sui.registry_id`
    when set), so the two agree whatever the scenario says.
    """
    scenario = load_scenario(config.scenario) if config.scenario else None
    if scenario and scenario.chain.package_id not in (None, package_id):
        log.warning(
            "scenario package %s differs from sui.package_id; using %s",
            scenario.chain.package_id,
            package_id,
        )
    interval_set = "checkpoint_interval_secs" in config.model_fields_set
    return build_simnet(
        scenario,
        package_id=package_id,
        registry_id=registry_id,
        checkpoint_interval_secs=config.checkpoint_interval_secs if interval_set else None,
    )


async def run_simnet(
    config: SimnetSettings,
    sim: Simnet,
    *,
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `sim` on `[simnet] listen`, forever; reports the bound "host:port"."""
    host, port = split_host_port(config.listen)
    await serve(sim, host, port, task_status=task_status)


def simnet_child(
    config: SimnetSettings, *, package_id: str, registry_id: str | None,
    coordinator: str | None = None,
) -> ChildSpec:
    """The daemon's `simnet` child, up once it listens. The chain is built here,
    once (`ScenarioError` for a bad scenario file), so it survives restarts.
    `coordinator` (the daemon's address) gets `fund_coordinator_mist`."""
    sim = simnet_from_settings(config, package_id=package_id, registry_id=registry_id)
    if coordinator is not None and config.fund_coordinator_mist:
        sim.fund(coordinator, config.fund_coordinator_mist)
        log.info("simnet: funded the coordinator's address %s with %d MIST", coordinator,
                 config.fund_coordinator_mist)
    return ChildSpec("simnet", lambda: Child(functools.partial(run_simnet, config, sim)))
