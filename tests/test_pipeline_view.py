"""The proof pipeline in the live view and the metrics: the daemon follows a
served simulator on which an app instance walks reference §4's pipeline (two
sequences, their proofs, a merge job and its merged proof, the block, its
settlement on a test chain); GetStatus shows the instance's proofs, merges,
blocks and settlement, the live view and the plain line render them, and
/metrics counts them."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import trio
from rich.console import Console

from coordinator import app
from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import load_settings
from coordinator.console import live_view
from coordinator.events.models import app_instance_address
from coordinator.simnet import Simnet, serve
from coordinator.simnet.objects import AppMethod
from coordinator.status_text import summary_line
from coordinator.sui.calls import block, prover, settlement
from tests.e2e_support import free_port, status_when, write_config

T0 = 1_764_000_000_000
CHAIN = "test:local"


def submit(sequences: tuple[int, ...], merged: tuple[tuple[int, ...] | None, ...] = (None, None)
           ) -> prover.SubmitProof:
    return prover.SubmitProof(1, sequences, merged[0], merged[1], f"job-{sequences}",
                              f"cache:public:p{sequences}", 8, "x86_64-linux", 16_000_000, 1000)


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0  # a labelled counter is absent until first counted


def walk(sim: Simnet, clock: list[int]) -> str:
    """Reference §4 on instance `add`, each call its own transaction; the
    instance's address."""
    for k in range(3):  # sequence 0's state, then the two actions' sequences 1 and 2
        clock[0] += 1000
        sim.move_call("add", block.IncreaseSequence(f"o{k}".encode(), f"t{k}".encode()))
    sim.move_call("add", submit((1,)))
    sim.move_call("add", submit((2,)))
    sim.move_call("add", prover.CreateMergeJob(1, (1, 2), (1,), (2,), "merge [1] with [2]"))
    merge = max(sim.app_instance("add").jobs)
    sim.start_job("add", merge)
    sim.complete_job("add", merge)
    sim.move_call("add", submit((1, 2), ((1,), (2,))))
    clock[0] += 60_001
    sim.move_call("add", block.TryCreateBlock())
    sim.move_call("add", block.UpdateBlockStateDataAvailability(1, "cache:public:state"))
    sim.move_call("add", block.UpdateBlockProofDataAvailability(1, "cache:public:proof"))
    sim.move_call("add", settlement.UpdateBlockSettlementTxHash(CHAIN, 1, "h"))
    sim.move_call("add", settlement.UpdateBlockSettlementTxIncludedInBlock(CHAIN, 1, clock[0]))
    return app_instance_address(sim.app_instance("add").app_instance)


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text: str = answer.read().decode()
    return text


def settled(status: pb.GetStatusResponse) -> bool:
    """The block's settlement seen, and every proof of the walk attributed."""
    return (any(row.blocks_settled for row in status.pipeline)
            and status.pipeline_attribution.attributed >= 3
            and not status.pipeline_attribution.queued)


async def test_the_pipeline_per_app_instance_in_the_status_and_metrics(
    tmp_path: Path, sock_dir: Path,
) -> None:
    clock = [T0]
    sim = Simnet(checkpoint_interval_secs=0.1, layout="2025-11", clock_ms=lambda: clock[0])
    method = AppMethod("dev", "agent", "prove")
    sim.create_app_instance("add", methods={"add": method, "merge": method, "settle": method},
                            settlement_chains={CHAIN: None})
    metrics_port = free_port()
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        daemon = write_config(tmp_path, sock_dir, f"http://{target}",
                              extra=f'[metrics]\nlisten = "127.0.0.1:{metrics_port}"\n')
        nursery.start_soon(app.run, load_settings(daemon.config, env={}))
        await status_when(daemon.socket, lambda s: s.connection.state == "connected",
                          within=60, what="the daemon following the chain")
        # The counters are the process's: other tests in this run may have
        # counted before, so the walk's own counts are the differences.
        before = await trio.to_thread.run_sync(scrape, metrics_port)
        instance = walk(sim, clock)
        status = await status_when(daemon.socket, settled, within=60,
                                   what="the block's settlement seen")
        after = await trio.to_thread.run_sync(scrape, metrics_port)
        nursery.cancel_scope.cancel()

    rows = {row.app_instance: row for row in status.pipeline}
    row = rows[instance]
    assert (row.blocks_created, row.last_block, row.blocks_proved, row.blocks_settled,
            row.last_settled_block) == (1, 1, 1, 1, 1)
    assert (row.merges_created, row.merges_completed) == (1, 1)
    # A submit_proof alone in its transaction names no instance (reference §1.8):
    # the chain's effects say which AppInstance it changed, so its proof is the
    # instance's, and no row is left without an instance.
    assert set(rows) == {instance}
    assert row.proofs_submitted == 3
    attribution = status.pipeline_attribution
    assert attribution.enabled
    assert (attribution.attributed, attribution.failed, attribution.queued) == (3, 0, 0)

    prefix = "silvana_coordinator_pipeline"

    def counted(name: str) -> float:
        return metric(after, name) - metric(before, name)

    assert counted(f'{prefix}_proofs_total{{event="submitted"}}') == 3
    assert counted(f'{prefix}_merges_total{{event="created"}}') == 1
    assert counted(f'{prefix}_merges_total{{event="completed"}}') == 1
    assert counted(f'{prefix}_blocks_total{{event="created"}}') == 1
    assert counted(f'{prefix}_blocks_total{{event="proved"}}') == 1
    assert counted(f"{prefix}_settlements_total") == 1
    assert counted(f'{prefix}_attribution_total{{result="attributed"}}') == 3

    line = summary_line(status, 0.0)
    assert "pipeline 1 app instances: proofs 3, merges 1/1, blocks 1, settled 1" in line
    console = Console(width=200, record=True, color_system=None)
    console.print(live_view(status, 0.0))
    screen = console.export_text()
    assert "proof pipeline" in screen and instance[:10] in screen
    assert "(no instance named)" not in screen
    assert "attributed 3" in screen and "attributed 3" in line
