"""The state database is checked before the daemon trusts it.

A damaged file must not be taken for a fresh start: a new instance id would
orphan the containers of the old one, and the outbox of unsent chain
operations would be gone without a word. So an empty (0-byte) file, a file
that is not a database and one that fails sqlite's `quick_check` each stop
the start with one line (exit 2) saying what was found and the two ways on:
restore a backup (`python -m coordinator restore`), or start afresh with
`--fresh-state`, which sets the old file aside instead of deleting it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

from coordinator.errors import SetupError
from coordinator.logs import escape

log = logging.getLogger("coordinator.state")

# sqlite's companions of the database file in WAL mode.
COMPANIONS = ("-wal", "-shm")


class DamagedState(SetupError):
    """The state database cannot be trusted; the message says how to recover,
    `found` what was wrong."""

    def __init__(self, message: str, found: str) -> None:
        super().__init__(message)
        self.found = found


def _recovery(path: Path) -> str:
    return (f"restore a backup (python -m coordinator restore --config FILE --from BACKUP) "
            f"or start afresh with --fresh-state (the file is kept aside as "
            f"{escape(path.name)}.aside-<time>)")


def damaged(path: Path, what: str) -> DamagedState:
    return DamagedState(f"state.dir: the database {escape(str(path))} {what}; {_recovery(path)}",
                        what)


def check_not_empty(path: Path) -> None:
    """A 0-byte database with no write-ahead log is a damaged file, not a fresh start
    (a fresh start has no file at all)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    wal = Path(f"{path}-wal")
    if size == 0 and (not wal.exists() or wal.stat().st_size == 0):
        raise damaged(path, "is empty (0 bytes)")


def quick_check(db: sqlite3.Connection, path: Path) -> None:
    """sqlite's own structural check (O(size of the file), a fraction of a second
    for a year of jobs); the first problem it names goes in the line."""
    try:
        rows = db.execute("PRAGMA quick_check(3)").fetchall()
    except sqlite3.DatabaseError as exc:
        raise damaged(path, f"is damaged ({exc})") from None
    problems = [str(row[0]) for row in rows if row[0] != "ok"]
    if problems:
        raise damaged(path, f"is damaged (quick_check: {escape(problems[0])})")


def create_private(path: Path) -> None:
    """Create the database file with mode 0600 when missing: sqlite gives its
    -wal and -shm files the database file's mode."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def set_aside(path: Path) -> Path | None:
    """`--fresh-state`: move the database and its companions aside (never delete
    them); the new name, or None when there was nothing to move."""
    if not path.exists():
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = path.with_name(f"{path.name}.aside-{stamp}")
    for suffix in ("", *COMPANIONS):
        source = Path(f"{path}{suffix}")
        if source.exists():
            source.rename(Path(f"{aside}{suffix}"))
    log.warning("state: --fresh-state: the old database is kept as %s", escape(str(aside)))
    return aside
