"""The rig of the pipeline's write-call tests: the served pipeline simulator of
tests/pipeline_support.py (its clock in the test's hands), a real job book,
store, settler, embedded proof store and proof log, the agent API over TCP and
grpcio as the agent; job 1 runs in session `mine` (ADD_KEY), job 2 in
`theirs` (OTHER)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import trio

from coordinator.backoff import Backoff
from coordinator.config import RpcSettings, SettleSettings
from coordinator.domain import AgentKey, OperationKind
from coordinator.events import pipeline as ev
from coordinator.events.layouts import LAYOUT_EVENTS, SHARED_EVENTS
from coordinator.events.models import BcsEvent
from coordinator.jobs import JobBook
from coordinator.proof_log import ProofLog
from coordinator.proofs.embedded import EmbeddedBackend
from coordinator.proofs.store import ProofStore
from coordinator.rpc import CoordinatorService, serve_tcp
from coordinator.settlement import Settler
from coordinator.simnet import Simnet
from coordinator.store import Ledger, Store
from coordinator.sui.calls import block as block_calls
from coordinator.sui.executor import Executor
from coordinator.sui.keys import SuiKey
from tests.agent_client import agent_call, agent_refused
from tests.e2e_support import free_port
from tests.pipeline_support import served_pipeline
from tests.support import ADD_KEY, SUI, created, eventually

OTHER = AgentKey("OtherDev", "OtherAgent", "prove")
MODELS: dict[str, type[BcsEvent]] = {
    name: model
    for table in (SHARED_EVENTS, LAYOUT_EVENTS["2025-11"], ev.PIPELINE_EVENTS)
    for (_, name), model in table.items()
}


@dataclass
class Rig:
    sim: Simnet
    clock: list[int]
    store: Store
    book: JobBook
    proofs: ProofStore
    proof_log: ProofLog
    settler: Settler
    channel: grpc.Channel
    mine: str  # the session running job 1 (ADD_KEY)
    theirs: str  # the session running job 2 (OTHER)

    @property
    def app(self) -> Any:
        return self.sim.app_instance("app")

    def wire(self, job_id: int) -> str:
        return f"{job_id}@{self.app.app_instance}"

    async def call(self, name: str, request: Any) -> Any:
        return await agent_call(self.channel, name, request)

    async def refused(self, name: str, request: Any) -> grpc.RpcError:
        return await agent_refused(self.channel, name, request)

    def transactions(self) -> list[tuple[str, list[BcsEvent]]]:
        """Every transaction so far: (digest, its events decoded)."""
        chain = self.sim.chain
        txs = [tx for checkpoint in chain.checkpoints for tx in checkpoint.transactions]
        return [(tx.digest, [MODELS[e.event_type.rsplit("::", 1)[1]].from_bcs(e.contents)
                             for e in tx.events])
                for tx in [*txs, *chain.pending]]

    def events_of(self, digest: str) -> list[BcsEvent]:
        return next(events for d, events in self.transactions() if d == digest)

    def with_event(self, kind: type[BcsEvent]) -> list[list[BcsEvent]]:
        return [events for _, events in self.transactions()
                if any(isinstance(e, kind) for e in events)]

    async def outbox(self) -> list[OperationKind]:
        return [op.kind for op in await self.store.run(Ledger.operations)]


async def until(done: Callable[[], bool], what: str = "the expected chain state") -> None:
    await eventually(done, 30, what)


def names(events: list[BcsEvent]) -> list[str]:
    return [type(event).__name__ for event in events]


async def rig_for(nursery: trio.Nursery, store: Store, tmp_path: Path, *,
                  settle: bool = True) -> Rig:
    key = SuiKey.generate()

    def funded(sim: Simnet) -> None:
        sim.fund(key.address, 10 * SUI)

    chain = await served_pipeline(nursery, funded)
    sim, clock, reach = chain.sim, chain.clock, chain.connect

    app = sim.app_instance("app").app_instance
    book = JobBook(store, max_attempts=3, lease_secs=60, address=key.address)
    book.on_chain_event(created(1, ADD_KEY, app_instance=app))
    book.on_chain_event(created(2, OTHER, app_instance=app))
    mine, theirs = book.open_session(ADD_KEY), book.open_session(OTHER)
    assert mine is not None and theirs is not None
    executor = Executor(key, reach, sim.package_id, max_attempts=2,
                        backoff=Backoff(initial=0.01, maximum=0.05))
    settler = Settler(store, book, executor, reach, SettleSettings(batch_ms=20),
                      retry=Backoff(initial=0.05, maximum=0.1, jitter=0))
    if settle:
        await nursery.start(settler.run)
    proofs = ProofStore(EmbeddedBackend(tmp_path / "proofs"), max_object_bytes=1 << 20,
                        expiry_secs=None)
    proof_log = await ProofLog.load(store)
    service = CoordinatorService(book, settler=settler, chain=reach, proofs=proofs,
                                 proof_log=proof_log)
    listen = await nursery.start(serve_tcp, RpcSettings(listen=f"127.0.0.1:{free_port()}"),
                                 service)
    channel = grpc.insecure_channel(f"127.0.0.1:{listen}")
    return Rig(sim, clock, store, book, proofs, proof_log, settler, channel, mine[0].session_id,
               theirs[0].session_id)


@pytest.fixture
async def rig(nursery: trio.Nursery, store: Store, tmp_path: Path) -> AsyncIterator[Rig]:
    made = await rig_for(nursery, store, tmp_path)
    yield made
    made.channel.close()


def sequences_on_chain(rig: Rig, count: int) -> None:
    """Sequence 0, then `count` actions (sequences 1..count), in block 1, a
    second apart."""
    for k in range(count + 1):
        rig.clock[0] += 1000
        rig.sim.move_call("app", block_calls.IncreaseSequence(b"", f"t{k}".encode()))


def proof(rig: Rig, sequences: tuple[int, ...], block: int = 1) -> Any:
    return rig.app.pipeline.proof_calculations[block].proofs.get(sequences)
