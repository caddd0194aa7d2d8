"""The proof pipeline's local records (`ProofLog` over the state database):
settlement proofs by (app instance, block, chain), the newest answered;
proof events kept bounded per app instance with counts that outlive the
pruning; all of it read back after a restart; a version-4 file upgraded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from coordinator.proof_log import ProofLog
from coordinator.proof_rows import (
    PROOF_TABLES,
    RECENT_PROOF_EVENTS,
    ProofEventRecord,
    SettlementProofRecord,
)
from coordinator.schema import SCHEMA_VERSION, TABLES
from coordinator.store import DB_FILE, Store

APP, OTHER = "0x" + "a" * 64, "0x" + "b" * 64


def _event(n: int, kind: str = "verified", app: str = APP) -> ProofEventRecord:
    return ProofEventRecord(at=1000.0 + n, app_instance=app, job_id=n, kind=kind,
                            block_number=1, sequences=(n, n + 1), merged_sequences1=(n,),
                            merged_sequences2=(n + 1,), data_availability=f"d{n}",
                            block_proof=n % 2 == 0, settlement_chain=None)


async def test_events_are_bounded_counted_and_survive_a_restart(tmp_path: Path) -> None:
    store = await Store.open(tmp_path)
    log = await ProofLog.load(store)
    extra = 5
    for n in range(RECENT_PROOF_EVENTS + extra):
        await log.record_event(_event(n))
    await log.record_event(_event(7, "rejected", OTHER))
    newest = log.recent(APP, 3)
    assert [e.job_id for e in newest] == [RECENT_PROOF_EVENTS + extra - 1 - i for i in range(3)]
    assert len(log.recent(APP)) == RECENT_PROOF_EVENTS
    assert log.counts() == {APP: {"verified": RECENT_PROOF_EVENTS + extra},
                            OTHER: {"rejected": 1}}
    assert log.totals() == {"verified": RECENT_PROOF_EVENTS + extra, "rejected": 1}
    await store.close()
    store = await Store.open(tmp_path)
    again = await ProofLog.load(store)
    assert again.counts() == log.counts()
    assert again.recent(APP) == log.recent(APP) and again.recent(OTHER) == log.recent(OTHER)
    assert again.recent(APP, 1)[0] == _event(RECENT_PROOF_EVENTS + extra - 1)
    assert again.recent("0xunknown") == []
    await store.close()


async def test_the_newest_settlement_proof_of_each_key_is_answered(tmp_path: Path) -> None:
    store = await Store.open(tmp_path)
    log = await ProofLog.load(store)
    first = SettlementProofRecord(APP, 3, "mina:devnet", "embedded:local:one", 7, 100.0)
    await log.record_settlement_proof(first)
    await log.record_settlement_proof(SettlementProofRecord(APP, 3, "zeko:testnet",
                                                            "embedded:local:zeko", 7, 101.0))
    newer = SettlementProofRecord(APP, 3, "mina:devnet", "embedded:local:two", 9, 102.0)
    await log.record_settlement_proof(newer)
    assert await log.settlement_proof(APP, 3, "mina:devnet") == newer
    assert (await log.settlement_proof(APP, 3, "zeko:testnet") or first).descriptor == (
        "embedded:local:zeko")
    assert await log.settlement_proof(APP, 4, "mina:devnet") is None
    assert await log.settlement_proof(OTHER, 3, "mina:devnet") is None
    assert await log.settlement_descriptors(APP) == {"embedded:local:two", "embedded:local:zeko"}
    await store.close()
    store = await Store.open(tmp_path)
    assert await (await ProofLog.load(store)).settlement_proof(APP, 3, "mina:devnet") == newer
    await store.close()


async def test_a_version_4_file_gets_the_proof_tables(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / DB_FILE)
    db.executescript(TABLES.replace(PROOF_TABLES, ""))
    db.execute("INSERT INTO meta VALUES ('schema_version', '4')")
    db.commit()
    db.close()
    store = await Store.open(tmp_path)
    log = await ProofLog.load(store)
    await log.record_event(_event(1))
    assert log.counts() == {APP: {"verified": 1}}
    await store.close()
    db = sqlite3.connect(tmp_path / DB_FILE)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
        str(SCHEMA_VERSION),)
    db.close()
