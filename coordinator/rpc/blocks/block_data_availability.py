"""UpdateBlockStateDataAvailability and UpdateBlockProofDataAvailability: a
block's state and proof, stored, their descriptors written on the block.

As upstream (`C/grpc.rs:4000`, `:4143`) the request carries the data itself:
it is stored in the proof store first (success=false "Failed to save state /
proof to data availability layer: ..." when it cannot be), then the call goes
alone in a transaction with the descriptor, answered with the chain's outcome
("Failed to update block state / proof DA: ..." on a refusal, e.g. a block
that does not exist). The state update also clears the block's proof
descriptor on chain, so a settle agent sends the state first.

Walrus quilts: upstream writes, for every 100th block, a quilt of the last 100
blocks' proofs on Walrus instead of the block's own descriptor. This
coordinator has no Walrus: every block gets its own descriptor
(docs/pipeline-writes.md). Stricter: the job must be running in the caller's
session (upstream: the job exists).
"""

from __future__ import annotations

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.domain import Job
from coordinator.instruments import socket_call
from coordinator.pipeline_writes import DirectCall
from coordinator.rpc.calls import answers_refusals
from coordinator.rpc.chain_writes import PipelineWrites
from coordinator.sui.calls.block import (
    UpdateBlockProofDataAvailability,
    UpdateBlockStateDataAvailability,
)


class BlockDataAvailabilityCalls(PipelineWrites):
    @socket_call("UpdateBlockStateDataAvailability")
    @answers_refusals(pb.UpdateBlockStateDataAvailabilityResponse)
    async def UpdateBlockStateDataAvailability(
        self, input_message: pb.UpdateBlockStateDataAvailabilityRequest
    ) -> pb.UpdateBlockStateDataAvailabilityResponse:
        request = input_message
        name = "UpdateBlockStateDataAvailability"

        async def make(job: Job) -> tuple[DirectCall, str]:
            descriptor = await self._stored_or_refused(
                name, "state_data_availability", request.state_data_availability,
                "Failed to save state to data availability layer")
            return (UpdateBlockStateDataAvailability(request.block_number, descriptor),
                    f"Block state DA updated successfully with descriptor: {descriptor}")

        return await self._job_write(name, request, make,
                                     pb.UpdateBlockStateDataAvailabilityResponse,
                                     "Failed to update block state DA")

    @socket_call("UpdateBlockProofDataAvailability")
    @answers_refusals(pb.UpdateBlockProofDataAvailabilityResponse)
    async def UpdateBlockProofDataAvailability(
        self, input_message: pb.UpdateBlockProofDataAvailabilityRequest
    ) -> pb.UpdateBlockProofDataAvailabilityResponse:
        request = input_message
        name = "UpdateBlockProofDataAvailability"

        async def make(job: Job) -> tuple[DirectCall, str]:
            descriptor = await self._stored_or_refused(
                name, "proof_data_availability", request.proof_data_availability,
                "Failed to save proof to data availability layer")
            return (UpdateBlockProofDataAvailability(request.block_number, descriptor),
                    f"Block proof DA updated successfully with descriptor: {descriptor}")

        return await self._job_write(name, request, make,
                                     pb.UpdateBlockProofDataAvailabilityResponse,
                                     "Failed to update block proof DA")
