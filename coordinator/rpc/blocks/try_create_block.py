"""TryCreateBlock: the agent asks for the open block to be closed now.

As upstream (`C/grpc.rs:3933`): `try_create_block` alone in a transaction;
success with the digest even when no block was made (the Move call then only
emits NoNewSequencesEvent or InsufficientTimeForBlockEvent), `block_number`
never set; a failed transaction is success=false "Failed to create block:
...". Stricter: upstream checks only that the job exists; here the job must
be running in the caller's session, and the block is its app instance's.
"""

from __future__ import annotations

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.domain import Job
from coordinator.instruments import socket_call
from coordinator.pipeline_writes import DirectCall
from coordinator.rpc.calls import answers_refusals
from coordinator.rpc.chain_writes import PipelineWrites
from coordinator.sui.calls.block import TryCreateBlock


class TryCreateBlockCall(PipelineWrites):
    @socket_call("TryCreateBlock")
    @answers_refusals(pb.TryCreateBlockResponse)
    async def TryCreateBlock(
        self, input_message: pb.TryCreateBlockRequest
    ) -> pb.TryCreateBlockResponse:
        async def make(job: Job) -> tuple[DirectCall, str]:
            return TryCreateBlock(), "Block creation attempted successfully"

        return await self._job_write("TryCreateBlock", input_message, make,
                                     pb.TryCreateBlockResponse, "Failed to create block")
