"""GetJob on the Unix socket: our purerpc CoordinatorService against a grpcio server.

Both servers (bench/getjob_server.py, one process each, one after the other)
do the same work per call; one client calls both: grpcio's (the sync stub for
sequential calls, grpc.aio for concurrent callers), in this process, so the
servers get the other core. Every call must hand out a job (no empty answers).

- sequential: WARMUP calls, then SEQUENTIAL calls timed one by one (p50, p99);
- 32 concurrent callers, each on its own connection (as 32 agent containers):
  CONCURRENT_CALLS calls each; requests per second over the whole batch;
- the server process's CPU time per call over both, read from /proc (so a
  client that cannot keep up does not hide the server's cost);
- the same sequential test with the sqlite file on disk (WAL, synchronous=FULL,
  as the daemon runs it), fewer calls: what an agent sees in production.
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
    median,
    percentile,
    progress,
    scratch_dir,
    wait_for,
)
from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb

METHOD = "/silvana.coordinator.v1.CoordinatorService/GetJob"
REQUEST = pb.GetJobRequest(developer="BenchDeveloper", agent="BenchAgent", agent_method="prove")
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


def _sequential(socket_path: Path, warmup: int, count: int) -> list[float]:
    """Latencies in microseconds of `count` calls after `warmup` calls."""
    with grpc.insecure_channel(f"unix:{socket_path}") as channel:
        call = _stub(channel)
        for _ in range(warmup):
            if not call(REQUEST, timeout=10).HasField("job"):
                raise BenchError("GetJob answered without a job during warm-up")
        latencies = []
        clock = time.perf_counter_ns
        for _ in range(count):
            start = clock()
            response = call(REQUEST, timeout=10)
            latencies.append((clock() - start) / 1000)
            if not response.HasField("job"):
                raise BenchError("GetJob answered without a job")
    return latencies


async def _concurrent(socket_path: Path) -> float:
    """Requests per second of CALLERS callers, each on its own connection."""
    channels = [
        grpc.aio.insecure_channel(f"unix:{socket_path}", options=OWN_CONNECTION)
        for _ in range(CALLERS)
    ]
    try:
        calls = [_stub(channel) for channel in channels]
        empty = 0

        async def caller(call: Any, count: int) -> None:
            nonlocal empty
            for _ in range(count):
                response = await call(REQUEST, timeout=30)
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


def _server(impl: str, directory: Path, jobs: int, store: str) -> Process:
    directory.mkdir(parents=True, exist_ok=True)
    socket_path = directory / f"{impl}.sock"
    server = Process(
        f"{impl} GetJob server",
        [PY, "-m", "bench.getjob_server", impl, str(socket_path), str(jobs), store],
        directory / f"{impl}-{store}.log",
    )
    try:
        wait_for(lambda: (server.check_alive(), "ready" in server.log_path.read_text())[1],
                 f"{impl} GetJob server start", 60)
    except BaseException:
        server.stop(5)
        raise
    return server


def _measure(impl: str, directory: Path) -> dict[str, float]:
    jobs = WARMUP + SEQUENTIAL + CALLERS * (CONCURRENT_WARMUP + CONCURRENT_CALLS) + 100
    with _server(impl, directory, jobs, "memory") as server:
        cpu_start = cpu_secs(server.pid)
        start = time.monotonic()
        latencies = _sequential(directory / f"{impl}.sock", WARMUP, SEQUENTIAL)
        rps = asyncio.run(_concurrent(directory / f"{impl}.sock"))
        calls = WARMUP + SEQUENTIAL + CALLERS * (CONCURRENT_WARMUP + CONCURRENT_CALLS)
        cpu_per_call = (cpu_secs(server.pid) - cpu_start) / calls * 1e6
        server.check_alive()
    progress(f"getjob: {impl}: {calls} calls in {time.monotonic() - start:.1f} s "
             f"(p50 {median(latencies):.0f} us, 32 callers {rps:.0f}/s)")
    return {
        "p50": median(latencies), "p99": percentile(latencies, 99), "mean":
        sum(latencies) / len(latencies), "rps": rps, "cpu_us_per_call": cpu_per_call,
    }


def _measure_disk(impl: str, directory: Path) -> float:
    with _server(impl, directory, DISK_WARMUP + DISK_SEQUENTIAL + 10, "disk") as server:
        latencies = _sequential(directory / f"{impl}.sock", DISK_WARMUP, DISK_SEQUENTIAL)
        server.check_alive()
    return median(latencies)


def run(results: Results) -> None:
    with scratch_dir("getjob") as directory:
        ours = _measure("ours", directory / "ours")
        grpcio = _measure("grpcio", directory / "grpcio")
        ours_disk = _measure_disk("ours", directory / "ours-disk")
        grpcio_disk = _measure_disk("grpcio", directory / "grpcio-disk")
        progress(f"getjob: on disk: p50 ours {ours_disk:.0f} us, grpcio {grpcio_disk:.0f} us")
    results.details["getjob"] = {
        "ours": ours, "grpcio": grpcio,
        "disk_p50_us": {"ours": ours_disk, "grpcio": grpcio_disk},
        "calls": {"warmup": WARMUP, "sequential": SEQUENTIAL, "callers": CALLERS,
                  "calls_per_caller": CONCURRENT_CALLS},
    }
    results.add("getjob_latency_p50_us", ours["p50"], "us",
                f"ours, sequential, {SEQUENTIAL} calls; sqlite in memory")
    results.add("getjob_latency_p99_us", ours["p99"], "us", "ours, sequential")
    results.add("getjob_latency_p50_us_grpcio", grpcio["p50"], "us", "baseline: grpcio server")
    results.add("getjob_latency_p99_us_grpcio", grpcio["p99"], "us", "baseline: grpcio server")
    results.add("getjob_vs_grpcio_ratio", ours["p50"] / grpcio["p50"], "x",
                "ours/grpcio p50 latency; lower is better")
    results.add("getjob_rps_32", ours["rps"], "calls/s", f"ours, {CALLERS} concurrent callers")
    results.add("getjob_rps_32_grpcio", grpcio["rps"], "calls/s", "baseline: grpcio server")
    results.add("getjob_rps_32_vs_grpcio_ratio", ours["rps"] / grpcio["rps"], "x",
                "ours/grpcio calls per second; higher is better")
    results.add("getjob_server_cpu_us_per_call", ours["cpu_us_per_call"], "us",
                "ours: server process CPU per call")
    results.add("getjob_server_cpu_us_per_call_grpcio", grpcio["cpu_us_per_call"], "us",
                "baseline: grpcio server process CPU per call")
    results.add("getjob_disk_latency_p50_us", ours_disk, "us",
                "ours, sqlite on disk (WAL, synchronous=FULL, one fsync per call)")
    results.add("getjob_disk_latency_p50_us_grpcio", grpcio_disk, "us",
                "baseline: grpcio server, same sqlite on disk")
