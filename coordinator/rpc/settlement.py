"""The settlement calls of the agent API: agents settle an app instance's blocks
on other chains and record the settlement transactions.

Not served yet: each answers UNIMPLEMENTED naming what it needs. Serving one is
writing its handler here (it replaces the name below) and its test.
"""

from __future__ import annotations

from coordinator.rpc.calls import AgentCalls, unserved

__all__ = ["UNSERVED", "SettlementCalls"]

_BLOCKS = "Move calls on the app instance's blocks (chain writes)"

UNSERVED: dict[str, str] = {
    "GetSettlementProof": "a proof store and settlement chains",
    "SubmitSettlementProof": "a proof store and settlement chains",
    "UpdateBlockSettlementTxHash": _BLOCKS,
    "UpdateBlockSettlementTxIncludedInBlock": _BLOCKS,
    "UpdateBlockSettlement": _BLOCKS,
    "GetBlockSettlement": "chain reads of the app instance's blocks and settlement chains",
}


@unserved(UNSERVED)
class SettlementCalls(AgentCalls):
    """GetSettlementProof, SubmitSettlementProof, GetBlockSettlement and the
    blocks' settlement updates."""
