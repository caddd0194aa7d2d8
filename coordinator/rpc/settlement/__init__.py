"""The settlement calls of the agent API: agents prove and settle an app
instance's blocks on other chains, and record the settlement transactions on
the blocks. Each call is a module of this package (a mixin of `AgentCalls`);
this module composes them into the area."""

from __future__ import annotations

from coordinator.rpc.calls import unserved
from coordinator.rpc.settlement.block_settlement import BlockSettlementCalls
from coordinator.rpc.settlement.update_block_settlement import UpdateBlockSettlementCall

__all__ = ["UNSERVED", "SettlementCalls"]

UNSERVED = {
    **dict.fromkeys(("GetSettlementProof", "SubmitSettlementProof"),
                    "a proof store and settlement chains"),
    "GetBlockSettlement": "chain reads of the app instance's blocks and settlement chains",
}


@unserved(UNSERVED)
class SettlementCalls(BlockSettlementCalls, UpdateBlockSettlementCall):
    """GetSettlementProof, SubmitSettlementProof, GetBlockSettlement and the
    blocks' settlement updates."""
