"""The proof pipeline's queued write calls over TCP (issue 24): SubmitProof and
SubmitState store first and queue in the app instance's batch after its job
operations (tests/pipeline_rig.py: the served simulator, a real book, store,
settler and proof store, grpcio as the agent); the drop rule, a crash before
the send, the loops' queue, a store that cannot write."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import grpc
import pytest
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import SettleSettings
from coordinator.domain import JobState, OperationKind
from coordinator.events import pipeline as ev
from coordinator.hardware import host_hardware
from coordinator.settlement import MAX_REFUSALS_ALONE, Settler
from coordinator.simnet.pipeline_objects import CALCULATED
from coordinator.store import Store
from coordinator.sui.calls import prover as prover_calls
from coordinator.sui.calls.app_instance import CreateAppJob
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
from tests.support import ADD_KEY

__all__ = ["rig"]  # the fixture


# --- SubmitProof and SubmitState: stored, then queued ------------------------------


async def test_submit_proof_and_state_are_stored_then_land_after_the_job_operations(
    nursery: trio.Nursery, store: Store, tmp_path: Path,
) -> None:
    rig = await rig_for(nursery, store, tmp_path, settle=False)  # all in one batch
    sequences_on_chain(rig, 1)
    on_chain = rig.sim.create_job("app", developer=ADD_KEY.developer, agent=ADD_KEY.agent,
                                  method=ADD_KEY.agent_method, app_instance_method="add")
    assert on_chain.job_id == 1
    rig.sim.start_job("app", 1, sender=rig.settler.address)
    submitted = await rig.call("SubmitProof", pb.SubmitProofRequest(
        session_id=rig.mine, job_id=rig.wire(1), block_number=1, sequences=[1],
        proof="proof of 1", cpu_time=1234))
    assert (submitted.success, submitted.message, submitted.tx_hash) == (
        True, "Proof submitted successfully", "")
    assert submitted.da_hash.startswith("embedded:local:")
    assert await rig.proofs.read(submitted.da_hash) == b"proof of 1"
    [event] = rig.proof_log.recent(rig.app.app_instance)  # upstream's ProofEvent(SUBMITTED)
    assert (event.kind, event.job_id, event.sequences, event.data_availability) == (
        "submitted", 1, (1,), submitted.da_hash)
    shown = pb.GetStatusResponse()  # the status's proof_events, as the view shows them
    rig.proof_log.report(shown, 0.0)
    [kept] = shown.proof_events
    assert (kept.app_instance, dict(kept.kinds)) == (rig.app.app_instance, {"submitted": 1})
    assert [(n.kind, n.job_id, list(n.sequences)) for n in kept.recent] == [("submitted", 1, [1])]
    state = await rig.call("SubmitState", pb.SubmitStateRequest(
        session_id=rig.mine, job_id=rig.wire(1), sequence=1, serialized_state="state 1",
        new_state_data=b"\x01\x02"))
    assert (state.success, state.message, state.tx_hash) == (
        True, "State submitted successfully", "")
    assert await rig.proofs.read(state.da_hash) == b"state 1"
    done = await rig.call("CompleteJob", pb.CompleteJobRequest(
        session_id=rig.mine, job_id=rig.wire(1)))
    assert done.success
    await nursery.start(rig.settler.run)

    await until(lambda: proof(rig, (1,)) is not None
                     and rig.app.pipeline.manager.states[1].data_availability is not None)
    landed = proof(rig, (1,))
    hardware = host_hardware()
    assert (landed.status, landed.da_hash, landed.job_id) == (
        CALCULATED, submitted.da_hash, rig.wire(1))
    assert rig.app.pipeline.manager.states[1].data_availability == state.da_hash
    assert rig.app.pipeline.manager.states[1].state == b"\x01\x02"
    [events] = rig.with_event(ev.ProofSubmittedEvent)
    # One transaction, upstream's command order: the job operations, states, proofs.
    assert names(events) == ["JobCompletedEvent", "JobDeletedEvent",
                             "SequenceStateUpdatedEvent", "ProofSubmittedEvent"]
    submitted_event = next(e for e in events if isinstance(e, ev.ProofSubmittedEvent))
    assert submitted_event.da_hash == submitted.da_hash
    assert (submitted_event.cpu_cores, submitted_event.prover_architecture,
            submitted_event.prover_memory, submitted_event.cpu_time) == (
        hardware.cpu_cores, hardware.architecture, hardware.memory_kb, 1234)
    assert 1 <= hardware.cpu_cores <= 255
    await until(lambda: not rig.settler.outbox)
    assert 1 not in rig.app.jobs
    rig.channel.close()


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
    nursery: trio.Nursery, store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    rig = await rig_for(nursery, store, tmp_path, settle=False)  # both in one batch
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
    await nursery.start(rig.settler.run)

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
    status = pb.GetStatusResponse()
    rig.settler.report(status, 0.0)
    assert status.settlement.pipeline_calls_dropped == 1
    after = await rig.refused("SubmitProof", pb.SubmitProofRequest(
        session_id=rig.mine, job_id=rig.wire(1), block_number=1, sequences=[1], proof="p"))
    assert after.code() is grpc.StatusCode.NOT_FOUND
    rig.channel.close()


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


async def test_loops_queue_merge_and_settle_jobs_the_latest_replacing_a_waiting_one(
    nursery: trio.Nursery, store: Store, tmp_path: Path,
) -> None:
    """The plumbing the coordinator's loops use: `Settler.queue` with job 0."""
    rig = await rig_for(nursery, store, tmp_path, settle=False)
    app = rig.app.app_instance
    sequences_on_chain(rig, 2)
    for k in (1, 2):
        rig.sim.move_call("app", prover_calls.SubmitProof(
            1, (k,), None, None, "j", f"embedded:local:{k}", 1, "x86_64-linux", 1, 1))
    merge = prover_calls.CreateMergeJob(1, (1, 2), (1,), (2,), "first")
    settle = CreateAppJob("settle", "Periodic settlement check", data=bytes(16),
                          interval_ms=60_000, next_scheduled_at=T0, settlement_chain=CHAIN)
    for call in (merge, replace(merge, job_description="second"), settle, settle):
        await rig.settler.queue(call, app)
    assert await rig.outbox() == [OperationKind.CREATE_MERGE_JOB,
                                  OperationKind.CREATE_SETTLE_JOB]
    await nursery.start(rig.settler.run)
    await until(lambda: bool(rig.with_event(ev.ProofStartedEvent)), "the batch sent")
    [events] = rig.with_event(ev.ProofStartedEvent)
    created_jobs = {job.app_instance_method: job for job in rig.app.jobs.values()}
    assert created_jobs["merge"].description == "second"
    assert rig.app.pipeline.settlements[CHAIN].settlement_job == \
        created_jobs["settle"].job_id
    # Upstream's command order in the one transaction: the settle job, then the merge.
    order = names(events)
    assert order.index("JobCreatedEvent") < order.index("ProofReservedEvent")
    rig.channel.close()


async def test_a_store_that_cannot_write_is_answered_in_each_calls_style(rig: Rig) -> None:
    """Nothing goes to the chain without its data stored first."""
    root = rig.proofs.writer.root
    assert not root.exists()
    root.write_text("a file where the store's directory should be")
    proof_error = await rig.refused("SubmitProof", pb.SubmitProofRequest(
        session_id=rig.mine, job_id=rig.wire(1), block_number=1, sequences=[1], proof="p"))
    assert proof_error.code() is grpc.StatusCode.INTERNAL
    assert proof_error.details().startswith("Failed to save proof to storage: proof store: ")
    state_error = await rig.refused("SubmitState", pb.SubmitStateRequest(
        session_id=rig.mine, job_id=rig.wire(1), sequence=1, serialized_state="s"))
    assert state_error.code() is grpc.StatusCode.INTERNAL
    assert state_error.details().startswith("Failed to save state to data availability layer")
    block = await rig.call("UpdateBlockProofDataAvailability",
                           pb.UpdateBlockProofDataAvailabilityRequest(
                               session_id=rig.mine, job_id=rig.wire(1), block_number=0,
                               proof_data_availability="p"))
    assert not block.success
    assert block.message.startswith("Failed to save proof to data availability layer: ")
    assert await rig.outbox() == []
    assert rig.app.pipeline.blocks[0].proof_data_availability is None
