"""An app instance's proof pipeline on a served simulator, driven by the
pipeline's Move functions (`Simnet.move_call`) at a clock the test sets:
what the tests of the pipeline's reads and agent calls read back."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import trio

from coordinator.simnet import Simnet, serve
from coordinator.simnet.objects import AppMethod
from coordinator.sui.calls import block, prover, settlement
from coordinator.sui.client import SuiClient, connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.transactions import Operation
from tests.support import ADD_KEY

T0 = 1_764_000_000_000
CHAIN = "test:local"
OTHER_CHAIN = "test:other"
BLOCK_GAP_MS = 60_001  # more than an instance's least time between blocks


@dataclass
class PipelineChain:
    """A 2025-11 simulator served on loopback with app instance `app` (methods
    add, merge, settle of the demo agent; settlement chains CHAIN and
    OTHER_CHAIN)."""

    sim: Simnet
    port: int
    clock: list[int] = field(default_factory=lambda: [T0])

    @property
    def app(self) -> Any:
        return self.sim.app_instance("app")

    @property
    def app_instance(self) -> str:
        return str(self.app.app_instance)

    def connect(self) -> AbstractAsyncContextManager[SuiClient]:
        return connect(Endpoint("http", host="127.0.0.1", port=self.port), timeout=5)

    def call(self, *operations: Operation) -> None:
        for operation in operations:
            self.sim.move_call("app", operation)

    def actions(self, count: int) -> None:
        """`count` more sequences (the first ever is sequence 0), a second apart."""
        for _ in range(count):
            self.clock[0] += 1000
            self.call(block.IncreaseSequence(b"opt", b"trans"))

    def prove_block(self, number: int, start: int, end: int) -> None:
        """Proofs of each sequence of [start, end], merged into one for the whole
        range, then the block created (the clock moved past the least time)."""
        singles = [(k,) for k in range(start, end + 1)]
        for sequences in singles:
            self.call(submit(number, sequences))
        merged: tuple[int, ...] = singles[0]
        for right in singles[1:]:
            combined = (*merged, *right)
            self.call(submit(number, combined, merged, right))
            merged = combined
        self.clock[0] += BLOCK_GAP_MS
        self.call(block.TryCreateBlock())

    def settle(self, chain: str, number: int, settled_at: int) -> None:
        """The block's data availability, its settlement transaction on `chain`
        and its inclusion there."""
        self.call(block.UpdateBlockStateDataAvailability(number, f"state-{number}"),
                  block.UpdateBlockProofDataAvailability(number, f"proof-{number}"),
                  settlement.UpdateBlockSettlementTxHash(chain, number, f"tx-{number}"),
                  settlement.UpdateBlockSettlementTxIncludedInBlock(chain, number, settled_at))


def submit(number: int, sequences: tuple[int, ...], merged1: tuple[int, ...] | None = None,
           merged2: tuple[int, ...] | None = None, da_hash: str | None = None
           ) -> prover.SubmitProof:
    """A submit_proof as the coordinator queues it (descriptor `p<sequences>` by default)."""
    return prover.SubmitProof(number, sequences, merged1, merged2, f"job-{sequences}",
                              da_hash or f"p{list(sequences)}", 8, "x86_64-linux", 16_000_000,
                              1000)


async def served_pipeline(nursery: trio.Nursery,
                          created: Callable[[Simnet], None] | None = None) -> PipelineChain:
    """The simulator served in `nursery`, the instance made at T0."""
    clock = [T0]
    sim = Simnet(checkpoint_interval_secs=0, layout="2025-11", clock_ms=lambda: clock[0])
    method = AppMethod(ADD_KEY.developer, ADD_KEY.agent, ADD_KEY.agent_method)
    sim.create_app_instance("app", methods={"add": method, "merge": method, "settle": method},
                            settlement_chains={CHAIN: None, OTHER_CHAIN: "B62q-settlement"})
    if created is not None:
        created(sim)
    sim.seal()
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    return PipelineChain(sim, int(target.rsplit(":", 1)[1]), clock)
