"""SubmitProof's round trip beside GetJob's, on the daemon's Unix sockets, in the
same run against the same server process and job book
(bench/submitproof_server.py: the sqlite file on disk as the daemon keeps it,
an embedded proof store).

GetJob hands out a job (one sqlite commit). SubmitProof checks the caller's
job, stores the proof (hash, write, fsync, rename, directory fsync) and writes
its `submit_proof` to the outbox (one sqlite commit); it does not wait for the
chain, as upstream. Proofs are PROOF_BYTES of distinct text each (the example
agent's proofs are JSON of tens of KiB). One grpcio client in this process
calls sequentially: WARMUP calls of each, then ROUNDS rounds of COUNT calls of
each, GetJob and SubmitProof alternating which goes first; each figure is the
median over every timed call, the ratio the median of the rounds' ratios.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import grpc

from bench.common import PY, Process, Results, median, progress, scratch_dir, wait_for
from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb

SERVICE = "/silvana.coordinator.v1.CoordinatorService/"
ROUNDS = 3
WARMUP = 30
COUNT = 200
PROOF_BYTES = 16 * 1024
APP_INSTANCE = "0x" + "ab" * 32


def _timed(call: Any, requests: list[Any], check: Any) -> list[float]:
    """Latencies in microseconds, one call per request."""
    latencies = []
    clock = time.perf_counter_ns
    for request in requests:
        start = clock()
        response = call(request, timeout=30)
        latencies.append((clock() - start) / 1000)
        check(response)
    return latencies


def _got_job(response: pb.GetJobResponse) -> None:
    if not response.HasField("job"):
        raise RuntimeError("GetJob answered without a job")


def _submitted(response: pb.SubmitProofResponse) -> None:
    if not response.success:
        raise RuntimeError(f"SubmitProof refused: {response.message}")


def run(results: Results) -> None:
    jobs = WARMUP + ROUNDS * COUNT + 10
    with scratch_dir("submitproof") as directory:
        with Process("SubmitProof server", [PY, "-m", "bench.submitproof_server",
                                            str(directory), str(jobs)],
                     directory / "server.log") as server:
            line = wait_for(lambda: _ready(server), "SubmitProof server start", 60)
            session = line.split()[1]
            getjob_us, submit_us, ratios = _measure(directory, session)
            server.check_alive()
    progress(f"submitproof: GetJob p50 {median(getjob_us):.0f} us, SubmitProof p50 "
             f"{median(submit_us):.0f} us ({PROOF_BYTES // 1024} KiB proofs)")
    results.add("roundtrip_getjob_p50_us", median(getjob_us), "us",
                "GetJob on the Unix socket, sqlite on disk (same server as SubmitProof's)")
    results.add("roundtrip_submitproof_p50_us", median(submit_us), "us",
                f"SubmitProof of {PROOF_BYTES // 1024} KiB on the Unix socket: stored "
                "(embedded, fsync) and queued in the outbox, not on chain yet")
    results.add("roundtrip_submitproof_over_getjob", median(ratios), "x",
                "SubmitProof p50 / GetJob p50, median of the rounds' ratios")


def _ready(server: Process) -> str | None:
    server.check_alive()
    text = server.log_path.read_text()
    return next((line for line in text.splitlines() if line.startswith("ready ")), None)


def _measure(directory: Path, session: str) -> tuple[list[float], list[float], list[float]]:
    get_request = pb.GetJobRequest(developer="BenchDeveloper", agent="BenchAgent",
                                   agent_method="prove", session_id=session)
    counter = iter(range(10**9))

    def proof_requests(count: int) -> list[pb.SubmitProofRequest]:
        return [pb.SubmitProofRequest(
            session_id=session, job_id=f"1@{APP_INSTANCE}", block_number=1, sequences=[n],
            proof=f"{n:012d}".ljust(PROOF_BYTES, "p"), cpu_time=1)
            for n in (next(counter) for _ in range(count))]

    with grpc.insecure_channel(f"unix:{directory / 'getjob.sock'}") as plain, \
            grpc.insecure_channel(f"unix:{directory / 'submit.sock'}") as channel:
        get_job = plain.unary_unary(SERVICE + "GetJob",
                                      request_serializer=pb.GetJobRequest.SerializeToString,
                                      response_deserializer=pb.GetJobResponse.FromString)
        submit = channel.unary_unary(SERVICE + "SubmitProof",
                                     request_serializer=pb.SubmitProofRequest.SerializeToString,
                                     response_deserializer=pb.SubmitProofResponse.FromString)
        _timed(get_job, [get_request] * WARMUP, _got_job)  # job 1 is now the session's
        _timed(submit, proof_requests(WARMUP), _submitted)
        getjob_us: list[float] = []
        submit_us: list[float] = []
        ratios = []
        for round_ in range(ROUNDS):
            order = ("get", "submit") if round_ % 2 == 0 else ("submit", "get")
            figures: dict[str, list[float]] = {}
            for which in order:
                if which == "get":
                    figures[which] = _timed(get_job, [get_request] * COUNT, _got_job)
                else:
                    figures[which] = _timed(submit, proof_requests(COUNT), _submitted)
            getjob_us += figures["get"]
            submit_us += figures["submit"]
            ratios.append(median(figures["submit"]) / median(figures["get"]))
    return getjob_us, submit_us, ratios
