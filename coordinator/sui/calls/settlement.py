"""The settlement calls of `app_instance.move` (module `settlement`
underneath): a block's settlement transaction on a chain, and its inclusion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coordinator.events.bcs import STRING, U64
from coordinator.sui.calls.base import MoveFunction, from_values, in_order


@dataclass(frozen=True)
class UpdateBlockSettlementTxHash:
    """The settlement transaction sent for a proved block on `chain` (the
    block needs its state and proof descriptors first)."""

    chain: str
    block_number: int
    settlement_tx_hash: str


@dataclass(frozen=True)
class UpdateBlockSettlementTxIncludedInBlock:
    """The block is settled on `chain` (blocks settle in order); settled on
    every chain, its Block and ProofCalculation are deleted."""

    chain: str
    block_number: int
    settled_at: int


SettlementCall = UpdateBlockSettlementTxHash | UpdateBlockSettlementTxIncludedInBlock

FUNCTIONS: tuple[MoveFunction[Any], ...] = (
    MoveFunction(UpdateBlockSettlementTxHash, "update_block_settlement_tx_hash",
                 (STRING, U64, STRING), in_order, from_values(UpdateBlockSettlementTxHash)),
    MoveFunction(UpdateBlockSettlementTxIncludedInBlock,
                 "update_block_settlement_tx_included_in_block", (STRING, U64, U64),
                 in_order, from_values(UpdateBlockSettlementTxIncludedInBlock)),
)  # fmt: skip
