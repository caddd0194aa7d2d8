"""The settler's proof-pipeline calls (`coordinator.pipeline_writes`).

Queued calls (`queue`): `submit_proof`, `update_state_for_sequence`,
`create_merge_job` and a settle job's `create_app_job` are written to the
outbox and ride in the app instance's next batch, after its job operations, in
upstream's command order (`operations.batch_calls`). Nobody waits for them.
Queueing a merge for the same (block, sequences), or a settle job for the same
chain, replaces the one still waiting (upstream's queue dedup).

Direct calls (`send_direct`): each alone in a transaction, answered with the
chain's outcome (`AgentWrites.write`).

A batch the chain refuses (a Move abort in the dry run, or a failed execution)
is tried again at half its size, down to one operation (upstream's split). A
queued pipeline call refused alone MAX_REFUSALS_ALONE times is dropped: a
`submit_proof` that always aborts (a sub-proof rejected meanwhile, say) would
otherwise hold every batch of its app instance for ever. Its drop is logged
with the chain's reason, and the agent's job that asked, if still running here,
is failed with that reason. Refusals are counted in memory: a restart gives a
call MAX_REFUSALS_ALONE more tries (a bounded number per run).
"""

from __future__ import annotations

import logging
from collections import Counter

import trio

from coordinator.domain import ChainOperation, JobState
from coordinator.instruments import PIPELINE_CALLS_DROPPED
from coordinator.jobs import JobBook, JobError
from coordinator.pipeline_writes import (
    BatchedCall,
    DirectCall,
    PipelineCall,
    call_of,
    pipeline_entry,
)
from coordinator.settlement.transport import updating
from coordinator.settlement.writes import AgentWrites, WriteAnswer
from coordinator.store import Ledger
from coordinator.sui.calls.app_instance import CreateAppJob
from coordinator.sui.calls.prover import CreateMergeJob

__all__ = ["MAX_REFUSALS_ALONE", "PipelineOperations"]

log = logging.getLogger("coordinator.settlement")

# A queued pipeline call the chain refused this often, alone in its
# transaction, is dropped (see the module doc).
MAX_REFUSALS_ALONE = 3


def _replace_key(call: PipelineCall) -> object:
    """What makes two queued calls the same request (the later replaces the
    earlier, as upstream's queue): a merge's (block, sequences), a settle
    job's chain; None for the others (never replaced)."""
    if isinstance(call, CreateMergeJob):
        return "merge", call.block_number, tuple(sorted(call.sequences))
    if isinstance(call, CreateAppJob):
        return "settle", call.settlement_chain
    return None


def _replace_key_of(op: ChainOperation) -> object:
    try:
        return _replace_key(call_of(op))
    except ValueError:
        return None  # unreadable: the send drops it


class PipelineOperations(AgentWrites):
    """Queued and direct pipeline calls, and what a refused batch does."""

    book: JobBook
    _limits: dict[str, int]  # app instance -> batch size after a refusal
    _refusals: Counter[int]  # op id -> refusals alone
    pipeline_calls_dropped: int  # since start, for the status

    async def queue(self, call: BatchedCall, app_instance: str,
                    job_sequence: int = 0) -> ChainOperation:
        """Queue a pipeline call for `app_instance`'s next batch: durable in the
        outbox when this returns (so a crash after it loses nothing), sent after
        the instance's job operations; the chain's answer is not awaited.
        `job_sequence` is the job of the agent that asked, 0 for the
        coordinator's own loops (merge jobs, settle jobs). A merge of the same
        (block, sequences), or a settle job of the same chain, still waiting is
        replaced by this one."""
        op = pipeline_entry(call, app_instance, job_sequence, self.clock())
        key = _replace_key(call)

        def write(ledger: Ledger) -> None:
            if key is not None:
                ledger.remove_operations([
                    old.op_id for old in ledger.operations()
                    if old.kind is op.kind and old.app_instance == app_instance
                    and old.state == "due" and _replace_key_of(old) == key])
            ledger.add_operations([op])

        with trio.CancelScope(shield=True):
            await self.store.run(write)
        self._wake()
        return op

    async def send_direct(self, call: DirectCall, app_instance: str,
                          job_sequence: int = 0) -> WriteAnswer:
        """Send a direct pipeline call alone in a transaction, through the outbox,
        and wait (at most WRITE_TIMEOUT_SECS) for the chain's answer."""
        return await self.write(pipeline_entry(call, app_instance, job_sequence, self.clock()))

    def batch_limit(self, app_instance: str) -> int:
        """How many operations `app_instance`'s next batch may take."""
        return self._limits.get(app_instance, self.settings.batch_max)

    def _batch_landed(self, app_instance: str, batch: list[ChainOperation]) -> None:
        self._limits.pop(app_instance, None)
        for op in batch:
            self._refusals.pop(op.op_id, None)

    async def _batch_refused(self, app_instance: str, batch: list[ChainOperation],
                             error: str) -> None:
        """The chain refused the batch: halve it, or, alone, count the refusal
        (dropping a pipeline call refused MAX_REFUSALS_ALONE times)."""
        if len(batch) > 1:
            self._limits[app_instance] = max(1, len(batch) // 2)
            log.warning("outbox: a batch of %d operation(s) of app instance %s refused (%s); "
                        "trying batches of %d", len(batch), app_instance, error,
                        self._limits[app_instance])
            for op in batch:
                op.state = "due"
            with trio.CancelScope(shield=True):
                await self.store.run(updating(batch))
            return
        op = batch[0]
        if op.kind.batched:
            self._refusals[op.op_id] += 1
            if self._refusals[op.op_id] >= MAX_REFUSALS_ALONE:
                await self._drop_refused(op, error)
                return
        await self._keep(batch, error)

    async def _drop_refused(self, op: ChainOperation, error: str) -> None:
        del self._refusals[op.op_id]
        self._limits.pop(op.app_instance, None)
        self.pipeline_calls_dropped += 1
        PIPELINE_CALLS_DROPPED.inc()
        reason = (f"{op.kind.value} refused by the chain {MAX_REFUSALS_ALONE} times alone "
                  f"and dropped: {error}")
        log.error("outbox: %s of job %s: %s", op.kind.value, op.ref, reason)
        with trio.CancelScope(shield=True):
            await self.store.run(lambda ledger: ledger.remove_operations([op.op_id]))
            await self._fail_asker(op, reason)

    async def _fail_asker(self, op: ChainOperation, reason: str) -> None:
        """The agent's job that asked for a dropped call, failed if it still runs here."""
        job = self.book.jobs.get(op.ref) if op.job_sequence else None
        if job is None or job.state is not JobState.RUNNING or job.session_id is None:
            return
        try:
            self.book.fail(job.session_id, job.job_id, reason, job.app_instance)
        except JobError:
            return
        await self.book.commit()
        log.info("job %s failed: its %s was dropped", op.ref, op.kind.value)
