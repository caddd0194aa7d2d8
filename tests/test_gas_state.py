"""The executor's kept gas state against the real simulator over loopback, by
the calls the simulator received: price per epoch, our coin from our own
effects, a budget per shape of transaction, fresh reads only after an error."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import trio

from coordinator.backoff import Backoff
from coordinator.simnet import Simnet, serve
from coordinator.sui.client import connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.executor import Executor, OperationResult, shape_of
from coordinator.sui.keys import SuiKey
from coordinator.sui.transactions import CompleteJob, Multicall, SharedObject, StartJob
from tests.support import AGENT, DEV, METHOD, SUI, register_app

# What preparing and sending a transaction may cost (the bench's write calls).
WRITES = ("GetEpoch", "ListOwnedObjects", "SimulateTransaction", "ExecuteTransaction",
          "GetBalance")
TIMEOUT = 20


class Chain:
    def __init__(self, sim: Simnet, endpoint: Endpoint, key: SuiKey) -> None:
        self.sim, self.endpoint, self.key = sim, endpoint, key
        app = sim.app_instance("app")
        self.shared = SharedObject(app.id, app.initial_shared_version, True)

    def executor(self) -> Executor:
        def reach() -> Any:
            return connect(self.endpoint, timeout=5)

        return Executor(self.key, reach, self.sim.package_id,
                        backoff=Backoff(initial=0.01, maximum=0.05))

    def calls(self) -> Counter[str]:
        return Counter({m: n for m, n in self.sim.rpc_counts.items() if m in WRITES})

    async def calls_of(self, executor: Executor, *batches: list[Any]) -> Counter[str]:
        """The write calls the simulator received while `batches` were executed."""
        before = self.calls()
        with trio.fail_after(TIMEOUT):
            for batch in batches:
                outcome = await executor.execute(self.shared, batch)
                assert outcome.success, outcome.error
                assert all(result.applied for result in outcome.results), outcome.results
        return self.calls() - before


@pytest.fixture
async def chain(nursery: trio.Nursery) -> Chain:
    sim = register_app(Simnet(checkpoint_interval_secs=0, layout="2025-11"), "img:1", "app")
    for _ in range(40):
        sim.create_job("app", developer=DEV, agent=AGENT, method=METHOD, data=b"\x01")
    key = SuiKey.generate()
    sim.fund(key.address, 10 * SUI)
    sim.fund(key.address, 3 * SUI)  # two coins: the larger pays
    sim.seal()
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    port = int(target.rsplit(":", 1)[1])
    return Chain(sim, Endpoint("http", host="127.0.0.1", port=port), key)


async def test_after_the_first_transaction_each_is_one_call(chain: Chain) -> None:
    executor = chain.executor()
    first = await chain.calls_of(executor, [StartJob(1)])
    assert first == Counter(GetEpoch=1, ListOwnedObjects=1, SimulateTransaction=1,
                            ExecuteTransaction=1)
    # The same shape ten times: no price, no coins, no dry run, no balance.
    more = await chain.calls_of(executor, *([StartJob(n)] for n in range(2, 12)))
    assert more == Counter(ExecuteTransaction=10)
    # A new shape is dry-run once, then it is known too.
    settle = await chain.calls_of(executor, [CompleteJob(1)], [CompleteJob(2)])
    assert settle == Counter(SimulateTransaction=1, ExecuteTransaction=2)
    # The coin the executor holds is the chain's own, version and balance.
    coins = chain.sim.coins.owned_by(chain.key.address)
    kept = executor.gas.coins
    assert kept is not None
    assert sorted((c.ref.object_id, c.ref.version, c.balance) for c in kept) == sorted(
        (c.id, c.version, c.balance) for c in coins)


async def test_a_multicall_shape_is_learned_apart(chain: Chain) -> None:
    executor = chain.executor()
    await chain.calls_of(executor, [StartJob(1)])
    calls = await chain.calls_of(
        executor,
        [Multicall(start=((2, 0), (3, 0)), available_memory=0)],
        [Multicall(start=((4, 0), (5, 0)), available_memory=0)],
    )
    assert calls == Counter(SimulateTransaction=1, ExecuteTransaction=2)
    assert shape_of([Multicall(start=((2, 0), (3, 0)), available_memory=0)]) != shape_of(
        [Multicall(start=((2, 0),), available_memory=0)])


async def test_a_new_epoch_reads_the_price_again(chain: Chain) -> None:
    executor = chain.executor()
    await chain.calls_of(executor, [StartJob(1)], [StartJob(2)])
    chain.sim.chain.epoch += 1
    # The next transaction still pays the kept price (the simulator's price is the
    # same in every epoch); its effects name the new epoch, so the one after reads it.
    calls = await chain.calls_of(executor, [StartJob(3)], [StartJob(4)])
    assert calls == Counter(GetEpoch=1, ExecuteTransaction=2)


async def test_a_coin_spent_elsewhere_is_read_again_after_the_refusal(chain: Chain) -> None:
    ours, elsewhere = chain.executor(), chain.executor()  # one key, two processes
    await chain.calls_of(ours, [StartJob(1)])
    await chain.calls_of(elsewhere, [StartJob(2)])  # spends the coin ours kept
    before = chain.calls()
    with trio.fail_after(TIMEOUT):
        outcome = await ours.execute(chain.shared, [StartJob(3)])
    assert outcome.success and outcome.attempts == 2
    assert outcome.results == (OperationResult("start", 3, True),)
    calls = chain.calls() - before
    # Refused once (the kept coin version is spent), then price and coins read again.
    assert calls == Counter(ExecuteTransaction=2, GetEpoch=1, ListOwnedObjects=1)
    assert chain.sim.app_instance("app").jobs[3].status.kind == "running"


async def test_transactions_in_flight_never_share_a_coin(chain: Chain) -> None:
    """Two app-instance sends at once: each pays with a coin of its own (or waits
    for one), so no coin version is named twice (Sui would lock it)."""
    executor = chain.executor()
    await chain.calls_of(executor, [StartJob(1)])
    results: list[bool] = []

    async def claim(sequence: int) -> None:
        outcome = await executor.execute(chain.shared, [StartJob(sequence)])
        results.append(outcome.success and outcome.results[0].applied)

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            for sequence in range(2, 8):
                nursery.start_soon(claim, sequence)
    assert results == [True] * 6
    jobs = chain.sim.app_instance("app").jobs
    assert [jobs[n].status.kind for n in range(1, 8)] == ["running"] * 7
