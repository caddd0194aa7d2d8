"""The sequence-state and block calls of the agent API: agents submit the state
after a sequence, read the states, and create and update the app instance's
blocks.

Not served yet: each answers UNIMPLEMENTED naming what it needs. Serving one is
writing its handler here (it replaces the name below) and its test.
"""

from __future__ import annotations

from coordinator.rpc.calls import AgentCalls, unserved

__all__ = ["UNSERVED", "BlockCalls"]

_BLOCKS = "Move calls on the app instance's blocks (chain writes)"

UNSERVED: dict[str, str] = {
    "SubmitState": "sequence state writes on chain and a data availability store (Walrus)",
    "GetSequenceStates": "chain reads of the app instance's sequence states",
    "TryCreateBlock": _BLOCKS,
    "UpdateBlockStateDataAvailability": _BLOCKS,
    "UpdateBlockProofDataAvailability": _BLOCKS,
    "GetBlock": "chain reads of the app instance's blocks",
}


@unserved(UNSERVED)
class BlockCalls(AgentCalls):
    """SubmitState, GetSequenceStates, TryCreateBlock, GetBlock and the blocks'
    data-availability updates."""
