"""SubmitSettlementProof and GetSettlementProof: the proof of a block's
settlement transaction on another chain, kept for the settle job that may
have to send it again (a fork of the settlement chain).

Upstream stores the proof in its cache and sends a ProofEvent to its Silvana
RPC service, which GetSettlementProof asks for the newest (`grpc.rs` at
d1563ea). Here the proof goes to the proof store and (app instance, block,
chain) -> its descriptor is recorded in the state database (`ProofLog`), with
a proof event; GetSettlementProof answers the newest record's proof. Nothing
reaches the chain.

SubmitSettlementProof answers gRPC errors as upstream (NOT_FOUND,
PERMISSION_DENIED, UNAUTHENTICATED; INTERNAL "Failed to save proof to
storage"); GetSettlementProof answers success=false with upstream's messages.
Stricter here: the chain must be one of the app instance's settlement chains.
"""

from __future__ import annotations

import logging

import purerpc

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.errors import describe
from coordinator.instruments import socket_call
from coordinator.proof_rows import SettlementProofRecord
from coordinator.proofs.errors import ProofStoreError
from coordinator.rpc.calls import Refused, answers_refusals, raises_refusals
from coordinator.rpc.pipeline import MAX_CHAIN_BYTES, PipelineAccess, check_text
from coordinator.sui.client import SuiClient
from coordinator.sui.pipeline_reads import PipelineState

__all__ = ["SettlementProofCalls"]

log = logging.getLogger("coordinator.rpc")


async def _chains(client: SuiClient, state: PipelineState) -> set[str]:
    return set(state.settlements)


class SettlementProofCalls(PipelineAccess):
    """SubmitSettlementProof, GetSettlementProof."""

    @socket_call("SubmitSettlementProof")
    @raises_refusals
    async def SubmitSettlementProof(
        self, input_message: pb.SubmitSettlementProofRequest
    ) -> pb.SubmitSettlementProofResponse:
        request = input_message
        named = self._job_request(request)
        chain = check_text("chain", request.chain, MAX_CHAIN_BYTES)

        async def call() -> pb.SubmitSettlementProofResponse:
            job = self._job_of(*named)
            chains = await self._pipeline(job, _chains, "Failed to fetch AppInstance",
                                          purerpc.InternalError)
            if chain not in chains:
                raise purerpc.InvalidArgumentError(f"Chain {chain} not found in settlements")
            if self.proofs is None or self.proof_log is None:
                raise purerpc.InternalError("Failed to save proof to storage: this "
                                            "coordinator has no proof store")
            try:
                descriptor = str(await self.proofs.store(request.proof.encode()))
            except ProofStoreError as exc:
                log.warning("settlement proof of job %s not stored: %s", job.ref, describe(exc))
                raise purerpc.InternalError(f"Failed to save proof to storage: {exc}") from None
            await self.proof_log.record_settlement_proof(SettlementProofRecord(
                job.app_instance, request.block_number, chain, descriptor, job.job_id,
                self.proof_log.clock()))
            await self._proof_event(job, "submitted", request.block_number,
                                    data_availability=descriptor, settlement_chain=chain)
            log.info("settlement proof of block %d on %s for job %s: %s", request.block_number,
                     chain, job.ref, descriptor)
            return pb.SubmitSettlementProofResponse(
                success=True, message=f"Settlement proof submitted successfully for chain {chain}")

        return await self._limited(call)

    @socket_call("GetSettlementProof")
    @answers_refusals(pb.GetSettlementProofResponse)
    async def GetSettlementProof(
        self, input_message: pb.GetSettlementProofRequest
    ) -> pb.GetSettlementProofResponse:
        request = input_message
        named = self._job_request(request)
        chain = check_text("settlement_chain", request.settlement_chain, MAX_CHAIN_BYTES)
        number = request.block_number

        async def call() -> pb.GetSettlementProofResponse:
            job = self._job_of(*named)
            if self.proof_log is None:
                raise Refused("Failed to query settlement proofs: this coordinator keeps none")
            record = await self.proof_log.settlement_proof(job.app_instance, number, chain)
            if record is None:
                raise Refused(f"No settlement proof found for block {number}")
            try:
                proof = await self._stored_text(record.descriptor)
            except ProofStoreError as exc:
                raise Refused(f"Failed to read settlement proof from storage: {exc}") from None
            return pb.GetSettlementProofResponse(
                success=True, proof=proof, message="Settlement proof retrieved successfully")

        return await self._limited(call)
