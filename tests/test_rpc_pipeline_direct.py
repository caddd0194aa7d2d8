"""The proof pipeline's direct write calls over TCP (issue 24): RejectProof,
TryCreateBlock and the UpdateBlock* calls go alone through the outbox and
answer the chain's outcome in upstream's words; upstream's unchecked calls act
only for the caller's job here; a direct call left by an earlier run is not
sent again (tests/pipeline_rig.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.events import pipeline as ev
from coordinator.pipeline_writes import pipeline_entry
from coordinator.simnet.pipeline_objects import REJECTED
from coordinator.store import Store
from coordinator.sui.calls import block as block_calls
from coordinator.sui.calls import prover as prover_calls
from tests.pipeline_rig import (
    Rig,
    names,
    proof,
    rig,
    rig_for,
    sequences_on_chain,
    until,
)
from tests.pipeline_support import CHAIN, T0

__all__ = ["rig"]  # the fixture


# --- direct calls: alone, answered with the chain's outcome --------------------------


async def test_reject_proof_marks_the_proof_rejected_or_is_internal(rig: Rig) -> None:
    sequences_on_chain(rig, 1)
    rig.sim.move_call("app", prover_calls.SubmitProof(
        1, (1,), None, None, "j", "embedded:local:x", 1, "x86_64-linux", 1, 1))
    answer = await rig.call("RejectProof", pb.RejectProofRequest(
        session_id=rig.mine, job_id=rig.wire(1), block_number=1, sequences=[1]))
    assert (answer.success, answer.message) == (True, "Proof rejected successfully")
    assert proof(rig, (1,)).status == REJECTED
    assert [e.kind for e in rig.proof_log.recent(rig.app.app_instance)] == ["rejected"]
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


async def test_a_direct_call_left_by_an_earlier_run_is_not_sent_again(
    nursery: trio.Nursery, store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    """Its caller is gone, and a repeat could undo what landed since (a state
    descriptor wipes the proof descriptor)."""
    rig = await rig_for(nursery, store, tmp_path, settle=False)
    caplog.set_level(logging.INFO, "coordinator.settlement")
    left = pipeline_entry(block_calls.UpdateBlockStateDataAvailability(0, "embedded:local:x"),
                          rig.app.app_instance, 1, 0.0)
    await store.run(lambda ledger: ledger.add_operations([left]))
    before = rig.app.object_version
    await nursery.start(rig.settler.run)
    await until(lambda: any("not sent again" in r.getMessage() for r in caplog.records),
                "the left-over write let go")
    assert await rig.outbox() == []
    assert rig.app.object_version == before
    assert rig.app.pipeline.blocks[0].state_data_availability is None
    rig.channel.close()

