"""Resident memory of the daemon with a large state, against the same daemon on an empty one.

The large state is made through the store's own API (`Store` / `Ledger`):
the package bound, PENDING_JOBS pending jobs over 100 keys (`save_jobs`), and
SEEN_EVENTS seen event ids (`mark_seen`) at checkpoints far above any cursor
the daemon will reach, so none is pruned. No agent method is registered, so
nothing runs: the jobs wait, as they would for an unknown method.

Both daemons (`python -m coordinator`) run at once against one simulator
process with an empty chain. VmRSS is read from /proc/<pid>/status once the
daemon is connected and its RSS has not moved by more than 1% for 3 s.
"""

from __future__ import annotations

import base64
import random
import time
from pathlib import Path

import trio

from bench.common import (
    PACKAGE_ID,
    BenchError,
    Process,
    Results,
    progress,
    scratch_dir,
    vm_status,
    wait_for,
)
from bench.procs import (
    DaemonClient,
    SimnetClient,
    daemon_config,
    start_daemon,
    start_simnet,
    wait_daemon_ready,
)
from coordinator.domain import EventId, Job
from coordinator.events import normalize_address
from coordinator.store import Ledger, Store
from coordinator.sui.keys import SuiKey

PENDING_JOBS = 10_000
SEEN_EVENTS = 1_000_000
KEYS = 100
SEEN_FROM_CHECKPOINT = 10**12  # far above the cursor: never pruned
SETTLE_SECS = 3.0
SAMPLE_SECS = 0.5
FUNDS = 10 * 1_000_000_000  # MIST: each daemon's key, so its balance reads as a real one's


def _jobs(rng: random.Random) -> list[Job]:
    now = int(time.time() * 1000)
    app_instance = "0x" + rng.randbytes(32).hex()
    jobs = []
    for n in range(1, PENDING_JOBS + 1):
        key = n % KEYS
        jobs.append(Job(
            app_instance=app_instance, job_id=n, developer=f"Developer{key // 10}",
            agent=f"Agent{key % 10}", agent_method="prove", app="bench",
            app_instance_method="prove", description=f"pending job {n}",
            sequences=(n,), data=rng.randbytes(256), created_at=now + n, updated_at=now + n,
        ))
    return jobs


def _seen(rng: random.Random) -> list[tuple[EventId, int]]:
    """About five events per transaction, base58-shaped 44-character digests."""
    table = bytes.maketrans(b"0OIl+/", b"123456")
    seen = []
    while len(seen) < SEEN_EVENTS:
        digest = base64.b64encode(rng.randbytes(33)).translate(table).decode()
        checkpoint = SEEN_FROM_CHECKPOINT + len(seen) // 250
        seen += [(EventId(digest, index), checkpoint) for index in range(rng.randint(1, 9))]
    return seen[:SEEN_EVENTS]


async def prepare_state(state_dir: Path) -> None:
    rng = random.Random(7)
    jobs, seen = _jobs(rng), _seen(rng)
    package = normalize_address(PACKAGE_ID)
    store = await Store.open(state_dir)
    try:
        def fill(ledger: Ledger) -> int:
            ledger.bind_package(package)
            ledger.instance_id()
            ledger.save_jobs(jobs, time.time())
            for event, checkpoint in seen:
                ledger.mark_seen(event, checkpoint)
            return ledger.seen_count()

        count = await store.run(fill)
    finally:
        await store.close()
    if count != SEEN_EVENTS:
        raise BenchError(f"the store holds {count} seen events, not {SEEN_EVENTS}")


def _funded_key(directory: Path, chain: SimnetClient) -> Path:
    key = SuiKey.generate()
    path = directory / "coordinator.key"
    path.write_text(key.export() + "\n")
    path.chmod(0o600)
    chain.fund(key.address, FUNDS)
    return path


def _settled_rss(daemon: Process, client: DaemonClient) -> dict[str, int]:
    """VmRSS and VmHWM (kB) once connected and steady."""
    wait_daemon_ready(daemon, client, timeout=120)
    samples: list[int] = []

    def steady() -> dict[str, int] | None:
        daemon.check_alive()
        status = vm_status(daemon.pid)
        samples.append(status["VmRSS"])
        window = samples[-int(SETTLE_SECS / SAMPLE_SECS) - 1:]
        if len(window) > SETTLE_SECS / SAMPLE_SECS and max(window) <= min(window) * 1.01:
            return status
        return None

    result: dict[str, int] = wait_for(steady, f"{daemon.name} RSS to settle", 60, SAMPLE_SECS)
    return result


def run(results: Results) -> None:
    with scratch_dir("rss") as directory:
        start = time.monotonic()
        big, empty = directory / "big", directory / "empty"
        big.mkdir()
        empty.mkdir()
        trio.run(prepare_state, big / "state")
        db_mb = sum(f.stat().st_size for f in (big / "state").iterdir()) / 2**20
        progress(f"rss: state with {PENDING_JOBS} pending jobs and {SEEN_EVENTS} seen events "
                 f"({db_mb:.0f} MB of sqlite) made in {time.monotonic() - start:.1f} s")
        sim, address = start_simnet(directory, None, 0.25)
        with sim:
            daemons = []
            chain = SimnetClient(address)
            try:
                for where in (big, empty):
                    # A daemon on a public chain needs its key (observe-only would load
                    # the book the same, but run fewer children than a real one).
                    key_file = _funded_key(where, chain)
                    config = daemon_config(where, address, status={"mode": "off"},
                                           sui={"key_file": str(key_file)})
                    daemons.append(start_daemon(where, config, f"daemon-{where.name}"))
            finally:
                chain.close()
            try:
                rss = {}
                for where, daemon in zip((big, empty), daemons, strict=True):
                    client = DaemonClient(where / "coordinator.sock")
                    try:
                        rss[where.name] = _settled_rss(daemon, client)
                        status = client.status()
                    finally:
                        client.close()
                    pending = status.jobs_by_state.get("pending", 0)
                    expected = PENDING_JOBS if where is big else 0
                    if pending != expected:
                        raise BenchError(f"{daemon.name} holds {pending} pending jobs, "
                                         f"not {expected}")
            finally:
                for daemon in daemons:
                    daemon.stop()
    big_mb, empty_mb = rss["big"]["VmRSS"] / 1024, rss["empty"]["VmRSS"] / 1024
    results.details["rss"] = {
        "kB": rss, "sqlite_mb": db_mb, "pending_jobs": PENDING_JOBS, "seen_events": SEEN_EVENTS,
    }
    results.add("rss_mb_10k_pending", big_mb, "MiB",
                f"{PENDING_JOBS} pending jobs, {SEEN_EVENTS} seen events in the store")
    results.add("rss_mb_empty", empty_mb, "MiB", "baseline: the same daemon, empty state dir")
    results.add("rss_10k_pending_vs_empty_ratio", big_mb / empty_mb, "x",
                "lower is better")
    results.add("rss_peak_mb_10k_pending", rss["big"]["VmHWM"] / 1024, "MiB",
                "VmHWM: the peak while loading")
