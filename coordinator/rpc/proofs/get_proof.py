"""GetProof and GetBlockProof: a proof of the caller's app instance, by its
block and sequences or the block's own, read from the chain's ProofCalculation
and then from the proof store by its descriptor.

Upstream's semantics (`crates/coordinator/src/grpc.rs` at d1563ea): GetProof
takes the first entry of the block's proofs keyed exactly by the sequences as
sent (not re-sorted; the chain's keys are sorted) that has a descriptor;
GetBlockProof takes the calculation's `block_proof`. Every refusal and failure
is success=false with upstream's message.
"""

from __future__ import annotations

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.domain import Job
from coordinator.events import pipeline_objects as layout
from coordinator.instruments import socket_call
from coordinator.proofs.errors import ProofStoreError
from coordinator.rpc.calls import Refused, answers_refusals
from coordinator.rpc.pipeline import PipelineAccess, sequences_of
from coordinator.sui.pipeline_reads import read_proof_calculation

__all__ = ["ProofReads"]


class ProofReads(PipelineAccess):
    """GetProof, GetBlockProof."""

    async def _calculation(self, job: Job, block_number: int) -> layout.ProofCalculation:
        calculation = await self._pipeline(
            job, lambda client, state: read_proof_calculation(client, state, block_number),
            "Failed to fetch ProofCalculation")
        if calculation is None:  # a block settled on every chain is deleted
            raise Refused(f"No ProofCalculation found for block {block_number} "
                          f"(may have been deleted after settlement)")
        return calculation

    async def _proof_text(self, descriptor: str) -> str:
        try:
            return await self._stored_text(descriptor)
        except ProofStoreError as exc:
            raise Refused(f"Failed to read proof: {exc}") from None

    @socket_call("GetProof")
    @answers_refusals(pb.GetProofResponse)
    async def GetProof(self, input_message: pb.GetProofRequest) -> pb.GetProofResponse:
        request = input_message
        named = self._job_request(request)
        sequences = sequences_of("sequences", request.sequences)

        async def call() -> pb.GetProofResponse:
            job = self._job_of(*named)  # upstream: the job first, then the sequences
            if not sequences:
                raise Refused("Sequences are required")
            calculation = await self._calculation(job, request.block_number)
            descriptor = next((proof.da_hash for key, proof in calculation.proofs
                               if key == sequences and proof.da_hash is not None), None)
            if descriptor is None:
                raise Refused(f"No proof found for sequences {list(sequences)} in block "
                              f"{request.block_number}")
            return pb.GetProofResponse(success=True, proof=await self._proof_text(descriptor),
                                       message="Proof retrieved successfully")

        return await self._limited(call)

    @socket_call("GetBlockProof")
    @answers_refusals(pb.GetBlockProofResponse)
    async def GetBlockProof(
        self, input_message: pb.GetBlockProofRequest
    ) -> pb.GetBlockProofResponse:
        request = input_message
        named = self._job_request(request)

        async def call() -> pb.GetBlockProofResponse:
            calculation = await self._calculation(self._job_of(*named), request.block_number)
            if calculation.block_proof is None:
                raise Refused(f"Block proof not available yet for block {request.block_number}")
            return pb.GetBlockProofResponse(
                success=True, block_proof=await self._proof_text(calculation.block_proof),
                message="Block proof retrieved successfully")

        return await self._limited(call)
