"""Durable state in one sqlite file (WAL mode) under `state.dir`.

Two layers, with the sync/async boundary made explicit:

- `Ledger` is the synchronous side: plain methods on one open connection,
  used inside a single transaction. Code that must change several things
  atomically (mark an event seen *and* enqueue its job) does it in one call.
- `Store` is the async side: it runs a function over a `Ledger` in a worker
  thread, one at a time, inside a transaction, so sqlite's fsync never
  blocks the Trio loop.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import trio

T = TypeVar("T")

DB_FILE = "coordinator.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- Identity of every coordination event already handled past the cursor.
-- Rows at or below the cursor are pruned: ingest never delivers those again.
CREATE TABLE IF NOT EXISTS seen_events (
    tx_digest   TEXT    NOT NULL,
    event_index INTEGER NOT NULL,
    checkpoint  INTEGER NOT NULL,
    PRIMARY KEY (tx_digest, event_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_events_checkpoint ON seen_events (checkpoint);
"""


@dataclass(frozen=True, order=True)
class EventId:
    """An event's identity on chain: (transaction digest, index in that transaction)."""

    tx_digest: str
    event_index: int

    def __str__(self) -> str:
        return f"{self.tx_digest}#{self.event_index}"


class Ledger:
    """The synchronous store operations, on a connection inside a transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def instance_id(self) -> str:
        """This coordinator's id, made once and kept, so containers it started
        can be recognised after a crash."""
        value = self._meta("instance_id")
        if value is None:
            value = uuid.uuid4().hex[:16]
            self._set_meta("instance_id", value)
        return value

    def bind_package(self, package_id: str) -> bool:
        """Tie the cursor to a package; a different package starts afresh.
        Returns False when an earlier cursor was dropped for that reason."""
        previous = self._meta("package_id")
        if previous == package_id:
            return True
        self._set_meta("package_id", package_id)
        self._db.execute("DELETE FROM meta WHERE key = 'cursor'")
        self._db.execute("DELETE FROM seen_events")
        return previous is None

    def cursor(self) -> int | None:
        """The last checkpoint whose events are all durably handled."""
        value = self._meta("cursor")
        return None if value is None else int(value)

    def set_cursor(self, checkpoint: int) -> None:
        current = self.cursor()
        if current is not None and checkpoint <= current:
            return
        self._set_meta("cursor", str(checkpoint))
        self._db.execute("DELETE FROM seen_events WHERE checkpoint <= ?", (checkpoint,))

    def seen(self, event: EventId) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM seen_events WHERE tx_digest = ? AND event_index = ?",
            (event.tx_digest, event.event_index),
        ).fetchone()
        return row is not None

    def mark_seen(self, event: EventId, checkpoint: int) -> bool:
        """Record `event` as handled; False when it already was."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO seen_events (tx_digest, event_index, checkpoint) "
            "VALUES (?, ?, ?)",
            (event.tx_digest, event.event_index, checkpoint),
        )
        return cursor.rowcount == 1

    def seen_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM seen_events").fetchone()[0])


class Store:
    """The async face of the sqlite file; one writer at a time."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        self._one_at_a_time = trio.CapacityLimiter(1)

    @classmethod
    async def open(cls, state_dir: Path) -> Store:
        path = state_dir / DB_FILE

        def connect() -> sqlite3.Connection:
            state_dir.mkdir(parents=True, exist_ok=True)
            # The connection hops between worker threads, but the limiter
            # lets only one use it at a time.
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA busy_timeout = 5000")
            db.executescript(SCHEMA)
            return db

        return cls(await trio.to_thread.run_sync(connect), path)

    async def run(self, work: Callable[[Ledger], T]) -> T:
        """Run `work` in one transaction in a worker thread; roll back if it raises."""

        def in_transaction() -> T:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = work(Ledger(self._db))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

        async with self._one_at_a_time:
            # Not abandon_on_cancel: a transaction, once started, finishes.
            return await trio.to_thread.run_sync(in_transaction)

    async def close(self) -> None:
        async with self._one_at_a_time:
            await trio.to_thread.run_sync(self._db.close)
