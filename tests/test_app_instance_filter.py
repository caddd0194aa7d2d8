"""Upstream's APP_INSTANCE_FILTER and SETTLE_ONLY (`jobs.app_instance`,
`jobs.settle_only`) at the job book's intake, with a real book and store:
jobs left to other coordinators never enter the book, so they are neither
claimed, run nor settled here."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from coordinator.domain import AgentKey, Job, JobRef, JobState
from coordinator.events import JobCreatedEvent, JobStatus
from coordinator.events import models_2025_11 as v11
from coordinator.events.layouts import neutral
from coordinator.events.models import BcsEvent
from coordinator.events.parser import CoordinationEvent, LedgerPosition
from coordinator.jobs import JobBook, JobsSettings
from coordinator.store import Store

KEY = AgentKey("dev", "agent", "prove")
OURS = "0x" + "a" * 64
THEIRS = "0x" + "b" * 64
ADDRESS = "0x" + "c" * 64


def event(payload: BcsEvent, tx: str) -> CoordinationEvent:
    return CoordinationEvent(LedgerPosition(1, tx, 0, 0), "jobs", type(payload).__name__,
                             "0x1", neutral(payload))


def created(job_id: int, app_instance: str, method: str = "prove") -> CoordinationEvent:
    return event(JobCreatedEvent(
        job_id=job_id, description=None, developer=KEY.developer, agent=KEY.agent,
        agent_method=KEY.agent_method, app="app", app_instance=app_instance,
        app_instance_method=method, sequences=(1,), data=b"", status=JobStatus(kind="pending"),
        created_at=job_id), tx=f"create-{job_id}-{app_instance}")


def restricted(book: JobBook, **keys: object) -> JobBook:
    book.restrict(JobsSettings.model_validate(keys).takes)
    return book


async def open_book(path: Path) -> JobBook:
    """A book with a key's address, so that it claims and settles on chain."""
    return await JobBook.load(await Store.open(path), max_attempts=3, lease_secs=60,
                              address=ADDRESS)


def test_the_settings() -> None:
    jobs = JobsSettings.model_validate({"app_instance": "0xA"})
    assert jobs.app_instance == "0x" + "0" * 63 + "a" and jobs.restricted
    assert not JobsSettings().restricted
    with pytest.raises(ValidationError, match="hex digits"):
        JobsSettings.model_validate({"app_instance": "app"})


async def test_only_the_filtered_app_instances_jobs_enter_the_book(tmp_path: Path) -> None:
    book = restricted(await open_book(tmp_path), app_instance=OURS)
    assert [j.ref for j in book.on_chain_event(created(1, OURS))] == [JobRef(OURS, 1)]
    assert book.on_chain_event(created(2, THEIRS)) == []
    assert set(book.jobs) == {JobRef(OURS, 1)}
    # Recovered from chain (start, reconciler): the same rule.
    theirs = Job(app_instance=THEIRS, job_id=3, developer="dev", agent="agent",
                 agent_method="prove")
    assert not book.add_recovered(theirs)
    # So a session (a container) only ever gets ours, and nothing of theirs is settled.
    opened = book.open_session(KEY)
    assert opened is not None and opened[1].ref == JobRef(OURS, 1)
    assert book.take(KEY, opened[0].session_id) is opened[1]
    assert book.take(KEY, opened[0].session_id) is None
    book.complete(opened[0].session_id, 1, OURS)
    await book.commit()
    operations = await book.store.run(lambda ledger: ledger.operations())
    assert operations and {op.app_instance for op in operations} == {OURS}


async def test_settle_only_takes_the_settle_method(tmp_path: Path) -> None:
    book = restricted(await open_book(tmp_path), settle_only=True)
    assert book.on_chain_event(created(1, OURS, "prove")) == []
    assert [j.job_id for j in book.on_chain_event(created(2, THEIRS, "settle"))] == [2]
    both = restricted(await open_book(tmp_path / "b"), settle_only=True, app_instance=OURS)
    assert both.on_chain_event(created(3, THEIRS, "settle")) == []
    assert [j.job_id for j in both.on_chain_event(created(4, OURS, "settle"))] == [4]


async def test_jobs_pending_from_an_unfiltered_run_are_not_run(tmp_path: Path) -> None:
    book = await open_book(tmp_path)
    book.on_chain_event(created(1, OURS))
    book.on_chain_event(created(2, THEIRS))
    await book.commit()
    await book.store.close()
    again = restricted(await open_book(tmp_path), app_instance=OURS)
    assert again.pending_count(KEY) == 1
    assert again.jobs[JobRef(THEIRS, 2)].state is JobState.PENDING  # kept, not queued
    # The chain's word about it changes nothing here any more.
    started = event(v11.JobStartedEvent(job_sequence=2, app_instance=THEIRS,
                                        coordinator="0x" + "d" * 64, started_at=5),
                    tx="start-2")
    assert again.on_chain_event(started) == []
    opened = again.open_session(KEY)
    assert opened is not None and opened[1].ref == JobRef(OURS, 1)
