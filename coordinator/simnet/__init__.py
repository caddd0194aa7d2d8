"""The embedded Sui simulator: a purerpc server of the coordinator's Sui v2 subset.

It speaks the real wire format (the messages of proto/sui/rpc/v2) and models
what the coordinator watches: checkpoints sealed at an interval, the
coordination package's events encoded as BCS exactly as its Move layouts, the
registry, developers, agents, app instances and jobs as objects, and faults
on demand. For tests, the demo, and trying the coordinator by hand.

    sim = Simnet(checkpoint_interval_secs=0)          # seal on demand
    sim.register_developer("dev"); sim.register_agent("dev", "agent")
    sim.add_method("dev", "agent", "prove", docker_image="img:latest")
    sim.create_app_instance("app")
    job = sim.create_job("app", developer="dev", agent="agent", method="prove", data=b"\\x01")
    sim.seal()
    await serve(sim, "127.0.0.1", 9000)   # or the daemon: simnet_child(settings)

Modules. The engine, which knows no Move module: `engine` (transactions,
objects, gas coins), `schedule` (checkpoints and timed actions), `chain`
(checkpoints, cursors), `move_object` (the object base), `objects` (app
instances and jobs), `pipeline_objects` (an instance's blocks, proofs,
sequence states, settlements), `tables` (their ObjectTables in the store),
`coins` (SUI gas coins), `handlers` (how a Move module plugs in), and signed
transactions: `checks` (what a node refuses), `gas` (the gas model),
`execution` (run, simulate, execute), `effects` (what a run did, as effects);
what a wallet or SDK asks of a node besides: `structured` (transactions in
their proto form, object inputs resolved), `gas_selection` (do_gas_selection),
`system` (the epoch's system state and protocol config), `package` (the hosted
package as MovePackageService describes it).
The Move modules, one file each in `move/` (`registry`, `app_instance`,
`jobs`, `jobs_2025_08`, `prover`, `sequence_state`, `block`, `settlement`;
`Simnet.move_call` runs any of their calls directly): a new module is a new
file there and its handler table in `sim`. `sim`: the Simnet, the engine with
the Move modules. Around them: `faults`, `filters` (filters and read masks),
`messages` (records -> protobuf), `services/` (the Sui servicers, one module
per service), `admin` (SimnetAdmin), `scenario` (TOML files), `settings` (the
`[simnet]` section), `server`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coordinator.simnet.engine import DEFAULT_PACKAGE_ID
    from coordinator.simnet.errors import SimnetError, UnknownObject
    from coordinator.simnet.faults import SUI_METHODS, Faults
    from coordinator.simnet.scenario import Scenario, ScenarioError, build_simnet, load_scenario
    from coordinator.simnet.server import run_simnet, serve
    from coordinator.simnet.sim import Simnet

# The names above, loaded on first use: `coordinator.config` reads
# `coordinator.simnet.settings`, and that must not load the simulator.
_WHERE = {
    "SUI_METHODS": "faults", "Faults": "faults",
    "Scenario": "scenario", "ScenarioError": "scenario", "build_simnet": "scenario",
    "load_scenario": "scenario",
    "run_simnet": "server", "serve": "server",
    "DEFAULT_PACKAGE_ID": "engine", "Simnet": "sim", "SimnetError": "errors",
    "UnknownObject": "errors",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)


__all__ = [
    "DEFAULT_PACKAGE_ID",
    "SUI_METHODS",
    "Faults",
    "Scenario",
    "ScenarioError",
    "Simnet",
    "SimnetError",
    "UnknownObject",
    "build_simnet",
    "load_scenario",
    "run_simnet",
    "serve",
]
