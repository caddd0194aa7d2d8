"""The proof pipeline's write calls over TCP (issue 24): grpcio as the agent,
the served simulator as the chain, a real job book, store, settler and
embedded proof store. SubmitProof and SubmitState store first and queue in
the app instance's batch after its job operations; RejectProof, TryCreateBlock
and the UpdateBlock* calls go alone and answer the chain's outcome; every
refusal keeps upstream's style and leaves the chain and the outbox as they were.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.backoff import Backoff
from coordinator.config import RpcSettings, SettleSettings
from coordinator.domain import AgentKey, JobState, OperationKind
from coordinator.events import pipeline as ev
from coordinator.events.layouts import LAYOUT_EVENTS, SHARED_EVENTS
from coordinator.events.models import BcsEvent
from coordinator.hardware import host_hardware
from coordinator.jobs import JobBook
from coordinator.proofs.embedded import EmbeddedBackend
from coordinator.proofs.store import ProofStore
from coordinator.rpc import CoordinatorService, serve_tcp
from coordinator.settlement import MAX_REFUSALS_ALONE, Settler
from coordinator.simnet import Simnet, serve
from coordinator.simnet.objects import AppMethod
from coordinator.simnet.pipeline_objects import CALCULATED, REJECTED
from coordinator.store import Ledger, Store
from coordinator.sui.calls import block as block_calls
from coordinator.sui.calls import prover as prover_calls
from coordinator.sui.client import connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.executor import Executor
from coordinator.sui.keys import SuiKey
from tests.e2e_support import free_port
from tests.support import ADD_KEY, SUI, created, eventually

OTHER = AgentKey("OtherDev", "OtherAgent", "prove")
SERVICE = "/silvana.coordinator.v1.CoordinatorService/"
CHAIN = "test:local"
T0 = 1_764_000_000_000
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
        response = getattr(pb, name + "Response")
        method = self.channel.unary_unary(SERVICE + name,
                                          request_serializer=lambda m: m.SerializeToString(),
                                          response_deserializer=response.FromString)
        return await trio.to_thread.run_sync(lambda: method(request, timeout=30))

    async def refused(self, name: str, request: Any) -> grpc.RpcError:
        with pytest.raises(grpc.RpcError) as info:
            await self.call(name, request)
        return info.value

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
    clock = [T0]
    sim = Simnet(checkpoint_interval_secs=0, layout="2025-11", clock_ms=lambda: clock[0])
    method = AppMethod(ADD_KEY.developer, ADD_KEY.agent, ADD_KEY.agent_method, "adds")
    sim.create_app_instance("app", methods={"add": method, "merge": method, "settle": method},
                            settlement_chains={CHAIN: None})
    key = SuiKey.generate()
    sim.fund(key.address, 10 * SUI)
    sim.seal()
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    endpoint = Endpoint("http", host="127.0.0.1", port=int(target.rsplit(":", 1)[1]))

    def reach() -> Any:
        return connect(endpoint, timeout=2)

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
    service = CoordinatorService(book, settler=settler, chain=reach, proofs=proofs)
    listen = await nursery.start(serve_tcp, RpcSettings(listen=f"127.0.0.1:{free_port()}"),
                                 service)
    channel = grpc.insecure_channel(f"127.0.0.1:{listen}")
    return Rig(sim, clock, store, book, proofs, settler, channel, mine[0].session_id,
               theirs[0].session_id)


@pytest.fixture
async def rig(nursery: trio.Nursery, store: Store, tmp_path: Path) -> AsyncIterator[Rig]:
    made = await rig_for(nursery, store, tmp_path)
    yield made
    made.channel.close()


def sequences_on_chain(rig: Rig, count: int) -> None:
    """Sequence 0, then `count` actions (sequences 1..count), in block 1."""
    for k in range(count + 1):
        rig.sim.move_call("app", block_calls.IncreaseSequence(b"", f"t{k}".encode()))


def proof(rig: Rig, sequences: tuple[int, ...], block: int = 1) -> Any:
    return rig.app.pipeline.proof_calculations[block].proofs.get(sequences)


# --- SubmitProof and SubmitState: stored, then queued ------------------------------


async def test_submit_proof_and_state_are_stored_then_land_after_the_job_operations(
    rig: Rig,
) -> None:
    sequences_on_chain(rig, 1)
    submitted = await rig.call("SubmitProof", pb.SubmitProofRequest(
        session_id=rig.mine, job_id=rig.wire(1), block_number=1, sequences=[1],
        proof="proof of 1", cpu_time=1234))
    assert (submitted.success, submitted.message, submitted.tx_hash) == (
        True, "Proof submitted successfully", "")
    assert submitted.da_hash.startswith("embedded:local:")
    assert await rig.proofs.read(submitted.da_hash) == b"proof of 1"
    state = await rig.call("SubmitState", pb.SubmitStateRequest(
        session_id=rig.mine, job_id=rig.wire(1), sequence=1, serialized_state="state 1",
        new_state_data=b"\x01\x02"))
    assert (state.success, state.message, state.tx_hash) == (
        True, "State submitted successfully", "")
    assert await rig.proofs.read(state.da_hash) == b"state 1"
    done = await rig.call("CompleteJob", pb.CompleteJobRequest(
        session_id=rig.mine, job_id=rig.wire(1)))
    assert done.success

    await until(lambda: proof(rig, (1,)) is not None
                     and rig.app.pipeline.manager.states[1].data_availability is not None)
    landed = proof(rig, (1,))
    hardware = host_hardware()
    assert (landed.status, landed.da_hash, landed.job_id) == (
        CALCULATED, submitted.da_hash, rig.wire(1))
    assert rig.app.pipeline.manager.states[1].data_availability == state.da_hash
    assert rig.app.pipeline.manager.states[1].state == b"\x01\x02"
    [events] = rig.with_event(ev.ProofSubmittedEvent)
    order = [n for n in names(events) if n != "JobDeletedEvent"]
    # Upstream's command order: the job operations' multicall, states, proofs.
    assert order.index("MulticallExecutedEvent") < order.index("SequenceStateUpdatedEvent") \
        < order.index("ProofSubmittedEvent")
    submitted_event = next(e for e in events if isinstance(e, ev.ProofSubmittedEvent))
    assert submitted_event.da_hash == submitted.da_hash
    assert (submitted_event.cpu_cores, submitted_event.prover_architecture,
            submitted_event.prover_memory, submitted_event.cpu_time) == (
        hardware.cpu_cores, hardware.architecture, hardware.memory_kb, 1234)
    assert 1 <= hardware.cpu_cores <= 255
    await until(lambda: not rig.settler.outbox)


async def test_a_state_without_serialized_state_has_no_descriptor(rig: Rig) -> None:
    sequences_on_chain(rig, 1)
    answer = await rig.call("SubmitState", pb.SubmitStateRequest(
        session_id=rig.mine, job_id=rig.wire(1), sequence=1, new_state_data=b"raw"))
    assert answer.success and not answer.HasField("da_hash")
    await until(lambda: rig.app.pipeline.manager.states[1].state == b"raw")
    assert rig.app.pipeline.manager.states[1].data_availability is None


@pytest.mark.parametrize(("name", "make"), [
    ("SubmitProof", lambda job, session: pb.SubmitProofRequest(
        session_id=session, job_id=job, block_number=1, sequences=[1], proof="p")),
    ("SubmitState", lambda job, session: pb.SubmitStateRequest(
        session_id=session, job_id=job, sequence=1, serialized_state="s")),
    ("RejectProof", lambda job, session: pb.RejectProofRequest(
        session_id=session, job_id=job, block_number=1, sequences=[1])),
])
async def test_an_unknown_session_or_job_is_upstreams_grpc_error(
    rig: Rig, name: str, make: Callable[[str, str], Any],
) -> None:
    before = rig.app.object_version
    unknown = await rig.refused(name, make(rig.wire(99), rig.mine))
    assert unknown.code() is grpc.StatusCode.NOT_FOUND
    assert unknown.details().startswith("Job not found")
    theirs = await rig.refused(name, make(rig.wire(2), rig.mine))
    assert theirs.code() is grpc.StatusCode.PERMISSION_DENIED
    assert theirs.details().startswith("Job does not belong to requesting session")
    nobody = await rig.refused(name, make(rig.wire(1), ""))
    assert nobody.code() is grpc.StatusCode.UNAUTHENTICATED
    assert nobody.details().startswith("Invalid session ID")
    stranger = "0x" + "ab" * 32
    faked = await rig.refused(name, make(rig.wire(1), stranger))
    assert faked.code() is grpc.StatusCode.UNAUTHENTICATED
    assert await rig.outbox() == []
    assert rig.app.object_version == before
    assert list(rig.proofs.writer.entries()) == []  # nothing stored either


async def test_sequence_lists_are_checked_as_upstream_and_nothing_is_queued(rig: Rig) -> None:
    def submit(**fields: Any) -> Any:
        return pb.SubmitProofRequest(session_id=rig.mine, job_id=rig.wire(1), block_number=1,
                                     proof="p", **fields)

    for request, words in [(submit(sequences=[2, 1]), "Sequences must be sorted"),
                           (submit(sequences=[1, 2], merged_sequences_1=[2, 1]),
                            "Merged sequences 1 must be sorted"),
                           (submit(sequences=[1, 2], merged_sequences_2=[3, 2]),
                            "Merged sequences 2 must be sorted"),
                           (submit(sequences=[]), "sequences must not be empty")]:
        error = await rig.refused("SubmitProof", request)
        assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert error.details() == words
    assert await rig.outbox() == []


# --- the drop rule and the split ----------------------------------------------------


async def test_a_proof_the_chain_always_refuses_is_dropped_and_its_job_failed(
    rig: Rig, caplog: pytest.LogCaptureFixture,
) -> None:
    sequences_on_chain(rig, 2)
    caplog.set_level(logging.INFO, "coordinator.settlement")
    # A merge of two sub-proofs that do not exist: submit_proof aborts, always.
    bad = await rig.call("SubmitProof", pb.SubmitProofRequest(
        session_id=rig.mine, job_id=rig.wire(1), block_number=1, sequences=[1, 2],
        merged_sequences_1=[1], merged_sequences_2=[2], proof="merged"))
    assert bad.success  # queued: upstream answers before the chain
    good = await rig.call("SubmitState", pb.SubmitStateRequest(
        session_id=rig.theirs, job_id=rig.wire(2), sequence=2, serialized_state="s2"))
    assert good.success

    # The batch of both is refused, split; the state lands alone.
    await until(lambda: rig.app.pipeline.manager.states[2].data_availability
                     == good.da_hash)
    # The proof, refused alone MAX_REFUSALS_ALONE times, leaves the outbox and
    # the job that asked for it is failed.
    job = next(j for ref, j in rig.book.jobs.items() if ref.job_id == 1)
    await until(lambda: job.state is not JobState.RUNNING, "the job failed")
    await until(lambda: OperationKind.SUBMIT_PROOF not in
                     [op.kind for op in rig.settler.outbox])
    assert proof(rig, (1, 2)) is None
    dropped = [r.getMessage() for r in caplog.records
               if f"refused by the chain {MAX_REFUSALS_ALONE} times alone" in r.getMessage()]
    assert dropped and "submit_proof" in dropped[0]
    assert any("trying batches of 1" in r.getMessage() for r in caplog.records)
    assert "submit_proof refused by the chain" in job.last_error
    after = await rig.refused("SubmitProof", pb.SubmitProofRequest(
        session_id=rig.mine, job_id=rig.wire(1), block_number=1, sequences=[1], proof="p"))
    assert after.code() is grpc.StatusCode.NOT_FOUND


# --- a crash between the store and the chain write -----------------------------------


async def test_a_queued_proof_survives_a_crash_before_it_was_sent(
    nursery: trio.Nursery, tmp_path: Path,
) -> None:
    first = await Store.open(tmp_path / "state")
    rig = await rig_for(nursery, first, tmp_path, settle=False)  # the settler never ran
    sequences_on_chain(rig, 1)
    answer = await rig.call("SubmitProof", pb.SubmitProofRequest(
        session_id=rig.mine, job_id=rig.wire(1), block_number=1, sequences=[1],
        proof="kept"))
    assert answer.success
    assert await rig.outbox() == [OperationKind.SUBMIT_PROOF]
    rig.channel.close()
    await first.close()  # the process is gone; its proof store and outbox stay

    again = await Store.open(tmp_path / "state")
    try:
        settler = Settler(again, rig.book, rig.settler.executor, rig.settler.connect,
                          SettleSettings(batch_ms=20))
        await nursery.start(settler.run)
        await until(lambda: proof(rig, (1,)) is not None)
        assert proof(rig, (1,)).da_hash == answer.da_hash
        assert await rig.proofs.read(answer.da_hash) == b"kept"
        await until(lambda: not settler.outbox)
    finally:
        await again.close()


# --- direct calls: alone, answered with the chain's outcome --------------------------


async def test_reject_proof_marks_the_proof_rejected_or_is_internal(rig: Rig) -> None:
    sequences_on_chain(rig, 1)
    rig.sim.move_call("app", prover_calls.SubmitProof(
        1, (1,), None, None, "j", "embedded:local:x", 1, "x86_64-linux", 1, 1))
    answer = await rig.call("RejectProof", pb.RejectProofRequest(
        session_id=rig.mine, job_id=rig.wire(1), block_number=1, sequences=[1]))
    assert (answer.success, answer.message) == (True, "Proof rejected successfully")
    assert proof(rig, (1,)).status == REJECTED
    assert names(rig.events_of(answer.tx_hash)) == ["ProofRejectedEvent"]
    missing = await rig.refused("RejectProof", pb.RejectProofRequest(
        session_id=rig.mine, job_id=rig.wire(1), block_number=1, sequences=[7]))
    assert missing.code() is grpc.StatusCode.INTERNAL
    assert missing.details().startswith("Failed to reject proof transaction: ")
    assert await rig.outbox() == []


async def test_try_create_block_creates_the_block_once_due(rig: Rig) -> None:
    sequences_on_chain(rig, 2)
    early = await rig.call("TryCreateBlock", pb.TryCreateBlockRequest(
        session_id=rig.mine, job_id=rig.wire(1)))
    # As upstream: success even when no block was made, block_number unset.
    assert (early.success, early.message) == (True, "Block creation attempted successfully")
    assert not early.HasField("block_number")
    assert names(rig.events_of(early.tx_hash)) == ["InsufficientTimeForBlockEvent"]
    rig.clock[0] += 60_001
    made = await rig.call("TryCreateBlock", pb.TryCreateBlockRequest(
        session_id=rig.mine, job_id=rig.wire(1)))
    assert made.success
    assert "BlockCreatedEvent" in names(rig.events_of(made.tx_hash))
    assert rig.app.pipeline.blocks[1].end_sequence == 2


@pytest.mark.parametrize(("name", "make"), [
    ("TryCreateBlock", lambda job, session: pb.TryCreateBlockRequest(
        session_id=session, job_id=job)),
    ("UpdateBlockStateDataAvailability", lambda job, session:
        pb.UpdateBlockStateDataAvailabilityRequest(
            session_id=session, job_id=job, block_number=0, state_data_availability="s")),
    ("UpdateBlockProofDataAvailability", lambda job, session:
        pb.UpdateBlockProofDataAvailabilityRequest(
            session_id=session, job_id=job, block_number=0, proof_data_availability="p")),
    ("UpdateBlockSettlementTxHash", lambda job, session: pb.UpdateBlockSettlementTxHashRequest(
        session_id=session, job_id=job, block_number=0, settlement_tx_hash="h", chain=CHAIN)),
    ("UpdateBlockSettlementTxIncludedInBlock", lambda job, session:
        pb.UpdateBlockSettlementTxIncludedInBlockRequest(
            session_id=session, job_id=job, block_number=1, settled_at=5, chain=CHAIN)),
    ("UpdateBlockSettlement", lambda job, session: pb.UpdateBlockSettlementRequest(
        session_id=session, job_id=job, block_number=1, chain=CHAIN)),
])
async def test_the_unchecked_calls_of_upstream_act_only_for_the_callers_job(
    rig: Rig, name: str, make: Callable[[str, str], Any],
) -> None:
    """Upstream checks only that the job exists; here the job must be the caller's."""
    before = rig.app.object_version
    for job, session, words in [(rig.wire(2), rig.mine, "Job does not belong"),
                                (rig.wire(99), rig.mine, "Job not found"),
                                (rig.wire(1), "", "Invalid session ID")]:
        answer = await rig.call(name, make(job, session))
        assert not answer.success, (name, job)
        assert answer.message.startswith(words), answer.message
    assert rig.app.object_version == before
    assert await rig.outbox() == []


async def test_block_data_availability_stores_the_data_and_writes_its_descriptor(
    rig: Rig,
) -> None:
    state = await rig.call("UpdateBlockStateDataAvailability",
                           pb.UpdateBlockStateDataAvailabilityRequest(
                               session_id=rig.mine, job_id=rig.wire(1), block_number=0,
                               state_data_availability="the state of block 0"))
    assert state.success, state.message
    block = rig.app.pipeline.blocks[0]
    descriptor = block.state_data_availability
    assert state.message == f"Block state DA updated successfully with descriptor: {descriptor}"
    assert await rig.proofs.read(descriptor) == b"the state of block 0"
    proof_answer = await rig.call("UpdateBlockProofDataAvailability",
                                  pb.UpdateBlockProofDataAvailabilityRequest(
                                      session_id=rig.mine, job_id=rig.wire(1), block_number=0,
                                      proof_data_availability="the proof of block 0"))
    assert proof_answer.success
    assert await rig.proofs.read(block.proof_data_availability) == b"the proof of block 0"
    [event] = rig.events_of(proof_answer.tx_hash)
    assert isinstance(event, ev.DataAvailabilityEvent)
    assert (event.state_data_availability, event.proof_data_availability) == (
        descriptor, block.proof_data_availability)
    missing = await rig.call("UpdateBlockProofDataAvailability",
                             pb.UpdateBlockProofDataAvailabilityRequest(
                                 session_id=rig.mine, job_id=rig.wire(1), block_number=5,
                                 proof_data_availability="p"))
    assert not missing.success
    assert missing.message.startswith("Failed to update block proof DA: ")
    assert await rig.outbox() == []


async def test_settlement_of_a_block_recorded_and_refused_as_the_chain_says(rig: Rig) -> None:
    # Block 1 with its proof, created; then the settle agent's calls.
    sequences_on_chain(rig, 1)
    rig.sim.move_call("app", prover_calls.SubmitProof(
        1, (1,), None, None, "j", "embedded:local:x", 1, "x86_64-linux", 1, 1))
    rig.clock[0] += 60_001
    rig.sim.move_call("app", block_calls.TryCreateBlock())
    job = rig.wire(1)
    early = await rig.call("UpdateBlockSettlementTxHash", pb.UpdateBlockSettlementTxHashRequest(
        session_id=rig.mine, job_id=job, block_number=1, settlement_tx_hash="h", chain=CHAIN))
    assert not early.success  # not proved: no state and proof descriptors yet
    assert early.message.startswith("Failed to update block settlement tx hash: ")
    for name, data_request in [
        ("UpdateBlockStateDataAvailability", pb.UpdateBlockStateDataAvailabilityRequest(
            session_id=rig.mine, job_id=job, block_number=1, state_data_availability="s1")),
        ("UpdateBlockProofDataAvailability", pb.UpdateBlockProofDataAvailabilityRequest(
            session_id=rig.mine, job_id=job, block_number=1, proof_data_availability="p1")),
    ]:
        assert (await rig.call(name, data_request)).success
    sent = await rig.call("UpdateBlockSettlementTxHash", pb.UpdateBlockSettlementTxHashRequest(
        session_id=rig.mine, job_id=job, block_number=1, settlement_tx_hash="h", chain=CHAIN))
    assert (sent.success, sent.message) == (True, "Block settlement tx hash updated successfully")
    [event] = rig.events_of(sent.tx_hash)
    assert isinstance(event, ev.BlockSettlementTransactionEvent)
    assert (event.chain, event.block_number, event.settlement_tx_hash,
            event.settlement_tx_included_in_block) == (CHAIN, 1, "h", False)
    unknown = await rig.call("UpdateBlockSettlementTxHash",
                             pb.UpdateBlockSettlementTxHashRequest(
                                 session_id=rig.mine, job_id=job, block_number=1,
                                 settlement_tx_hash="h", chain="nope:chain"))
    assert not unknown.success
    included = await rig.call("UpdateBlockSettlementTxIncludedInBlock",
                              pb.UpdateBlockSettlementTxIncludedInBlockRequest(
                                  session_id=rig.mine, job_id=job, block_number=1,
                                  settled_at=T0 + 5, chain=CHAIN))
    assert (included.success, included.message) == (
        True, "Block settlement included in block updated successfully")
    assert "BlockSettledEvent" in names(rig.events_of(included.tx_hash))
    assert rig.app.pipeline.settlements[CHAIN].last_settled_block_number == 1
    again = await rig.call("UpdateBlockSettlementTxIncludedInBlock",
                           pb.UpdateBlockSettlementTxIncludedInBlockRequest(
                               session_id=rig.mine, job_id=job, block_number=1,
                               settled_at=T0 + 6, chain=CHAIN))
    assert not again.success  # blocks settle in order: 2 is next
    assert again.message.startswith("Failed to update block settlement included in block: ")
    stub = await rig.call("UpdateBlockSettlement", pb.UpdateBlockSettlementRequest(
        session_id=rig.mine, job_id=job, block_number=1, chain=CHAIN))
    assert (stub.success, stub.message, stub.tx_hash) == (
        True, f"Block settlement update for block 1 on chain {CHAIN} acknowledged", "")
