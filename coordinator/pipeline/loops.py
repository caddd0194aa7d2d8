"""The coordinator's own proof-pipeline loops: they read each known app
instance's pipeline from the chain, decide with `analysis` and `merge`, and
send through the settler's outbox.

- **blocks** (every `block_interval_secs`): `try_create_block` for each
  instance whose open block has new sequences and whose minimum time passed;
- **analysis** (every `analysis_interval_secs`): settle jobs per settlement
  chain (created, or terminated when the chain has nothing to settle), merge
  jobs for the next blocks, and purge of settled sequence states (32, halved
  down to 1 while the chain refuses).

Several coordinators may serve one app instance; none of these decisions is
kept by luck: `create_merge_job` reserves both halves and refuses a second
creator (OperationFailedEvent, no job), `create_app_job` refuses a second
settle job for a chain whose `settlement_job` is set, `try_create_block` of a
second sender finds no new sequences, a second `purge` finds nothing left, and
a second terminate finds no job. Time is the chain's (the node's latest
checkpoint), never this host's clock (docs/proof-pipeline.md).

A pass is bounded by `pass_timeout_secs`, each instance's failure is logged
and the pass goes on; nothing here blocks the Trio loop (all I/O is awaited).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import trio

from coordinator.domain import MERGE_METHOD, ChainOperation, JobState, OperationKind
from coordinator.errors import describe
from coordinator.jobs import JobBook
from coordinator.pipeline.analysis import (
    EndSettleJob,
    Progress,
    ProvedBlock,
    StartSettleJob,
    block_due,
    chains_to_settle,
    merge_blocks,
    purge_due,
    settle_blocks,
    settle_jobs,
)
from coordinator.pipeline.merge import merge_candidates, still_mergeable
from coordinator.pipeline.settings import PipelineSettings
from coordinator.settlement import Settler
from coordinator.settlement.operations import job_status
from coordinator.store import Store
from coordinator.sui.app_instance import read_app_instance
from coordinator.sui.calls.block import Purge, TryCreateBlock
from coordinator.sui.calls.prover import CreateMergeJob
from coordinator.sui.client import SuiClient
from coordinator.sui.errors import SuiError
from coordinator.sui.objects import Connect
from coordinator.sui.pipeline_reads import (
    READ_TIMEOUT_SECS,
    UNDECODABLE,
    PipelineState,
    UnknownChain,
    pipeline_client,
    read_block,
    read_block_settlement,
    read_pipeline,
    read_proof_calculation,
    read_proof_calculations,
)

__all__ = ["PURGE_SIZES", "NoPipeline", "PipelineLoops", "chain_now_ms", "pipeline_of"]

log = logging.getLogger("coordinator.pipeline")

# Sequences purged at once, halved while the chain refuses (upstream's 32 -> 1).
PURGE_SIZES = (32, 16, 8, 4, 2, 1)


class NoPipeline(Exception):
    """The app instance object has no proof pipeline of a known layout."""


async def pipeline_of(client: SuiClient, app_instance: str) -> PipelineState:
    """The instance's pipeline; `NoPipeline` when its object has none (an app
    instance of a 2025-08 package), other read failures as they come."""
    try:
        return await read_pipeline(client, app_instance)
    except SuiError as exc:
        if exc.code == UNDECODABLE:
            raise NoPipeline(exc.message) from None
        raise


async def chain_now_ms(client: SuiClient) -> int:
    """The chain's time: its latest checkpoint's timestamp (ms)."""
    info = await client.service_info(timeout=READ_TIMEOUT_SECS)
    if not info.HasField("timestamp"):
        raise SuiError("GetServiceInfo", "NO_TIMESTAMP", "the node reports no checkpoint time")
    return info.timestamp.ToMilliseconds()


class PipelineLoops:
    """The two loops over the app instances the book has seen jobs of."""

    def __init__(self, settings: PipelineSettings, connect: Connect, settler: Settler,
                 book: JobBook, store: Store) -> None:
        self.settings = settings
        self.connect = connect
        self.settler = settler
        self.book = book
        self.store = store
        # Every instance seen this run (the book forgets finished jobs).
        self.known: set[str] = set()
        # Instances with no proof pipeline of a known layout (a 2025-08
        # package): said once, then left alone.
        self.without_pipeline: set[str] = set()
        # Instance -> last_settled_sequence at which purge was refused at every
        # size (an app that never commits actions): not tried again until it moves.
        self.purge_refused: dict[str, int] = {}

    def instances(self) -> list[str]:
        self.known |= {job.app_instance for job in self.book.jobs.values()}
        return sorted(self.known - self.without_pipeline)

    async def run_blocks(self) -> None:
        await self._every(self.settings.block_interval_secs, self.create_blocks)

    async def run_analysis(self) -> None:
        await self._every(self.settings.analysis_interval_secs, self.analyse)

    async def _every(self, period: float, one: Callable[[str], Awaitable[None]]) -> None:
        """Run `one` for every known instance each `period` (the first pass
        after one period, as upstream), a pass at most `pass_timeout_secs`."""
        while True:
            await trio.sleep(period)
            with trio.move_on_after(self.settings.pass_timeout_secs) as scope:
                for app_instance in self.instances():
                    try:
                        await one(app_instance)
                    except NoPipeline as exc:
                        self.without_pipeline.add(app_instance)
                        log.info("pipeline: app instance %s has no proof pipeline (%s); "
                                 "left alone", app_instance, exc)
                    except (SuiError, UnknownChain) as exc:
                        log.warning("pipeline: app instance %s skipped this pass: %s",
                                    app_instance, describe(exc))
            if scope.cancelled_caught:
                log.warning("pipeline: a pass took over %g s; the rest waits for the next",
                            self.settings.pass_timeout_secs)

    async def create_blocks(self, app_instance: str) -> None:
        """`try_create_block` when the open block is due by the chain's clock."""
        async with pipeline_client(self.connect, f"app instance {app_instance}") as client:
            state = await pipeline_of(client, app_instance)
            now = await chain_now_ms(client)
        if not block_due(Progress.of(state), now):
            return
        answer = await self.settler.send_direct(TryCreateBlock(), app_instance)
        log.info("pipeline: block %d of %s: try_create_block %s", state.block_number,
                 app_instance, "sent" if answer.success else f"refused: {answer.message}")

    async def analyse(self, app_instance: str) -> None:
        """One proof analysis of the instance: settle jobs, merge jobs, purge."""
        methods = (await read_app_instance(self.connect, app_instance)).methods
        async with pipeline_client(self.connect, f"app instance {app_instance}") as client:
            state = await pipeline_of(client, app_instance)
            now = await chain_now_ms(client)
            progress = Progress.of(state, methods)
            blocks = await self._proved_blocks(client, state, progress)
            merges = await self._merges(client, state, progress, now)
        await self._settle_jobs(app_instance, progress, blocks, now)
        for merge in merges:
            await self.settler.queue(merge, app_instance)
            log.info("pipeline: merge job queued for block %d of %s: %s + %s",
                     merge.block_number, app_instance, list(merge.merged_sequences_1),
                     list(merge.merged_sequences_2))
        if purge_due(progress):
            await self._purge(app_instance, progress)

    async def _proved_blocks(self, client: SuiClient, state: PipelineState,
                             progress: Progress) -> dict[int, ProvedBlock]:
        found: dict[int, ProvedBlock] = {}
        for number in settle_blocks(progress):
            block = await read_block(client, state, number)
            if block is None:
                continue
            proved = block.proof_data_availability is not None
            if not proved:
                calculation = await read_proof_calculation(client, state, number)
                proved = calculation is not None and bool(calculation.block_proof)
            records = {chain: await read_block_settlement(client, state, chain, number)
                       for chain in state.settlements}
            found[number] = ProvedBlock(proved, records)
        return found

    async def _settle_jobs(self, app_instance: str, progress: Progress,
                           blocks: dict[int, ProvedBlock], now: int) -> None:
        needing = chains_to_settle(progress, blocks)
        running = set()
        for chain, chain_progress in progress.settlements.items():
            job = chain_progress.settlement_job
            if chain not in needing and job is not None and \
                    await job_status(self.connect, app_instance, job) == "running":
                running.add(job)
        for action in settle_jobs(progress, needing, running):
            if isinstance(action, StartSettleJob):
                await self.settler.queue(action.operation(now), app_instance)
                log.info("pipeline: settle job queued for %s on %s", app_instance, action.chain)
            else:
                await self._terminate(app_instance, action)

    async def _terminate(self, app_instance: str, action: EndSettleJob) -> None:
        """The settle job goes in the instance's next batch (`terminate_app_job`
        in the multicall, which clears the chain's `settlement_job` first)."""
        op = ChainOperation(OperationKind.TERMINATE, app_instance, action.job_sequence,
                            created_at=self.settler.clock())
        with trio.CancelScope(shield=True):  # written whole or not at all
            await self.store.run(lambda ledger: ledger.add_operations([op]))
        log.info("pipeline: settle job %d of %s on %s terminated: nothing to settle",
                 action.job_sequence, app_instance, action.chain)

    async def _merges(self, client: SuiClient, state: PipelineState, progress: Progress,
                      now: int) -> list[CreateMergeJob]:
        blocks = merge_blocks(progress)
        if not blocks:
            return []
        calculations = await read_proof_calculations(client, state, blocks)
        pending = [(job.block_number, job.sequences1, job.sequences2)
                   for job in self.book.jobs.values()
                   if job.app_instance == state.app_instance
                   and job.app_instance_method == MERGE_METHOD
                   and job.state is JobState.PENDING]
        merges: list[CreateMergeJob] = []
        for number in blocks:
            calculation = calculations.get(number)
            for candidate in merge_candidates(calculation, now) if calculation else []:
                fresh = await read_proof_calculation(client, state, number)
                halves = [(s1, s2) for block, s1, s2 in pending if block == number]
                if fresh is None or not still_mergeable(fresh, candidate, now, halves):
                    continue
                pending.append((number, candidate.sequences1, candidate.sequences2))
                merges.append(CreateMergeJob(number, candidate.sequences, candidate.sequences1,
                                             candidate.sequences2, candidate.description()))
        return merges

    async def _purge(self, app_instance: str, progress: Progress) -> None:
        """`purge` of up to 32 sequences, halved while the chain refuses; an
        instance refused at every size is left alone until more is settled."""
        if self.purge_refused.get(app_instance) == progress.last_settled_sequence:
            return
        errors = []
        for size in PURGE_SIZES:
            answer = await self.settler.send_direct(Purge(size), app_instance)
            if answer.success:
                self.purge_refused.pop(app_instance, None)
                log.info("pipeline: %s purged (up to %d sequences)", app_instance, size)
                return
            errors.append(answer.message)
        self.purge_refused[app_instance] = progress.last_settled_sequence
        log.warning("pipeline: purge of %s refused at every size (%s); not tried again "
                    "until more is settled", app_instance, errors[-1])
