"""The jobs of an app instance as the chain holds them, read back from its objects.

A shared AppInstance holds a `jobs::Jobs` value: the sequences of its pending
jobs, and an ObjectTable of every job it still has (pending, running, failed
and waiting for a restart); a completed or deleted job is gone from the table.
Recovery (at start) and reconciliation (every few minutes) both read it here,
in either layout: the instance once, then the table a page at a time with each
job's object in the same answer, so an instance of n jobs costs 1 + n/100
calls, not a lookup per job.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from pydantic import ValidationError

from coordinator._pb.sui.rpc.v2 import object_pb2
from coordinator.domain import Job
from coordinator.events import bcs
from coordinator.events.bcs import BcsError
from coordinator.events.job_events import ChainJob, book_job
from coordinator.events.layouts import JOB_OBJECTS, Layout, neutral_job
from coordinator.events.models import app_instance_address
from coordinator.sui.client import SuiClient, SuiError, SuiNotFound
from coordinator.sui.objects import PAGE_SIZE, object_json, table_child

log = logging.getLogger("coordinator.sui.app_jobs")


@dataclass(frozen=True)
class ChainJobEntry:
    """One job of the table: its fields, and the transaction that last wrote it
    (for a running job: the one that started it, sent by the coordinator that
    holds it)."""

    job: ChainJob
    object_id: str
    previous_transaction: str | None


@dataclass(frozen=True)
class AppJobs:
    """An app instance's jobs: what `pending_jobs` lists, and every job of the
    table by sequence (a job of no known layout is logged and left out)."""

    app_instance: str  # the object id, 0x-prefixed
    pending: frozenset[int]
    jobs: dict[int, ChainJobEntry]
    max_attempts: int  # `Jobs.max_attempts`: a job failed this often is not retried

    def by_status(self, kind: str) -> list[ChainJobEntry]:
        return [entry for _, entry in sorted(self.jobs.items()) if entry.job.status.kind == kind]


async def read_app_jobs(client: SuiClient, app_instance: str) -> AppJobs | None:
    """The jobs of `app_instance` (its object id, with or without 0x); None when
    the instance is not on chain (deleted, or another chain). Each call runs
    under the client's deadline; a `SuiError` is the caller's to retry."""
    object_id = app_instance_address(app_instance)
    try:
        instance = await object_json(client, object_id)
    except SuiNotFound:
        log.warning("app instance %s is not on chain (deleted?)", object_id)
        return None
    jobs = instance["jobs"]
    pending = frozenset(int(sequence) for sequence in jobs["pending_jobs"]["contents"])
    entries: dict[int, ChainJobEntry] = {}
    async for child in _table_children(client, jobs["jobs"]["id"]):
        value: dict[str, Any] = json_format.MessageToDict(child.json)
        try:
            job = chain_job_from_json(value)
        except (BcsError, ValidationError) as exc:
            log.warning("job object %s of app instance %s is not a job of a known layout: %s",
                        child.object_id, object_id, str(exc).splitlines()[0])
            continue
        entries[job.job_sequence] = ChainJobEntry(
            job, child.object_id, child.previous_transaction or None
        )
    return AppJobs(object_id, pending, entries, int(jobs["max_attempts"]))


async def read_app_job(
    client: SuiClient, app_instance: str, job_sequence: int
) -> ChainJobEntry | None:
    """One job of `app_instance` with the transaction that last wrote it; None
    when the instance no longer holds it. An undecodable job is a `SuiError`."""
    try:
        instance = await object_json(client, app_instance_address(app_instance))
    except SuiNotFound:
        return None
    child = await table_child(client, instance["jobs"]["jobs"]["id"],
                              bcs.U64.to_bytes(job_sequence))
    if child is None:
        return None
    try:
        found = await client.get_object(child, ["object_id", "json", "previous_transaction"])
    except SuiNotFound:
        return None
    try:
        job = chain_job_from_json(json_format.MessageToDict(found.json))
    except (BcsError, ValidationError, ValueError) as exc:
        raise SuiError("GetObject", "UNDECODABLE_JOB", str(exc).splitlines()[0]) from None
    return ChainJobEntry(job, found.object_id or child, found.previous_transaction or None)


async def _table_children(
    client: SuiClient, table_id: str
) -> AsyncIterator[object_pb2.Object]:
    """The objects stored in an ObjectTable, with their JSON and last writer."""
    page_token: bytes | None = None
    while True:
        try:
            page = await client.list_dynamic_fields(
                table_id, page_size=PAGE_SIZE, page_token=page_token,
                read_mask=["child_id", "child_object.object_id", "child_object.json",
                           "child_object.previous_transaction"],
            )
        except SuiNotFound:
            return
        for field in page.dynamic_fields:
            if field.HasField("child_object"):
                yield field.child_object
        if not page.next_page_token:
            return
        page_token = page.next_page_token


async def sender_of(client: SuiClient, tx_digest: str) -> str | None:
    """The sender of a transaction; None when the node no longer has it."""
    try:
        tx = await client.get_transaction(tx_digest, ["transaction.sender"])
    except SuiNotFound:
        return None
    return tx.transaction.sender or None


def chain_job_from_json(value: dict[str, Any]) -> ChainJob:
    """A `jobs::Job` of either layout as GetObject renders it (a 2025-11 job
    names itself by `job_sequence`)."""
    layout: Layout = "2025-11" if "job_sequence" in value else "2025-08"
    return neutral_job(JOB_OBJECTS[layout].from_json(value))


def pending_job(chain_job: ChainJob) -> Job:
    """The book's pending job for a job found pending on chain."""
    return book_job(
        chain_job, updated_at=chain_job.updated_at, attempts=chain_job.attempts,
        # A job waiting for its retry interval or its next period.
        not_before=(chain_job.next_scheduled_at or 0) / 1000,
    )
