"""The block and sequence calls of `app_instance.move` (modules `block` and
`sequence_state` underneath): `increase_sequence`, `try_create_block`,
`update_state_for_sequence`, `purge` and the two block data-availability
updates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coordinator.events.bcs import BYTES, STRING, U64, option
from coordinator.sui.calls.base import MoveFunction, from_values, in_order


@dataclass(frozen=True)
class IncreaseSequence:
    """An app's action: a new sequence state, then a block if one is due (an
    app calls it from its own Move code; a test may call it directly)."""

    optimistic_state: bytes
    transition_data: bytes


@dataclass(frozen=True)
class TryCreateBlock:
    """Close the open block if it has new sequences and the minimum time passed."""


@dataclass(frozen=True)
class UpdateStateForSequence:
    """A sequence's proved state and/or its descriptor (never aborts; false when out of range)."""

    sequence: int
    new_state_data: bytes | None
    new_data_availability_hash: str | None


@dataclass(frozen=True)
class Purge:
    """Drop sequence states (and the app's rollback records) up to the last
    settled sequence, `sequences_to_purge` more at the most."""

    sequences_to_purge: int


@dataclass(frozen=True)
class BlockDataAvailability:
    """A block's descriptor of one kind (the data is stored before the call)."""

    block_number: int
    data_availability: str


class UpdateBlockStateDataAvailability(BlockDataAvailability):
    """The block's state descriptor (this also clears its proof descriptor)."""


class UpdateBlockProofDataAvailability(BlockDataAvailability):
    """The block's proof descriptor."""


BlockCall = (
    IncreaseSequence | TryCreateBlock | UpdateStateForSequence | Purge
    | UpdateBlockStateDataAvailability | UpdateBlockProofDataAvailability
)  # fmt: skip

FUNCTIONS: tuple[MoveFunction[Any], ...] = (
    MoveFunction(IncreaseSequence, "increase_sequence", (BYTES, BYTES),
                 in_order, from_values(IncreaseSequence)),
    MoveFunction(TryCreateBlock, "try_create_block", (), in_order, from_values(TryCreateBlock)),
    MoveFunction(UpdateStateForSequence, "update_state_for_sequence",
                 (U64, option(BYTES), option(STRING)),
                 in_order, from_values(UpdateStateForSequence)),
    MoveFunction(Purge, "purge", (U64,), in_order, from_values(Purge)),
    MoveFunction(UpdateBlockStateDataAvailability, "update_block_state_data_availability",
                 (U64, STRING), in_order, from_values(UpdateBlockStateDataAvailability)),
    MoveFunction(UpdateBlockProofDataAvailability, "update_block_proof_data_availability",
                 (U64, STRING), in_order, from_values(UpdateBlockProofDataAvailability)),
)  # fmt: skip
