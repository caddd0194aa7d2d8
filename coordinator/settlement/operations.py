"""Job operations as the chain sees them: a batch as one Move call (or a
multicall) followed by the pipeline's queued calls in upstream's command order
(`batch_calls`), which operations a batch takes (`dedupe`), whether a
left-over operation is still needed, a claim's answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import trio

from coordinator.domain import PIPELINE_BATCHED, ChainOperation, JobRef, OperationKind
from coordinator.pipeline_writes import call_of
from coordinator.sui.app_jobs import read_app_job
from coordinator.sui.objects import Connect
from coordinator.sui.transactions import (
    CompleteJob,
    FailJob,
    Multicall,
    Operation,
    StartJob,
    TerminateJob,
)

__all__ = ["CLAIM_TIMEOUT_SECS", "Claim", "batch_calls", "batch_operation", "dedupe",
           "job_status", "still_needed"]

# A claim not answered by then (node down, no gas): its job goes back, with a
# fail on chain in case the claim lands later.
CLAIM_TIMEOUT_SECS = 120.0

# `available_memory` of a multicall: claims here ask for no memory (0 each),
# so every start is tried.
NO_MEMORY = 0



@dataclass
class Claim:
    """The answer to one claim, once the chain gave it."""

    ref: JobRef
    done: trio.Event = field(default_factory=trio.Event)
    won: bool = False

    async def answer(self) -> bool | None:
        """True: ours; False: another coordinator's; None: no answer within
        CLAIM_TIMEOUT_SECS (the caller gives the job back)."""
        with trio.move_on_after(CLAIM_TIMEOUT_SECS):
            await self.done.wait()
        return self.won if self.done.is_set() else None



def batch_operation(batch: Sequence[ChainOperation]) -> Operation:
    """One operation as its own Move call; several as one multicall."""
    if len(batch) == 1:
        op = batch[0]
        match op.kind:
            case OperationKind.START:
                return StartJob(op.job_sequence)
            case OperationKind.COMPLETE:
                return CompleteJob(op.job_sequence)
            case OperationKind.FAIL:
                return FailJob(op.job_sequence, op.error)
            case OperationKind.TERMINATE:
                return TerminateJob(op.job_sequence)

    def of(kind: OperationKind) -> list[ChainOperation]:
        return [op for op in batch if op.kind is kind]

    return Multicall(
        complete=tuple(op.job_sequence for op in of(OperationKind.COMPLETE)),
        fail=tuple((op.job_sequence, op.error) for op in of(OperationKind.FAIL)),
        terminate=tuple(op.job_sequence for op in of(OperationKind.TERMINATE)),
        start=tuple((op.job_sequence, NO_MEMORY) for op in of(OperationKind.START)),
        available_memory=NO_MEMORY,
    )



def batch_calls(batch: Sequence[ChainOperation]) -> list[Operation]:
    """The transaction's Move calls, in upstream's command order: the job
    operations (one call, or a multicall), then per kind the pipeline's queued
    calls (states, proofs, settle jobs, merge jobs), oldest first. ValueError
    for a pipeline row whose arguments cannot be read."""
    jobs = [op for op in batch if op.kind.job_operation]
    calls: list[Operation] = [batch_operation(jobs)] if jobs else []
    for kind in PIPELINE_BATCHED:
        calls += [call_of(op) for op in batch if op.kind is kind]
    return calls


def still_needed(op: ChainOperation, status: str | None) -> bool:
    """Whether a left-over operation still has work to do, given the job's
    status on chain (None: the job is gone, completed or deleted)."""
    if status is None:
        return False
    if op.kind in (OperationKind.COMPLETE, OperationKind.FAIL):
        return status == "running"
    if op.kind is OperationKind.TERMINATE:
        return True
    return status == "pending"



async def job_status(connect: Connect, app_instance: str, job_sequence: int) -> str | None:
    """The job's status on chain (`pending`, `running`, `failed`), None when the
    AppInstance no longer holds it. Raises `SuiError` when the chain cannot say."""
    async with connect() as client:
        entry = await read_app_job(client, app_instance, job_sequence)
    return None if entry is None else entry.job.status.kind



# Which operations a batch takes first (upstream's priority): merge jobs, settle
# jobs, proofs, states, then the job operations in the order they came.
_PRIORITY = {OperationKind.CREATE_MERGE_JOB: 0, OperationKind.CREATE_SETTLE_JOB: 1,
             OperationKind.SUBMIT_PROOF: 2, OperationKind.UPDATE_STATE: 3}


def dedupe(ops: Sequence[ChainOperation], limit: int) -> list[ChainOperation]:
    """At most `limit` operations, the pipeline's first (`_PRIORITY`), one job
    operation per (kind, job): the chain answers those per (kind, job), so a
    second one waits for the next transaction. Pipeline calls are each their own."""
    chosen: list[ChainOperation] = []
    seen: set[tuple[str, int]] = set()
    for op in sorted(ops, key=lambda op: _PRIORITY.get(op.kind, len(_PRIORITY))):
        key = (op.kind.value, op.job_sequence) if op.kind.job_operation else ("", op.op_id)
        if key in seen:
            continue
        seen.add(key)
        chosen.append(op)
        if len(chosen) == limit:
            break
    return chosen

