"""The state database as an operator meets it after a bad day: damaged,
emptied, readable by others, its lock file deleted, from an older or newer
coordinator; and the backup and restore that get them out of it.

The daemon runs as a real process on a config whose node is a dead loopback
port: every check here happens before the chain is reached.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import trio

from coordinator.domain import ChainOperation, OperationKind
from coordinator.errors import SetupError
from coordinator.proof_rows import PROOF_TABLES
from coordinator.schema import SCHEMA_VERSION, TABLES
from coordinator.statelock import LOCK_FILE, StateDirLocked, StateLock
from coordinator.store import DB_FILE, Ledger, Store
from tests.support import ROOT, daemon_config, run_cli


async def state_with_an_operation(state: Path) -> str:
    """A state dir holding one unsent chain operation; the instance id."""
    store = await Store.open(state)
    try:
        op = ChainOperation(OperationKind.COMPLETE, "0xapp", 7, "", 1.0, "due")
        await store.run(lambda ledger: ledger.add_operations([op]))
        return await store.run(Ledger.instance_id)
    finally:
        await store.close()


def run_until_up(config: Path, *args: str) -> str:
    """Start the daemon, read its log until it tries the (dead) node, past every
    state check, stop it; the log."""
    proc = subprocess.Popen([sys.executable, "-m", "coordinator", "--config", str(config), *args],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        seen = ""
        while "reconnecting in" not in seen:
            line = proc.stderr.readline()
            assert line, seen
            seen += line
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return seen


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.parametrize(("damage", "found"), [
    (b"", "is empty (0 bytes)"),
    (b"this is not a database file, just text" * 200, "is damaged"),
])
def test_a_damaged_database_exits_2_in_one_line_with_the_way_out(
    tmp_path: Path, damage: bytes, found: str,
) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / DB_FILE).write_bytes(damage)
    os.chmod(state / DB_FILE, 0o600)  # as the daemon made it: no warning about modes
    line = one_error_line(run_cli("--config", str(daemon_config(tmp_path))))
    assert found in line and "--fresh-state" in line and "coordinator restore" in line, line
    assert (state / DB_FILE).read_bytes() == damage  # nothing was written over it


async def test_a_database_with_a_damaged_page_fails_quick_check(tmp_path: Path) -> None:
    state = tmp_path / "state"
    await state_with_an_operation(state)
    path = state / DB_FILE
    data = bytearray(path.read_bytes())
    page = 4096
    data[page + 8: 2 * page] = b"\xff" * (page - 8)  # a table's page, header kept
    path.write_bytes(bytes(data))
    with pytest.raises(SetupError, match="is damaged"):
        await Store.open(state)


def test_fresh_state_keeps_the_old_file_aside_and_starts_anew(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / DB_FILE).write_bytes(b"")
    seen = run_until_up(daemon_config(tmp_path), "--fresh-state")
    assert "kept as" in seen and "Traceback" not in seen, seen
    aside = [p for p in state.iterdir() if p.name.startswith(f"{DB_FILE}.aside-")]
    assert len(aside) == 1 and aside[0].read_bytes() == b""
    assert (state / DB_FILE).stat().st_size > 0  # a new database


async def test_the_state_dir_and_its_files_are_made_private(tmp_path: Path) -> None:
    state = tmp_path / "state"
    await state_with_an_operation(state)
    assert stat.S_IMODE((state / DB_FILE).stat().st_mode) == 0o600  # made so
    os.chmod(state, 0o755)
    os.chmod(state / DB_FILE, 0o644)
    seen = await trio.to_thread.run_sync(run_until_up, daemon_config(tmp_path))
    assert "was mode 644, now 600" in seen and "was mode 755, now 700" in seen, seen
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for entry in state.iterdir():
        assert not entry.stat().st_mode & 0o077, entry


def test_deleting_the_lock_file_does_not_let_a_second_daemon_in(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with StateLock.acquire(state) as lock:
        lock.record("first")
        (state / LOCK_FILE).unlink()
        with pytest.raises(StateDirLocked, match="in use by another coordinator"):
            StateLock.acquire(state)
    StateLock.acquire(state).release()  # free again once the first lets go


async def test_an_older_schema_is_upgraded_and_a_newer_one_refused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    # A file as the first release wrote it: no version, the outbox without
    # args, a running job's session id in clear, jobs without block numbers,
    # no proof records.
    first_release = TABLES.replace(PROOF_TABLES, "").replace(
        ",\n    args         TEXT    NOT NULL DEFAULT ''  -- an agent write's arguments (JSON)", "")
    for column in ("block_number", "sequences1", "sequences2"):
        first_release = re.sub(rf"\n    {column} .*", "", first_release)
    assert first_release != TABLES and "sequences1" not in first_release
    db = sqlite3.connect(state / DB_FILE)
    db.executescript(first_release)
    db.execute("INSERT INTO outbox VALUES (1, 'complete', '0xapp', 3, '', 1.0, 'due', 0, 0, '')")
    db.execute("INSERT INTO jobs VALUES ('0xapp', 4, 'd', 'a', 'm', 'app', 'm', NULL, '[]', x'',"
               " 0, 0, 'running', 0, '', 'a-session-id-in-clear', 0, 0, NULL)")
    db.commit()
    db.close()
    store = await Store.open(state)
    try:
        [op] = await store.run(Ledger.operations)
        assert (op.kind, op.job_sequence, op.args) == (OperationKind.COMPLETE, 3, "")
        [job] = await store.run(Ledger.jobs)
        assert (job.block_number, job.sequences1, job.sequences2) == (None, (), ())
    finally:
        await store.close()
    db = sqlite3.connect(state / DB_FILE)
    version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == (str(SCHEMA_VERSION),)
    assert db.execute("SELECT session_id FROM jobs").fetchall() == [(None,)]
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
               (str(SCHEMA_VERSION + 1),))
    db.commit()
    db.close()
    with pytest.raises(SetupError, match="written by a newer coordinator"):
        await Store.open(state)


async def test_backup_and_restore_bring_back_the_outbox_and_the_instance(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    instance = await state_with_an_operation(state)
    config = str(daemon_config(tmp_path))
    copy = tmp_path / "backup.sqlite3"
    with StateLock.acquire(state):  # a running daemon: backup works, restore waits
        made = run_cli("backup", "--config", config, "--to", str(copy))
        assert made.returncode == 0, made.stderr
        refused = run_cli("restore", "--config", config, "--from", str(copy))
        assert "in use by another coordinator" in one_error_line(refused)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    (state / DB_FILE).write_bytes(b"")  # the bad day
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{state / DB_FILE}{suffix}")
    done = run_cli("restore", "--config", config, "--from", str(copy))
    assert done.returncode == 0, done.stderr
    assert "kept as" in done.stdout
    store = await Store.open(state)
    try:
        assert await store.run(Ledger.instance_id) == instance
        [op] = await store.run(Ledger.operations)
        assert (op.app_instance, op.job_sequence) == ("0xapp", 7)
    finally:
        await store.close()
    junk = tmp_path / "junk"
    junk.write_bytes(b"not a database" * 100)
    assert "not a state database" in one_error_line(
        run_cli("restore", "--config", config, "--from", str(junk)))
