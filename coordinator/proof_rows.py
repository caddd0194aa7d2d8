"""What upstream's Silvana RPC service keeps of the proof pipeline, kept here
in the state database instead (issue 24 item 6; reference §2.2, §5.6):

- **settlement proofs**: SubmitSettlementProof stores the proof in the proof
  store and records (app instance, block, chain) -> its descriptor and when;
  GetSettlementProof answers the newest. One row per key (a new submission
  replaces the old one), at most MAX_SETTLEMENT_PROOFS rows, the oldest going
  first.
- **proof events**: what agents report (ProofEvent) and what the pipeline
  calls imply (a proof submitted, rejected, a settlement proof submitted),
  the newest RECENT_PROOF_EVENTS per app instance, and counts by app
  instance and kind that outlive the pruning (for the status and metrics).

Nothing secret is kept: no session id, only job numbers, descriptors (content
hashes), block numbers and sequences. `ProofRows` is mixed into the store's
`Ledger`, so these rows change in the same kind of transaction as the rest.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

__all__ = [
    "MAX_SETTLEMENT_PROOFS",
    "PROOF_TABLES",
    "RECENT_PROOF_EVENTS",
    "ProofEventRecord",
    "ProofRows",
    "SettlementProofRecord",
]

MAX_SETTLEMENT_PROOFS = 10_000
RECENT_PROOF_EVENTS = 100  # per app instance

PROOF_TABLES = """
-- The newest settlement proof of each (app instance, block, chain).
CREATE TABLE IF NOT EXISTS settlement_proofs (
    app_instance TEXT    NOT NULL,
    block_number INTEGER NOT NULL,
    chain        TEXT    NOT NULL,
    descriptor   TEXT    NOT NULL,
    job_id       INTEGER NOT NULL,
    submitted_at REAL    NOT NULL,  -- wall clock
    PRIMARY KEY (app_instance, block_number, chain)
);
CREATE INDEX IF NOT EXISTS settlement_proofs_age ON settlement_proofs (submitted_at);
-- The newest proof events of each app instance.
CREATE TABLE IF NOT EXISTS proof_events (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    at                REAL    NOT NULL,  -- wall clock
    app_instance      TEXT    NOT NULL,
    job_id            INTEGER NOT NULL,
    kind              TEXT    NOT NULL,  -- submitted | fetched | verified | unavailable | rejected
    block_number      INTEGER NOT NULL,
    sequences         TEXT    NOT NULL,  -- JSON arrays of u64
    merged_sequences1 TEXT    NOT NULL,
    merged_sequences2 TEXT    NOT NULL,
    data_availability TEXT    NOT NULL,
    block_proof       INTEGER,           -- NULL: not said
    settlement_chain  TEXT               -- a settlement proof's chain
);
CREATE INDEX IF NOT EXISTS proof_events_instance ON proof_events (app_instance, id);
-- Every proof event ever recorded, by app instance and kind.
CREATE TABLE IF NOT EXISTS proof_event_counts (
    app_instance TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (app_instance, kind)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class SettlementProofRecord:
    app_instance: str
    block_number: int
    chain: str
    descriptor: str
    job_id: int
    submitted_at: float


@dataclass(frozen=True)
class ProofEventRecord:
    """One proof event (upstream's ProofEvent fields, without the session)."""

    at: float
    app_instance: str
    job_id: int
    kind: str
    block_number: int
    sequences: tuple[int, ...] = ()
    merged_sequences1: tuple[int, ...] = ()
    merged_sequences2: tuple[int, ...] = ()
    data_availability: str = ""
    block_proof: bool | None = None
    settlement_chain: str | None = None


_EVENT_COLUMNS = ("at", "app_instance", "job_id", "kind", "block_number", "sequences",
                  "merged_sequences1", "merged_sequences2", "data_availability", "block_proof",
                  "settlement_chain")
_SEQUENCE_COLUMNS = {"sequences", "merged_sequences1", "merged_sequences2"}


def _event_row(record: ProofEventRecord) -> tuple[object, ...]:
    values = []
    for name in _EVENT_COLUMNS:
        value = getattr(record, name)
        values.append(json.dumps(list(value)) if name in _SEQUENCE_COLUMNS else value)
    return tuple(values)


def _event_of(row: sqlite3.Row | tuple[object, ...]) -> ProofEventRecord:
    fields = dict(zip(_EVENT_COLUMNS, row, strict=True))
    for name in _SEQUENCE_COLUMNS:
        fields[name] = tuple(json.loads(str(fields[name])))
    if fields["block_proof"] is not None:
        fields["block_proof"] = bool(fields["block_proof"])
    return ProofEventRecord(**fields)


class ProofRows:
    """The Ledger's operations on these tables (inside its transaction)."""

    _db: sqlite3.Connection

    def save_settlement_proof(self, record: SettlementProofRecord) -> None:
        """Record the newest settlement proof of its key; the oldest rows beyond
        MAX_SETTLEMENT_PROOFS go."""
        self._db.execute(
            "INSERT OR REPLACE INTO settlement_proofs VALUES (?, ?, ?, ?, ?, ?)",
            (record.app_instance, record.block_number, record.chain, record.descriptor,
             record.job_id, record.submitted_at))
        self._db.execute(
            "DELETE FROM settlement_proofs WHERE rowid IN (SELECT rowid FROM settlement_proofs "
            "ORDER BY submitted_at DESC, rowid DESC LIMIT -1 OFFSET ?)", (MAX_SETTLEMENT_PROOFS,))

    def settlement_proof(self, app_instance: str, block_number: int,
                         chain: str) -> SettlementProofRecord | None:
        row = self._db.execute(
            "SELECT app_instance, block_number, chain, descriptor, job_id, submitted_at "
            "FROM settlement_proofs WHERE app_instance = ? AND block_number = ? AND chain = ?",
            (app_instance, block_number, chain)).fetchone()
        return None if row is None else SettlementProofRecord(*row)

    def settlement_descriptors(self, app_instance: str) -> set[str]:
        """The descriptors of the settlement proofs recorded for an app instance."""
        return {row[0] for row in self._db.execute(
            "SELECT descriptor FROM settlement_proofs WHERE app_instance = ?", (app_instance,))}

    def add_proof_event(self, record: ProofEventRecord) -> None:
        """Keep the event (the newest RECENT_PROOF_EVENTS of its app instance) and count it."""
        marks = ", ".join("?" * len(_EVENT_COLUMNS))
        self._db.execute(f"INSERT INTO proof_events ({', '.join(_EVENT_COLUMNS)}) "
                         f"VALUES ({marks})", _event_row(record))
        self._db.execute(
            "DELETE FROM proof_events WHERE app_instance = ? AND id IN (SELECT id FROM "
            "proof_events WHERE app_instance = ? ORDER BY id DESC LIMIT -1 OFFSET ?)",
            (record.app_instance, record.app_instance, RECENT_PROOF_EVENTS))
        self._db.execute(
            "INSERT INTO proof_event_counts VALUES (?, ?, 1) ON CONFLICT (app_instance, kind) "
            "DO UPDATE SET count = count + 1", (record.app_instance, record.kind))

    def proof_events(self) -> list[ProofEventRecord]:
        """Every kept proof event, oldest first."""
        return [_event_of(row) for row in self._db.execute(
            f"SELECT {', '.join(_EVENT_COLUMNS)} FROM proof_events ORDER BY id")]

    def proof_event_counts(self) -> dict[str, dict[str, int]]:
        """Counts by app instance, then kind."""
        counts: dict[str, dict[str, int]] = {}
        for app_instance, kind, count in self._db.execute(
                "SELECT app_instance, kind, count FROM proof_event_counts"):
            counts.setdefault(app_instance, {})[kind] = int(count)
        return counts
