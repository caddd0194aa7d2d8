"""The proof calls of `app_instance.move` (which run module `prover` on the
block's ProofCalculation): `start_proving`, `submit_proof`, `reject_proof`
and `create_merge_job`. Sequence lists are sent as the caller has them; the
Move code sorts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coordinator.events.bcs import STRING, U8, U64, option, vector
from coordinator.sui.calls.base import MoveFunction, from_values, in_order

U64S = vector(U64)
OPTION_U64S = option(vector(U64))


@dataclass(frozen=True)
class StartProving:
    """Reserve the sub-proofs of a merge and mark its proof STARTED (returns false when refused)."""

    block_number: int
    sequences: tuple[int, ...]
    merged_sequences_1: tuple[int, ...] | None = None
    merged_sequences_2: tuple[int, ...] | None = None


@dataclass(frozen=True)
class SubmitProof:
    """A calculated proof, stored by its descriptor `da_hash`; the hardware
    fields describe the submitting coordinator's host, as upstream sends them."""

    block_number: int
    sequences: tuple[int, ...]
    merged_sequences_1: tuple[int, ...] | None
    merged_sequences_2: tuple[int, ...] | None
    job_id: str
    da_hash: str
    cpu_cores: int
    prover_architecture: str
    prover_memory: int
    cpu_time: int


@dataclass(frozen=True)
class RejectProof:
    """A proof a verifier refused: REJECTED, its sub-proofs returned."""

    block_number: int
    sequences: tuple[int, ...]


@dataclass(frozen=True)
class CreateMergeJob:
    """`start_proving` of the merge, then a `merge` job for it (None when refused)."""

    block_number: int
    sequences: tuple[int, ...]
    merged_sequences_1: tuple[int, ...]
    merged_sequences_2: tuple[int, ...]
    job_description: str | None = None


ProverCall = StartProving | SubmitProof | RejectProof | CreateMergeJob

FUNCTIONS: tuple[MoveFunction[Any], ...] = (
    MoveFunction(StartProving, "start_proving", (U64, U64S, OPTION_U64S, OPTION_U64S),
                 in_order, from_values(StartProving)),
    MoveFunction(SubmitProof, "submit_proof",
                 (U64, U64S, OPTION_U64S, OPTION_U64S, STRING, STRING, U8, STRING, U64, U64),
                 in_order, from_values(SubmitProof)),
    MoveFunction(RejectProof, "reject_proof", (U64, U64S), in_order, from_values(RejectProof)),
    MoveFunction(CreateMergeJob, "create_merge_job", (U64, U64S, U64S, U64S, option(STRING)),
                 in_order, from_values(CreateMergeJob)),
)  # fmt: skip
