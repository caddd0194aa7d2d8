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

import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import trio
from pydantic import Field, field_validator

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.domain import (
    AgentKey,
    AgentMethod,
    ChainOperation,
    EventId,
    Job,
    JobState,
    OperationKind,
)
from coordinator.instance_paths import DEFAULT_INSTANCE, INSTANCE_RE, instance_paths
from coordinator.promptly import PromptLimiter
from coordinator.proof_rows import ProofRows
from coordinator.schema import ensure_schema
from coordinator.section import Section
from coordinator.state_integrity import check_not_empty, create_private, damaged, quick_check

log = logging.getLogger("coordinator.state")

T = TypeVar("T")

DB_FILE = "coordinator.sqlite3"

_JOB_COLUMNS = (
    "app_instance", "job_id", "developer", "agent", "agent_method", "app",
    "app_instance_method", "description", "block_number", "sequences", "sequences1",
    "sequences2", "data", "created_at", "updated_at",
    "state", "attempts", "last_error", "session_id", "not_before", "lease_until",
)

_SEQUENCE_COLUMNS = ("sequences", "sequences1", "sequences2")  # JSON arrays


# Sessions are kept at rest only as tags under this process's own key, never
# written anywhere: the database shows which jobs shared a session, and gives
# no one the id that acts for a container.
_SESSION_KEY = secrets.token_bytes(32)


def session_tag(session_id: str | None) -> str | None:
    if session_id is None:
        return None
    return "tag:" + hmac.new(_SESSION_KEY, session_id.encode(), hashlib.sha256).hexdigest()[:32]


class StateSettings(Section):
    """`[state]`: where this instance keeps its database and what it names itself."""

    dir: Path = Field(
        default_factory=lambda: instance_paths(DEFAULT_INSTANCE, os.environ).state_dir,
        description="The sqlite file and its lock file (`coordinator.lock`) live here (and "
        "the embedded proof store's `proofs/` unless `proofs.dir` is set); one daemon per "
        "dir. Relative: beside the config file, never the working directory.",
        json_schema_extra={"shown_default": "per instance: /var/lib/coordinator/INSTANCE as "
                           "root, $STATE_DIRECTORY/INSTANCE under systemd, else "
                           "$XDG_STATE_HOME/coordinator/INSTANCE"},
    )
    instance: str | None = Field(
        default=None, pattern=INSTANCE_RE.pattern,
        description="This coordinator instance's name, in its default socket and state "
        "paths; unset: the config file's name without .toml (`default` without a file). "
        "Not `--instance`, which is upstream's app instance filter (`jobs.app_instance`).",
    )

    @field_validator("dir", mode="before")
    @classmethod
    def _dir_given(cls, value: object) -> object:
        # Path("") is the current directory: never meant as the daemon's state.
        if value == "":
            raise ValueError("must be a directory, not empty")
        return value

    @field_validator("dir")
    @classmethod
    def _check_dir(cls, value: Path) -> Path:
        # What the path points at is checked at start (coordinator.preflight).
        if "\0" in str(value):
            raise ValueError("must be a path without NUL characters")
        return value


class Ledger(ProofRows):
    """The synchronous store operations, on a connection inside a transaction
    (the proof pipeline's records: `ProofRows`)."""

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

    def bind_chain(self, chain_id: str) -> str | None:
        """Tie the state to the chain the node serves (GetServiceInfo.chain_id).
        The first chain binds it; another chain (a reset simulator, testnet
        state used on mainnet) changes nothing here: the chain the state was
        made on is returned, and only `reset_chain`, which the operator asks
        for, starts over. None: the state is this chain's (now)."""
        previous = self.chain_id()
        if previous is None:
            self._set_meta("chain_id", chain_id)
        return None if previous in (None, chain_id) else previous

    def chain_id(self) -> str | None:
        """The chain the state was made on, as the node reported it (None: not yet)."""
        return self._meta("chain_id")

    def reset_chain(self, chain_id: str | None) -> int:
        """Start over on `chain_id` (None: whichever chain the next node serves):
        the cursor, the handled events, the layout and the jobs are dropped,
        as job ids restart with a chain and an old job would shadow a new one.
        Chain operations not yet sent are never dropped: while the outbox holds
        any, nothing changes and their number is returned (0: done)."""
        (unsent,) = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()
        if unsent:
            return int(unsent)
        self._db.execute("DELETE FROM meta WHERE key IN ('cursor', 'layout', 'chain_id')")
        if chain_id is not None:
            self._set_meta("chain_id", chain_id)
        self._db.execute("DELETE FROM seen_events")
        self._db.execute("DELETE FROM jobs")
        return 0

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
        for name in _SEQUENCE_COLUMNS:
            values[_JOB_COLUMNS.index(name)] = json.dumps(list(getattr(job, name)))
        values[_JOB_COLUMNS.index("session_id")] = session_tag(job.session_id)
        values[_JOB_COLUMNS.index("state")] = job.state.value
        finished = now if job.state.terminal else None
        placeholders = ", ".join("?" * (len(_JOB_COLUMNS) + 1))
        self._db.execute(
            f"INSERT OR REPLACE INTO jobs ({', '.join(_JOB_COLUMNS)}, finished_at) "
            f"VALUES ({placeholders})",
            (*values, finished),
        )

    def release_cache(self) -> None:
        """Free sqlite's page cache. After start-up it holds pages read once
        (`quick_check` reads every page, the job book every job); it fills
        again, up to its usual size, with the pages the daemon then uses."""
        self._db.execute("PRAGMA shrink_memory")

    def jobs(self) -> list[Job]:
        """Every job not yet pruned, oldest first."""
        rows = self._db.execute(
            f"SELECT {', '.join(_JOB_COLUMNS)} FROM jobs ORDER BY created_at, rowid"
        )
        sequences = [_JOB_COLUMNS.index(name) for name in _SEQUENCE_COLUMNS]
        state, data = _JOB_COLUMNS.index("state"), _JOB_COLUMNS.index("data")
        session = _JOB_COLUMNS.index("session_id")
        times = [_JOB_COLUMNS.index("not_before"), _JOB_COLUMNS.index("lease_until")]
        jobs = []
        for row in rows:
            values = list(row)  # by position: no dict per row while thousands load
            for index in sequences:
                values[index] = tuple(json.loads(values[index]))
            for index in times:  # mostly 0.0 (no wait, no lease): one shared float, not one each
                values[index] = values[index] or 0.0
            values[state] = JobState(values[state])
            values[data] = bytes(values[data])
            values[session] = None  # a session never outlives its process
            jobs.append(Job(*values))
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


def _disk_full(exc: sqlite3.OperationalError) -> bool:
    return exc.sqlite_errorcode == sqlite3.SQLITE_FULL


LedgerWrite = Callable[[Ledger], None]
"""One durable change, run later in a worker thread inside some transaction
(the dispatcher's batch, or a job book's commit)."""


class Store:
    """The async face of the sqlite file; one writer at a time.

    A full disk is waited out, never passed up: the transaction is rolled back
    and tried again every `FULL_RETRY_SECS` until it goes through, so its
    caller (the dispatcher, a job book commit, the settler) waits instead of
    crashing, and no new work is taken meanwhile (the dispatcher's wait fills
    ingest's bounded channel). `full_since` says so to the status and metrics.
    """

    FULL_RETRY_SECS = 2.0

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        # trio takes any limiter with its two methods (its stub names only its
        # own CapacityLimiter, hence the ignores below).
        self._one_at_a_time = PromptLimiter(1)
        self.full_since: float | None = None  # wall clock of the first failed write

    @classmethod
    async def open(cls, state_dir: Path) -> Store:
        path = state_dir / DB_FILE

        def connect() -> sqlite3.Connection:
            state_dir.mkdir(parents=True, exist_ok=True)
            check_not_empty(path)
            create_private(path)
            # The connection hops between worker threads, but the limiter
            # lets only one use it at a time.
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = FULL")
                db.execute("PRAGMA busy_timeout = 5000")
                quick_check(db, path)
                ensure_schema(db)
            except sqlite3.DatabaseError as exc:
                db.close()
                raise damaged(path, f"is damaged ({exc})") from None
            except BaseException:
                db.close()
                raise
            return db

        return cls(await trio.to_thread.run_sync(connect), path)

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        if self.full_since is not None:
            message.state_disk_full = True
            message.state_disk_full_secs = max(0.0, time.time() - self.full_since)

    async def run(self, work: Callable[[Ledger], T]) -> T:
        """Run `work` in one transaction in a worker thread; roll back if it raises."""

        def in_transaction() -> T:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = work(Ledger(self._db))
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # a failed COMMIT leaves it open
                    self._db.execute("ROLLBACK")
                raise
            return result

        while True:
            try:
                # One transaction at a time: the limiter is the worker thread's,
                # taken with it. Not abandon_on_cancel: a transaction, once
                # started, finishes.
                result = await trio.to_thread.run_sync(
                    in_transaction, limiter=self._one_at_a_time)  # type: ignore[arg-type]
            except sqlite3.OperationalError as exc:
                if not _disk_full(exc):
                    raise
                if self.full_since is None:
                    self.full_since = time.time()
                    log.error("state: the disk of %s is full: no new work is taken until "
                              "there is space again (tried every %g s; nothing is lost)",
                              self.path, self.FULL_RETRY_SECS)
                await trio.sleep(self.FULL_RETRY_SECS)
                continue
            if self.full_since is not None:
                log.warning("state: the disk has space again after %.0f s; work resumes",
                            time.time() - self.full_since)
                self.full_since = None
            return result

    async def close(self) -> None:
        await trio.to_thread.run_sync(
            self._db.close, limiter=self._one_at_a_time)  # type: ignore[arg-type]
