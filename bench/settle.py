"""Claims and settlements on chain: a burst of 200 jobs, batched vs one transaction
per operation (issue 12).

The real settler (`coordinator.settlement`) over a real sqlite outbox sends to
the simulator over loopback gRPC, signing with a real key: first the 200 claims
written at once, then the 200 completions written at once. Figures per mode:
- transactions per job (claim + completion) and the net gas per job (what the
  address paid, storage rebates of the deleted jobs included);
- settlement lag: a completion written to the outbox -> the job gone from the
  chain (median and worst of the 200).
Batched is `settle.batch_max` 50 and `settle.batch_ms` 200 (the defaults);
one per operation is `batch_max` 1.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio

from bench.common import Results, median, progress, scratch_dir
from coordinator.config import SettleSettings
from coordinator.domain import ChainOperation, JobRef, OperationKind
from coordinator.jobs import JobBook
from coordinator.settlement import Settler
from coordinator.simnet import Simnet, serve
from coordinator.store import Store
from coordinator.sui.client import connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.executor import Executor
from coordinator.sui.keys import SuiKey

JOBS = 200
FUNDS = 1000 * 1_000_000_000
MODES = {"batched": 50, "single": 1}
TIMEOUT_SECS = 300


@dataclass
class Burst:
    transactions: int
    gas_paid: int
    lags: list[float]


def run(results: Results) -> None:
    for mode, batch_max in MODES.items():
        with scratch_dir(f"settle-{mode}") as directory:
            burst = trio.run(_burst, directory, batch_max)
        progress(f"settle {mode}: {burst.transactions} transactions for {JOBS} jobs")
        results.add(f"settle_tx_per_job_{mode}", burst.transactions / JOBS, "tx",
                    f"claim + completion, burst of {JOBS}, batch_max {batch_max}")
        results.add(f"settle_gas_per_job_{mode}", burst.gas_paid / JOBS, "MIST",
                    "paid by the address, net of storage rebates (the completed jobs are deleted; "
                    "negative: the rebates exceed the cost)")
        results.add(f"settle_lag_median_ms_{mode}", median(burst.lags) * 1000, "ms",
                    "completion written -> job gone on chain")
        results.add(f"settle_lag_max_ms_{mode}", max(burst.lags) * 1000, "ms",
                    "the last of the burst")


async def _burst(directory: Path, batch_max: int) -> Burst:
    sim = Simnet(checkpoint_interval_secs=0, layout="2025-11")
    sim.register_developer("dev")
    sim.register_agent("dev", "agent")
    sim.add_method("dev", "agent", "prove", docker_image="img:1")
    sim.create_app_instance("app")
    sequences = [sim.create_job("app", developer="dev", agent="agent", method="prove",
                                data=b"\x01").job_id for _ in range(JOBS)]
    key = SuiKey.generate()
    sim.fund(key.address, FUNDS)
    sim.seal()
    app = sim.app_instance("app")
    async with trio.open_nursery() as nursery:
        target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
        endpoint = Endpoint.parse(f"http://{target}")

        def reach() -> Any:
            return connect(endpoint, timeout=30)

        store = await Store.open(directory)
        book = JobBook(store, max_attempts=3, lease_secs=60, address=key.address)
        executor = Executor(key, reach, sim.package_id)
        settler = Settler(store, book, executor, reach,
                          SettleSettings(batch_max=batch_max, batch_ms=200))
        await nursery.start(settler.run)
        with trio.fail_after(TIMEOUT_SECS):
            claims = [settler.expect_claim(JobRef(app.id, n)) for n in sequences]
            await _write(store, app.id, OperationKind.START, sequences)
            if not all([await claim.answer() for claim in claims]):
                raise RuntimeError("a claim was lost on an uncontested chain")
            written = await _write(store, app.id, OperationKind.COMPLETE, sequences)
            gone: dict[int, float] = {}
            while len(gone) < JOBS:
                now = time.time()
                gone.update({n: now for n in sequences if n not in app.jobs and n not in gone})
                await trio.sleep(0.005)
        nursery.cancel_scope.cancel()  # the settler stops before its store closes
    await store.close()
    paid = FUNDS - sum(coin.balance for coin in sim.coins.owned_by(key.address))
    return Burst(settler.transactions_ok, paid, [gone[n] - written for n in sequences])


async def _write(store: Store, app_instance: str, kind: OperationKind,
                 sequences: list[int]) -> float:
    now = time.time()
    ops = [ChainOperation(kind, app_instance, n, created_at=now) for n in sequences]
    await store.run(lambda ledger: ledger.add_operations(ops))
    return now
