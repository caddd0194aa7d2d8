"""Claims among coordinators (issue 25): 3 daemons with their own keys on one
embedded simulator (`tests/coordinators.py`), a burst of 90 jobs of the demo
agent (`work:0.2`), with `[shares]` on (ours) and off (upstream's race for the
oldest job: the baseline), in the same run.

Before the burst, jobs go one at a time until every daemon has won a claim
(they have seen each other claim on the app instance); the figures count the
burst only (the warm-up is reported apart). Figures per mode:
- `lost_claims_ratio`: claims the chain refused / claims sent (daemons' status);
- `claims_share_min`: the smallest share of the burst one coordinator completed;
- `gas_per_job`: what the three keys paid (the simulator's coins), per job, net
  of storage rebates; `gas_computation_per_job`: their transactions'
  computation alone (what a lost claim costs);
- `claims_write_rpcs_per_job`: the Sui calls of transactions and what prepares
  them (`bench.daemon.WRITE_CALLS`) the simulator received, per job.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import docker
import trio

from bench.common import Results, progress, scratch_dir
from bench.daemon import WRITE_CALLS
from coordinator.simnet import Simnet
from tests.coordinators import Coordinators, Tally
from tests.e2e_support import build_agent_image, make_agent_variant
from tests.support import METHOD

JOBS = 90
COORDINATORS = 3
WORK = "work:0.2"
MODES = {"": "", "_race": "[shares]\nenabled = false\n"}
TIMEOUT_SECS = 300


@dataclass
class Round:
    warm_up_jobs: int
    warm_up_lost: int
    tally: Tally
    shares: dict[str, int]
    lost: int
    sent: int
    gas: int
    computation: int
    writes: int
    secs: float


def run(results: Results) -> None:
    client = docker.from_env(timeout=60)
    image = make_agent_variant(client, build_agent_image(), WORK)
    try:
        for suffix, extra in MODES.items():
            with scratch_dir("claims") as directory:
                done = trio.run(_round, client, directory, image, extra)
            mode = "race (shares off)" if suffix else "shares"
            progress(f"claims {mode}: {done.lost} of {done.sent} claims lost, shares "
                     f"{sorted(done.shares.values())}, {done.secs:.1f} s; warm-up "
                     f"{done.warm_up_jobs} job(s), {done.warm_up_lost} lost")
            results.add(f"lost_claims_ratio{suffix}", done.lost / max(1, done.sent), "ratio",
                        f"{mode}: claims refused on chain / claims sent, {COORDINATORS} "
                        f"coordinators, burst of {JOBS} jobs")
            results.add(f"claims_share_min{suffix}", min(done.shares.values()) / JOBS, "ratio",
                        f"{mode}: the smallest share of the burst one coordinator completed")
            results.add(f"gas_per_job{suffix}", done.gas / JOBS, "MIST",
                        f"{mode}: gas the {COORDINATORS} keys paid per job (the simulator's "
                        "coins), net of storage rebates (negative: the rebates of the "
                        "deleted jobs exceed the cost)")
            results.add(f"gas_computation_per_job{suffix}", done.computation / JOBS, "MIST",
                        f"{mode}: of it, computation alone (what a lost claim wastes)")
            results.add(f"claims_write_rpcs_per_job{suffix}", done.writes / JOBS, "calls/job",
                        f"{mode}: transaction calls and what prepares them, all coordinators")
            results.add(f"claims_warm_up_lost{suffix}", done.warm_up_lost, "claims",
                        f"{mode}: claims lost while the {done.warm_up_jobs} warm-up job(s) ran")
    finally:
        client.images.remove(image, force=True)


async def _round(client: docker.DockerClient, directory: Path, image: str,
                 extra: str) -> Round:
    group = Coordinators.with_app({METHOD: image}, directory, directory / "s")
    (directory / "s").mkdir()
    try:
        async with trio.open_nursery() as nursery:
            await group.serve(nursery)
            await group.start(COORDINATORS, extra=extra)
            warm = await group.warm_up(METHOD)
            before = await group.tally([])
            calls = _writes(group.sim)
            started = trio.current_time()
            jobs = group.create_jobs(JOBS, METHOD)
            await group.finish(jobs, TIMEOUT_SECS)
            secs = trio.current_time() - started
            # The last completions' answers reach the daemons' status a moment later.
            await trio.sleep(1.0)
            tally = await group.tally(jobs)
            writes = sum((_writes(group.sim) - calls).values())
            nursery.cancel_scope.cancel()
    finally:
        group.stop(client)
    won = sum(tally.claims_won.values()) - sum(before.claims_won.values())
    lost = sum(tally.claims_lost.values()) - sum(before.claims_lost.values())
    gas = sum(tally.gas_mist.values()) - sum(before.gas_mist.values())
    computation = (sum(tally.computation_mist.values())
                   - sum(before.computation_mist.values()))
    once = [job for job, who in tally.started.items() if len(who) != 1]
    if once:
        raise AssertionError(f"jobs started other than once: {once}")
    return Round(warm, sum(before.claims_lost.values()), tally, tally.shares(group.members),
                 lost, won + lost, gas, computation, writes, secs)


def _writes(sim: Simnet) -> Counter[str]:
    return Counter({m: n for m, n in sim.rpc_counts.items() if m in WRITE_CALLS})
