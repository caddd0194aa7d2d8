"""GetBlock: a created block of the caller's app instance, read from the chain.

Upstream (`grpc.rs` at d1563ea) answers success=false "Block N not found" for
a block not created yet or deleted once settled on every chain, and names the
block `block_{n}` (not its object id); commitments are the 32 raw scalar
bytes. Upstream checks only that the job exists; here the job must be the
caller's running job, and the block is of that job's app instance.
"""

from __future__ import annotations

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.events import pipeline_objects as layout
from coordinator.instruments import socket_call
from coordinator.rpc.calls import Refused, answers_refusals
from coordinator.rpc.pipeline import PipelineAccess
from coordinator.sui.pipeline_reads import read_block

__all__ = ["BlockReads", "block_message"]

_SAME = ("name", "block_number", "start_sequence", "end_sequence", "actions_commitment",
         "state_commitment", "time_since_last_block", "number_of_transactions",
         "start_actions_commitment", "end_actions_commitment", "state_data_availability",
         "proof_data_availability", "created_at", "state_calculated_at", "proved_at")


def block_message(block: layout.Block) -> pb.Block:
    """Upstream's Block message (an unset optional stays unset)."""
    fields = {name: getattr(block, name) for name in _SAME}
    return pb.Block(id=f"block_{block.block_number}",
                    **{name: value for name, value in fields.items() if value is not None})


class BlockReads(PipelineAccess):
    """GetBlock."""

    @socket_call("GetBlock")
    @answers_refusals(pb.GetBlockResponse)
    async def GetBlock(self, input_message: pb.GetBlockRequest) -> pb.GetBlockResponse:
        request = input_message
        named = self._job_request(request)
        number = request.block_number

        async def call() -> pb.GetBlockResponse:
            block = await self._pipeline(
                self._job_of(*named), lambda client, state: read_block(client, state, number),
                "Failed to fetch block")
            if block is None:
                raise Refused(f"Block {number} not found")
            return pb.GetBlockResponse(success=True, block=block_message(block),
                                       message=f"Block {number} retrieved successfully")

        return await self._limited(call)
