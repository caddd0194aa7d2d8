"""The demo agent's `pipeline` mode: an add-like app's agent, as upstream's
example agent drives the proof pipeline, with opaque proofs (strings anyone
can check) instead of real ones. One job, by its app instance method:

  merge   GetProof of both halves, SubmitProof of the merged proof
          `merge(<left>|<right>)` with the two halves named, CompleteJob
  settle  GetAppInstance for the chain's last settled block; for each proved
          block after it: GetBlockProof, UpdateBlockStateDataAvailability
          (`state<b>`), UpdateBlockProofDataAvailability (the block proof),
          SubmitSettlementProof (`settle<b>`), UpdateBlockSettlementTxHash
          (`tx<b>`), UpdateBlockSettlementTxIncludedInBlock (now); CompleteJob
  other   (an action) SubmitProof `p<k>` of its sequence k, SubmitState
          `s<k>`, CompleteJob

A refused call fails the job (FailJob with the refusal); one line per call:
  pipeline <sequence> <call> <detail> -> ok|refused: <why>
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Call = Callable[..., Any]


class Refused(Exception):
    """A pipeline call answered success=false: the job fails with this."""


def checked(call: Call, out: Callable[[str], None], job_sequence: int, name: str,
            detail: str, /, **fields: Any) -> Any:
    """`name` called with `fields` (positional parameters: a call has a
    `sequence` field of its own); a refusal raises `Refused`."""
    reply = call(name, **fields)
    if hasattr(reply, "success") and not reply.success:
        out(f"pipeline {job_sequence} {name} {detail} -> refused: {reply.message}")
        raise Refused(f"{name} refused: {reply.message}")
    out(f"pipeline {job_sequence} {name} {detail} -> ok")
    return reply


def work(job: Any, session: str, call: Call, out: Callable[[str], None]) -> str:
    """Do `job` (upstream's `Job` message) and settle it; the outcome word."""
    ids = {"session_id": session, "job_id": job.job_id}
    sequence = job.job_sequence

    def step(name: str, detail: str, **fields: Any) -> Any:
        return checked(call, out, sequence, name, detail, **ids, **fields)

    try:
        if job.app_instance_method == "merge":
            merge(job, step)
        elif job.app_instance_method == "settle":
            settle(job, step)
        else:
            prove(job, step)
    except Refused as exc:
        call("FailJob", **ids, error_message=f"pipeline: {exc}")
        return "failed"
    reply = call("CompleteJob", **ids)
    return "completed" if reply.success else f"refused: {reply.message}"


def prove(job: Any, step: Callable[..., Any]) -> None:
    [k] = list(job.sequences)
    step("SubmitProof", f"block {job.block_number} [{k}]", block_number=job.block_number,
         sequences=[k], proof=f"p{k}", cpu_time=1)
    step("SubmitState", f"sequence {k}", sequence=k, serialized_state=f"s{k}")


def merge(job: Any, step: Callable[..., Any]) -> None:
    block = job.block_number
    left, right = list(job.sequences1), list(job.sequences2)
    proofs = [step("GetProof", f"block {block} {half}", block_number=block,
                   sequences=half).proof for half in (left, right)]
    step("SubmitProof", f"block {block} {sorted(left + right)}", block_number=block,
         sequences=sorted(left + right), merged_sequences_1=left, merged_sequences_2=right,
         proof=f"merge({proofs[0]}|{proofs[1]})", cpu_time=1)


def settle(job: Any, step: Callable[..., Any]) -> None:
    chain = job.chain
    if not chain:
        raise Refused("the settle job names no chain")
    instance = step("GetAppInstance", "").app_instance
    block = instance.settlements[chain].last_settled_block_number + 1
    while block <= instance.last_proved_block_number:
        proof = step("GetBlockProof", f"block {block}", block_number=block).block_proof
        step("UpdateBlockStateDataAvailability", f"block {block}", block_number=block,
             state_data_availability=f"state{block}")
        step("UpdateBlockProofDataAvailability", f"block {block}", block_number=block,
             proof_data_availability=proof)
        step("SubmitSettlementProof", f"block {block} {chain}", block_number=block,
             proof=f"settle{block}", cpu_time=1, chain=chain)
        step("UpdateBlockSettlementTxHash", f"block {block} {chain}", block_number=block,
             settlement_tx_hash=f"tx{block}", chain=chain)
        step("UpdateBlockSettlementTxIncludedInBlock", f"block {block} {chain}",
             block_number=block, settled_at=int(time.time() * 1000), chain=chain)
        block += 1
