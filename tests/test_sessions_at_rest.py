"""A session id is the agent's credential (over TCP the only one), so the
state database never holds one: a local user who reads the file, its
write-ahead log included, learns nothing that acts for a container."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from coordinator.jobs import JobBook
from coordinator.store import DB_FILE, Ledger, Store
from tests.support import ADD_KEY, created


async def test_no_session_id_is_written_to_the_database_or_its_log(tmp_path: Path) -> None:
    state = tmp_path / "state"
    store = await Store.open(state)
    try:
        book = JobBook(store, max_attempts=3, lease_secs=60)
        for job_id in range(1, 4):
            book.on_chain_event(created(job_id))
        sessions = []
        for _ in range(3):
            opened = book.open_session(ADD_KEY)
            assert opened is not None
            sessions.append(opened[0])
        await book.commit()
        stored = await store.run(Ledger.jobs)
        assert len(stored) == 3 and all(job.session_id is None for job in stored)
        raw = b"".join(path.read_bytes() for path in state.iterdir()
                       if path.name.startswith(DB_FILE))
        for session in sessions:
            assert session.session_id.encode() not in raw
            assert session.private_key.encode() not in raw
        # What is there tells which jobs shared a session, and nothing more.
        with sqlite3.connect(state / DB_FILE) as db:
            tags = [row[0] for row in db.execute("SELECT session_id FROM jobs ORDER BY job_id")]
        assert len(set(tags)) == 3 and all(tag.startswith("tag:") for tag in tags)
    finally:
        await store.close()
