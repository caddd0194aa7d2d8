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

import os
import subprocess
import sys
from pathlib import Path

import trio

from coordinator.statelock import StateLock
from coordinator.store import Ledger, Store
from tests.support import ROOT

FAR = 2**63 - 1


# --- reset-cursor ------------------------------------------------------------------------


def reset_cursor(config: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COORDINATION_PACKAGE_ID"}
    return subprocess.run(
        [sys.executable, "-m", "coordinator", "reset-cursor", *flags, "--config", str(config)],
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


async def test_reset_cursor_chain_forgets_the_chain_and_its_jobs_never_unsent_operations(
    tmp_path: Path,
) -> None:
    from coordinator.domain import ChainOperation, Job, OperationKind

    state = tmp_path / "state"
    store = await Store.open(state)

    def fill(ledger: Ledger) -> None:
        ledger.bind_chain("4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S")
        ledger.set_cursor(7)
        ledger.save_jobs([Job(app_instance="app", job_id=1, developer="d", agent="a",
                              agent_method="m")], now=0.0)
        ledger.add_operations([ChainOperation(OperationKind.FAIL, "app", 1, error="x")])

    await store.run(fill)
    await store.close()
    config = tmp_path / "coordinator.toml"
    config.write_text(f'[sui]\npackage_id = "0x1"\n[state]\ndir = "{state}"\n')

    refused = await trio.to_thread.run_sync(reset_cursor, config, "--chain")
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert "state.dir: 1 chain operation(s) not yet sent" in refused.stderr
    assert "chain 35834a8a" in refused.stderr and "--fresh-state" in refused.stderr
    store = await Store.open(state)
    try:  # nothing changed
        assert await store.run(Ledger.cursor) == 7
        assert len(await store.run(Ledger.jobs)) == 1
        [op] = await store.run(Ledger.operations)
        await store.run(lambda ledger: ledger.remove_operations([op.op_id]))  # sent
    finally:
        await store.close()

    done = await trio.to_thread.run_sync(reset_cursor, config, "--chain")
    assert done.returncode == 0, done.stderr
    assert "cursor 7 forgotten, chain 35834a8a and its jobs forgotten" in done.stdout
    store = await Store.open(state)
    try:
        assert await store.run(Ledger.chain_id) is None
        assert await store.run(Ledger.jobs) == []
    finally:
        await store.close()
