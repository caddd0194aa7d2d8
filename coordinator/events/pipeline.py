"""The proof pipeline's Move events: modules `prover`, `sequence_state`,
`block`, `settlement`, and the block/settlement events of `app_instance`
(SilvanaOne/silvana d1563ea, layout `2025-11`).

They are kept apart from the job events the daemon ingests (`models`,
`models_2025_11`): the daemon acts on jobs, and these events feed the
pipeline's own bookkeeping (and the simulator, which emits them). Field order
is the Move struct's, i.e. the BCS order; class names are the Move names.
Most of these events carry no app-instance id (reference §1.8): whoever reads
them ties them to an instance through the transaction's inputs.
"""

from __future__ import annotations

from coordinator.events.models import (
    U8,
    U64,
    Address,
    BcsEvent,
    Bool,
    Bytes,
    KVDeletedEvent,
    KVSetEvent,
    MetadataAddedEvent,
    OptionString,
    String,
)
from coordinator.events.models_2025_11 import OperationFailedEvent, OptionBytes, OptionU64
from coordinator.events.models_2025_11 import VectorU64 as Sequences
from coordinator.events.pipeline_objects import ProofEntries, Scalar

# --- module prover ------------------------------------------------------------


class ProofStartedEvent(BcsEvent):
    block_number: U64
    sequences: Sequences
    timestamp: U64
    prover: Address


class ProofSubmittedEvent(BcsEvent):
    block_number: U64
    sequences: Sequences
    da_hash: String
    timestamp: U64
    prover: Address
    cpu_time: U64
    cpu_cores: U8
    prover_memory: U64
    prover_architecture: String


class _ProofHandover(BcsEvent):
    """A sub-proof changing hands (reserved by a merge, used by a submitted one)."""

    block_number: U64
    sequences: Sequences
    da_hash: String
    timestamp: U64
    user: Address


class ProofUsedEvent(_ProofHandover):
    pass


class ProofReservedEvent(_ProofHandover):
    pass


class ProofReturnedEvent(BcsEvent):
    block_number: U64
    sequences: Sequences
    timestamp: U64


class ProofRejectedEvent(BcsEvent):
    block_number: U64
    sequences: Sequences
    timestamp: U64
    verifier: Address


class BlockProofEvent(BcsEvent):
    block_number: U64
    start_sequence: U64
    end_sequence: U64
    da_hash: String
    timestamp: U64


class ProofCalculationCreatedEvent(BcsEvent):
    block_number: U64
    start_sequence: U64
    end_sequence: OptionU64
    timestamp: U64


class ProofCalculationFinishedEvent(BcsEvent):
    proof_calculation_address: Address
    block_number: U64
    start_sequence: U64
    end_sequence: U64
    block_proof: String
    is_finished: Bool
    proofs_count: U64
    timestamp: U64


class ProofCalculationDeletedEvent(BcsEvent):
    app_instance_id: Address
    block_number: U64
    start_sequence: U64
    end_sequence: OptionU64
    proofs: ProofEntries
    block_proof: OptionString
    is_finished: Bool
    timestamp: U64


# --- module sequence_state ------------------------------------------------------


class SequenceStateAddedEvent(BcsEvent):
    manager_address: Address
    sequence: U64
    state_data: OptionBytes
    data_availability_hash: OptionString
    optimistic_state: Bytes
    transition_data: Bytes
    timestamp: U64


class SequenceStateUpdatedEvent(BcsEvent):
    manager_address: Address
    sequence: U64
    new_state_data: OptionBytes
    new_data_availability_hash: OptionString
    timestamp: U64


class SequenceStatesPurgedEvent(BcsEvent):
    manager_address: Address
    old_lowest_sequence: U64
    new_lowest_sequence: U64
    sequences_purged: U64
    timestamp: U64


# --- module block ---------------------------------------------------------------


class BlockEvent(BcsEvent):
    """Not the Block struct's order: the commitments come last."""

    address: Address
    name: String
    block_number: U64
    start_sequence: U64
    end_sequence: U64
    created_at: U64
    time_since_last_block: U64
    number_of_transactions: U64
    start_actions_commitment: Scalar
    end_actions_commitment: Scalar
    state_commitment: Scalar


class DataAvailabilityEvent(BcsEvent):
    block_number: U64
    state_data_availability: OptionString
    proof_data_availability: OptionString
    state_calculated_at: OptionU64
    proof_calculated_at: OptionU64


# --- module settlement ----------------------------------------------------------


class SettlementCreatedEvent(BcsEvent):
    chain: String
    settlement_address: OptionString


class BlockSettlementTransactionEvent(BcsEvent):
    chain: String
    block_number: U64
    settlement_tx_hash: OptionString
    settlement_tx_included_in_block: Bool
    sent_to_settlement_at: OptionU64
    settled_at: OptionU64


class BlockSettledEvent(BcsEvent):
    chain: String
    block_number: U64
    settlement_tx_hash: OptionString
    sent_to_settlement_at: OptionU64
    settled_at: OptionU64


class BlockSettlementPurgedEvent(BcsEvent):
    chain: String
    block_number: U64
    reason: String


# --- module app_instance (blocks and settlement) ---------------------------------


class BlockCreatedEvent(BcsEvent):
    app_instance_address: Address
    block_number: U64
    start_sequence: U64
    end_sequence: U64
    timestamp: U64


class NoNewSequencesEvent(BcsEvent):
    app_instance_address: Address
    current_sequence: U64
    previous_block_last_sequence: U64
    timestamp: U64


class InsufficientTimeForBlockEvent(BcsEvent):
    app_instance_address: Address
    current_time: U64
    previous_block_timestamp: U64
    time_since_last_block: U64
    min_time_required: U64


class BlockPurgedEvent(BcsEvent):
    app_instance_address: Address
    block_number: U64
    reason: String


class BlockCleanupEvent(BcsEvent):
    app_instance_address: Address
    previous_last_settled: U64
    new_min_settled: U64
    start_block: U64
    settlements_count: U64


_EVENTS_BY_MODULE: dict[str, tuple[type[BcsEvent], ...]] = {
    "prover": (
        ProofStartedEvent, ProofSubmittedEvent, ProofUsedEvent, ProofReservedEvent,
        ProofReturnedEvent, ProofRejectedEvent, BlockProofEvent, ProofCalculationCreatedEvent,
        ProofCalculationFinishedEvent, ProofCalculationDeletedEvent,
    ),
    "sequence_state": (
        SequenceStateAddedEvent, SequenceStateUpdatedEvent, SequenceStatesPurgedEvent,
    ),
    "block": (BlockEvent, DataAvailabilityEvent),
    "settlement": (
        SettlementCreatedEvent, BlockSettlementTransactionEvent, BlockSettledEvent,
        BlockSettlementPurgedEvent,
    ),
    "multicall": (OperationFailedEvent,),
    "app_instance": (
        BlockCreatedEvent, NoNewSequencesEvent, InsufficientTimeForBlockEvent, KVSetEvent,
        KVDeletedEvent, MetadataAddedEvent, BlockPurgedEvent, BlockCleanupEvent,
    ),
}  # fmt: skip

# (Move module, event struct name) -> model, for every event the pipeline emits.
PIPELINE_EVENTS: dict[tuple[str, str], type[BcsEvent]] = {
    (module, model.__name__): model
    for module, models in _EVENTS_BY_MODULE.items()
    for model in models
}
