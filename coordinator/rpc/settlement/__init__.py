"""The settlement calls of the agent API: agents prove and settle an app
instance's blocks on other chains, and record the settlement transactions on
the blocks. Each call is a module of this package (a mixin of `AgentCalls`);
this module composes them into the area."""

from __future__ import annotations

from coordinator.rpc.blocks import BLOCK_WRITES
from coordinator.rpc.calls import unserved
from coordinator.rpc.settlement.block_settlement import BlockSettlementReads
from coordinator.rpc.settlement.settlement_proofs import SettlementProofCalls

__all__ = ["UNSERVED", "SettlementCalls"]

UNSERVED = dict.fromkeys(
    ("UpdateBlockSettlementTxHash", "UpdateBlockSettlementTxIncludedInBlock",
     "UpdateBlockSettlement"), BLOCK_WRITES)


@unserved(UNSERVED)
class SettlementCalls(BlockSettlementReads, SettlementProofCalls):
    """GetSettlementProof, SubmitSettlementProof, GetBlockSettlement and the
    blocks' settlement updates."""
