"""Observing only (`settle.observe_only`, `--observe-only`): the daemon follows
the chain and shows its jobs, and claims, runs and settles none. It is how a
keyless daemon starts outside a local chain, so the operator must be able to
tell it apart: GetStatus, the status line and the metrics all say the mode.

The daemon runs in-process against the simulator on loopback; no container is
started, so Docker is not needed.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import trio

from coordinator import app
from coordinator.config import load_settings
from coordinator.simnet import Simnet, serve
from coordinator.status_text import OBSERVING, summary_line
from tests.e2e_support import free_port, status_when, write_config

DEV, AGENT, METHOD, APP = "dev", "agent", "prove", "app"


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return str(response.read().decode())


async def test_observing_runs_no_job_and_every_view_says_so(
    tmp_path: Path, sock_dir: Path,
) -> None:
    sim = Simnet(checkpoint_interval_secs=0.2)
    sim.register_developer(DEV)
    sim.register_agent(DEV, AGENT)
    sim.add_method(DEV, AGENT, METHOD, docker_image="silvana-test/never-pulled:1")
    sim.create_app_instance(APP)
    port = free_port()
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        # Testnet and keyless: it starts only because it is told to observe.
        daemon = write_config(
            tmp_path, sock_dir, f"http://{target}", sui='chain = "testnet"',
            extra=f'[settle]\nobserve_only = true\n[metrics]\nlisten = "127.0.0.1:{port}"\n')
        nursery.start_soon(app.run, load_settings(daemon.config, env={}))
        for n in range(2):
            sim.create_job(APP, developer=DEV, agent=AGENT, method=METHOD, data=bytes([n]))
        await status_when(daemon.socket, lambda s: s.jobs_by_state["pending"] == 2,
                          within=30, what="2 jobs seen")
        await trio.sleep(1.0)  # a runner would have started one by now
        status = await status_when(daemon.socket, lambda s: True, within=5, what="a status")
        metrics = await trio.to_thread.run_sync(scrape, port)
        nursery.cancel_scope.cancel()
    assert status.mode == "observe"
    assert status.jobs_by_state["pending"] == 2 and not status.running
    assert status.docker_state == "not used (observe only)"
    assert not status.settlement.enabled
    assert f"settle {OBSERVING}" in summary_line(status, 0.0)
    assert 'silvana_coordinator_mode{mode="observe"} 1.0' in metrics
    assert 'silvana_coordinator_mode{mode="chain"} 0.0' in metrics
