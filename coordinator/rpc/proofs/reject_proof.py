"""RejectProof: a proof a verifier refused is marked REJECTED on chain.

As upstream (`C/grpc.rs:1957`): the caller's job (gRPC errors), `sequences`
sorted (INVALID_ARGUMENT), then `reject_proof(block, sequences)` alone in a
transaction, answered with the chain's outcome: success and the digest, or
INTERNAL "Failed to reject proof transaction: ..." (a Move abort, no answer).
Stricter: an empty `sequences` is INVALID_ARGUMENT.
"""

from __future__ import annotations

import purerpc

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.instruments import socket_call
from coordinator.rpc.calls import raises_refusals
from coordinator.rpc.chain_writes import PipelineWrites, check_sequences
from coordinator.sui.calls.prover import RejectProof


class RejectProofCall(PipelineWrites):
    @socket_call("RejectProof")
    @raises_refusals
    async def RejectProof(self, input_message: pb.RejectProofRequest) -> pb.RejectProofResponse:
        request = input_message
        named = self._job_request(request)

        async def call() -> pb.RejectProofResponse:
            job = self._job_of(*named)
            sequences = check_sequences("sequences", request.sequences)
            settler = self._pipeline_settler("RejectProof")
            answer = await self._direct(settler, job, RejectProof(request.block_number,
                                                                  sequences))
            if not answer.success:
                raise purerpc.InternalError(
                    f"Failed to reject proof transaction: {answer.message}")
            # Upstream sends a ProofEvent(REJECTED) to its Silvana RPC; kept here.
            await self._proof_event(job, "rejected", request.block_number, sequences=sequences)
            return pb.RejectProofResponse(success=True, message="Proof rejected successfully",
                                          tx_hash=answer.digest)

        return await self._limited(call)
