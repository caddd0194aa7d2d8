"""The sequence-state and block calls of the agent API: agents submit the state
after a sequence and read the states; blocks are created and their data
availability recorded. Each call is a module of this package (a mixin of
`AgentCalls`); this module composes them into the area."""

from __future__ import annotations

from coordinator.rpc.blocks.get_block import BlockReads
from coordinator.rpc.blocks.sequence_states import SequenceStateReads
from coordinator.rpc.calls import unserved

__all__ = ["BLOCK_WRITES", "UNSERVED", "BlockCalls"]

BLOCK_WRITES = "Move calls on the app instance's blocks (chain writes)"

UNSERVED = {
    "SubmitState": "sequence state writes on chain and a data availability store (Walrus)",
    **dict.fromkeys(("TryCreateBlock", "UpdateBlockStateDataAvailability",
                     "UpdateBlockProofDataAvailability"), BLOCK_WRITES),
}


@unserved(UNSERVED)
class BlockCalls(BlockReads, SequenceStateReads):
    """SubmitState, GetSequenceStates, TryCreateBlock, GetBlock and the blocks'
    data-availability updates."""
