"""The pipeline's calls as outbox entries: every call reads back as written,
and a batch's transaction puts them in upstream's command order."""

from __future__ import annotations

import pytest

from coordinator.domain import ChainOperation, OperationKind
from coordinator.pipeline_writes import PipelineCall, call_of, pipeline_entry
from coordinator.settlement import batch_calls
from coordinator.sui.calls.app_instance import CreateAppJob
from coordinator.sui.calls.block import (
    Purge,
    TryCreateBlock,
    UpdateBlockProofDataAvailability,
    UpdateBlockStateDataAvailability,
    UpdateStateForSequence,
)
from coordinator.sui.calls.jobs import CompleteJob, Multicall
from coordinator.sui.calls.prover import CreateMergeJob, RejectProof, SubmitProof
from coordinator.sui.calls.settlement import (
    UpdateBlockSettlementTxHash,
    UpdateBlockSettlementTxIncludedInBlock,
)

APP = "0x" + "ab" * 32
PROOF = SubmitProof(3, (1, 2), (1,), (2,), "7@app", "embedded:local:h", 8, "x86_64-linux",
                    16_000_000, 42)
STATE = UpdateStateForSequence(2, b"\x00\xffstate", "embedded:local:s")
MERGE = CreateMergeJob(3, (1, 2), (1,), (2,), "merge [1] with [2]")
SETTLE = CreateAppJob("settle", "Periodic settlement check for test:local", data=bytes(16),
                      interval_ms=60_000, next_scheduled_at=5, settlement_chain="test:local")
CALLS: list[PipelineCall] = [
    PROOF, SubmitProof(1, (4,), None, None, "j", "d", 1, "a", 1, 0), STATE,
    UpdateStateForSequence(2, None, None), MERGE, SETTLE, RejectProof(3, (1,)), TryCreateBlock(),
    UpdateBlockStateDataAvailability(3, "embedded:local:a"),
    UpdateBlockProofDataAvailability(3, "embedded:local:b"),
    UpdateBlockSettlementTxHash("test:local", 3, "h"),
    UpdateBlockSettlementTxIncludedInBlock("test:local", 3, 9), Purge(32),
]


@pytest.mark.parametrize("call", CALLS, ids=lambda call: type(call).__name__)
def test_every_pipeline_call_reads_back_as_written(call: PipelineCall) -> None:
    entry = pipeline_entry(call, APP, 7, 1.5)
    assert (entry.app_instance, entry.job_sequence, entry.created_at) == (APP, 7, 1.5)
    assert entry.kind.batched != entry.kind.pipeline_direct
    assert call_of(entry) == call


def test_a_queued_create_app_job_must_name_its_chain() -> None:
    with pytest.raises(ValueError, match="settle job"):
        pipeline_entry(CreateAppJob("settle"), APP, 0, 0.0)


def test_an_unreadable_entry_is_a_value_error_naming_it() -> None:
    broken = ChainOperation(OperationKind.SUBMIT_PROOF, APP, 1, op_id=12, args='{"x":1}')
    with pytest.raises(ValueError, match="outbox entry 12 \\(submit_proof\\)"):
        call_of(broken)


def test_a_batch_is_job_operations_then_states_proofs_settle_jobs_merges() -> None:
    entries = [pipeline_entry(call, APP, 0, 0.0) for call in (MERGE, PROOF, SETTLE, STATE)]
    complete = ChainOperation(OperationKind.COMPLETE, APP, 7)
    assert batch_calls([*entries, complete]) == [CompleteJob(7), STATE, PROOF, SETTLE, MERGE]
    two = ChainOperation(OperationKind.COMPLETE, APP, 8)
    assert batch_calls([entries[1], complete, two]) == [
        Multicall(complete=(7, 8), fail=(), terminate=(), start=(), available_memory=0), PROOF]
    assert batch_calls(entries[:1]) == [MERGE]
