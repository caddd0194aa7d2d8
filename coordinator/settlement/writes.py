"""The settler's agent writes: SetKV, DeleteKV, AddMetadata and CreateAppJob
(`coordinator.agent_writes`), and the pipeline's direct calls (RejectProof,
TryCreateBlock, the block updates, purge: `coordinator.pipeline_writes`) go
through the same outbox as the job operations, each in a transaction of its
own (`write`), so a call that aborts fails alone; its answer (success, digest,
the created job) goes to the waiting caller. A Move abort or a refusal is
final; a send without an answer is retried like a settlement, except a
CreateAppJob and a pipeline call, which are sent at most once (a repeated
state descriptor would wipe the proof descriptor written since, a repeated
settlement hash the inclusion), and a pipeline call left by an earlier process
is not sent again (its caller is gone; the agents and loops repeat what is
still missing).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import trio

from coordinator.agent_writes import still_needed as write_still_needed
from coordinator.agent_writes import write_of
from coordinator.domain import ChainOperation, OperationKind
from coordinator.errors import describe
from coordinator.instruments import TRANSACTIONS
from coordinator.pipeline_writes import call_of
from coordinator.settlement.transport import SEND_TIMEOUT_SECS, Transport
from coordinator.sui.app_instance import AppInstanceObject, read_app_instance
from coordinator.sui.client import SuiError, SuiNotFound
from coordinator.sui.executor import GasError, Outcome
from coordinator.sui.transactions import Operation

__all__ = ["WRITE_TIMEOUT_SECS", "AgentWrites", "WriteAnswer"]

log = logging.getLogger("coordinator.settlement")

# An agent's write not answered by then: the RPC says so; the write stays in
# the outbox (it may still land).
WRITE_TIMEOUT_SECS = 60.0

# The node's code for a transaction whose dry run failed (a Move abort).
FAILED_DRY_RUN = "FAILED_DRY_RUN"



@dataclass(frozen=True)
class WriteAnswer:
    """The chain's answer to an agent's write, as the RPC gives it."""

    success: bool
    message: str
    digest: str = ""
    job_sequence: int = 0  # the job a CreateAppJob created



@dataclass
class _PendingWrite:
    done: trio.Event = field(default_factory=trio.Event)
    answer: WriteAnswer | None = None



class AgentWrites(Transport):
    """Agents' writes, each alone in a transaction, answered to the waiting RPC."""

    _writes: dict[int, _PendingWrite]  # by outbox id

    async def write(self, op: ChainOperation) -> WriteAnswer:
        """Queue an agent's write (`agent_writes.outbox_entry`) and wait, at most
        WRITE_TIMEOUT_SECS, for the chain's answer."""
        pending = _PendingWrite()
        with trio.CancelScope(shield=True):
            await self.store.run(lambda ledger: ledger.add_operations([op]))
        self._writes[op.op_id] = pending
        self._wake()
        with trio.move_on_after(WRITE_TIMEOUT_SECS):
            await pending.done.wait()
        self._writes.pop(op.op_id, None)
        if pending.answer is not None:
            return pending.answer
        return WriteAnswer(False, f"the chain did not answer within {WRITE_TIMEOUT_SECS:g} s "
                                  f"({self.last_error or 'no answer yet'}); the write stays in "
                                  "the outbox and may still land")

    def _answer_write(self, op: ChainOperation, answer: WriteAnswer) -> None:
        pending = self._writes.pop(op.op_id, None)
        if pending is not None:
            pending.answer = answer
            pending.done.set()

    async def _send_write(self, app_instance: str, op: ChainOperation) -> None:
        """One agent's write alone in a transaction (its abort fails only itself)."""
        async with self._in_flight(app_instance):
            try:
                write: Operation = call_of(op) if op.kind.pipeline_direct else write_of(op)
            except ValueError as exc:
                log.error("outbox: %s; dropped", exc)
                await self._settle_write(op, WriteAnswer(False, str(exc)))
                return
            try:
                with trio.fail_after(SEND_TIMEOUT_SECS):
                    if op.op_id in self._unchecked:
                        self._unchecked.discard(op.op_id)
                        if op.kind.pipeline_direct:
                            await self._settle_write(op, _not_resent(op))
                            return
                        instance = await self._instance_or_none(app_instance)
                        if not write_still_needed(op, write_of(op), instance):
                            await self._settle_write(op, _not_resent(op))
                            return
                    # An agent's call may abort in Move: its dry run refuses it for free.
                    outcome = await self._transmit(app_instance, [op], [write], dry_run=True)
            except SuiError as exc:
                if exc.code == FAILED_DRY_RUN:
                    # A Move abort in the dry run: the chain refuses it as asked.
                    TRANSACTIONS.labels("failed").inc()
                    await self._settle_write(op, WriteAnswer(
                        False, f"{op.kind.value} refused by the chain: {exc.message}"))
                    return
                await self._write_unanswered(op, describe(exc))
                return
            except (GasError, trio.TooSlowError) as exc:
                await self._write_unanswered(op, describe(exc))
                return
            with trio.CancelScope(shield=True):
                await self._write_answered(op, outcome)

    async def _instance_or_none(self, app_instance: str) -> AppInstanceObject | None:
        try:
            return await read_app_instance(self.connect, app_instance)
        except SuiNotFound:
            return None

    async def _write_unanswered(self, op: ChainOperation, error: str) -> None:
        """No answer: retried like a settlement; a CreateAppJob or a pipeline
        call is not (at most once)."""
        TRANSACTIONS.labels("error").inc()
        if op.kind.pipeline_direct:
            self.last_error = error
            await self._settle_write(op, WriteAnswer(
                False, f"the chain did not answer {op.kind.value} ({error}); it may or may "
                       "not have landed, and it is not sent again"))
            return
        if op.kind is OperationKind.CREATE_APP_JOB:
            self.last_error = error
            log.warning("outbox: create_app_job for job %s not answered (%s); not sent again "
                        "(a job is created at most once)", op.ref, error)
            await self._settle_write(op, WriteAnswer(
                False, f"the chain did not answer ({error}); the job may or may not have been "
                       "created, and it is not sent again"))
            return
        await self._keep([op], error)

    async def _write_answered(self, op: ChainOperation, outcome: Outcome) -> None:
        if not self._account(outcome):
            answer = WriteAnswer(False, f"{op.kind.value} failed on chain: {outcome.error}",
                                 outcome.digest)
        else:
            answer = WriteAnswer(True, f"{op.kind.value} done", outcome.digest)
            if op.kind is OperationKind.CREATE_APP_JOB:
                if outcome.created_jobs:
                    answer = WriteAnswer(True, f"job {outcome.created_jobs[0]} created",
                                         outcome.digest, outcome.created_jobs[0])
                else:
                    why = "; ".join(outcome.refusals) or "create_app_job returned none"
                    answer = WriteAnswer(False, f"no job created: {why}", outcome.digest)
        log.debug("transaction %s: %s for job %s (gas %d MIST)", outcome.digest,
                  op.kind.value, op.ref, outcome.gas_charged)
        await self._settle_write(op, answer)

    async def _settle_write(self, op: ChainOperation, answer: WriteAnswer) -> None:
        """The write leaves the outbox; whoever waits gets `answer`."""
        with trio.CancelScope(shield=True):
            await self.store.run(lambda ledger: ledger.remove_operations([op.op_id]))
        self._answer_write(op, answer)


def _not_resent(op: ChainOperation) -> WriteAnswer:
    """The answer to a left-over write that is not sent again (`still_needed`)."""
    log.info("outbox: %s for job %s not sent again: the chain has its effect, or it may "
             "have landed already", op.kind.value, op.ref)
    if op.kind in (OperationKind.SET_KV, OperationKind.DELETE_KV):
        return WriteAnswer(True, f"{op.kind.value}: the chain already has it")
    if op.kind.pipeline_direct:
        return WriteAnswer(False, f"{op.kind.value} of an earlier run not sent again: it may "
                                  "have landed already")
    return WriteAnswer(False, f"{op.kind.value} not sent again: it may have landed already "
                              "(the key is there, or the job may have been created)")

