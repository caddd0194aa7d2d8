"""The real executor against the real simulator over loopback gRPC: claims, settles,
refusals with the node's words, gas, versions, and the events the daemon's ingest reads."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio

from coordinator.backoff import Backoff
from coordinator.events.models_2025_11 import JobStartedEvent, OperationFailedEvent
from coordinator.simnet import Scenario, Simnet, build_simnet, checks, serve
from coordinator.simnet.move.jobs import RETRY_INTERVAL_MS
from coordinator.sui.client import SuiClient, SuiRejected, connect, module_event_filter
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.executor import Executor, GasError, OperationResult, is_object_conflict
from coordinator.sui.keys import SuiKey
from coordinator.sui.transactions import (
    CLOCK,
    CompleteJob,
    FailJob,
    GasData,
    Multicall,
    ObjectRef,
    Operation,
    SharedObject,
    StartJob,
    TerminateJob,
    TransactionData,
    build_transaction,
    sign_transaction,
)
from tests.support import AGENT, DEV, METHOD, SUI, register_app

T0 = 1_700_000_000_000
TIMEOUT = 20


class Chain:
    """A served simulator (2025-11, sealing per transaction) with six pending jobs,
    max_attempts 2, and two funded coordinators A and B."""

    def __init__(self, sim: Simnet, endpoint: Endpoint, clock: list[int]) -> None:
        self.sim, self.endpoint, self.clock = sim, endpoint, clock
        self.a, self.b = SuiKey.generate(), SuiKey.generate()
        sim.fund(self.a.address, 10 * SUI)
        sim.fund(self.b.address, 10 * SUI)
        sim.seal()
        self.app = sim.app_instance("app")

    def connect(self) -> Any:
        return connect(self.endpoint, timeout=5)

    def executor(
        self, key: SuiKey, connect: Callable[[], Any] | None = None, **kw: Any
    ) -> Executor:
        return Executor(
            key=key,
            connect=connect or self.connect,
            package=self.sim.package_id,
            backoff=Backoff(initial=0.01, maximum=0.05),
            **kw,
        )

    async def shared(self) -> SharedObject:
        """The AppInstance as a transaction names it, read from GetObject's owner."""
        async with self.connect() as sui:
            obj = await sui.get_object(self.app.id, read_mask=("object_id", "owner"))
        return SharedObject(obj.object_id, obj.owner.version, True)

    def signed(self, key: SuiKey, operations: list[Operation], **gas: Any) -> tuple[bytes, bytes]:
        """A transaction built by hand from `key`'s first coin (for refusals)."""
        coin = max(self.sim.coins.owned_by(key.address), key=lambda c: c.balance)
        app = SharedObject(self.app.id, self.app.initial_shared_version, True)
        payment = gas.pop("payment", (ObjectRef(coin.id, coin.version, coin.digest),))
        data = build_transaction(
            package=self.sim.package_id,
            app_instance=gas.pop("app", app),
            operations=operations,
            sender=key.address,
            gas=GasData(payment, key.address, gas.pop("price", 1000), gas.pop("budget", SUI // 10)),
        ).to_bytes()
        return data, sign_transaction(key, data)


@pytest.fixture
async def chain(nursery: trio.Nursery) -> Chain:
    clock = [T0]
    sim = Simnet(checkpoint_interval_secs=0, clock_ms=lambda: clock[0], layout="2025-11")
    register_app(sim, "img:1", "app", max_attempts=2)
    for _ in range(6):
        sim.create_job("app", developer=DEV, agent=AGENT, method=METHOD, data=b"\x01")
    sim.seal()
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    port = int(target.rsplit(":", 1)[1])
    return Chain(sim, Endpoint("http", host="127.0.0.1", port=port), clock)


def job_status(chain: Chain, sequence: int) -> str | None:
    job = chain.app.jobs.get(sequence)
    return None if job is None else job.status.kind


async def test_a_claim_is_confirmed_and_a_second_claim_is_lost(chain: Chain) -> None:
    app = await chain.shared()
    assert app.initial_shared_version == chain.app.initial_shared_version > 0
    version_before = chain.app.object_version
    with trio.fail_after(TIMEOUT):
        async with chain.connect() as sui:
            ours = await chain.executor(chain.a).execute(app, [StartJob(1)])
            theirs = await chain.executor(chain.b).execute(app, [StartJob(1)])
            balance_a = await sui.balance(chain.a.address)
            lost = await sui.get_transaction(theirs.digest, read_mask=("events",))
            started = [
                JobStartedEvent.from_bcs(item.event.contents.value)
                async for item in _events(sui, chain.sim.package_id, "JobStartedEvent")
            ]
    assert ours.success and ours.results == (OperationResult("start", 1, True),)
    assert theirs.success and theirs.results == (OperationResult("start", 1, False),)
    assert job_status(chain, 1) == "running" and chain.app.jobs[1].attempts == 1
    # The lost claim is an OperationFailedEvent naming the other coordinator.
    (failed,) = [e for e in lost.events.events if e.event_type.endswith("OperationFailedEvent")]
    refusal = OperationFailedEvent.from_bcs(failed.contents.value)
    assert (refusal.operation, refusal.entity_id, refusal.reason) == ("start", 1, "wrong_status")
    assert refusal.caller == chain.b.address
    # The daemon's ingest reads the claim where it reads every job event.
    assert [(e.job_sequence, e.coordinator) for e in started] == [(1, chain.a.address)]
    # Gas: computation for one call and one operation at the reference price, plus storage.
    assert ours.gas_charged > 0 and balance_a == 10 * SUI - ours.gas_charged
    # Each transaction writes the AppInstance at a new version.
    assert chain.app.object_version > version_before + 1


async def _events(sui: SuiClient, package: str, name: str) -> AsyncIterator[Any]:
    """Events `name` of the package's `jobs` module, listed as ingest lists them."""
    async with sui.list_events(event_filter=module_event_filter(package, ["jobs"])) as stream:
        async for item in stream:
            if item.HasField("event") and item.event.event_type.endswith(f"::{name}"):
                yield item


async def test_complete_fail_terminate_and_a_multicall(chain: Chain) -> None:
    app = await chain.shared()
    a = chain.executor(chain.a)
    with trio.fail_after(TIMEOUT):
        for sequence in (2, 3, 5, 6):
            assert (await a.execute(app, [StartJob(sequence)])).results[0].applied
        job_object = chain.app.jobs[2].id
        completed = await a.execute(app, [CompleteJob(2)])
        assert completed.results == (OperationResult("complete", 2, True),)
        assert job_status(chain, 2) is None and chain.sim.objects.get(job_object) is None

        # A failure with attempts left: pending again, due after the retry interval.
        await a.execute(app, [FailJob(3, "boom")])
        assert job_status(chain, 3) == "pending"
        assert chain.app.jobs[3].next_scheduled_at == T0 + RETRY_INTERVAL_MS
        early = await a.execute(app, [StartJob(3)])
        assert early.results == (OperationResult("start", 3, True),)  # not periodic: at once
        last = await a.execute(app, [FailJob(3, "boom again")])
        assert last.results[0].applied
        assert job_status(chain, 3) == "failed" and 3 in chain.app.failed_jobs  # max_attempts 2

        terminated = await a.execute(app, [TerminateJob(4)])
        assert terminated.results[0].applied and job_status(chain, 4) is None

        batch = await a.execute(
            app,
            [
                Multicall(
                    complete=(5, 99),
                    fail=((6, "oom"),),
                    terminate=(42,),
                    start=((1, 2), (3, 1)),
                    available_memory=2,
                )
            ],
        )
    assert batch.success
    assert batch.results == (
        OperationResult("complete", 5, True),
        OperationResult("complete", 99, False),
        OperationResult("fail", 6, True),
        OperationResult("terminate", 42, False),
        OperationResult("start", 1, True),
        OperationResult("start", 3, False),  # no memory left (and failed for good)
    )
    assert job_status(chain, 5) is None and job_status(chain, 6) == "pending"
    assert job_status(chain, 1) == "running"


async def test_bad_signatures_get_the_nodes_error(chain: Chain) -> None:
    data, signature = chain.signed(chain.a, [StartJob(1)])
    forged = signature[:5] + bytes([signature[5] ^ 1]) + signature[6:]
    with trio.fail_after(TIMEOUT):
        async with chain.connect() as sui:
            with pytest.raises(SuiRejected) as bad:
                await sui.execute_transaction(data, [forged])
            with pytest.raises(SuiRejected) as other:
                await sui.execute_transaction(data, [sign_transaction(chain.b, data)])
            with pytest.raises(SuiRejected) as none:
                await sui.execute_transaction(data, [])
    assert bad.value.code == "INVALID_ARGUMENT"
    assert bad.value.message == (
        "Invalid user signature: Signature is not valid: Fail to verify user sig "
        "Invalid signature was given to the function"
    )
    assert other.value.message.startswith(
        f"Invalid user signature: Required Signature from {chain.a.address} is absent"
    )
    assert "Expect 1 signer signatures but got 0" in none.value.message
    assert job_status(chain, 1) == "pending"  # nothing ran


async def test_a_stale_gas_coin_is_refused_and_the_executor_rebuilds(chain: Chain) -> None:
    app = await chain.shared()
    with trio.fail_after(TIMEOUT):
        async with chain.connect() as sui:
            stale = await sui.gas_coins(chain.a.address)
        data, signature = chain.signed(chain.a, [StartJob(1)])
        assert (await chain.executor(chain.a).execute(app, [StartJob(2)])).success
        async with chain.connect() as sui:
            with pytest.raises(SuiRejected) as refused:
                await sui.execute_transaction(data, [signature])
    coin = stale[0]
    assert refused.value.code == "INVALID_ARGUMENT"
    assert refused.value.message == (
        "Transaction execution failed due to issues with transaction inputs, please review "
        f"the errors and try again: Object ID {coin.object_id} Version {coin.version:#x} "
        f"Digest {coin.digest} is not available for consumption, current version: "
        f"{chain.sim.coins.get(coin.object_id).version:#x}."  # type: ignore[union-attr]
    )
    assert is_object_conflict(refused.value)

    # A node whose owned-object index lags one answer behind: the executor's first
    # try pays with the spent coin version, is refused, and rebuilds with fresh coins.
    lagging = [list(stale)]

    @asynccontextmanager
    async def connect_lagging() -> AsyncIterator[SuiClient]:
        async with chain.connect() as sui:
            if lagging:
                coins = lagging.pop()

                async def gas_coins(owner: str, **kw: Any) -> list[Any]:
                    return coins

                sui.gas_coins = gas_coins  # type: ignore[method-assign]
            yield sui

    with trio.fail_after(TIMEOUT):
        outcome = await chain.executor(chain.a, connect_lagging).execute(app, [StartJob(3)])
    assert outcome.success and outcome.attempts == 2
    assert outcome.results == (OperationResult("start", 3, True),)


async def test_insufficient_gas_is_one_clear_error(chain: Chain) -> None:
    app = await chain.shared()
    poor, scraping = SuiKey.generate(), SuiKey.generate()
    chain.sim.fund(poor.address, 500_000)  # under the least budget (1000 units)
    chain.sim.fund(scraping.address, 2_000_000)  # over it, under one call's computation
    with trio.fail_after(TIMEOUT):
        with pytest.raises(GasError) as too_poor:
            await chain.executor(poor).execute(app, [StartJob(1)])
        with pytest.raises(GasError) as out_of_gas:
            await chain.executor(scraping).execute(app, [StartJob(1)])
    assert str(too_poor.value) == (
        f"address {poor.address} cannot pay for the transaction with 500000 MIST in 1 SUI "
        "coin(s): Transaction execution failed due to issues with transaction inputs, please "
        "review the errors and try again: Gas budget: 500000 is lower than min: 1000000."
    )
    assert str(out_of_gas.value) == (
        f"address {scraping.address} cannot pay for the transaction with 2000000 MIST in 1 SUI "
        "coin(s): the dry run ran out of gas"
    )
    assert job_status(chain, 1) == "pending"

    # Sent anyway: a budget above the coins is refused; one the run outgrows fails
    # on chain, charging the budget and changing no job.
    data, signature = chain.signed(scraping, [StartJob(1)], budget=3_000_000)
    async with chain.connect() as sui:
        with pytest.raises(SuiRejected, match="Balance of gas object 2000000 is lower than the "
                           "needed amount: 3000000"):
            await sui.execute_transaction(data, [signature])
        data, signature = chain.signed(scraping, [StartJob(1)], budget=1_500_000)
        executed = await sui.execute_transaction(data, [signature])
        balance = await sui.balance(scraping.address)
    assert not executed.effects.status.success
    assert executed.effects.status.error.description == "InsufficientGas"
    assert executed.effects.gas_used.computation_cost == 1_500_000 and balance == 500_000
    assert job_status(chain, 1) == "pending" and not executed.events.events


async def test_shared_inputs_and_the_clock_are_checked(chain: Chain) -> None:
    wrong_version = SharedObject(chain.app.id, chain.app.initial_shared_version + 1, True)
    unknown = SharedObject("0x" + "77" * 32, 1, True)
    async with chain.connect() as sui:
        for app, expected in (
            (wrong_version, "initial shared version is"),
            (unknown, f"Could not find the referenced object {unknown.object_id} at version None"),
        ):
            data, signature = chain.signed(chain.a, [StartJob(1)], app=app)
            with pytest.raises(SuiRejected, match=expected):
                await sui.execute_transaction(data, [signature])
        data, signature = chain.signed(chain.a, [StartJob(1)], price=999)
        low_price = r"Gas price 999 under reference gas price \(RGP\) 1000"
        with pytest.raises(SuiRejected, match=low_price):
            await sui.execute_transaction(data, [signature])
    assert CLOCK.initial_shared_version == 1


async def test_simulation_commits_nothing_and_a_resent_transaction_runs_once(chain: Chain) -> None:
    data, signature = chain.signed(chain.a, [StartJob(1), StartJob(99)])
    coin = chain.sim.coins.owned_by(chain.a.address)[0]
    version = coin.version
    with trio.fail_after(TIMEOUT):
        async with chain.connect() as sui:
            simulated = await sui.simulate_transaction(
                data, read_mask=("transaction.effects", "transaction.events", "command_outputs")
            )
            assert job_status(chain, 1) == "pending" and coin.version == version
            first = await sui.execute_transaction(data, [signature])
            again = await sui.execute_transaction(data, [signature])
            balance = await sui.balance(chain.a.address)
    effects = simulated.transaction.effects
    assert effects.status.success
    assert [out.return_values[0].value.value for out in simulated.command_outputs] == [
        b"\x01",
        b"\x00",
    ]
    names = [e.event_type.rsplit("::", 1)[1] for e in simulated.transaction.events.events]
    assert names == ["JobUpdatedEvent", "JobStartedEvent", "OperationFailedEvent"]
    assert first.digest == again.digest
    assert first.effects.gas_used == effects.gas_used
    charged = effects.gas_used.computation_cost + effects.gas_used.storage_cost
    charged -= effects.gas_used.storage_rebate
    assert balance == 10 * SUI - charged  # charged once
    # The effects name the gas coin and the AppInstance at their new versions.
    gas = first.effects.gas_object
    assert gas.object_id == coin.id and gas.input_version == version
    assert gas.output_version == coin.version > version
    changed = {c.object_id: c for c in first.effects.changed_objects}
    assert changed[chain.app.id].output_version == chain.app.object_version == coin.version


async def test_fund_from_the_command_line_and_a_scenario(chain: Chain) -> None:
    key = SuiKey.generate()
    target = f"127.0.0.1:{chain.endpoint.port}"
    result = await trio.run_process(
        [sys.executable, "-m", "coordinator.simnet", "fund", "--target", target,
         "--address", key.address, "--amount", "2500000000"],
        capture_stdout=True, capture_stderr=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"of 2500000000 MIST for {key.address}" in result.stdout.decode()
    async with chain.connect() as sui:
        assert await sui.balance(key.address) == 2_500_000_000
        (coin,) = await sui.gas_coins(key.address)
    assert coin.balance == 2_500_000_000

    bad = await trio.run_process(
        [sys.executable, "-m", "coordinator.simnet", "fund", "--target", target,
         "--address", key.address, "--amount", "0"],
        capture_stdout=True, capture_stderr=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and b"--amount: must be 1..2^64-1 MIST" in bad.stderr

    scenario = Scenario.model_validate(
        {"fund": [{"address": key.address, "amount": 7}, {"address": "0x2", "amount": 9}]}
    )
    sim = build_simnet(scenario, checkpoint_interval_secs=0)
    assert sim.coins.balance(key.address) == 7 and sim.coins.balance("0x2") == 9


async def test_budget_coins_and_paging_as_the_executor_sizes_them(chain: Chain) -> None:
    app = await chain.shared()
    for _ in range(60):  # more coins than one ListOwnedObjects page (50)
        chain.sim.fund(chain.a.address, 1_000)
    big = chain.sim.coins.owned_by(chain.a.address)
    big_coin = max(big, key=lambda coin: coin.balance)
    with trio.fail_after(TIMEOUT):
        async with chain.connect() as sui:
            assert await sui.reference_gas_price() == 1000
            with pytest.raises(SuiRejected, match="INVALID_ARGUMENT: owner 'nonsense' is not an"):
                await sui.balance("nonsense")
            coins = await sui.gas_coins(chain.a.address)
            assert len(coins) == 61 and sum(c.balance for c in coins) == 10 * SUI + 60_000
            # The executor's dry run: every coin, everything they hold as the budget.
            everything = [ObjectRef(c.object_id, c.version, c.digest) for c in coins]
            total = sum(c.balance for c in coins)
            data, _ = chain.signed(chain.a, [StartJob(1)], payment=tuple(everything), budget=total)
            dry = await sui.simulate_transaction(data, read_mask=("transaction.effects.gas_used",))
        outcome = await chain.executor(chain.a).execute(app, [StartJob(1)])
    sent = TransactionData.from_bytes(chain.sim.executed[outcome.digest].transaction.bcs.value)
    used = dry.transaction.effects.gas_used
    # Mysten's SDK sizing: computation + 1000 units of margin, plus net storage when positive.
    margin = used.computation_cost + 1000 * 1000
    assert sent.gas.budget == max(margin, margin + used.storage_cost - used.storage_rebate)
    assert sent.gas.price == 1000
    assert [ref.object_id for ref in sent.gas.payment] == [big_coin.id]  # the big coin alone

    cap = r"with sui\.gas_budget 1000 MIST: .*Gas budget: 1000 is lower than min: 1000000"
    with trio.fail_after(TIMEOUT), pytest.raises(GasError, match=cap):
        await chain.executor(chain.a, gas_budget_cap=1000).execute(app, [StartJob(2)])
    with trio.fail_after(TIMEOUT), pytest.raises(GasError, match="has 0 MIST in 0 SUI coin"):
        await chain.executor(SuiKey.generate()).execute(app, [StartJob(2)])


def test_a_2025_08_chain_refuses_transactions() -> None:
    sim = Simnet(checkpoint_interval_secs=0, layout="2025-08")
    key = SuiKey.generate()
    coin = sim.fund(key.address, SUI)
    data = build_transaction(
        package=sim.package_id,
        app_instance=SharedObject("0x" + "01" * 32, 1, True),
        operations=[StartJob(1)],
        sender=key.address,
        gas=GasData((ObjectRef(coin.id, coin.version, coin.digest),), key.address, 1000, SUI),
    ).to_bytes()
    tx = checks.decode_signed(data, [sign_transaction(key, data)])
    with pytest.raises(checks.Refused, match="on a 2025-11 chain only, not 2025-08"):
        checks.prepare(sim, tx, data)
