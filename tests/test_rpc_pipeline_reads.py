"""The proof pipeline's reading and local calls over TCP (issue 24): grpcio as
the agent, the served simulator as the chain (its state made by the
pipeline's Move functions), a real job book, state database and embedded
proof store. Each call's answers, upstream's refusals in upstream's style,
reads held to the caller's job's app instance, and the settlement-proof
record surviving a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import RpcSettings
from coordinator.domain import AgentKey
from coordinator.instruments import REGISTRY
from coordinator.jobs import JobBook
from coordinator.proof_log import ProofLog
from coordinator.proofs.factory import open_proof_store
from coordinator.proofs.settings import ProofStoreSettings
from coordinator.proofs.store import ProofStore
from coordinator.rpc import CoordinatorService, serve_tcp
from coordinator.simnet import Simnet
from coordinator.simnet.objects import AppMethod
from coordinator.store import Store
from coordinator.sui.calls import block, settlement
from tests.agent_client import agent_call, agent_refused
from tests.e2e_support import free_port
from tests.pipeline_support import (
    BLOCK_GAP_MS,
    CHAIN,
    OTHER_CHAIN,
    T0,
    PipelineChain,
    served_pipeline,
    submit,
)
from tests.support import ADD_KEY, created

OTHER = AgentKey("OtherDev", "OtherAgent", "prove")


@dataclass
class Rig:
    chain: PipelineChain
    book: JobBook
    proofs: ProofStore
    log: ProofLog
    channel: grpc.Channel
    mine: str  # the session running job 1 of `app` (ADD_KEY)
    theirs: str  # the session running job 2 of `app` (OTHER)

    def job(self, job_id: int = 1) -> str:
        return f"{job_id}@{self.chain.app_instance}"

    async def call(self, name: str, request: Any) -> Any:
        return await agent_call(self.channel, name, request)

    async def error(self, name: str, request: Any) -> tuple[grpc.StatusCode, str]:
        error: Any = await agent_refused(self.channel, name, request)
        return error.code(), error.details()

    async def stored(self, text: str) -> str:
        return str(await self.proofs.store(text.encode()))


def _second_instance(sim: Simnet) -> None:
    method = AppMethod(ADD_KEY.developer, ADD_KEY.agent, ADD_KEY.agent_method)
    sim.create_app_instance("app2", methods={"add": method}, settlement_chains={CHAIN: None})


async def rig_for(nursery: trio.Nursery, store: Store, state_dir: Path,
                  chain: PipelineChain) -> Rig:
    book = JobBook(store, max_attempts=3, lease_secs=60, address=None)
    book.on_chain_event(created(1, ADD_KEY, app_instance=chain.app_instance))
    book.on_chain_event(created(2, OTHER, app_instance=chain.app_instance))
    mine, theirs = book.open_session(ADD_KEY), book.open_session(OTHER)
    assert mine is not None and theirs is not None
    proofs = open_proof_store(ProofStoreSettings(), state_dir)
    log = await ProofLog.load(store)
    service = CoordinatorService(book, chain=chain.connect, proofs=proofs, proof_log=log)
    listen = await nursery.start(serve_tcp, RpcSettings(listen=f"127.0.0.1:{free_port()}"),
                                 service)
    channel = grpc.insecure_channel(f"127.0.0.1:{listen}")
    return Rig(chain, book, proofs, log, channel, mine[0].session_id, theirs[0].session_id)


@pytest.fixture
async def rig(nursery: trio.Nursery, store: Store, tmp_path: Path) -> AsyncIterator[Rig]:
    made = await rig_for(nursery, store, tmp_path / "state",
                         await served_pipeline(nursery, _second_instance))
    yield made
    made.channel.close()


async def test_proofs_and_blocks_of_the_callers_app_instance(rig: Rig) -> None:
    chain = rig.chain
    chain.actions(3)  # sequences 0, 1, 2: block 1 will be [1, 2]
    texts = {(1,): "proof of 1", (2,): "proof of 2", (1, 2): "proof of 1 and 2"}
    for sequences, text in texts.items():
        halves = ((1,), (2,)) if len(sequences) == 2 else (None, None)
        chain.call(submit(1, sequences, *halves, da_hash=await rig.stored(text)))

    def get(sequences: list[int], number: int = 1) -> pb.GetProofRequest:
        return pb.GetProofRequest(session_id=rig.mine, job_id=rig.job(), block_number=number,
                                  sequences=sequences)

    for sequences, text in texts.items():
        answer = await rig.call("GetProof", get(list(sequences)))
        assert (answer.success, answer.proof, answer.message) == (
            True, text, "Proof retrieved successfully")
    refusals = [
        (get([2, 1]), "No proof found for sequences [2, 1] in block 1"),  # as sent, not sorted
        (get([3]), "No proof found for sequences [3] in block 1"),
        (get([]), "Sequences are required"),
        (get([1], number=9),
         "No ProofCalculation found for block 9 (may have been deleted after settlement)"),
    ]
    for request, message in refusals:
        answer = await rig.call("GetProof", request)
        assert (answer.success, answer.HasField("proof"), answer.message) == (
            False, False, message)
    block_proof = pb.GetBlockProofRequest(session_id=rig.mine, job_id=rig.job(), block_number=1)
    early = await rig.call("GetBlockProof", block_proof)
    assert (early.success, early.message) == (False, "Block proof not available yet for block 1")
    get_block = pb.GetBlockRequest(session_id=rig.mine, job_id=rig.job(), block_number=1)
    assert (await rig.call("GetBlock", get_block)).message == "Block 1 not found"
    chain.clock[0] += BLOCK_GAP_MS
    chain.call(block.TryCreateBlock())
    answer = await rig.call("GetBlockProof", block_proof)
    assert (answer.success, answer.block_proof) == (True, "proof of 1 and 2")
    answer = await rig.call("GetBlock", get_block)
    assert answer.success and answer.message == "Block 1 retrieved successfully"
    made = answer.block
    assert (made.id, made.name, made.start_sequence, made.end_sequence) == (
        "block_1", "Silvana App Instance Block 1", 1, 2)
    assert made.created_at == T0 + 3000 + BLOCK_GAP_MS and len(made.state_commitment) == 32
    assert not made.HasField("proof_data_availability") and not made.HasField("proved_at")
    # a descriptor this coordinator cannot read (upstream's cache)
    chain.call(submit(2, (3,), da_hash="cache:public:abc"))
    chain.actions(1)
    answer = await rig.call("GetProof", get([3], number=2))
    assert not answer.success and answer.message.startswith("Failed to read proof: ")


async def test_block_settlements_per_chain(rig: Rig) -> None:
    chain = rig.chain
    chain.actions(3)
    chain.prove_block(1, 1, 2)

    def get(chain_name: str, number: int = 1) -> pb.GetBlockSettlementRequest:
        return pb.GetBlockSettlementRequest(session_id=rig.mine, job_id=rig.job(),
                                            block_number=number, chain=chain_name)

    answer = await rig.call("GetBlockSettlement", get(CHAIN))
    assert (answer.success, answer.chain, answer.message) == (
        False, CHAIN, f"Block settlement 1 not found for chain {CHAIN}")
    answer = await rig.call("GetBlockSettlement", get("nowhere"))
    assert (answer.success, answer.chain, answer.message) == (
        False, "nowhere", "Chain nowhere not found in settlements")
    chain.call(block.UpdateBlockStateDataAvailability(1, "s"),
               block.UpdateBlockProofDataAvailability(1, "p"))
    chain.clock[0] += 5
    chain.call(settlement.UpdateBlockSettlementTxHash(OTHER_CHAIN, 1, "0xhash"))
    answer = await rig.call("GetBlockSettlement", get(OTHER_CHAIN))
    assert answer.success and answer.chain == OTHER_CHAIN
    record = answer.block_settlement
    assert (record.block_number, record.settlement_tx_hash, record.sent_to_settlement_at,
            record.settlement_tx_included_in_block, record.HasField("settled_at")) == (
        1, "0xhash", chain.clock[0], False, False)
    refused = await rig.call("GetBlockSettlement", pb.GetBlockSettlementRequest(
        session_id=rig.mine, job_id=rig.job(2), block_number=1, chain=CHAIN))
    assert (refused.success, refused.chain) == (False, CHAIN)
    assert refused.message.startswith("Job does not belong to requesting session")


async def test_sequence_states_and_upstreams_grpc_errors(rig: Rig) -> None:
    chain = rig.chain
    chain.actions(3)
    chain.call(block.UpdateStateForSequence(1, b"state 1", await rig.stored("state one")))

    def get(sequence: int, **fields: Any) -> pb.GetSequenceStatesRequest:
        return pb.GetSequenceStatesRequest(**{"session_id": rig.mine, "job_id": rig.job(),
                                              "sequence": sequence, **fields})

    answer = await rig.call("GetSequenceStates", get(2))
    assert answer.success and answer.message == "Retrieved 2 sequence states for sequence 2"
    assert [s.sequence for s in answer.states] == [1, 2]
    first, second = answer.states
    assert first.state == b"state 1" and first.data_availability.startswith("embedded:local:")
    assert not second.HasField("state") and not second.HasField("data_availability")
    assert second.optimistic_state == b"opt" and second.transition_data == b"trans"
    assert await rig.error("GetSequenceStates", get(9)) == (
        grpc.StatusCode.INTERNAL,
        "Failed to query sequence states: Requested sequence 9 is out of bounds [0, 2]")
    code, message = await rig.error("GetSequenceStates", get(1, job_id=rig.job(7)))
    assert code is grpc.StatusCode.NOT_FOUND and message.startswith("Job not found")
    code, message = await rig.error("GetSequenceStates", get(1, job_id=rig.job(2)))
    assert code is grpc.StatusCode.PERMISSION_DENIED
    assert message.startswith("Job does not belong to requesting session")
    code, message = await rig.error("GetSequenceStates", get(1, session_id="0" * 64))
    assert code is grpc.StatusCode.UNAUTHENTICATED and message.startswith("Invalid session ID")


async def test_read_data_availability_reaches_only_the_callers_app_instance(rig: Rig) -> None:
    chain = rig.chain
    chain.actions(2)
    mine = await rig.stored("my state")
    chain.call(block.UpdateStateForSequence(1, None, mine))
    chain.sim.move_call("app2", block.IncreaseSequence(b"", b""))
    elsewhere = await rig.stored("another app's state")
    chain.sim.move_call("app2", block.UpdateStateForSequence(0, None, elsewhere))
    never_named = await rig.stored("stored, named by no chain object")

    def read(descriptor: str, session: str | None = None) -> pb.ReadDataAvailabilityRequest:
        return pb.ReadDataAvailabilityRequest(da_hash=descriptor,
                                              session_id=session or rig.mine)

    answer = await rig.call("ReadDataAvailability", read(mine))
    assert (answer.success, answer.data, answer.message) == (
        True, "my state", f"Successfully read data for descriptor: {mine}")
    counted = {"method": "ReadDataAvailability", "reason": "data_outside_instance"}
    refused_before = REGISTRY.get_sample_value(
        "silvana_coordinator_agent_calls_refused_total", counted) or 0.0
    for descriptor in (elsewhere, never_named):
        answer = await rig.call("ReadDataAvailability", read(descriptor))
        assert not answer.success and not answer.HasField("data")
        assert answer.message == (f"Failed to read data: {descriptor} is not named by the app "
                                  f"instance of this session's job")
    # Upstream reads any descriptor: these are the trust model's refusals, counted.
    assert REGISTRY.get_sample_value("silvana_coordinator_agent_calls_refused_total",
                                     counted) == refused_before + 2
    answer = await rig.call("ReadDataAvailability", read(""))
    assert (answer.success, answer.message) == (False, "Data availability hash is required")
    answer = await rig.call("ReadDataAvailability", read(mine, "0" * 64))
    assert not answer.success and answer.message.startswith("Invalid session ID")
    rig.book.complete(rig.mine, 1)  # the session runs no job any more
    answer = await rig.call("ReadDataAvailability", read(mine))
    assert not answer.success and "this session runs no job" in answer.message


async def test_settlement_proofs_are_kept_and_survive_a_restart(
        nursery: trio.Nursery, tmp_path: Path) -> None:
    chain = await served_pipeline(nursery)
    state_dir = tmp_path / "state"
    store = await Store.open(state_dir)
    rig = await rig_for(nursery, store, state_dir, chain)

    def submit_proof(proof: str, chain_name: str = CHAIN, **fields: Any
                     ) -> pb.SubmitSettlementProofRequest:
        return pb.SubmitSettlementProofRequest(**{
            "session_id": rig.mine, "job_id": rig.job(), "block_number": 1, "proof": proof,
            "cpu_time": 10, "chain": chain_name, **fields})

    def get(number: int = 1, chain_name: str = CHAIN) -> pb.GetSettlementProofRequest:
        return pb.GetSettlementProofRequest(session_id=rig.mine, job_id=rig.job(),
                                            block_number=number, settlement_chain=chain_name)

    missing = await rig.call("GetSettlementProof", get())
    assert (missing.success, missing.message) == (False, "No settlement proof found for block 1")
    for proof in ("first tx", "second tx"):
        done = await rig.call("SubmitSettlementProof", submit_proof(proof))
        assert (done.success, done.message) == (
            True, f"Settlement proof submitted successfully for chain {CHAIN}")
    await rig.call("SubmitSettlementProof", submit_proof("other chain's tx", OTHER_CHAIN))
    answer = await rig.call("GetSettlementProof", get())
    assert (answer.success, answer.proof, answer.message) == (
        True, "second tx", "Settlement proof retrieved successfully")
    assert (await rig.call("GetSettlementProof", get(chain_name=OTHER_CHAIN))).proof == (
        "other chain's tx")
    assert not (await rig.call("GetSettlementProof", get(number=2))).success
    assert await rig.error("SubmitSettlementProof", submit_proof("x", "nowhere")) == (
        grpc.StatusCode.INVALID_ARGUMENT, "Chain nowhere not found in settlements")
    code, _ = await rig.error("SubmitSettlementProof", submit_proof("x", job_id=rig.job(2)))
    assert code is grpc.StatusCode.PERMISSION_DENIED
    assert rig.log.counts() == {chain.app_instance: {"submitted": 3}}
    [newest, *_] = rig.log.recent(chain.app_instance)
    assert (newest.settlement_chain, newest.job_id, newest.block_number) == (OTHER_CHAIN, 1, 1)
    assert newest.data_availability.startswith("embedded:local:")
    # the settlement proof's descriptor is the caller's app instance's: readable
    answer = await rig.call("ReadDataAvailability", pb.ReadDataAvailabilityRequest(
        session_id=rig.mine, da_hash=newest.data_availability))
    assert (answer.success, answer.data) == (True, "other chain's tx")
    # a restart: a new store, book, log and service on the same state
    rig.channel.close()
    await store.close()
    store = await Store.open(state_dir)
    try:
        rig = await rig_for(nursery, store, state_dir, chain)
        answer = await rig.call("GetSettlementProof", get())
        assert (answer.success, answer.proof) == (True, "second tx")
        assert rig.log.counts() == {chain.app_instance: {"submitted": 3}}
        rig.channel.close()
    finally:
        await store.close()


async def test_proof_events_are_kept_with_upstreams_checks(rig: Rig) -> None:
    def event(**fields: Any) -> pb.ProofEventRequest:
        return pb.ProofEventRequest(**{
            "session_id": rig.mine, "job_id": rig.job(), "block_number": 3,
            "proof_event_type": pb.PROOF_VERIFIED, "sequences": [1, 2],
            "merged_sequences_1": [1], "merged_sequences_2": [2], **fields})

    answer = await rig.call("ProofEvent", event())
    assert (answer.success, answer.message) == (True, "Proof event received and forwarded")
    await rig.call("ProofEvent", event(proof_event_type=pb.PROOF_REJECTED, block_proof=True))
    await rig.call("ProofEvent", event(proof_event_type=pb.PROOF_EVENT_TYPE_UNSPECIFIED))
    app = rig.chain.app_instance
    assert rig.log.counts() == {app: {"verified": 1, "rejected": 1, "submitted": 1}}
    rejected = rig.log.recent(app)[1]
    assert (rejected.kind, rejected.block_proof, rejected.sequences, rejected.merged_sequences2,
            rejected.block_number, rejected.job_id) == ("rejected", True, (1, 2), (2,), 3, 1)
    assert rig.log.recent(app)[2].block_proof is None  # not said
    errors = [
        (event(job_id=""), grpc.StatusCode.INVALID_ARGUMENT, "job_id is required for ProofEvent"),
        (event(session_id=""), grpc.StatusCode.INVALID_ARGUMENT,
         "session_id is required for ProofEvent"),
        (event(job_id=rig.job(7)), grpc.StatusCode.NOT_FOUND, "Job not found"),
        (event(job_id=rig.job(2)), grpc.StatusCode.INVALID_ARGUMENT, "Session ID mismatch"),
        (event(session_id="0" * 64), grpc.StatusCode.INVALID_ARGUMENT, "Session ID mismatch"),
        (event(sequences=[1] * 1001), grpc.StatusCode.INVALID_ARGUMENT,
         "sequences has more than 1000 numbers"),
    ]
    for request, code, start in errors:
        got_code, message = await rig.error("ProofEvent", request)
        assert got_code is code and message.startswith(start), (message, start)
    assert sum(rig.log.counts()[app].values()) == 3  # refusals keep nothing


async def test_reads_need_the_callers_own_running_job(rig: Rig) -> None:
    """Upstream leaves GetBlock and GetBlockSettlement unchecked: here every read
    is of the caller's running job's app instance, refused in upstream's style."""
    theirs = rig.job(2)
    requests: list[tuple[str, Any]] = [
        ("GetProof", pb.GetProofRequest(session_id=rig.mine, job_id=theirs, block_number=1,
                                        sequences=[1])),
        ("GetBlockProof", pb.GetBlockProofRequest(session_id=rig.mine, job_id=theirs,
                                                  block_number=1)),
        ("GetBlock", pb.GetBlockRequest(session_id=rig.mine, job_id=theirs, block_number=0)),
        ("GetSettlementProof", pb.GetSettlementProofRequest(
            session_id=rig.mine, job_id=theirs, block_number=1, settlement_chain=CHAIN)),
    ]
    for name, request in requests:
        answer = await rig.call(name, request)
        assert not answer.success, name
        assert answer.message.startswith("Job does not belong to requesting session"), name
        request.job_id = rig.job(1)
        request.session_id = ""
        answer = await rig.call(name, request)
        assert not answer.success and answer.message.startswith("Invalid session ID"), name
    genesis = await rig.call("GetBlock", pb.GetBlockRequest(session_id=rig.theirs,
                                                            job_id=theirs, block_number=0))
    assert genesis.success and genesis.block.end_sequence == 0
