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

import json
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import trio
from pydantic import field_validator

from coordinator.domain import (
    AgentKey,
    AgentMethod,
    ChainOperation,
    EventId,
    Job,
    JobState,
    OperationKind,
)
from coordinator.promptly import PromptLimiter
from coordinator.section import Section

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
CREATE TABLE IF NOT EXISTS jobs (
    app_instance        TEXT    NOT NULL,
    job_id              INTEGER NOT NULL,
    developer           TEXT    NOT NULL,
    agent               TEXT    NOT NULL,
    agent_method        TEXT    NOT NULL,
    app                 TEXT    NOT NULL,
    app_instance_method TEXT    NOT NULL,
    description         TEXT,
    sequences           TEXT    NOT NULL,  -- JSON array of u64
    data                BLOB    NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    state               TEXT    NOT NULL,
    attempts            INTEGER NOT NULL,
    last_error          TEXT    NOT NULL,
    session_id          TEXT,
    not_before          REAL    NOT NULL,
    lease_until         REAL    NOT NULL,
    finished_at         REAL,  -- wall clock when it became terminal, for pruning
    PRIMARY KEY (app_instance, job_id)
);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
-- Agent methods learned from chain; agent_method '' is the agent's default.
CREATE TABLE IF NOT EXISTS agent_methods (
    developer     TEXT    NOT NULL,
    agent         TEXT    NOT NULL,
    agent_method  TEXT    NOT NULL,
    docker_image  TEXT    NOT NULL,
    docker_sha256 TEXT,
    min_memory_gb INTEGER NOT NULL,
    min_cpu_cores INTEGER NOT NULL,
    requires_tee  INTEGER NOT NULL,
    agent_id      TEXT    NOT NULL,
    PRIMARY KEY (developer, agent, agent_method)
);
-- Job operations for the chain, written before they are sent and deleted once
-- the chain answered them (coordinator/settlement/).
CREATE TABLE IF NOT EXISTS outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,  -- start | complete | fail | terminate | an agent write
    app_instance TEXT    NOT NULL,
    job_sequence INTEGER NOT NULL,
    error        TEXT    NOT NULL,
    created_at   REAL    NOT NULL,
    state        TEXT    NOT NULL,  -- due | sent
    attempts     INTEGER NOT NULL,
    next_try_at  REAL    NOT NULL,
    last_error   TEXT    NOT NULL,
    args         TEXT    NOT NULL DEFAULT ''  -- an agent write's arguments (JSON)
);
"""

_JOB_COLUMNS = (
    "app_instance", "job_id", "developer", "agent", "agent_method", "app",
    "app_instance_method", "description", "sequences", "data", "created_at", "updated_at",
    "state", "attempts", "last_error", "session_id", "not_before", "lease_until",
)


# Columns added after a table was first released: (table, column, definition).
# CREATE TABLE IF NOT EXISTS leaves an older file's table as it was.
_ADDED_COLUMNS = (("outbox", "args", "TEXT NOT NULL DEFAULT ''"),)


class StateSettings(Section):
    dir: Path = Path("state")

    @field_validator("dir")
    @classmethod
    def _check_dir(cls, value: Path) -> Path:
        # What the path points at is checked at start (coordinator.preflight).
        if "\0" in str(value):
            raise ValueError("must be a path without NUL characters")
        return value



def _add_missing_columns(db: sqlite3.Connection) -> None:
    for table, column, definition in _ADDED_COLUMNS:
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


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
        self._db.execute("DELETE FROM meta WHERE key IN ('cursor', 'chain_id', 'layout')")
        self._db.execute("DELETE FROM seen_events")
        return previous is None

    def bind_chain(self, chain_id: str) -> bool:
        """Tie the cursor to the chain the node serves (GetServiceInfo.chain_id).
        Another chain (a reset simulator, testnet state used on mainnet) makes
        the cursor and the jobs meaningless: they are dropped, and False says so."""
        previous = self._meta("chain_id")
        if previous == chain_id:
            return True
        self._set_meta("chain_id", chain_id)
        if previous is None:
            return True
        self._db.execute("DELETE FROM meta WHERE key IN ('cursor', 'layout')")
        self._db.execute("DELETE FROM seen_events")
        # Job ids restart with the chain: an old job would shadow a new one.
        self._db.execute("DELETE FROM jobs")
        self._db.execute("DELETE FROM outbox")
        return False

    def layout(self) -> str | None:
        """The event layout `sui.layout = "auto"` settled on (None: not yet)."""
        return self._meta("layout")

    def set_layout(self, layout: str) -> None:
        self._set_meta("layout", layout)

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

    def forget_cursor(self) -> None:
        """Start over (`reset-cursor`): the next start begins at
        `sui.start_checkpoint` or the tip. Jobs and agent methods are kept."""
        self._db.execute("DELETE FROM meta WHERE key = 'cursor'")
        self._db.execute("DELETE FROM seen_events")

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

    # --- jobs ---

    def save_jobs(self, jobs: list[Job], now: float) -> None:
        for job in jobs:
            self.save_job(job, now)

    def save_job(self, job: Job, now: float) -> None:
        values = [getattr(job, name) for name in _JOB_COLUMNS]
        values[_JOB_COLUMNS.index("sequences")] = json.dumps(list(job.sequences))
        values[_JOB_COLUMNS.index("state")] = job.state.value
        finished = now if job.state.terminal else None
        placeholders = ", ".join("?" * (len(_JOB_COLUMNS) + 1))
        self._db.execute(
            f"INSERT OR REPLACE INTO jobs ({', '.join(_JOB_COLUMNS)}, finished_at) "
            f"VALUES ({placeholders})",
            (*values, finished),
        )

    def jobs(self) -> list[Job]:
        """Every job not yet pruned, oldest first."""
        rows = self._db.execute(
            f"SELECT {', '.join(_JOB_COLUMNS)} FROM jobs ORDER BY created_at, rowid"
        )
        jobs = []
        for row in rows:
            fields = dict(zip(_JOB_COLUMNS, row, strict=True))
            fields["sequences"] = tuple(json.loads(fields["sequences"]))
            fields["state"] = JobState(fields["state"])
            fields["data"] = bytes(fields["data"])
            jobs.append(Job(**fields))
        return jobs

    def prune_finished_jobs(self, keep: int) -> int:
        """Forget all but the `keep` most recently finished jobs."""
        cursor = self._db.execute(
            "DELETE FROM jobs WHERE finished_at IS NOT NULL AND rowid NOT IN "
            "(SELECT rowid FROM jobs WHERE finished_at IS NOT NULL "
            " ORDER BY finished_at DESC LIMIT ?)",
            (keep,),
        )
        return cursor.rowcount

    # --- agent methods ---

    def save_method(self, key: AgentKey, method: AgentMethod | None) -> None:
        """Store (or, with None, forget) how to run `key`."""
        if method is None:
            self._db.execute(
                "DELETE FROM agent_methods WHERE developer = ? AND agent = ? AND agent_method = ?",
                key,
            )
            return
        self._db.execute(
            "INSERT OR REPLACE INTO agent_methods VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*key, method.docker_image, method.docker_sha256, method.min_memory_gb,
             method.min_cpu_cores, int(method.requires_tee), method.agent_id),
        )

    def methods(self) -> dict[AgentKey, AgentMethod]:
        rows = self._db.execute("SELECT * FROM agent_methods")
        return {
            AgentKey(dev, agent, name): AgentMethod(image, sha, mem, cpu, bool(tee), agent_id)
            for dev, agent, name, image, sha, mem, cpu, tee, agent_id in rows
        }


    # --- the outbox of chain operations ---

    def add_operations(self, operations: list[ChainOperation]) -> None:
        """Write new operations; each gets its row id (`op_id`)."""
        for op in operations:
            cursor = self._db.execute(
                "INSERT INTO outbox (kind, app_instance, job_sequence, error, created_at, state, "
                "attempts, next_try_at, last_error, args) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (op.kind.value, op.app_instance, op.job_sequence, op.error, op.created_at,
                 op.state, op.attempts, op.next_try_at, op.last_error, op.args),
            )
            op.op_id = int(cursor.lastrowid or 0)

    def update_operation(self, op: ChainOperation) -> None:
        self._db.execute(
            "UPDATE outbox SET state = ?, attempts = ?, next_try_at = ?, last_error = ? "
            "WHERE id = ?",
            (op.state, op.attempts, op.next_try_at, op.last_error, op.op_id),
        )

    def remove_operations(self, op_ids: list[int]) -> None:
        self._db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in op_ids])

    def operations(self) -> list[ChainOperation]:
        """The whole outbox, oldest first."""
        rows = self._db.execute(
            "SELECT id, kind, app_instance, job_sequence, error, created_at, state, attempts, "
            "next_try_at, last_error, args FROM outbox ORDER BY id"
        )
        return [
            ChainOperation(OperationKind(kind), app, seq, error, created, state, op_id, attempts,
                           next_try, last_error, args)
            for op_id, kind, app, seq, error, created, state, attempts, next_try, last_error, args
            in rows
        ]


LedgerWrite = Callable[[Ledger], None]
"""One durable change, run later in a worker thread inside some transaction
(the dispatcher's batch, or a job book's commit)."""


class Store:
    """The async face of the sqlite file; one writer at a time."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        # trio takes any limiter with its two methods (its stub names only its
        # own CapacityLimiter, hence the ignores below).
        self._one_at_a_time = PromptLimiter(1)

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
            _add_missing_columns(db)
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

        # One transaction at a time: the limiter is the worker thread's, taken
        # with it. Not abandon_on_cancel: a transaction, once started, finishes.
        return await trio.to_thread.run_sync(
            in_transaction, limiter=self._one_at_a_time)  # type: ignore[arg-type]

    async def close(self) -> None:
        await trio.to_thread.run_sync(
            self._db.close, limiter=self._one_at_a_time)  # type: ignore[arg-type]
