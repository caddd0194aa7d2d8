"""The settlement calls of the agent API: agents prove and settle an app
instance's blocks on other chains, and record the settlement transactions on
the blocks. None is served yet (`unserved`)."""

from __future__ import annotations

from coordinator.rpc.blocks import BLOCK_WRITES
from coordinator.rpc.calls import AgentCalls, unserved

__all__ = ["UNSERVED", "SettlementCalls"]

UNSERVED = {
    **dict.fromkeys(("GetSettlementProof", "SubmitSettlementProof"),
                    "a proof store and settlement chains"),
    **dict.fromkeys(("UpdateBlockSettlementTxHash", "UpdateBlockSettlementTxIncludedInBlock",
                     "UpdateBlockSettlement"), BLOCK_WRITES),
    "GetBlockSettlement": "chain reads of the app instance's blocks and settlement chains",
}


@unserved(UNSERVED)
class SettlementCalls(AgentCalls):
    """GetSettlementProof, SubmitSettlementProof, GetBlockSettlement and the
    blocks' settlement updates."""
