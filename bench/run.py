"""Run the benchmarks: `python -m bench [--only NAME,...] [--out PATH]` (scripts/bench).

Figures go to stdout as `name: value  # what it is` lines, progress to stderr
(one line per phase, with the time since the start), and everything, with
units and the machine, to bench/results.json.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import claims, daemon, getjob, parse, proofstore, rss, scale, settle, submitproof
from bench.common import ROOT, BenchError, Results, machine, phase, progress, write_json

PHASES: dict[str, tuple[str, Callable[[Results], None]]] = {
    "getjob": ("GetJob: our server vs grpcio, Unix socket and TCP", getjob.run),
    "parse": ("checkpoint decoding and filtering, one core", parse.run),
    "daemon": ("the daemon: Sui RPCs per job, event to agent start", daemon.run),
    "rss": ("memory with 10k pending jobs and 1M seen events", rss.run),
    "settle": ("claims and settlements on chain: 200 jobs batched vs one per operation",
               settle.run),
    "proofstore": ("the proof store: MiB/s written and read, embedded and S3", proofstore.run),
    "submitproof": ("SubmitProof's round trip beside GetJob's, Unix socket", submitproof.run),
    "claims": ("3 coordinators on one app: lost claims, shares, gas, shares on vs off",
               claims.run),
    "scale": ("throughput of 3 coordinators vs 1; one fed at 1, 10, 100 jobs/s", scale.run),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", help=f"comma-separated phases out of {', '.join(PHASES)}")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args(argv)
    names = list(PHASES) if not args.only else [n.strip() for n in args.only.split(",")]
    unknown = [n for n in names if n not in PHASES]
    if unknown:
        parser.error(f"unknown phase(s) {unknown}; known: {', '.join(PHASES)}")

    start = time.monotonic()
    host = machine()
    progress(f"machine: {host['nproc']} CPUs ({host['cpu_model']}), {host['ram_gb']} GB RAM, "
             f"Python {host['python']}, Docker {host['docker_server'] or '?'}, "
             f"load average {' '.join(host['loadavg_at_start'])}")
    results = Results()
    failed: dict[str, str] = {}
    timings: dict[str, float] = {}
    for name in names:
        title, run = PHASES[name]
        phase_start = time.monotonic()
        try:
            with phase(f"{name}: {title}"):
                run(results)
        except BenchError as exc:
            failed[name] = str(exc)
            progress(f"{name}: FAILED: {exc}")
        except Exception as exc:
            failed[name] = f"{type(exc).__name__}: {exc}"
            progress(f"{name}: FAILED:\n{traceback.format_exc()}")
        timings[name] = round(time.monotonic() - phase_start, 1)
    total = time.monotonic() - start
    print(f"total_secs: {total:.1f}", flush=True)
    started = datetime.fromtimestamp(time.time() - total, UTC)
    data = {
        "started_at": started.isoformat(timespec="seconds"),
        "machine": host,
        "phases": names,
        "phase_secs": timings,
        "total_secs": round(total, 1),
        "loadavg_at_end": Path("/proc/loadavg").read_text().split()[:3],
        "failed": failed,
        **results.as_json(),
    }
    write_json(args.out, data)
    progress(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}"
             f"; total {total:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
