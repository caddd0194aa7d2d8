"""The proof pipeline's state inside an app instance, as the simulator holds it.

`Pipeline` is the AppInstance's part that blocks, proofs, sequence states and
settlements live in (reference §1.1): its counters, and its ObjectTables
(`blocks`, `proof_calculations`, the manager's `sequence_states`, each
settlement's `block_settlements`), whose entries are objects of their own
(`Block`, `ProofCalculation`, `SequenceState`, `BlockSettlement`): readable by
id and listed as dynamic object fields of their table. Plain dataclasses that
the Move modules of `coordinator.simnet.move` change in place; each renders
through its `coordinator.events.pipeline_objects` model, so the BCS and the
JSON a fullnode gives come from the one layout checked against the vectors.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, ClassVar

from coordinator.events import pipeline_objects as layout
from coordinator.events.models import BcsEvent
from coordinator.events.models_2025_11 import ObjectTable
from coordinator.simnet.move_object import Json, MoveObject, u64

# app_instance.move `scalar_zero()`: the commitment of an app that committed nothing.
SCALAR_ZERO = bytes(32)
# app_instance.move's MIN_TIME_BETWEEN_BLOCKS: an instance's least (and our default).
MIN_TIME_BETWEEN_BLOCKS_MS = 60_000
# prover.move's proof statuses.
STARTED, CALCULATED, REJECTED, RESERVED, USED = 1, 2, 3, 4, 5


def type_arguments(name: str) -> list[str]:
    """The type arguments of a Move type name: `VecMap<A, B<C>>` -> ["A", "B<C>"]."""
    inner, depth, start, parts = name[name.index("<") + 1 : -1], 0, 0, []
    for index, char in enumerate(inner):
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(inner[start:index].strip())
            start = index + 1
    return [*parts, inner[start:].strip()]


def rendered(type_name: str, value: Any) -> Any:
    """A value of Move type `type_name` as a fullnode's JSON renders it (u64 as
    a string, `vector<u8>` as base64, VecMap as `{contents: [{key, value}]}`,
    a struct as an object of its fields)."""
    if isinstance(value, BcsEvent):
        return render(value)
    if type_name.startswith("Option<"):
        return None if value is None else rendered(type_arguments(type_name)[0], value)
    if type_name == "vector<u8>":
        return base64.b64encode(value).decode()
    if type_name == "Element<Scalar>":
        return {"bytes": base64.b64encode(value).decode()}
    if type_name.startswith("vector<"):
        return [rendered(type_arguments(type_name)[0], item) for item in value]
    if type_name.startswith("VecMap<"):
        key, item = type_arguments(type_name)
        return {"contents": [{"key": rendered(key, k), "value": rendered(item, v)}
                             for k, v in value]}
    return u64(value) if type_name == "u64" else value


def render(model: BcsEvent) -> Json:
    return {name: rendered(codec.name, getattr(model, name)) for name, codec in model.bcs_layout}


class PipelineObject(MoveObject):
    """An object rendered from its layout model (JSON and BCS alike), by
    default the model of the same fields."""

    layout_model: ClassVar[type[BcsEvent]]

    def model(self) -> BcsEvent:
        fields = self.layout_model.bcs_layout
        return self.layout_model(**{name: getattr(self, name) for name, _ in fields})

    def json(self) -> Json:
        return render(self.model())

    def bcs(self) -> bytes | None:
        return self.model().to_bcs()


@dataclass
class Proof:
    """`prover::Proof`: one proof of a block, keyed by its sorted sequences."""

    status: int
    prover: str
    timestamp: int
    da_hash: str | None = None
    sequence1: tuple[int, ...] | None = None
    sequence2: tuple[int, ...] | None = None
    rejected_count: int = 0
    user: str | None = None
    job_id: str | None = None

    def model(self) -> layout.Proof:
        return layout.Proof(
            status=self.status, da_hash=self.da_hash, sequence1=self.sequence1,
            sequence2=self.sequence2, rejected_count=self.rejected_count,
            timestamp=self.timestamp, prover=self.prover, user=self.user, job_id=self.job_id,
        )  # fmt: skip


@dataclass
class ProofCalculation(PipelineObject):
    """A block's proofs; `proofs` keeps insertion order, as a VecMap does."""

    type_name: ClassVar[str] = "prover::ProofCalculation"
    layout_model: ClassVar[type[BcsEvent]] = layout.ProofCalculation
    block_number: int = 0
    start_sequence: int = 0
    end_sequence: int | None = None
    proofs: dict[tuple[int, ...], Proof] = field(default_factory=dict)
    block_proof: str | None = None
    is_finished: bool = False

    def model(self) -> layout.ProofCalculation:
        return layout.ProofCalculation(
            id=self.id, block_number=self.block_number, start_sequence=self.start_sequence,
            end_sequence=self.end_sequence, proofs=self.entries(),
            block_proof=self.block_proof, is_finished=self.is_finished,
        )  # fmt: skip

    def entries(self) -> tuple[tuple[tuple[int, ...], layout.Proof], ...]:
        return tuple((key, proof.model()) for key, proof in self.proofs.items())


@dataclass
class SequenceState(PipelineObject):
    """One sequence's state: `state` and `data_availability` stay None until
    a prove job's SubmitState records them; a block's first prove job starts
    from the last one that has them."""

    type_name: ClassVar[str] = "sequence_state::SequenceState"
    layout_model: ClassVar[type[BcsEvent]] = layout.SequenceState
    sequence: int = 0
    state: bytes | None = None
    data_availability: str | None = None
    optimistic_state: bytes = b""
    transition_data: bytes = b""


@dataclass
class Block(PipelineObject):
    """A created block: its sequences, commitments and descriptors."""

    type_name: ClassVar[str] = "block::Block"
    layout_model: ClassVar[type[BcsEvent]] = layout.Block
    name: str = ""
    block_number: int = 0
    start_sequence: int = 0
    end_sequence: int = 0
    actions_commitment: bytes = SCALAR_ZERO
    state_commitment: bytes = SCALAR_ZERO
    time_since_last_block: int = 0
    number_of_transactions: int = 0
    start_actions_commitment: bytes = SCALAR_ZERO
    end_actions_commitment: bytes = SCALAR_ZERO
    state_data_availability: str | None = None
    proof_data_availability: str | None = None
    created_at: int = 0
    state_calculated_at: int | None = None
    proved_at: int | None = None


@dataclass
class BlockSettlement(PipelineObject):
    """A block's settlement transaction on one chain, and whether it landed."""

    type_name: ClassVar[str] = "settlement::BlockSettlement"
    layout_model: ClassVar[type[BcsEvent]] = layout.BlockSettlement
    block_number: int = 0
    settlement_tx_hash: str | None = None
    settlement_tx_included_in_block: bool = False
    sent_to_settlement_at: int | None = None
    settled_at: int | None = None



@dataclass
class Settlement:
    """`settlement::Settlement` of one chain, inline in the AppInstance."""

    chain: str
    table_id: str
    settlement_address: str | None = None
    last_settled_block_number: int = 0
    block_settlements: dict[int, BlockSettlement] = field(default_factory=dict)
    settlement_job: int | None = None

    def model(self) -> layout.Settlement:
        table = ObjectTable(id=self.table_id, size=len(self.block_settlements))
        inline = ("chain", "last_settled_block_number", "settlement_address", "settlement_job")
        return layout.Settlement(block_settlements=table, **{n: getattr(self, n) for n in inline})


@dataclass
class SequenceStates:
    """`sequence_state::SequenceStateManager`, inline in the AppInstance."""

    id: str
    table_id: str
    states: dict[int, SequenceState] = field(default_factory=dict)
    lowest_sequence: int | None = None
    highest_sequence: int | None = None

    def model(self) -> layout.SequenceStateManager:
        return layout.SequenceStateManager(
            id=self.id, sequence_states=ObjectTable(id=self.table_id, size=len(self.states)),
            lowest_sequence=self.lowest_sequence, highest_sequence=self.highest_sequence,
        )  # fmt: skip


@dataclass
class Pipeline:
    """The AppInstance's pipeline fields (reference §1.1), in its BCS order.

    `commits_actions` stands for the app's commitment package: an app that
    commits one action per sequence (as upstream's example does) can be purged;
    one that commits none makes `purge` abort, as on chain. `removed` lists the
    ids of objects deleted since the store last looked.
    """

    blocks_table: str
    proof_calculations_table: str
    manager: SequenceStates
    blocks: dict[int, Block] = field(default_factory=dict)
    settlements: dict[str, Settlement] = field(default_factory=dict)
    proof_calculations: dict[int, ProofCalculation] = field(default_factory=dict)
    sequence: int = 0
    block_number: int = 1
    previous_block_timestamp: int = 0
    previous_block_last_sequence: int = 0
    previous_block_actions_state: bytes = SCALAR_ZERO
    last_proved_block_number: int = 0
    last_settled_block_number: int = 0
    last_settled_sequence: int = 0
    last_purged_sequence: int = 0
    min_time_between_blocks: int = MIN_TIME_BETWEEN_BLOCKS_MS
    commits_actions: bool = True
    removed: list[str] = field(default_factory=list)

    def children(self) -> list[PipelineObject]:
        """Every object the instance's tables hold."""
        return [
            *self.blocks.values(), *self.proof_calculations.values(),
            *self.manager.states.values(),
            *(record for s in self.settlements.values() for record in s.block_settlements.values()),
        ]  # fmt: skip

    def json_before_jobs(self) -> Json:
        """blocks, settlements, proof_calculations, sequence_state_manager."""
        return {
            "blocks": render(ObjectTable(id=self.blocks_table, size=len(self.blocks))),
            "settlements": {"contents": [{"key": chain, "value": render(s.model())}
                                         for chain, s in self.settlements.items()]},
            "proof_calculations": render(ObjectTable(id=self.proof_calculations_table,
                                                     size=len(self.proof_calculations))),
            "sequence_state_manager": render(self.manager.model()),
        }

    def json_after_admin(self) -> Json:
        """block_number .. last_purged_sequence."""
        return {
            "block_number": u64(self.block_number),
            "previous_block_timestamp": u64(self.previous_block_timestamp),
            "previous_block_last_sequence": u64(self.previous_block_last_sequence),
            "previous_block_actions_state": rendered(
                "Element<Scalar>", self.previous_block_actions_state),
            "last_proved_block_number": u64(self.last_proved_block_number),
            "last_settled_block_number": u64(self.last_settled_block_number),
            "last_settled_sequence": u64(self.last_settled_sequence),
            "last_purged_sequence": u64(self.last_purged_sequence),
        }
