"""The sequence-state and block calls of the agent API: agents submit the state
after a sequence and read the states; blocks are created and their data
availability recorded. Each call is a module of this package (a mixin of
`AgentCalls`); this module composes them into the area."""

from __future__ import annotations

from coordinator.rpc.blocks.block_data_availability import BlockDataAvailabilityCalls
from coordinator.rpc.blocks.get_block import BlockReads
from coordinator.rpc.blocks.sequence_states import SequenceStateReads
from coordinator.rpc.blocks.submit_state import SubmitStateCall
from coordinator.rpc.blocks.try_create_block import TryCreateBlockCall
from coordinator.rpc.calls import unserved

__all__ = ["UNSERVED", "BlockCalls"]

UNSERVED: dict[str, str] = {}


@unserved(UNSERVED)
class BlockCalls(BlockReads, SequenceStateReads, SubmitStateCall, TryCreateBlockCall,
                 BlockDataAvailabilityCalls):
    """SubmitState, GetSequenceStates, TryCreateBlock, GetBlock and the blocks'
    data-availability updates."""
