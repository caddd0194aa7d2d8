"""The proof pipeline's Move objects (layout `2025-11`): what GetObject and
ListDynamicFields return for a block, a proof calculation, a sequence state
or a block settlement, and the structs stored inside them or inline in the
AppInstance (`Proof`, `Settlement`, `SequenceStateManager`).

Field order is the Move struct's (BCS order). A UID is 32 bytes (an
`Address` here); an `ObjectTable` is its UID and size, its entries being
dynamic object fields of that UID keyed by the u64 block number or sequence.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from coordinator.events import bcs
from coordinator.events.models import (
    U8,
    U16,
    U64,
    Address,
    BcsEvent,
    Bool,
    Bytes,
    OptionString,
    String,
)
from coordinator.events.models_2025_11 import ObjectTable, OptionBytes, OptionU64


def _element_json(value: Any) -> bytes:
    """A fullnode renders `Element<Scalar>` as the struct it is: `{"bytes": base64}`."""
    if not isinstance(value, dict) or "bytes" not in value:
        raise bcs.BcsError(f"expected Element<Scalar> as {{'bytes': ...}}, got {value!r}")
    return base64.b64decode(value["bytes"], validate=True)


# `Element<Scalar>` is a struct of one `vector<u8>` (a 32-byte scalar), so its
# BCS is that vector's; only its JSON rendering differs.
ELEMENT: bcs.Codec[bytes] = bcs.Codec(
    "Element<Scalar>", bcs.BYTES.decode, bcs.BYTES.encode, _element_json
)
Scalar = Annotated[bytes, ELEMENT]
OptionAddress = Annotated[str | None, bcs.option(bcs.ADDRESS)]
OptionSequences = Annotated[tuple[int, ...] | None, bcs.option(bcs.vector(bcs.U64))]
Table = Annotated[ObjectTable, ObjectTable.codec()]


class Proof(BcsEvent):
    """`prover::Proof`, a value of `ProofCalculation.proofs` (status 1 STARTED,
    2 CALCULATED, 3 REJECTED, 4 RESERVED, 5 USED)."""

    status: U8
    da_hash: OptionString
    sequence1: OptionSequences
    sequence2: OptionSequences
    rejected_count: U16
    timestamp: U64
    prover: Address
    user: OptionAddress
    job_id: OptionString


# VecMap<vector<u64>, Proof>: the proofs of a block by their sorted sequences.
ProofEntries = Annotated[
    tuple[tuple[tuple[int, ...], Proof], ...],
    bcs.vec_map(bcs.vector(bcs.U64), Proof.codec()),
]


class ProofCalculation(BcsEvent):
    id: Address
    block_number: U64
    start_sequence: U64
    end_sequence: OptionU64
    proofs: ProofEntries
    block_proof: OptionString
    is_finished: Bool


class SequenceState(BcsEvent):
    id: Address
    sequence: U64
    state: OptionBytes
    data_availability: OptionString
    optimistic_state: Bytes
    transition_data: Bytes


class SequenceStateManager(BcsEvent):
    id: Address
    sequence_states: Table
    lowest_sequence: OptionU64
    highest_sequence: OptionU64


class Block(BcsEvent):
    id: Address
    name: String
    block_number: U64
    start_sequence: U64
    end_sequence: U64
    actions_commitment: Scalar
    state_commitment: Scalar
    time_since_last_block: U64
    number_of_transactions: U64
    start_actions_commitment: Scalar
    end_actions_commitment: Scalar
    state_data_availability: OptionString
    proof_data_availability: OptionString
    created_at: U64
    state_calculated_at: OptionU64
    proved_at: OptionU64


class BlockSettlement(BcsEvent):
    id: Address
    block_number: U64
    settlement_tx_hash: OptionString
    settlement_tx_included_in_block: Bool
    sent_to_settlement_at: OptionU64
    settled_at: OptionU64


class Settlement(BcsEvent):
    """`settlement::Settlement`, stored inline in `AppInstance.settlements` (no UID)."""

    chain: String
    last_settled_block_number: U64
    settlement_address: OptionString
    block_settlements: Table
    settlement_job: OptionU64


PIPELINE_OBJECTS: dict[tuple[str, str], type[BcsEvent]] = {
    ("prover", "Proof"): Proof,
    ("prover", "ProofCalculation"): ProofCalculation,
    ("sequence_state", "SequenceState"): SequenceState,
    ("sequence_state", "SequenceStateManager"): SequenceStateManager,
    ("block", "Block"): Block,
    ("settlement", "BlockSettlement"): BlockSettlement,
    ("settlement", "Settlement"): Settlement,
}
