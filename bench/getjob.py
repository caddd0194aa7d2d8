"""GetJob on the Unix socket and on TCP: our purerpc CoordinatorService against a
grpcio server, side by side.

Both servers (bench/getjob_server.py, one process each, one after the other)
do the same work per call; one client calls both: grpcio's (the sync stub for
sequential calls, grpc.aio for concurrent callers), in this process, so the
servers get the other core. Every call gives the server's session (as a
container's agent does; TCP refuses calls without one) and must hand out a job.
Each transport is measured for both servers:

- sequential: WARMUP calls, then SEQUENTIAL calls timed one by one (p50, p99);
- 32 concurrent callers, each on its own connection (as 32 agent containers):
  CONCURRENT_CALLS calls each; requests per second over the whole batch;
- the server process's CPU time per call over both, read from /proc (so a
  client that cannot keep up does not hide the server's cost);
- all of it ROUNDS times, ours and grpcio alternating which goes first, each
  figure the median of its rounds and each ratio the median of the rounds'
  ratios (a shared machine's load moves one round by 10 to 30%: with three
  rounds a ratio still moved by over 20% between runs, hence five);
- on the socket, the same sequential test with the sqlite file on disk (WAL,
  synchronous=FULL, as the daemon runs it), fewer calls: what an agent sees.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import grpc
import grpc.aio

from bench.common import (
    PY,
    BenchError,
    Process,
    Results,
    cpu_secs,
    free_port,
    median,
    percentile,
    progress,
    scratch_dir,
    wait_for,
)
from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb

METHOD = "/silvana.coordinator.v1.CoordinatorService/GetJob"
TRANSPORTS = ("unix", "tcp")
IMPLS = ("ours", "grpcio")
ROUNDS = 5
WARMUP = 300
SEQUENTIAL = 2000
CALLERS = 32
CONCURRENT_WARMUP = 5
CONCURRENT_CALLS = 100
DISK_WARMUP = 30
DISK_SEQUENTIAL = 300
# Separate connections per caller (gRPC would otherwise share one subchannel).
OWN_CONNECTION = [("grpc.use_local_subchannel_pool", 1)]


def _stub(channel: Any) -> Any:
    return channel.unary_unary(
        METHOD,
        request_serializer=pb.GetJobRequest.SerializeToString,
        response_deserializer=pb.GetJobResponse.FromString,
    )


def _request(session: str) -> pb.GetJobRequest:
    return pb.GetJobRequest(developer="BenchDeveloper", agent="BenchAgent",
                            agent_method="prove", session_id=session)


def _sequential(target: str, session: str, warmup: int, count: int) -> list[float]:
    """Latencies in microseconds of `count` calls after `warmup` calls."""
    request = _request(session)
    with grpc.insecure_channel(target) as channel:
        call = _stub(channel)
        for _ in range(warmup):
            if not call(request, timeout=10).HasField("job"):
                raise BenchError("GetJob answered without a job during warm-up")
        latencies = []
        clock = time.perf_counter_ns
        for _ in range(count):
            start = clock()
            response = call(request, timeout=10)
            latencies.append((clock() - start) / 1000)
            if not response.HasField("job"):
                raise BenchError("GetJob answered without a job")
    return latencies


async def _concurrent(target: str, session: str) -> float:
    """Requests per second of CALLERS callers, each on its own connection."""
    request = _request(session)
    channels = [
        grpc.aio.insecure_channel(target, options=OWN_CONNECTION) for _ in range(CALLERS)
    ]
    try:
        calls = [_stub(channel) for channel in channels]
        empty = 0

        async def caller(call: Any, count: int) -> None:
            nonlocal empty
            for _ in range(count):
                response = await call(request, timeout=30)
                empty += not response.HasField("job")

        await asyncio.gather(*(caller(call, CONCURRENT_WARMUP) for call in calls))
        start = time.perf_counter()
        await asyncio.gather(*(caller(call, CONCURRENT_CALLS) for call in calls))
        elapsed = time.perf_counter() - start
        if empty:
            raise BenchError(f"{empty} GetJob calls answered without a job")
        return CALLERS * CONCURRENT_CALLS / elapsed
    finally:
        await asyncio.gather(*(channel.close() for channel in channels))


class _Server:
    """One GetJob server process: where to call it and the session to give."""

    def __init__(self, impl: str, directory: Path, transport: str, jobs: int,
                 store: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if transport == "tcp":
            address = f"127.0.0.1:{free_port()}"
            self.target = address
        else:
            address = str(directory / f"{impl}.sock")
            self.target = f"unix:{address}"
        self.process = Process(
            f"{impl} GetJob server ({transport})",
            [PY, "-m", "bench.getjob_server", impl, address, str(directory), str(jobs), store],
            directory / f"{impl}-{transport}-{store}.log",
        )
        log = self.process.log_path

        def ready() -> str | None:
            self.process.check_alive()
            return _ready(log.read_text())

        try:
            line = wait_for(ready, f"{impl} GetJob server start", 60)
        except BaseException:
            self.process.stop(5)
            raise
        self.session = line.split()[1]

    def __enter__(self) -> _Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.stop(5)


def _ready(log: str) -> str | None:
    return next((line for line in log.splitlines() if line.startswith("ready ")), None)


def _measure(impl: str, directory: Path, transport: str) -> dict[str, float]:
    jobs = WARMUP + SEQUENTIAL + CALLERS * (CONCURRENT_WARMUP + CONCURRENT_CALLS) + 100
    with _Server(impl, directory, transport, jobs, "memory") as server:
        pid = server.process.pid
        cpu_start = cpu_secs(pid)
        start = time.monotonic()
        latencies = _sequential(server.target, server.session, WARMUP, SEQUENTIAL)
        rps = asyncio.run(_concurrent(server.target, server.session))
        calls = WARMUP + SEQUENTIAL + CALLERS * (CONCURRENT_WARMUP + CONCURRENT_CALLS)
        cpu_per_call = (cpu_secs(pid) - cpu_start) / calls * 1e6
        server.process.check_alive()
    progress(f"getjob: {impl} over {transport}: {calls} calls in "
             f"{time.monotonic() - start:.1f} s (p50 {median(latencies):.0f} us, "
             f"32 callers {rps:.0f}/s, server CPU {cpu_per_call:.0f} us/call)")
    return {
        "p50": median(latencies), "p99": percentile(latencies, 99), "mean":
        sum(latencies) / len(latencies), "rps": rps, "cpu_us_per_call": cpu_per_call,
    }


def _measure_disk(impl: str, directory: Path) -> float:
    with _Server(impl, directory, "unix", DISK_WARMUP + DISK_SEQUENTIAL + 10, "disk") as server:
        latencies = _sequential(server.target, server.session, DISK_WARMUP, DISK_SEQUENTIAL)
        server.process.check_alive()
    return median(latencies)


def _medians(rounds: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Each implementation's figures as the median over the rounds, and the
    median of the rounds' ours/grpcio ratios under "ratio"."""
    figures = {impl: {name: median([r[impl][name] for r in rounds]) for name in rounds[0][impl]}
               for impl in IMPLS}
    figures["ratio"] = {name: median([r["ours"][name] / r["grpcio"][name] for r in rounds])
                        for name in rounds[0]["ours"]}
    return figures


def run(results: Results) -> None:
    rounds: dict[str, list[dict[str, dict[str, float]]]] = {t: [] for t in TRANSPORTS}
    with scratch_dir("getjob") as directory:
        for n in range(ROUNDS):
            for transport in TRANSPORTS:
                order = IMPLS if n % 2 == 0 else IMPLS[::-1]
                rounds[transport].append({
                    impl: _measure(impl, directory / f"{impl}-{transport}-{n}", transport)
                    for impl in order
                })
        measured = {transport: _medians(rounds[transport]) for transport in TRANSPORTS}
        for transport in TRANSPORTS:
            spread = {name: sorted(f"{r['ours'][name] / r['grpcio'][name]:.2f}"
                                   for r in rounds[transport])
                      for name in ("cpu_us_per_call", "p50")}
            progress(f"getjob: {transport}: the rounds' ratios ours/grpcio, CPU per call "
                     f"{' '.join(spread['cpu_us_per_call'])}, p50 {' '.join(spread['p50'])}")
        ours_disk = _measure_disk("ours", directory / "ours-disk")
        grpcio_disk = _measure_disk("grpcio", directory / "grpcio-disk")
        progress(f"getjob: on disk: p50 ours {ours_disk:.0f} us, grpcio {grpcio_disk:.0f} us")
    results.details["getjob"] = {
        **measured,
        "rounds": rounds,
        "disk_p50_us": {"ours": ours_disk, "grpcio": grpcio_disk},
        "calls": {"warmup": WARMUP, "sequential": SEQUENTIAL, "callers": CALLERS,
                  "calls_per_caller": CONCURRENT_CALLS},
    }
    for transport in TRANSPORTS:
        ours, grpcio, ratio = (measured[transport][k] for k in ("ours", "grpcio", "ratio"))
        # The socket's figures keep their names; TCP's carry `_tcp`.
        name = "getjob" if transport == "unix" else "getjob_tcp"
        where = "Unix socket" if transport == "unix" else "TCP loopback"
        results.add(f"{name}_latency_p50_us", ours["p50"], "us",
                    f"ours, {where}, sequential, {SEQUENTIAL} calls; sqlite in memory")
        results.add(f"{name}_latency_p50_us_grpcio", grpcio["p50"], "us",
                    f"baseline: grpcio server, {where}")
        results.add(f"{name}_latency_p99_us", ours["p99"], "us", f"ours, {where}, sequential")
        results.add(f"{name}_latency_p99_us_grpcio", grpcio["p99"], "us",
                    f"baseline: grpcio server, {where}")
        results.add(f"{name}_vs_grpcio_ratio", ratio["p50"], "x",
                    f"ours/grpcio p50 latency, {where}; lower is better")
        results.add(f"{name}_rps_32", ours["rps"], "calls/s",
                    f"ours, {where}, {CALLERS} concurrent callers")
        results.add(f"{name}_rps_32_grpcio", grpcio["rps"], "calls/s",
                    f"baseline: grpcio server, {where}")
        results.add(f"{name}_rps_32_vs_grpcio_ratio", ratio["rps"], "x",
                    f"ours/grpcio calls per second, {where}; higher is better")
        results.add(f"{name}_server_cpu_us_per_call", ours["cpu_us_per_call"], "us",
                    f"ours, {where}: server process CPU per call")
        results.add(f"{name}_server_cpu_us_per_call_grpcio", grpcio["cpu_us_per_call"], "us",
                    f"baseline: grpcio server, {where}")
        results.add(f"{name}_server_cpu_vs_grpcio_ratio", ratio["cpu_us_per_call"], "x",
                    f"ours/grpcio server CPU per call, {where}; lower is better")
    results.add("getjob_disk_latency_p50_us", ours_disk, "us",
                "ours, sqlite on disk (WAL, synchronous=FULL, one fsync per call)")
    results.add("getjob_disk_latency_p50_us_grpcio", grpcio_disk, "us",
                "baseline: grpcio server, same sqlite on disk")
