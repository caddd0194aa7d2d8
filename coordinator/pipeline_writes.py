"""The proof pipeline's Move calls as outbox entries.

Every pipeline call the coordinator sends (for an agent's SubmitProof,
SubmitState, RejectProof, TryCreateBlock, UpdateBlock*, or for its own loops:
merge jobs, settle jobs, purge) is written to the outbox before it is sent, its
arguments as JSON in `args`, so a crash between the request and the chain
loses nothing. Two ways out (`OperationKind`):

- batched (`submit_proof`, `update_state_for_sequence`, `create_merge_job`, a
  settle job's `create_app_job`): in the app instance's next transaction after
  its job operations, in upstream's command order; nobody waits for them;
- direct (`reject_proof`, `try_create_block`, the four block updates, `purge`):
  each alone in a transaction, answered to whoever waits, sent at most once.

`pipeline_entry` makes the entry, `call_of` reads it back; `job_sequence` is
the job of the agent that asked (0: the coordinator's own loops).
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any

from coordinator.domain import ChainOperation, OperationKind
from coordinator.sui.calls.app_instance import CreateAppJob
from coordinator.sui.calls.block import (
    Purge,
    TryCreateBlock,
    UpdateBlockProofDataAvailability,
    UpdateBlockStateDataAvailability,
    UpdateStateForSequence,
)
from coordinator.sui.calls.prover import CreateMergeJob, RejectProof, SubmitProof
from coordinator.sui.calls.settlement import (
    UpdateBlockSettlementTxHash,
    UpdateBlockSettlementTxIncludedInBlock,
)

__all__ = ["BatchedCall", "DirectCall", "PipelineCall", "call_of", "pipeline_entry"]

BatchedCall = UpdateStateForSequence | SubmitProof | CreateAppJob | CreateMergeJob
DirectCall = (
    RejectProof | TryCreateBlock | UpdateBlockStateDataAvailability
    | UpdateBlockProofDataAvailability | UpdateBlockSettlementTxHash
    | UpdateBlockSettlementTxIncludedInBlock | Purge
)  # fmt: skip
PipelineCall = BatchedCall | DirectCall

_KINDS: dict[type[Any], OperationKind] = {
    UpdateStateForSequence: OperationKind.UPDATE_STATE,
    SubmitProof: OperationKind.SUBMIT_PROOF,
    CreateAppJob: OperationKind.CREATE_SETTLE_JOB,
    CreateMergeJob: OperationKind.CREATE_MERGE_JOB,
    RejectProof: OperationKind.REJECT_PROOF,
    TryCreateBlock: OperationKind.TRY_CREATE_BLOCK,
    UpdateBlockStateDataAvailability: OperationKind.BLOCK_STATE_DA,
    UpdateBlockProofDataAvailability: OperationKind.BLOCK_PROOF_DA,
    UpdateBlockSettlementTxHash: OperationKind.SETTLEMENT_TX_HASH,
    UpdateBlockSettlementTxIncludedInBlock: OperationKind.SETTLEMENT_INCLUDED,
    Purge: OperationKind.PURGE,
}
_TYPES = {kind: cls for cls, kind in _KINDS.items()}


def _to_json(value: object) -> object:
    # bytes (a state, a job's data) as {"hex": ...}; tuples become lists.
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    return value


def _from_json(value: object) -> object:
    if isinstance(value, dict):
        return bytes.fromhex(str(value["hex"]))
    if isinstance(value, list):
        return tuple(value)
    return value


def pipeline_entry(call: PipelineCall, app_instance: str, job_sequence: int,
                   now: float) -> ChainOperation:
    """The outbox entry of `call` on `app_instance`, asked by the agent running
    `job_sequence` (0: by the coordinator itself). A `CreateAppJob` here is a
    settle job: it must name its settlement chain."""
    if isinstance(call, CreateAppJob) and call.settlement_chain is None:
        raise ValueError("a queued create_app_job is a settle job: it names its chain")
    args = {name: _to_json(value) for name, value in asdict(call).items()}
    return ChainOperation(_KINDS[type(call)], app_instance, job_sequence, created_at=now,
                          args=json.dumps(args, separators=(",", ":")))


def call_of(op: ChainOperation) -> PipelineCall:
    """The Move call of a pipeline entry; ValueError for a row that is not one."""
    cls = _TYPES.get(op.kind)
    if cls is None:
        raise ValueError(f"{op.kind.value} is not a pipeline call")
    try:
        args = json.loads(op.args)
        values = {f.name: _from_json(args[f.name]) for f in fields(cls)}
        call: PipelineCall = cls(**values)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"outbox entry {op.op_id} ({op.kind.value}) has unreadable "
                         f"arguments: {exc}") from None
    return call
