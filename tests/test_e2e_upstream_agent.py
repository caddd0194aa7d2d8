"""A new user's first run: the shipped config `local`, an agent built on
upstream's own agent proto (unchanged), nothing set by hand.

The daemon runs in-process with the settings of `coordinator/configs/local.toml`; only what
must differ for a test is moved (ports, paths, the chain's endpoint: the test
serves its own simulator so it can create jobs of every kind). The agent, the
demo agent in its `fields` mode with its service read from upstream's file,
dials `host.docker.internal:<port>` as upstream's SDK does: the shipped config
must make that reachable (host networking, `rpc.listen = "auto:..."` binding
loopback). It prints upstream's env contract and every field of every job.
"""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import trio

from coordinator import app
from coordinator.config import load_settings
from coordinator.simnet import Simnet, serve
from coordinator.sui.keys import SuiKey
from tests.e2e_support import Daemon, _toml, free_port, status_when
from tests.support import AGENT, CONFIGS, DEMO_APP, DEV, METHOD, SUI
from tests.test_e2e_settlement import started_by
from tests.test_e2e_transports import agent_output

pytestmark = pytest.mark.docker


def shipped_config(name: str, directory: Path, socket_dir: Path,
                   moved: dict[str, dict[str, Any]]) -> Daemon:
    """`coordinator/configs/<name>` as shipped, with the `moved` keys replaced, written to
    `directory` (the shipped file itself is never touched)."""
    tree = tomllib.loads((CONFIGS / name).read_text())
    for section, keys in moved.items():
        tree.setdefault(section, {}).update(keys)
    path = directory / name
    path.write_text("".join(
        f"[{section}]\n" + "".join(f"{key} = {_toml(value)}\n" for key, value in keys.items())
        for section, keys in tree.items()))
    return Daemon(path, Path(tree["rpc"]["socket_path"]), Path(tree["state"]["dir"]))


def expected_fields(job: Any, chain: str | None) -> str:
    """The agent's `fields` line for the simulator's job object `job`, as
    upstream's coordinator fills the Job message (`updated_at` is when it was
    handed out: checked apart)."""
    def numbers(values: Any) -> str:
        return ",".join(str(v) for v in values or ()) or "-"

    block = "-" if job.block_number is None else str(job.block_number)
    return (f"fields {job.job_id} job_id={job.job_id}@{job.app_instance} "
            f"description={job.description or '-'} developer={DEV} agent={AGENT} "
            f"agent_method={METHOD} app={job.app} app_instance={job.app_instance} "
            f"app_instance_method={job.app_instance_method} block_number={block} "
            f"sequences={numbers(job.sequences)} sequences1={numbers(job.sequences1)} "
            f"sequences2={numbers(job.sequences2)} data={job.data.hex() or '-'} attempts=1 "
            f"created_at={job.created_at} updated_at=* chain={chain or '-'}")


async def test_an_upstream_agent_runs_on_the_shipped_local_config(
    upstream_agent_image: str, tmp_path: Path, sock_dir: Path, daemons: list[Daemon],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="coordinator.runner")
    key = SuiKey.generate()
    sim = Simnet(checkpoint_interval_secs=0.2, layout="2025-11")
    sim.fund(key.address, 10 * SUI)
    sim.register_developer(DEV)
    sim.register_agent(DEV, AGENT)
    sim.add_method(DEV, AGENT, METHOD, docker_image=upstream_agent_image)
    sim.create_app_instance(DEMO_APP, settlement_chains={"devnet": None})
    port = free_port()
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        daemon = shipped_config("local.toml", tmp_path, sock_dir, {
            "sui": {"rpc_url": f"http://{target}"},
            "simnet": {"enabled": False},  # the test's own simulator instead
            "rpc": {"socket_path": str(sock_dir / "c.sock"), "listen": f"auto:{port}"},
            "state": {"dir": str(tmp_path / "state")},
            "status": {"mode": "off"},
            "metrics": {"listen": ""},
            "docker": {"agent_env": {"AGENT_MODE": "complete,fields"}},
        })
        daemons.append(daemon)
        settings = load_settings(daemon.config, env={"SUI_SECRET_KEY": key.export()})
        assert settings.docker.network_mode == "host"  # as shipped
        nursery.start_soon(app.run, settings)
        jobs = [
            (sim.create_job(DEMO_APP, developer=DEV, agent=AGENT, method=METHOD,
                            app_instance_method="merge", description="merge 1+2",
                            block_number=3, sequences=[1, 2], sequences1=[1], sequences2=[2],
                            data=b"\x01"), None),
            (sim.create_job(DEMO_APP, developer=DEV, agent=AGENT, method=METHOD,
                            app_instance_method="settle", settlement_chain="devnet",
                            data=bytes(16)), "devnet"),
            (sim.create_job(DEMO_APP, developer=DEV, agent=AGENT, method=METHOD,
                            data=b"\x02\x03"), None),
        ]
        await status_when(
            daemon.socket,
            lambda s: s.jobs_by_state["completed"] == len(jobs) and not s.running
            and s.settlement.outbox_operations == 0 and s.settlement.jobs_settled == len(jobs),
            within=120, what=f"{len(jobs)} jobs completed and settled on chain")
        nursery.cancel_scope.cancel()
    output = agent_output(caplog)
    # Reached over TCP where upstream's SDK dials, on loopback (host networking).
    assert f"agent: coordinator at host.docker.internal:{port} (TCP)" in output, output
    # Upstream's env contract, the coordinator's own Sui address as its id.
    contract = (f"env CHAIN=localnet COORDINATOR_ID={key.address} "
                f"COORDINATION_LAYER_ID=sui-localnet COORDINATION_LAYER_TYPE=sui "
                f"OPERATION_MODE=multicall COORDINATOR_URL=http://host.docker.internal:{port}")
    assert contract in output, output
    assert "session=given session_key=given" in output, output
    read = []
    for line in output.splitlines():
        if "fields " in line and "job_id=" in line:
            read.append(re.sub(r" updated_at=\d+", " updated_at=*", line[line.index("fields "):]))
    assert sorted(read) == sorted(expected_fields(job, chain) for job, chain in jobs), output
    # Claimed on chain with the coordinator's key.
    for job, _ in jobs:
        assert started_by(sim, job.job_id) == [key.address], job.job_id
