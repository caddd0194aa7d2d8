"""The settler's job operations: claims (`start`) and settlements (`complete`,
`fail`, `terminate`) that the job book wrote to the outbox, sent in batches.

The chain answers each operation with a `bool` (its event, or its entry in the
MulticallExecutedEvent); an answered operation leaves the outbox whatever the
answer, and a claim's answer goes to whoever waits for it (`expect_claim`).
After a crash, every operation but a claim is checked against the job on chain
before it is sent again (`_drop_unneeded`): a `complete` or `fail` only while
the job is still `Running`, a `terminate` only while the job exists. So no
completion is sent twice and none is lost. The pipeline's queued calls in a
batch (`coordinator.settlement.pipeline`) are sent again as they are: a
repeated proof, state, merge or settle job is harmless on chain.
"""

from __future__ import annotations

import logging

import trio

from coordinator.domain import ChainOperation, JobRef, OperationKind
from coordinator.errors import describe
from coordinator.events.models import normalize_address
from coordinator.instruments import CLAIMS, TRANSACTIONS
from coordinator.pipeline_writes import call_of
from coordinator.settlement.operations import Claim, batch_calls, job_status, still_needed
from coordinator.settlement.pipeline import PipelineOperations
from coordinator.settlement.transport import SEND_TIMEOUT_SECS
from coordinator.settlement.writes import FAILED_DRY_RUN
from coordinator.store import Ledger
from coordinator.sui.app_jobs import read_app_job, sender_of
from coordinator.sui.client import SuiError
from coordinator.sui.executor import GasError, Outcome

__all__ = ["JobOperations"]

log = logging.getLogger("coordinator.settlement")


class JobOperations(PipelineOperations):
    """Claims and settlements of jobs, batched per app instance with the
    pipeline's queued calls."""

    _claims: dict[JobRef, Claim]
    jobs_settled: int
    claims_won: int
    claims_lost: int

    def expect_claim(self, ref: JobRef) -> Claim:
        """Register for the answer to the claim the book just queued for `ref`;
        call it before the book's commit, so no answer can come first."""
        claim = self._claims[ref] = Claim(ref)
        return claim

    def forget_claim(self, ref: JobRef) -> None:
        self._claims.pop(ref, None)

    async def _send(self, app_instance: str, batch: list[ChainOperation]) -> None:
        """A batch of job operations in one transaction; left-over ones are
        checked against the chain first."""
        async with self._in_flight(app_instance):
            try:
                with trio.fail_after(SEND_TIMEOUT_SECS):
                    batch = await self._drop_unneeded(app_instance, batch)
                    if not batch:
                        return
                    # Job operations answer `false` rather than abort: with a known
                    # budget they go without a dry run; the pipeline's calls may abort.
                    outcome = await self._transmit(
                        app_instance, batch, batch_calls(batch),
                        dry_run=any(op.kind.batched for op in batch))
            except SuiError as exc:
                if exc.code == FAILED_DRY_RUN:  # a Move abort: the chain refuses the batch
                    TRANSACTIONS.labels("failed").inc()
                    await self._batch_refused(app_instance, batch, describe(exc))
                    return
                TRANSACTIONS.labels("error").inc()
                await self._keep(batch, describe(exc))
                return
            except (GasError, trio.TooSlowError) as exc:
                TRANSACTIONS.labels("error").inc()
                await self._keep(batch, describe(exc))
                return
            with trio.CancelScope(shield=True):
                await self._answered(batch, outcome)

    async def _drop_unneeded(
        self, app_instance: str, batch: list[ChainOperation]
    ) -> list[ChainOperation]:
        """Operations left by an earlier process go only if the job still needs
        them; a pipeline call whose arguments cannot be read does not go."""
        needed, dropped = [], []
        for op in batch:
            if op.kind.batched:
                self._unchecked.discard(op.op_id)
                try:
                    call_of(op)
                except ValueError as exc:
                    log.error("outbox: %s; dropped", exc)
                    dropped.append(op.op_id)
                    continue
            elif op.op_id in self._unchecked:
                status = await job_status(self.connect, app_instance, op.job_sequence)
                self._unchecked.discard(op.op_id)
                if not still_needed(op, status):
                    log.info("outbox: %s of job %s not sent again: the job is %s on chain",
                             op.kind.value, op.ref, status or "gone")
                    dropped.append(op.op_id)
                    continue
            needed.append(op)
        if dropped:
            await self.store.run(lambda ledger: ledger.remove_operations(dropped))
        return needed

    async def _answered(self, batch: list[ChainOperation], outcome: Outcome) -> None:
        app_instance = batch[0].app_instance
        if not self._account(outcome):
            await self._batch_refused(app_instance, batch,
                                      f"transaction {outcome.digest} failed: {outcome.error}")
            return
        self._batch_landed(app_instance, batch)
        for refusal in outcome.refusals:
            log.warning("transaction %s: the chain refused a call: %s", outcome.digest, refusal)
        applied: dict[tuple[str, int], bool] = {
            (r.kind, r.job_sequence): r.applied for r in outcome.results}
        late: list[ChainOperation] = []
        for op in batch:
            if op.kind.batched:
                log.info("transaction %s: %s for job %s landed", outcome.digest,
                         op.kind.value, op.ref)
                continue
            ok = applied.get((op.kind.value, op.job_sequence), False)
            if op.kind is OperationKind.START:
                if not ok and op.attempts > 0:
                    ok = await self._claimed_by_an_earlier_try(op)
                late += self._claim_answered(op, ok)
            elif ok:
                self.jobs_settled += 1
            else:
                log.warning("chain refused %s of job %s (the job is no longer running "
                            "under us there)", op.kind.value, op.ref)
        removed = [op.op_id for op in batch]

        def write(ledger: Ledger) -> None:
            ledger.remove_operations(removed)
            ledger.add_operations(late)

        await self.store.run(write)
        log.debug("transaction %s settled %d operation(s), gas %d MIST", outcome.digest,
                  len(batch), outcome.gas_charged)

    async def _claimed_by_an_earlier_try(self, op: ChainOperation) -> bool:
        """A claim sent again after a try the chain did not answer is refused when
        that try did land: the job is ours if it runs there under a transaction
        sent from our address."""
        try:
            with trio.fail_after(SEND_TIMEOUT_SECS):
                async with self.connect() as client:
                    entry = await read_app_job(client, op.app_instance, op.job_sequence)
                    if (entry is None or entry.job.status.kind != "running"
                            or entry.previous_transaction is None):
                        return False
                    sender = await sender_of(client, entry.previous_transaction)
        except (SuiError, trio.TooSlowError) as exc:
            log.warning("claim of job %s refused, and whether an earlier try of ours "
                        "landed cannot be read (%s): taken as lost", op.ref, describe(exc))
            return False
        ours = sender is not None and normalize_address(sender) == self.address
        if ours:
            log.info("claim of job %s: an earlier try, whose answer was lost, landed", op.ref)
        return ours

    def _claim_answered(self, op: ChainOperation, won: bool) -> list[ChainOperation]:
        CLAIMS.labels("won" if won else "lost").inc()
        if won:
            self.claims_won += 1
        else:
            self.claims_lost += 1
        claim = self._claims.pop(op.ref, None)
        if claim is not None:
            claim.won = won
            claim.done.set()
            return []
        if not won:
            return []
        # Ours on chain, but whoever asked is gone: give the job back.
        return [ChainOperation(OperationKind.FAIL, op.app_instance, op.job_sequence,
                               "claimed after its container gave up waiting",
                               created_at=self.clock())]
