"""Cursor sanity (issue 15): a cursor past the chain's tip never skips events
in silence.

- `sui.start_checkpoint` above the node's tip is clamped to the tip, with a
  warning (a first start at 2^63-1 used to skip every later event for good).
- A stored cursor far past the tip (a reset chain, another node, a cursor left
  by such a start_checkpoint) is an ERROR, repeated while it lasts, shown in the
  status with what to do; ingest waits instead of skipping.
- `python -m coordinator reset-cursor --config FILE` forgets the cursor (not
  while a daemon holds the state dir); the next start begins at
  `sui.start_checkpoint` again.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import trio

from coordinator.statelock import StateLock
from coordinator.store import Ledger, Store
from coordinator.sui.ingest import CURSOR_AHEAD_TOLERANCE
from tests.conftest import ROOT
from tests.test_ingest import create_job, start_pipeline, start_sim

FAR = 2**63 - 1


async def test_start_checkpoint_above_the_tip_starts_at_the_tip_with_a_warning(
    tmp_path: Path, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sim, target = await start_sim(nursery)
    tip = sim.chain.tip.sequence_number
    pipeline = await start_pipeline(nursery, tmp_path, sim, target, cursor=None,
                                    start_checkpoint=FAR)
    await pipeline.wait_for(lambda: pipeline.status.chain.state == "connected", 10, "connected")
    assert await pipeline.stored_cursor() == tip
    job_id = create_job(sim)
    sim.seal()
    await pipeline.wait_for(lambda: len(pipeline.received) == 1, within=10)
    assert pipeline.job_ids == [job_id]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"sui.start_checkpoint {FAR} is above the tip" in w for w in warnings), warnings


async def test_a_stored_cursor_far_past_the_tip_is_reported_and_nothing_is_skipped(
    tmp_path: Path, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sim, target = await start_sim(nursery)
    cursor = sim.chain.tip.sequence_number + CURSOR_AHEAD_TOLERANCE + 10
    pipeline = await start_pipeline(nursery, tmp_path, sim, target, cursor=cursor)
    create_job(sim)
    sim.seal()
    errors: list[str] = []

    def reported_twice() -> bool:
        errors[:] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        return len(errors) >= 2

    # Reported on every attempt, not once and then forgotten.
    await pipeline.wait_for(reported_twice, 10, "two ERROR lines")
    assert f"stored cursor (checkpoint {cursor}) is ahead of the tip" in errors[0], errors
    assert "python -m coordinator reset-cursor --config FILE" in errors[0], errors
    # What `python -m coordinator status` shows: the connection's last error.
    shown = pipeline.status.snapshot()
    assert "reset-cursor" in shown.connection.last_error
    assert (shown.cursor, shown.has_cursor) == (cursor, True)
    # Nothing was taken past: the job waits, the cursor stays.
    assert pipeline.received == []
    assert await pipeline.stored_cursor() == cursor


async def test_a_node_a_little_behind_the_cursor_is_followed_with_a_warning(
    tmp_path: Path, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sim, target = await start_sim(nursery)
    cursor = sim.chain.tip.sequence_number + 2  # e.g. another fullnode behind a balancer
    pipeline = await start_pipeline(nursery, tmp_path, sim, target, cursor=cursor)
    await pipeline.wait_for(lambda: pipeline.status.chain.state == "connected", 10, "connected")
    sim.seal()
    sim.seal()  # the node reaches the cursor
    job_id = create_job(sim)
    sim.seal()
    await pipeline.wait_for(lambda: len(pipeline.received) == 1, within=10)
    assert pipeline.job_ids == [job_id]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("is behind the stored cursor" in w for w in warnings), warnings
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- reset-cursor ------------------------------------------------------------------------


def reset_cursor(config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COORDINATION_PACKAGE_ID"}
    return subprocess.run(
        [sys.executable, "-m", "coordinator", "reset-cursor", "--config", str(config)],
        cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=30,
    )


async def test_reset_cursor_forgets_the_cursor_but_not_while_a_daemon_holds_the_dir(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    store = await Store.open(state)
    await store.run(lambda ledger: ledger.set_cursor(FAR))
    await store.close()
    config = tmp_path / "coordinator.toml"
    config.write_text(f'[sui]\npackage_id = "0x1"\nstart_checkpoint = 5\n'
                      f'[state]\ndir = "{state}"\n')

    with StateLock.acquire(state) as lock:
        lock.record("abc123")
        held = await trio.to_thread.run_sync(reset_cursor, config)
    assert held.returncode == 2, held.stderr
    assert held.stderr.count("\n") == 1 and "state.dir" in held.stderr, held.stderr
    assert f"pid {os.getpid()}" in held.stderr and "instance abc123" in held.stderr

    done = await trio.to_thread.run_sync(reset_cursor, config)
    assert done.returncode == 0, done.stderr
    assert f"cursor {FAR} forgotten" in done.stdout
    assert "checkpoint 5 (sui.start_checkpoint)" in done.stdout
    store = await Store.open(state)
    try:
        assert await store.run(Ledger.cursor) is None
    finally:
        await store.close()
