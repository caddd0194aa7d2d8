"""SubmitProof: an agent's calculated proof, stored, then queued on chain.

As upstream (`C/grpc.rs:1721`): the caller's job (gRPC errors: NOT_FOUND,
UNAUTHENTICATED, PERMISSION_DENIED), each sequence list sorted
(INVALID_ARGUMENT), the proof stored in the proof store (INTERNAL "Failed to
save proof to storage" when it cannot be), then `submit_proof` queued in the
app instance's next batch with the descriptor as `da_hash` and this host's
hardware; the answer does not wait for the chain: success, tx_hash "",
da_hash = the descriptor. Stricter: an empty `sequences` is INVALID_ARGUMENT
(the chain would abort it in every batch), a proof over the store's cap too.
"""

from __future__ import annotations

import purerpc

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.hardware import host_hardware
from coordinator.instruments import socket_call
from coordinator.proofs.errors import ProofStoreError
from coordinator.rpc.calls import raises_refusals
from coordinator.rpc.chain_writes import PipelineWrites, check_sequences
from coordinator.sui.calls.prover import SubmitProof


class SubmitProofCall(PipelineWrites):
    @socket_call("SubmitProof")
    @raises_refusals
    async def SubmitProof(self, input_message: pb.SubmitProofRequest) -> pb.SubmitProofResponse:
        request = input_message
        named = self._job_request(request)
        return await self._limited(lambda: self._submit_proof(named, request))

    async def _submit_proof(self, named: tuple[str | None, int, str | None],
                            request: pb.SubmitProofRequest) -> pb.SubmitProofResponse:
        job = self._job_of(*named)  # upstream: the job, then the lists
        sequences = check_sequences("sequences", request.sequences)
        merged_1 = check_sequences("merged_sequences_1", request.merged_sequences_1,
                                   may_be_empty=True)
        merged_2 = check_sequences("merged_sequences_2", request.merged_sequences_2,
                                   may_be_empty=True)
        settler = self._pipeline_settler("SubmitProof")
        store = self._store_of("SubmitProof")
        try:
            descriptor = await self._store(store, "proof", request.proof)
        except ProofStoreError as exc:
            raise purerpc.InternalError(f"Failed to save proof to storage: {exc}") from None
        hardware = host_hardware()
        await self._queue(settler, job, SubmitProof(
            request.block_number, sequences, merged_1 or None, merged_2 or None,
            request.job_id, str(descriptor), hardware.cpu_cores, hardware.architecture,
            hardware.memory_kb, request.cpu_time))
        # Upstream sends a ProofEvent(SUBMITTED) to its Silvana RPC; kept here.
        await self._proof_event(job, "submitted", request.block_number, sequences=sequences,
                                merged_sequences1=merged_1, merged_sequences2=merged_2,
                                data_availability=str(descriptor))
        return pb.SubmitProofResponse(success=True, message="Proof submitted successfully",
                                      tx_hash="", da_hash=str(descriptor))
