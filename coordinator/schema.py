"""The layout of the state database and its explicit upgrades.

The file records which layout it has (`meta.schema_version`). A daemon opens
a file of its own version as it is, upgrades an older one step by step (the
upgrade logged, all in one transaction, so a crash leaves the old version), and
refuses a newer one: a file written by a newer coordinator may hold what this
one would misread. Files from before versions were recorded are version 1.

A new layout is a new `SCHEMA_VERSION` and an entry in `UPGRADES` from the
version before it; `TABLES` is always the newest layout, what a fresh file gets.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from coordinator.errors import SetupError
from coordinator.proof_rows import PROOF_TABLES

log = logging.getLogger("coordinator.state")

SCHEMA_VERSION = 5

TABLES = """
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
    block_number        INTEGER,
    sequences1          TEXT    NOT NULL DEFAULT '[]',  -- JSON array of u64 (a merge's)
    sequences2          TEXT    NOT NULL DEFAULT '[]',
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
""" + PROOF_TABLES


def _add_write_arguments(db: sqlite3.Connection) -> None:
    """2: agent writes in the outbox carry their arguments (JSON)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
    if "args" not in columns:
        db.execute("ALTER TABLE outbox ADD COLUMN args TEXT NOT NULL DEFAULT ''")


def _forget_session_ids(db: sqlite3.Connection) -> None:
    """3: session ids are kept only as keyed tags (coordinator.store): those an
    older version wrote in clear are dropped (no session outlives its process)."""
    db.execute("UPDATE jobs SET session_id = NULL WHERE session_id IS NOT NULL")


def _add_job_blocks(db: sqlite3.Connection) -> None:
    """4: a job keeps its block number and a merge's two sequence lists, which
    agents read (upstream's `Job`). Jobs kept before get none: the older
    daemon never read them, and the chain still holds them."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
    if "block_number" not in columns:
        db.execute("ALTER TABLE jobs ADD COLUMN block_number INTEGER")
    for name in ("sequences1", "sequences2"):
        if name not in columns:
            db.execute(f"ALTER TABLE jobs ADD COLUMN {name} TEXT NOT NULL DEFAULT '[]'")


def _add_proof_records(db: sqlite3.Connection) -> None:
    """5: the settlement proofs and proof events kept in place of upstream's
    Silvana RPC service (coordinator.proof_rows); an older file had none."""
    for statement in statements(PROOF_TABLES):
        db.execute(statement)


# version -> the step that upgrades a file of that version to the next one.
UPGRADES: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _add_write_arguments,
    2: _forget_session_ids,
    3: _add_job_blocks,
    4: _add_proof_records,
}


def file_version(db: sqlite3.Connection) -> int | None:
    """The file's layout version; None for a file with no tables (a fresh start)."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not tables:
        return None
    if "meta" in tables:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is not None:
            try:
                return int(row[0])
            except ValueError:
                raise SetupError(f"state.dir: the database records schema version "
                                 f"{row[0]!r}, not a number: restore a backup") from None
    return 1


def ensure_schema(db: sqlite3.Connection) -> None:
    """Create the tables of a fresh file, or upgrade an older one to `SCHEMA_VERSION`.
    `db` is in autocommit mode; the upgrade runs in one transaction."""
    version = file_version(db)
    if version is not None and version > SCHEMA_VERSION:
        raise SetupError(
            f"state.dir: the database has schema version {version}, written by a newer "
            f"coordinator (this one knows up to {SCHEMA_VERSION}): run that version, or "
            f"restore a backup made by this one"
        )
    if version == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        # The tables a file lacks (all of them, fresh), as the newest layout has
        # them; then each upgrade step of the tables it had.
        for statement in statements(TABLES):
            db.execute(statement)
        for step in range(version or SCHEMA_VERSION, SCHEMA_VERSION):
            UPGRADES[step](db)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                   (str(SCHEMA_VERSION),))
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    if version is not None:
        log.warning("state: database upgraded from schema version %d to %d",
                    version, SCHEMA_VERSION)


def statements(script: str) -> list[str]:
    """The SQL statements of `script`, one by one (executescript would commit
    before running them, outside the caller's transaction)."""
    found, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            found.append(current.strip())
            current = ""
    return found
