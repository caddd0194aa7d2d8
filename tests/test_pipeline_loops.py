"""The coordinator's own pipeline loops against the served simulator, with two
coordinators (two keys, two stores, two settlers) on one app instance: the
chain decides who makes a block, a merge job or a settle job, so each exists
once however the two race; settle jobs end when nothing is left to settle;
purge halves down to 1 and an app that never commits actions is not purged
again and again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import trio

from coordinator.backoff import Backoff
from coordinator.jobs import JobBook
from coordinator.pipeline.loops import PipelineLoops
from coordinator.pipeline.settings import PipelineSettings
from coordinator.settlement import Settler, SettleSettings
from coordinator.simnet import Simnet
from coordinator.simnet.objects import Job
from coordinator.store import Ledger, Store
from coordinator.sui.executor import Executor
from coordinator.sui.keys import SuiKey
from coordinator.sui.pipeline_reads import PipelineState, read_pipeline
from tests.pipeline_support import BLOCK_GAP_MS, CHAIN, OTHER_CHAIN, PipelineChain, submit
from tests.pipeline_support import served_pipeline as serve_pipeline

SUI = 1_000_000_000


@dataclass
class Coordinator:
    loops: PipelineLoops
    store: Store

    async def outbox_empty(self) -> bool:
        return not await self.store.run(Ledger.operations)


async def coordinator(chain: PipelineChain, path: Path, nursery: trio.Nursery) -> Coordinator:
    key = SuiKey.generate()
    chain.sim.fund(key.address, 10 * SUI)
    chain.sim.seal()
    store = await Store.open(path)
    book = JobBook(store, max_attempts=3, lease_secs=60, address=key.address)
    executor = Executor(key, chain.connect, chain.sim.package_id,
                        backoff=Backoff(initial=0.01, maximum=0.05))
    settler = Settler(store, book, executor, chain.connect, SettleSettings(batch_ms=20),
                      retry=Backoff(initial=0.05, maximum=0.2))
    await nursery.start(settler.run)
    loops = PipelineLoops(PipelineSettings(), chain.connect, settler, book, store)
    return Coordinator(loops, store)


@pytest.fixture
async def chain(nursery: trio.Nursery) -> PipelineChain:
    return await serve_pipeline(nursery)


@pytest.fixture
async def pair(chain: PipelineChain, tmp_path: Path,
               nursery: trio.Nursery) -> tuple[Coordinator, Coordinator]:
    return (await coordinator(chain, tmp_path / "a", nursery),
            await coordinator(chain, tmp_path / "b", nursery))


async def both(pair: tuple[Coordinator, Coordinator],
               step: Callable[[PipelineLoops], Callable[[str], Awaitable[None]]],
               app: str) -> None:
    """`step` of both coordinators at once, then until both outboxes are sent."""
    async with trio.open_nursery() as nursery:
        for one in pair:
            nursery.start_soon(step(one.loops), app)
    for one in pair:
        with trio.fail_after(30):
            while not await one.outbox_empty():  # noqa: ASYNC110 (the outbox is a table)
                await trio.sleep(0.02)


def jobs(sim: Simnet, method: str) -> list[Job]:
    return [job for job in sim.app_instance("app").jobs.values()
            if job.app_instance_method == method]


async def state(chain: PipelineChain) -> PipelineState:
    async with chain.connect() as client:
        return await read_pipeline(client, chain.app_instance)


def later(chain: PipelineChain, ms: int) -> None:
    """The chain's clock moves on; a checkpoint tells the node's readers."""
    chain.clock[0] += ms
    chain.sim.seal()


async def test_two_coordinators_create_one_block(
        chain: PipelineChain, pair: tuple[Coordinator, Coordinator]) -> None:
    chain.actions(3)  # sequences 0, 1, 2: block 1 is 1..2
    later(chain, 1000)
    await both(pair, lambda loops: loops.create_blocks, chain.app_instance)
    assert (await state(chain)).block_number == 1  # the minimum time has not passed
    later(chain, BLOCK_GAP_MS)
    await both(pair, lambda loops: loops.create_blocks, chain.app_instance)
    after = await state(chain)
    assert (after.block_number, after.previous_block_last_sequence) == (2, 2)
    # Nothing new since: neither tries again.
    later(chain, BLOCK_GAP_MS)
    await both(pair, lambda loops: loops.create_blocks, chain.app_instance)
    assert (await state(chain)).block_number == 2


async def test_two_coordinators_create_one_merge_job(
        chain: PipelineChain, pair: tuple[Coordinator, Coordinator]) -> None:
    chain.actions(5)  # sequences 0..4, all in the open block 1
    chain.call(submit(1, (1,)), submit(1, (2,)), submit(1, (3,)))
    later(chain, 1000)
    await both(pair, lambda loops: loops.analyse, chain.app_instance)
    [merge] = jobs(chain.sim, "merge")
    assert (merge.block_number, merge.sequences, merge.sequences1, merge.sequences2) == (
        1, (1, 2), (1,), (2,))
    # The second analysis finds the pair started: nothing more until 4 is proved.
    await both(pair, lambda loops: loops.analyse, chain.app_instance)
    assert len(jobs(chain.sim, "merge")) == 1
    chain.call(submit(1, (4,)))
    later(chain, 1000)
    await both(pair, lambda loops: loops.analyse, chain.app_instance)
    assert sorted(tuple(job.sequences) for job in jobs(chain.sim, "merge")) == [(1, 2), (3, 4)]


async def test_two_coordinators_create_one_settle_job_per_chain_and_end_them(
        chain: PipelineChain, pair: tuple[Coordinator, Coordinator]) -> None:
    chain.actions(3)
    chain.prove_block(1, 1, 2)  # block 1 proved: both chains must settle it
    later(chain, 1000)
    await both(pair, lambda loops: loops.analyse, chain.app_instance)
    settle = jobs(chain.sim, "settle")
    assert len(settle) == 2
    settlements = (await state(chain)).settlements
    assert {settlements[c].settlement_job for c in (CHAIN, OTHER_CHAIN)} == {
        job.job_id for job in settle}
    assert all(len(job.data) == 16 and job.interval_ms == 60_000 for job in settle)
    # Settled on the test chain only: its job ends, the other chain's stays.
    chain.settle(CHAIN, 1, chain.clock[0])
    later(chain, 1000)
    await both(pair, lambda loops: loops.analyse, chain.app_instance)
    settlements = (await state(chain)).settlements
    assert settlements[CHAIN].settlement_job is None
    assert settlements[OTHER_CHAIN].settlement_job is not None
    assert len(jobs(chain.sim, "settle")) == 1
    # Settled everywhere (the instance idle): no settle job runs on, the
    # settled sequences are purged.
    chain.settle(OTHER_CHAIN, 1, chain.clock[0])
    later(chain, 1000)
    await both(pair, lambda loops: loops.analyse, chain.app_instance)
    after = await state(chain)
    assert jobs(chain.sim, "settle") == []
    assert after.settlements[OTHER_CHAIN].settlement_job is None
    assert (after.last_settled_sequence, after.last_purged_sequence) == (2, 2)
    assert after.lowest_sequence == 2


async def test_an_app_that_never_commits_actions_is_not_purged_at_every_analysis(
        nursery: trio.Nursery, tmp_path: Path) -> None:
    def not_committing(sim: Simnet) -> None:
        sim.app_instance("app").pipeline.commits_actions = False

    chain = await serve_pipeline(nursery, not_committing)
    one = await coordinator(chain, tmp_path / "a", nursery)
    chain.actions(3)
    chain.prove_block(1, 1, 2)
    chain.settle(CHAIN, 1, chain.clock[0])
    chain.settle(OTHER_CHAIN, 1, chain.clock[0])
    later(chain, 1000)
    await one.loops.analyse(chain.app_instance)
    assert one.loops.purge_refused == {chain.app_instance: 2}
    refused = chain.sim.chain.transaction_count
    await one.loops.analyse(chain.app_instance)
    assert chain.sim.chain.transaction_count == refused  # not tried again
    assert (await state(chain)).last_purged_sequence == 0


async def test_an_object_without_a_proof_pipeline_is_left_alone(
        chain: PipelineChain, tmp_path: Path, nursery: trio.Nursery) -> None:
    """An app instance of a package without the pipeline (2025-08) is said
    once and not read again every pass; the others go on."""
    one = await coordinator(chain, tmp_path / "a", nursery)
    one.loops.settings = PipelineSettings(block_interval_secs=0.05)
    stranger = chain.sim.registries.registry.id  # an object, but no AppInstance
    one.loops.known |= {stranger, chain.app_instance}
    chain.actions(2)
    later(chain, BLOCK_GAP_MS)
    nursery.start_soon(one.loops.run_blocks)
    with trio.fail_after(30):
        while stranger not in one.loops.without_pipeline or \
                chain.app.pipeline.block_number == 1:  # noqa: ASYNC110 (chain state)
            await trio.sleep(0.02)
    assert one.loops.instances() == [chain.app_instance]
