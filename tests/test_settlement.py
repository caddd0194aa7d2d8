"""The outbox (sqlite) and the settler against the real simulator over loopback:
batching per app instance, one Move call or a multicall, claims won and lost,
failed sends kept with backoff, and what a restart sends again (only what the
job on chain still needs)."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import trio

from coordinator.backoff import Backoff
from coordinator.config import SettleSettings
from coordinator.domain import ChainOperation, JobRef, OperationKind
from coordinator.jobs import JobBook
from coordinator.settlement import Settler, batch_operation, job_status, still_needed
from coordinator.simnet import Simnet, serve
from coordinator.store import Ledger, Store
from coordinator.sui.client import connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.executor import Executor
from coordinator.sui.keys import SuiKey
from coordinator.sui.transactions import (
    CompleteJob,
    FailJob,
    Multicall,
    StartJob,
    TerminateJob,
)
from tests.e2e_support import free_port
from tests.support import AGENT, DEV, METHOD, SUI, eventually, register_app

START, COMPLETE, FAIL, TERMINATE = (OperationKind.START, OperationKind.COMPLETE,
                                    OperationKind.FAIL, OperationKind.TERMINATE)


def op(kind: OperationKind, sequence: int, app: str = "0xa", error: str = "") -> ChainOperation:
    return ChainOperation(kind, app, sequence, error, created_at=0.0)


# --- pure parts ---------------------------------------------------------------------


def test_one_operation_is_its_own_call_several_are_one_multicall() -> None:
    assert batch_operation([op(START, 1)]) == StartJob(1)
    assert batch_operation([op(COMPLETE, 2)]) == CompleteJob(2)
    assert batch_operation([op(FAIL, 3, error="boom")]) == FailJob(3, "boom")
    assert batch_operation([op(TERMINATE, 4)]) == TerminateJob(4)
    batch = [op(START, 5), op(COMPLETE, 1), op(FAIL, 2, error="x"), op(TERMINATE, 3),
             op(START, 6), op(COMPLETE, 4)]
    assert batch_operation(batch) == Multicall(
        complete=(1, 4), fail=((2, "x"),), terminate=(3,), start=((5, 0), (6, 0)),
        available_memory=0,
    )


@pytest.mark.parametrize(("kind", "status", "needed"), [
    (COMPLETE, "running", True), (COMPLETE, "pending", False), (COMPLETE, None, False),
    (FAIL, "running", True), (FAIL, "failed", False), (FAIL, None, False),
    (TERMINATE, "pending", True), (TERMINATE, "failed", True), (TERMINATE, None, False),
    (START, "pending", True), (START, "running", False),
])
def test_a_left_over_operation_is_needed_only_while_the_job_on_chain_needs_it(
    kind: OperationKind, status: str | None, needed: bool
) -> None:
    assert still_needed(op(kind, 1), status) is needed


async def test_the_outbox_keeps_operations_across_a_reopen_until_removed(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path)
    ops = [op(COMPLETE, 1), op(FAIL, 2, error="it broke"), op(START, 3)]
    await store.run(lambda ledger: ledger.add_operations(ops))
    assert [o.op_id for o in ops] == [1, 2, 3]
    ops[1].state, ops[1].attempts, ops[1].next_try_at, ops[1].last_error = "due", 2, 9.5, "down"
    await store.run(lambda ledger: ledger.update_operation(ops[1]))
    await store.run(lambda ledger: ledger.remove_operations([ops[0].op_id]))
    await store.close()

    store = await Store.open(tmp_path)
    left = await store.run(Ledger.operations)
    assert left == ops[1:]
    # Another chain: nothing is dropped, least of all an operation the chain has
    # not answered (an explicit reset refuses while one waits: Ledger.reset_chain).
    await store.run(lambda ledger: ledger.bind_chain("aaaa0001"))
    assert await store.run(lambda ledger: ledger.bind_chain("bbbb0002")) == "aaaa0001"
    assert await store.run(Ledger.operations) == ops[1:]
    await store.close()


# --- the settler on the simulator ----------------------------------------------------


class Rig:
    """A served simulator with an app instance of 6 pending jobs, our funded key,
    and a settler over a real store and job book."""

    def __init__(self, sim: Simnet, endpoint: Endpoint, store: Store, key: SuiKey) -> None:
        self.sim, self.endpoint, self.store, self.key = sim, endpoint, store, key
        self.app = sim.app_instance("app")

    def connect(self) -> Any:
        return connect(self.endpoint, timeout=5)

    def settler(self, endpoint: Endpoint | None = None, retry: Backoff | None = None,
                **settle: Any) -> Settler:
        def reach() -> Any:
            return connect(endpoint or self.endpoint, timeout=2)

        book = JobBook(self.store, max_attempts=3, lease_secs=60, address=self.key.address)
        executor = Executor(self.key, reach, self.sim.package_id, max_attempts=2,
                            backoff=Backoff(initial=0.01, maximum=0.05))
        return Settler(self.store, book, executor, reach,
                       SettleSettings(**{"batch_ms": 50, **settle}),
                       retry=retry or Backoff(initial=30.0, maximum=60.0))

    async def write(self, *ops: ChainOperation) -> None:
        for each in ops:
            each.app_instance, each.created_at = self.app.id, time.time()
        await self.store.run(lambda ledger: ledger.add_operations(list(ops)))

    def status(self, sequence: int) -> str | None:
        job = self.app.jobs.get(sequence)
        return None if job is None else job.status.kind


@pytest.fixture
async def rig(nursery: trio.Nursery, tmp_path: Path) -> Rig:
    sim = register_app(Simnet(checkpoint_interval_secs=0, layout="2025-11"), "img:1", "app")
    for _ in range(6):
        sim.create_job("app", developer=DEV, agent=AGENT, method=METHOD, data=b"\x01")
    key = SuiKey.generate()
    sim.fund(key.address, 10 * SUI)
    sim.seal()
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    port = int(target.rsplit(":", 1)[1])
    store = await Store.open(tmp_path)
    return Rig(sim, Endpoint("http", host="127.0.0.1", port=port), store, key)


async def test_due_claims_go_in_one_multicall_and_each_gets_its_answer(
    rig: Rig, nursery: trio.Nursery
) -> None:
    settler = rig.settler(batch_max=10, batch_ms=300)
    rig.sim.start_job("app", 4)  # another coordinator was first
    await nursery.start(settler.run)
    claims = {n: settler.expect_claim(JobRef(rig.app.id, n)) for n in (1, 2, 3, 4)}
    await rig.write(*(op(START, n) for n in (1, 2, 3, 4)))
    with trio.fail_after(20):
        answers = {n: await claim.answer() for n, claim in claims.items()}
    assert answers == {1: True, 2: True, 3: True, 4: False}
    assert (settler.transactions_ok, settler.claims_won, settler.claims_lost) == (1, 3, 1)
    assert [rig.status(n) for n in (1, 2, 3)] == ["running"] * 3
    assert settler.gas_spent > 0
    await eventually(lambda: settler.outbox == [], 20, "the outbox empty")
    assert await rig.store.run(Ledger.operations) == []


async def test_settlements_batch_hold_at_most_batch_max_operations(
    rig: Rig, nursery: trio.Nursery
) -> None:
    settler = rig.settler(batch_max=2, batch_ms=10_000)
    await nursery.start(settler.run)
    await rig.write(*(op(TERMINATE, n) for n in range(1, 6)))
    # Two full batches go at once; the fifth waits for its window (10 s), or more company.
    await eventually(lambda: settler.transactions_ok == 2, 20, "settler.transactions_ok == 2")
    assert [rig.status(n) for n in range(1, 6)].count(None) == 4
    await rig.write(op(TERMINATE, 6))
    await eventually(lambda: settler.transactions_ok == 3, 20, "settler.transactions_ok == 3")
    assert [rig.status(n) for n in range(1, 7)] == [None] * 6
    await eventually(lambda: settler.outbox == [], 20, "the outbox empty")


async def test_a_claim_goes_at_once_and_takes_what_is_due_with_it(
    rig: Rig, nursery: trio.Nursery
) -> None:
    """A claim does not wait for `batch_ms`: its agent waits for it. A settlement
    that waits for its window rides along."""
    settler = rig.settler(batch_max=50, batch_ms=60_000)
    await nursery.start(settler.run)
    await rig.write(op(TERMINATE, 5))
    claim = settler.expect_claim(JobRef(rig.app.id, 1))
    await rig.write(op(START, 1))
    with trio.fail_after(20):  # far under the 60 s window
        assert await claim.answer() is True
    assert settler.transactions_ok == 1
    assert (rig.status(1), rig.status(5)) == ("running", None)


async def test_a_claim_confirmed_with_nobody_waiting_is_given_back(
    rig: Rig, nursery: trio.Nursery
) -> None:
    """A runner that gave up waiting (timeout, shutdown) no longer runs the job:
    the job must not stay running under our address on chain."""
    settler = rig.settler()
    await nursery.start(settler.run)
    await rig.write(op(START, 1))
    await eventually(lambda: settler.claims_won == 1 and settler.jobs_settled == 1, 20,
                     "the claim won, then failed back")
    assert rig.status(1) == "pending"
    assert rig.app.jobs[1].attempts == 1


async def test_settlements_are_confirmed_on_chain_then_leave_the_outbox(
    rig: Rig, nursery: trio.Nursery
) -> None:
    settler = rig.settler()
    await nursery.start(settler.run)
    claims = [settler.expect_claim(JobRef(rig.app.id, n)) for n in (1, 2, 3)]
    await rig.write(*(op(START, n) for n in (1, 2, 3)))
    with trio.fail_after(20):
        assert [await claim.answer() for claim in claims] == [True] * 3
    await rig.write(op(COMPLETE, 1), op(FAIL, 2, error="agent said no"), op(TERMINATE, 3))
    await eventually(lambda: settler.jobs_settled == 3, 20, "settler.jobs_settled == 3")
    assert rig.status(1) is None  # completed: gone from the AppInstance
    assert rig.status(2) == "pending"  # failed with attempts left: pending again
    assert rig.status(3) is None
    await eventually(lambda: settler.outbox == [], 20, "the outbox empty")


async def test_after_a_restart_only_what_the_chain_still_needs_is_sent(
    rig: Rig, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="coordinator.settlement")
    # An earlier run: claimed 1 and 2 and completed 1 on chain, then died with
    # its completions of 1 and 2 still in the outbox (and a claim of 3).
    first = rig.settler()
    async with trio.open_nursery() as earlier:
        await earlier.start(first.run)
        claims = [first.expect_claim(JobRef(rig.app.id, n)) for n in (1, 2)]
        await rig.write(op(START, 1), op(START, 2))
        with trio.fail_after(20):
            assert [await claim.answer() for claim in claims] == [True, True]
        await rig.write(op(COMPLETE, 1))
        # Completed on chain, and the answer back (the chain changes first).
        await eventually(lambda: rig.status(1) is None and first.transactions_ok == 2, 20,
                         "job 1 completed on chain and its answer in")
        earlier.cancel_scope.cancel()
    await rig.write(op(COMPLETE, 1), op(COMPLETE, 2), op(START, 3))
    sent_before = first.transactions_ok

    settler = rig.settler()
    await nursery.start(settler.run)
    await eventually(lambda: settler.outbox == [] and rig.status(2) is None, 20,
                     "the outbox empty, job 2 completed")
    # Job 1 was complete already: not sent again. Job 2 still ran: completed now,
    # in one transaction. The dead process's claim of 3 waits for nobody: dropped.
    assert settler.transactions_ok == 1 and settler.jobs_settled == 1
    assert sent_before == 2  # the two claims in one multicall, then the completion
    assert rig.status(3) == "pending"
    text = caplog.text
    assert "complete of job 1@" in text and "not sent again: the job is gone on chain" in text
    assert "1 claim(s) of an earlier run dropped" in text
    assert await job_status(rig.connect, rig.app.id, 2) is None
    assert await job_status(rig.connect, rig.app.id, 3) == "pending"


async def test_a_stale_view_of_the_app_instance_is_read_again_after_a_failure(
    rig: Rig, nursery: trio.Nursery
) -> None:
    """The settler keeps each AppInstance's shared version; one from before the
    chain was reset is refused by the node, and the next try reads it again."""
    settler = rig.settler(retry=Backoff(initial=0.05, maximum=0.1))
    true = await settler._shared_object(rig.app.id)
    stale = true.initial_shared_version + 7
    settler._shared[rig.app.id] = replace(true, initial_shared_version=stale)
    await nursery.start(settler.run)
    claim = settler.expect_claim(JobRef(rig.app.id, 1))
    await rig.write(op(START, 1))
    with trio.fail_after(20):
        assert await claim.answer() is True
    assert rig.status(1) == "running"
    assert "version" in settler.last_error  # the first try, refused
    assert settler._shared[rig.app.id] == true


async def test_a_claim_whose_answer_was_lost_is_won_when_it_landed(
    rig: Rig, nursery: trio.Nursery
) -> None:
    """The node applied the claim but its answer never came back (twice: the
    executor's own re-send of the same bytes too). The next try, a new
    transaction, is refused since the job runs: under our address, so the
    claim is ours, not lost."""
    settler = rig.settler(retry=Backoff(initial=0.05, maximum=0.1))
    await nursery.start(settler.run)
    rig.sim.gate.lose_execute_answers(2)
    claim = settler.expect_claim(JobRef(rig.app.id, 1))
    await rig.write(op(START, 1))
    with trio.fail_after(20):
        assert await claim.answer() is True
    assert (settler.claims_won, settler.claims_lost) == (1, 0)
    assert rig.status(1) == "running" and rig.app.jobs[1].attempts == 1  # started once
    await eventually(lambda: settler.outbox == [], 20, "the outbox empty")


async def test_a_claim_another_coordinator_holds_stays_lost_after_a_lost_answer(
    rig: Rig, nursery: trio.Nursery
) -> None:
    settler = rig.settler(retry=Backoff(initial=0.05, maximum=0.1))
    await nursery.start(settler.run)
    rig.sim.gate.unavailable_for(0.5)  # our first try never reaches the node
    claim = settler.expect_claim(JobRef(rig.app.id, 2))
    await rig.write(op(START, 2))
    rig.sim.start_job("app", 2)  # meanwhile another coordinator takes the job
    with trio.fail_after(20):
        assert await claim.answer() is False
    assert (settler.claims_won, settler.claims_lost) == (0, 1)


async def test_a_send_the_chain_never_answers_stays_in_the_outbox(
    rig: Rig, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    nobody = Endpoint("http", host="127.0.0.1", port=free_port())
    settler = rig.settler(endpoint=nobody)
    await nursery.start(settler.run)
    await rig.write(op(COMPLETE, 1))
    await eventually(lambda: settler.last_error != "", 20, "a failed send")
    [left] = await rig.store.run(Ledger.operations)
    assert (left.kind, left.job_sequence, left.state, left.attempts) == (COMPLETE, 1, "due", 1)
    assert left.next_try_at > left.created_at + 20  # backoff: not hammering a dead node
    assert left.last_error and "\n" not in left.last_error
    assert "not settled" in caplog.text and "retrying in" in caplog.text
    assert settler.transactions_ok == 0 and len(settler.outbox) == 1
