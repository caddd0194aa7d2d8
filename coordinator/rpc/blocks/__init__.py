"""The sequence-state and block calls of the agent API: agents submit the state
after a sequence and read the states; blocks are created and their data
availability recorded. None is served yet (`unserved`)."""

from __future__ import annotations

from coordinator.rpc.calls import AgentCalls, unserved

__all__ = ["BLOCK_WRITES", "UNSERVED", "BlockCalls"]

BLOCK_WRITES = "Move calls on the app instance's blocks (chain writes)"

UNSERVED = {
    "SubmitState": "sequence state writes on chain and a data availability store (Walrus)",
    "GetSequenceStates": "chain reads of the app instance's sequence states",
    "GetBlock": "chain reads of the app instance's blocks",
    **dict.fromkeys(("TryCreateBlock", "UpdateBlockStateDataAvailability",
                     "UpdateBlockProofDataAvailability"), BLOCK_WRITES),
}


@unserved(UNSERVED)
class BlockCalls(AgentCalls):
    """SubmitState, GetSequenceStates, TryCreateBlock, GetBlock and the blocks'
    data-availability updates."""
