"""The `jobs` and `multicall` layouts of the coordination package as published
since 2025-09-02 (SilvanaOne/silvana d1563ea, `move/coordination/sources/
{jobs,multicall}.move`), and the `Job`/`Jobs` objects of that version.

Jobs are named by a per-app-instance `job_sequence`; most events name their
app instance and the coordinator (the transaction sender) that caused them.
The `agent`, `developer` and `app_instance` events did not change and live in
``models.py``; so do the `2025-08` job events, under the same Move names.
The class names are the Move names, because they name the error path of a
payload that does not decode.
"""

from __future__ import annotations

from typing import Annotated

from coordinator.events import bcs
from coordinator.events.models import (
    U8,
    U64,
    Address,
    BcsEvent,
    Bytes,
    OptionString,
    OptionVectorU64,
    Status,
    String,
)

OptionU64 = Annotated[int | None, bcs.option(bcs.U64)]
VectorU64 = Annotated[tuple[int, ...], bcs.vector(bcs.U64)]
VectorBool = Annotated[tuple[bool, ...], bcs.vector(bcs.BOOL)]
OptionBytes = Annotated[bytes | None, bcs.option(bcs.BYTES)]


# --- events -----------------------------------------------------------------


class JobCreatedEvent(BcsEvent):
    job_sequence: U64
    description: OptionString
    developer: String
    agent: String
    agent_method: String
    app: String
    app_instance: String
    app_instance_method: String
    block_number: OptionU64
    sequences: OptionVectorU64
    sequences1: OptionVectorU64
    sequences2: OptionVectorU64
    data: Bytes
    status: Status
    created_at: U64


class JobUpdatedEvent(BcsEvent):
    job_sequence: U64
    developer: String
    agent: String
    agent_method: String
    app_instance: String
    status: Status
    attempts: U8
    updated_at: U64


class JobStartedEvent(BcsEvent):
    job_sequence: U64
    app_instance: String
    coordinator: Address
    started_at: U64


class JobRestartedEvent(BcsEvent):
    job_sequence: U64
    app_instance: String
    started_at: U64


class JobsRestartedEvent(BcsEvent):
    failed_jobs: VectorU64
    num_failed_jobs: U64
    restarted_at: U64


class JobCompletedEvent(BcsEvent):
    job_sequence: U64
    app_instance: String
    coordinator: Address
    completed_at: U64


class JobFailedEvent(BcsEvent):
    job_sequence: U64
    app_instance: String
    coordinator: Address
    error: String
    attempts: U8
    failed_at: U64


class JobDeletedEvent(BcsEvent):
    job_sequence: U64
    app_instance: String
    deleted_at: U64


class JobTerminatedEvent(BcsEvent):
    job_sequence: U64
    app_instance: String
    coordinator: Address
    terminated_at: U64


class JobRescheduledEvent(BcsEvent):
    job_sequence: U64
    app_instance: String
    next_scheduled_at: U64
    rescheduled_at: U64


class MulticallExecutedEvent(BcsEvent):
    """One per `multicall_app_job_operations`: a result per operation, in the
    order the call gave them (complete, fail, terminate, start)."""

    coordinator: Address
    complete_jobs: VectorU64
    complete_results: VectorBool
    fail_jobs: VectorU64
    fail_results: VectorBool
    terminate_jobs: VectorU64
    terminate_results: VectorBool
    start_jobs: VectorU64
    start_results: VectorBool
    timestamp: U64


class OperationFailedEvent(BcsEvent):
    """`multicall::OperationFailedEvent`: a job operation that returned false
    (wrong status, not found, not due yet) instead of aborting."""

    operation: String
    entity_type: String
    entity_id: U64
    reason: String
    caller: Address
    timestamp: U64
    additional_data: OptionBytes


# --- objects ----------------------------------------------------------------


class Job(BcsEvent):
    """`jobs::Job`, the dynamic object field of `Jobs.jobs` under its sequence."""

    id: Address  # UID: 32 bytes, rendered as the object id
    job_sequence: U64
    description: OptionString
    developer: String
    agent: String
    agent_method: String
    app: String
    app_instance: String
    app_instance_method: String
    block_number: OptionU64
    sequences: OptionVectorU64
    sequences1: OptionVectorU64
    sequences2: OptionVectorU64
    data: Bytes
    status: Status
    attempts: U8
    interval_ms: OptionU64
    next_scheduled_at: OptionU64
    created_at: U64
    updated_at: U64


class ObjectTable(BcsEvent):
    """`ObjectTable<K, V>` as stored: its UID and size; entries are dynamic fields."""

    id: Address
    size: U64


# developer -> agent -> method -> pending job sequences
PendingIndexes = Annotated[
    tuple[tuple[str, tuple[tuple[str, tuple[tuple[str, tuple[int, ...]], ...]], ...]], ...],
    bcs.vec_map(bcs.STRING, bcs.vec_map(bcs.STRING, bcs.vec_map(bcs.STRING, bcs.vec_set(bcs.U64)))),
]
VecSetU64 = Annotated[tuple[int, ...], bcs.vec_set(bcs.U64)]


class Jobs(BcsEvent):
    """`jobs::Jobs`, the `jobs` field of the shared `AppInstance`."""

    id: Address
    jobs: Annotated[ObjectTable, ObjectTable.codec()]
    failed_jobs_count: U64
    failed_jobs_index: VecSetU64
    pending_jobs: VecSetU64
    pending_jobs_count: U64
    pending_jobs_indexes: PendingIndexes
    next_job_sequence: U64
    max_attempts: U8


JOB_EVENTS: tuple[type[BcsEvent], ...] = (
    JobCreatedEvent,
    JobUpdatedEvent,
    JobStartedEvent,
    JobRestartedEvent,
    JobsRestartedEvent,
    JobCompletedEvent,
    JobFailedEvent,
    JobDeletedEvent,
    JobTerminatedEvent,
    JobRescheduledEvent,
    MulticallExecutedEvent,
)
