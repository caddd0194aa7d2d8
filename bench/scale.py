"""How the coordinator scales (issue 25, docs/scaling.md), on the embedded
simulator through `tests/coordinators.py`, the demo agent in real containers:

- `throughput_3_vs_1_ratio`: container-bound work (`work:1.0` per job, 2
  containers per daemon) — a burst of jobs run by 1 coordinator, then by 3
  with their own keys (shares on); jobs completed per second, 3 / 1;
- one coordinator fed at 1, 10 and 100 jobs/s (`work:0`, 4 containers, each
  taking further jobs through GetJob): the rate it completed, its CPU per job
  (from /proc), the Sui calls per job it made (reads and writes apart), and the
  pending jobs left when the feed stopped.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import docker
import trio

from bench.common import Results, cpu_secs, progress, scratch_dir
from bench.daemon import WRITE_CALLS
from tests.coordinators import Coordinators
from tests.e2e_support import build_agent_image, make_agent_variant
from tests.support import METHOD

BURST = 48
SLOTS = 2
RATES = {1: 20.0, 10: 10.0, 100: 5.0}  # jobs/s -> seconds fed
TIMEOUT_SECS = 300


def run(results: Results) -> None:
    client = docker.from_env(timeout=60)
    base = build_agent_image()
    slow, fast = (make_agent_variant(client, base, mode) for mode in ("work:1.0", "work:0"))
    try:
        rates = {}
        for count in (1, 3):
            with scratch_dir("scale") as directory:
                rates[count] = trio.run(_burst, client, directory, slow, count)
            progress(f"scale: {count} coordinator(s): {rates[count]:.2f} jobs/s")
        results.add("throughput_1_jobs_per_s", rates[1], "jobs/s",
                    f"1 coordinator, {SLOTS} containers, burst of {BURST} jobs of 1 s each")
        results.add("throughput_3_jobs_per_s", rates[3], "jobs/s", "3 coordinators, the same")
        results.add("throughput_3_vs_1_ratio", rates[3] / rates[1], "x",
                    "higher is better; 3.0 is linear")
        for rate, secs in RATES.items():
            with scratch_dir("scale") as directory:
                figures = trio.run(_feed, client, directory, fast, rate, secs)
            progress(f"scale: fed {rate} jobs/s: {figures}")
            for name, (value, unit) in figures.items():
                results.add(f"scale_{rate}_per_s_{name}", value, unit,
                            f"one coordinator fed {rate} jobs/s for {secs:g} s")
    finally:
        for image in (slow, fast):
            client.images.remove(image, force=True)


async def _burst(client: docker.DockerClient, directory: Path, image: str,
                 count: int) -> float:
    (directory / "s").mkdir()
    group = Coordinators.with_app({METHOD: image}, directory, directory / "s")
    try:
        async with trio.open_nursery() as nursery:
            await group.serve(nursery)
            await group.start(count, max_concurrent=SLOTS)
            await group.warm_up(METHOD)
            started = trio.current_time()
            jobs = group.create_jobs(BURST, METHOD)
            await group.finish(jobs, TIMEOUT_SECS)
            rate = BURST / (trio.current_time() - started)
            nursery.cancel_scope.cancel()
    finally:
        group.stop(client)
    return rate


async def _feed(client: docker.DockerClient, directory: Path, image: str, rate: int,
                secs: float) -> dict[str, tuple[float, str]]:
    (directory / "s").mkdir()
    group = Coordinators.with_app({METHOD: image}, directory, directory / "s")
    try:
        async with trio.open_nursery() as nursery:
            await group.serve(nursery)
            [member] = await group.start(1, max_concurrent=4)
            await group.warm_up(METHOD)
            pid = member.process.process.pid
            cpu, calls = cpu_secs(pid), Counter(group.sim.rpc_counts)
            started = trio.current_time()
            jobs: list[int] = []
            for n in range(int(rate * secs)):
                await trio.sleep_until(started + n / rate)
                jobs += group.create_jobs(1, METHOD)
            left = len(group.pending(jobs))
            await group.finish(jobs, TIMEOUT_SECS)
            elapsed = trio.current_time() - started
            used = cpu_secs(pid) - cpu
            made = Counter(group.sim.rpc_counts) - calls
            nursery.cancel_scope.cancel()
    finally:
        group.stop(client)
    writes = sum(n for m, n in made.items() if m in WRITE_CALLS)
    reads = sum(n for m, n in made.items() if m not in WRITE_CALLS)
    count = len(jobs)
    return {
        "completed_per_s": (count / elapsed, "jobs/s"),
        "cpu_ms_per_job": (used * 1000 / count, "ms"),
        "write_rpcs_per_job": (writes / count, "calls/job"),
        "read_rpcs_per_job": (reads / count, "calls/job"),
        "pending_at_feed_end": (left, "jobs"),
    }
