"""The whole daemon: Sui RPCs per job, and the time from a JobCreatedEvent to the agent.

One simulator process (checkpoints every 50 ms, with other packages' events
as background) and one daemon process (`python -m coordinator`, a temporary
config and state dir, the local Docker engine). The scenario registers one
agent with two methods: `prove` (the demo agent image) and `stamp` (that
image with a first instruction that prints the realtime clock, see
`STAMP_COMMAND`; then it runs the demo agent as usual).

sui_rpcs_per_job: after a warm-up job, the simulator's call counters
(`Simnet.rpc_counts`, a stream counted once when opened) are read before and
after JOBS `prove` jobs created at JOB_RATE per second and all completed by
the agent. Baseline in the same window: the checkpoints sealed per job, which
is what a client reading every checkpoint with one GetCheckpoint would call.

The daemon has a funded Sui key, as in production: it claims each job on chain
(start_app_job) before its container starts, and settles it on chain. The
Sui calls per job are counted apart: reads (the stream, backfill, objects)
and writes (the transactions and what prepares them: gas price, coins,
dry runs, balance).

event_to_start_ms: a `stamp` job is created; from the sealing of its checkpoint
(the simulator starts sending the event then; its timestamp, CLOCK_REALTIME
in ms) through the claim confirmed on chain to the first instruction of the
agent container (`date +%s.%N` in the container, CLOCK_REALTIME of the same
kernel), read from the container's log. Baseline, alternated with it: the
bench itself creates and starts a container of the same image through the
Docker API (no options: a bare create+start), from just before the create
call to the same first instruction; plus, measured apart, the round trip of
one claim transaction from the bench's own key (a job of a method no daemon
runs, so it is the bench's to claim).
"""

from __future__ import annotations

import io
import queue
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import docker
import docker.errors
import trio

from bench.common import (
    PACKAGE_ID,
    BenchError,
    Process,
    Results,
    median,
    progress,
    scratch_dir,
    wait_for,
)
from bench.procs import (
    REGISTRY_ID,
    DaemonClient,
    SimnetClient,
    daemon_config,
    start_daemon,
    start_simnet,
    wait_daemon_ready,
)
from coordinator.events import models_2025_11
from coordinator.events.models import app_instance_address, normalize_address
from coordinator.sui.client import connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.executor import Executor
from coordinator.sui.keys import SuiKey
from coordinator.sui.transactions import SharedObject, StartJob

AGENT_IMAGE = "silvana-demo/agent:latest"
STAMP_IMAGE = "silvana-bench/agent-stamp:latest"
STAMP_COMMAND = "date +BENCH_T0=%s.%N; exec python3 /agent/agent.py"
BENCH_LABEL = "silvana.bench"
FUNDS = 100 * 1_000_000_000  # MIST, for the daemon's key and the bench's
# Sui calls that write (a transaction and what prepares it), counted apart from reads.
WRITE_CALLS = frozenset({"ExecuteTransaction", "SimulateTransaction", "GetEpoch",
                         "ListOwnedObjects", "GetBalance"})
UNCLAIMED_METHOD = "nobody-runs-this"  # no agent method: the bench's own jobs to claim
JOBS = 50
JOB_RATE = 10.0
REPEATS = 15
CHECKPOINT_INTERVAL = 0.05

SCENARIO = f"""
[chain]
noise = true
event_module = "entry"

[[developers]]
name = "BenchDev"
[[developers.agents]]
name = "BenchAgent"
[[developers.agents.methods]]
name = "prove"
docker_image = "{AGENT_IMAGE}"
min_memory_gb = 1
min_cpu_cores = 1
default = true
[[developers.agents.methods]]
name = "stamp"
docker_image = "{STAMP_IMAGE}"
min_memory_gb = 1
min_cpu_cores = 1

[[app_instances]]
name = "bench"
app = "bench"
"""


def ensure_stamp_image(client: docker.DockerClient) -> None:
    """STAMP_IMAGE from the current demo agent image (rebuilt when that changes)."""
    try:
        base = client.images.get(AGENT_IMAGE)
    except docker.errors.ImageNotFound:
        raise BenchError(f"{AGENT_IMAGE} is missing: run scripts/build-agent-image") from None
    recipe = f"{base.id} {STAMP_COMMAND}"
    old = None
    try:
        old = client.images.get(STAMP_IMAGE)
        if old.labels.get("silvana.bench.recipe") == recipe:
            return
    except docker.errors.ImageNotFound:
        pass
    command = STAMP_COMMAND.replace('"', '\\"')
    dockerfile = (f"FROM {AGENT_IMAGE}\n"
                  f'LABEL silvana.bench.recipe="{recipe}"\n'
                  f'CMD ["/bin/sh", "-c", "{command}"]\n')
    progress(f"daemon: building {STAMP_IMAGE}")
    image, _ = client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=STAMP_IMAGE,
                                   rm=True, pull=False)
    if old is not None and old.id != image.id:
        try:
            client.images.remove(old.id)
        except docker.errors.APIError:
            pass  # still used by a container


class StartWatcher:
    """Docker's container `create` and `start` events, read in a thread from one
    long-lived request."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.events = client.api.events(
            decode=True, filters={"type": "container", "event": ["create", "start"]}
        )
        self.queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for event in self.events:
                self.queue.put(event)
        except Exception:
            pass  # closed

    def wait(self, action: str, labels: dict[str, str], timeout: float) -> tuple[str, int]:
        """(id, engine time in ns) of the next `action` of a container with `labels`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self.queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise BenchError(f"no container with {labels} had {action!r} within "
                                 f"{timeout:g} s") from None
            attributes = event.get("Actor", {}).get("Attributes", {})
            if event.get("Action") == action and all(
                attributes.get(k) == v for k, v in labels.items()
            ):
                return str(event["id"]), int(event["timeNano"])

    def close(self) -> None:
        self.events.close()


_STAMP = re.compile(rb"BENCH_T0=(\d+)\.(\d{9})")


def read_stamp(api: Any, container_id: str, timeout: float = 10) -> int:
    """The container's first-instruction time (ns since the epoch) from its log."""

    def stamp() -> int | None:
        try:
            logs = api.logs(container_id, stdout=True, stderr=True)
        except docker.errors.NotFound:
            raise BenchError(
                f"container {container_id[:12]} is gone before its log was read"
            ) from None
        match = _STAMP.search(logs)
        return int(match.group(1)) * 10**9 + int(match.group(2)) if match else None

    result: int = wait_for(stamp, f"the first line of container {container_id[:12]}", timeout,
                           0.005)
    return result


def bare_run(api: Any, run_id: str) -> float:
    """ms from a bare create to the first instruction of a STAMP_IMAGE container."""
    start = time.time_ns()
    container = api.create_container(STAMP_IMAGE, labels={BENCH_LABEL: run_id})
    try:
        api.start(container)
        first = read_stamp(api, container["Id"])
        api.wait(container, timeout=30)
    finally:
        api.remove_container(container, force=True)
    return (first - start) / 1e6


def _completed(client: DaemonClient) -> int:
    return int(client.status().jobs_by_state.get("completed", 0))


def _wait_completed(client: DaemonClient, daemon: Process, count: int, timeout: float) -> None:
    def done() -> bool:
        daemon.check_alive()
        status = client.status()
        failed = {s: n for s, n in status.jobs_by_state.items() if s in ("dead", "dropped")}
        if failed:
            raise BenchError(f"jobs did not complete: {failed}; daemon log:\n{daemon.tail()}")
        return status.jobs_by_state.get("completed", 0) >= count

    try:
        wait_for(done, f"{count} completed jobs", timeout, 0.1)
    except BenchError as exc:
        raise BenchError(f"{exc}; daemon log:\n{daemon.tail()}") from None


def _wait_no_containers(api: Any, instance: str) -> None:
    """Until the daemon's containers are gone (removed), so runs do not overlap."""
    label = {"label": f"silvana.coordinator={instance}"}
    wait_for(lambda: not api.containers(all=True, filters=label),
             "the daemon's containers to be removed", 60)


def _remove_containers(client: docker.DockerClient, label: str) -> None:
    for container in client.api.containers(all=True, filters={"label": label}):
        try:
            client.api.remove_container(container["Id"], force=True)
        except docker.errors.APIError:
            pass


def run(results: Results) -> None:
    client = docker.from_env(timeout=60)
    run_id = uuid.uuid4().hex[:12]
    instance = ""
    try:
        ensure_stamp_image(client)
        with scratch_dir("daemon") as directory:
            instance = _run(results, client, directory, run_id)
    finally:
        _remove_containers(client, f"{BENCH_LABEL}={run_id}")
        if instance:
            _remove_containers(client, f"silvana.coordinator={instance}")
        client.close()


def _run(results: Results, client: docker.DockerClient, directory: Path, run_id: str) -> str:
    api = client.api
    sim, address = start_simnet(directory, SCENARIO, CHECKPOINT_INTERVAL)
    with sim:
        key = SuiKey.generate()
        key_file = directory / "coordinator.key"
        key_file.write_text(key.export() + "\n")
        key_file.chmod(0o600)
        chain = SimnetClient(address)
        chain.fund(key.address, FUNDS)
        config = daemon_config(
            directory, address,
            sui={"registry_id": REGISTRY_ID, "start_checkpoint": 1, "key_file": str(key_file)},
            docker={"container_timeout_secs": 60, "max_concurrent": 4, "stop_grace_secs": 2},
        )
        daemon = start_daemon(directory, config)
        with daemon:
            status_client = DaemonClient(directory / "coordinator.sock")
            start = time.monotonic()
            status = wait_daemon_ready(daemon, status_client, registry_size=2)
            instance = status.instance_id
            progress(f"daemon: connected and caught up in {time.monotonic() - start:.1f} s")
            watcher = StartWatcher(client)
            try:
                _measure(results, api, chain, daemon, status_client, watcher, instance, run_id)
                _claim_round_trips(results, chain, address)
            finally:
                watcher.close()
                status_client.close()
                chain.close()
            code = daemon.stop()
            if code != 0:
                raise BenchError(f"the daemon exited with {code}:\n{daemon.tail()}")
    return instance


def _measure(results: Results, api: Any, chain: SimnetClient, daemon: Process,
             status: DaemonClient, watcher: StartWatcher, instance: str, run_id: str) -> None:
    # Warm-up: one job of each method, one bare run (image layers in the page cache).
    start = time.monotonic()
    done = _completed(status)
    chain.create_job("prove")
    chain.create_job("stamp")
    _wait_completed(status, daemon, done + 2, 120)
    bare_run(api, run_id)
    cold = dict(chain.stats().rpc_counts)
    progress(f"daemon: warm-up in {time.monotonic() - start:.1f} s; Sui calls so far {cold}")

    # Sui RPCs per job in steady state.
    start = time.monotonic()
    before = chain.stats()
    done = _completed(status)
    for n in range(JOBS):
        chain.create_job("prove")
        time.sleep(max(0.0, start + (n + 1) / JOB_RATE - time.monotonic()))
    _wait_completed(status, daemon, done + JOBS, 180)
    after = chain.stats()
    calls = {m: after.rpc_counts[m] - before.rpc_counts.get(m, 0) for m in after.rpc_counts}
    calls = {m: n for m, n in calls.items() if n}
    writes = {m: n for m, n in calls.items() if m in WRITE_CALLS}
    calls = {m: n for m, n in calls.items() if m not in WRITE_CALLS}
    checkpoints = after.checkpoint_height - before.checkpoint_height
    progress(f"daemon: {JOBS} jobs completed in {time.monotonic() - start:.1f} s; "
             f"Sui reads {calls or 'none'}, writes {writes or 'none'}; {checkpoints} checkpoints")

    # Event to first instruction, alternating with bare Docker runs.
    start = time.monotonic()
    stamped: list[tuple[int, int, int]] = []  # (checkpoint, created ns, first instruction ns)
    bare: list[float] = []
    for _ in range(REPEATS):
        # Each run starts with no container of either kind on the engine.
        _wait_no_containers(api, instance)
        done = _completed(status)
        job_id, checkpoint = chain.create_job("stamp")
        labels = {"silvana.coordinator": instance, "silvana.job": str(job_id)}
        _, created = watcher.wait("create", labels, 60)
        container, _ = watcher.wait("start", labels, 60)
        stamped.append((checkpoint, created, read_stamp(api, container)))
        _wait_completed(status, daemon, done + 1, 60)
        _wait_no_containers(api, instance)
        bare.append(bare_run(api, run_id))
    # Read after the counting window: these are the bench's own Sui calls.
    sealed = [chain.checkpoint_time_ns(cp) for cp, _, _ in stamped]
    ours = [(first - t0) / 1e6 for t0, (_, _, first) in zip(sealed, stamped, strict=True)]
    to_create = [(created - t0) / 1e6
                 for t0, (_, created, _) in zip(sealed, stamped, strict=True)]
    progress(f"daemon: {REPEATS} event-to-start runs and {REPEATS} bare runs in "
             f"{time.monotonic() - start:.1f} s; the daemon's part (sealed -> container "
             f"created, Docker's create event) median {median(to_create):.0f} ms")

    results.details["daemon"] = {
        "sui_calls_cold_start": cold, "sui_calls_steady": calls, "sui_writes_steady": writes,
        "jobs": JOBS,
        "checkpoints_in_window": checkpoints, "event_to_start_ms": ours,
        "event_to_container_created_ms": to_create, "docker_bare_create_start_ms": bare,
        "checkpoint_interval_secs": CHECKPOINT_INTERVAL,
    }
    results.add("sui_rpcs_per_job", sum(calls.values()) / JOBS, "calls/job",
                f"reads, steady state, {JOBS} jobs after warm-up; a stream counts once per open")
    results.add("sui_write_rpcs_per_job", sum(writes.values()) / JOBS, "calls/job",
                "claims and settlements: transactions and what prepares them, batched")
    results.add("sui_rpcs_per_job_polling_baseline", checkpoints / JOBS, "calls/job",
                "baseline: one GetCheckpoint per checkpoint sealed in the same window")
    ours_median, bare_median = median(ours), median(bare)
    results.add("event_to_start_ms", ours_median, "ms",
                f"median of {REPEATS}: checkpoint sealed -> claim confirmed on chain -> "
                "agent's first instruction")
    results.add("event_to_start_docker_run_ms", bare_median, "ms",
                f"baseline, median of {REPEATS}: bare create+start -> same first instruction")
    results.add("event_to_start_vs_docker_run_ratio", ours_median / bare_median, "x",
                "ours/bare Docker; lower is better")
    results.add("event_to_container_created_ms", median(to_create), "ms",
                "the daemon's own part: checkpoint sealed -> Docker's create event")


def _claim_round_trips(results: Results, chain: SimnetClient, address: str) -> None:
    """One claim transaction's round trip, from the bench's own funded key, on
    jobs of a method no daemon runs; the baseline of event_to_start_ms adds it
    to a bare Docker run."""
    key = SuiKey.generate()
    chain.fund(key.address, FUNDS)
    created = [chain.created(UNCLAIMED_METHOD) for _ in range(REPEATS)]
    trips = trio.run(_claims, key, address, [(c.job_id, c.transaction_digest) for c in created])
    bare = results.details["daemon"]["docker_bare_create_start_ms"]
    results.details["daemon"]["claim_round_trip_ms"] = trips
    results.add("claim_round_trip_ms", median(trips), "ms",
                f"median of {REPEATS}: one start_app_job transaction, built, signed, executed "
                "and answered")
    baseline = median(bare) + median(trips)
    results.add("event_to_start_docker_run_plus_claim_ms", baseline, "ms",
                "baseline: bare create+start plus one claim round trip")
    results.add("event_to_start_vs_docker_run_plus_claim_ratio",
                median(results.details["daemon"]["event_to_start_ms"]) / baseline, "x",
                "ours/(bare Docker + one claim); lower is better")


async def _claims(key: SuiKey, address: str, jobs: list[tuple[int, str]]) -> list[float]:
    endpoint = Endpoint.parse(f"http://{address}")

    def connect_sui() -> Any:
        return connect(endpoint, timeout=10)

    executor = Executor(key=key, connect=connect_sui, package=normalize_address(PACKAGE_ID))
    trips: list[float] = []
    for job_id, digest in jobs:
        async with connect_sui() as sui:
            created = await sui.get_transaction(digest, read_mask=("events",))
            [event] = [e for e in created.events.events if e.event_type.endswith("JobCreatedEvent")]
            name = models_2025_11.JobCreatedEvent.from_bcs(event.contents.value).app_instance
            app = await sui.get_object(app_instance_address(name),
                                       read_mask=("object_id", "owner"))
        start = time.monotonic()
        outcome = await executor.execute(SharedObject(app.object_id, app.owner.version, True),
                                         [StartJob(job_id)])
        trips.append((time.monotonic() - start) * 1000)
        if not (outcome.success and all(r.applied for r in outcome.results)):
            raise BenchError(f"the bench's claim of job {job_id} did not apply: {outcome}")
    return trips
