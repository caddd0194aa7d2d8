"""ProofEvent: an agent reports what it did with a proof (fetched, verified,
rejected, ...). Upstream forwards it to its Silvana RPC service as telemetry;
here it is kept, bounded, in the proof log for the status view and metrics.
Nothing reaches the chain.

Upstream's checks and gRPC errors (`grpc.rs` at d1563ea): job_id and
session_id required (INVALID_ARGUMENT), the job known (NOT_FOUND), the
session the job's own (INVALID_ARGUMENT "Session ID mismatch"); an unknown
event type counts as submitted.
"""

from __future__ import annotations

import purerpc

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.instruments import socket_call
from coordinator.proof_log import PROOF_EVENT_KINDS
from coordinator.rpc.calls import Refused
from coordinator.rpc.pipeline import (
    MAX_DESCRIPTOR_BYTES,
    PipelineAccess,
    check_text,
    sequences_of,
)

__all__ = ["ProofEventCalls"]



def _upstream_status(refused: Refused) -> purerpc.RpcFailedError:
    """Upstream compares the job's session with the request's: any refusal but
    an unknown job is its "Session ID mismatch"."""
    if str(refused).startswith("Job not found"):
        return purerpc.NotFoundError(str(refused))
    return purerpc.InvalidArgumentError(f"Session ID mismatch: {refused}")


class ProofEventCalls(PipelineAccess):
    """ProofEvent."""

    @socket_call("ProofEvent")
    async def ProofEvent(self, input_message: pb.ProofEventRequest) -> pb.ProofEventResponse:
        request = input_message
        if not request.job_id:
            raise purerpc.InvalidArgumentError("job_id is required for ProofEvent")
        if not request.session_id:
            raise purerpc.InvalidArgumentError("session_id is required for ProofEvent")
        try:
            named = self._job_request(request)
        except Refused as exc:
            raise _upstream_status(exc) from None
        lists = {name: sequences_of(name, getattr(request, name))
                 for name in ("sequences", "merged_sequences_1", "merged_sequences_2")}
        descriptor = check_text("data_availability", request.data_availability,
                                MAX_DESCRIPTOR_BYTES)

        async def call() -> pb.ProofEventResponse:
            try:
                job = self._job_of(*named)
            except Refused as exc:
                raise _upstream_status(exc) from None
            await self._proof_event(
                job, PROOF_EVENT_KINDS.get(request.proof_event_type, "submitted"),
                request.block_number, sequences=lists["sequences"],
                merged_sequences1=lists["merged_sequences_1"],
                merged_sequences2=lists["merged_sequences_2"], data_availability=descriptor,
                block_proof=request.block_proof if request.HasField("block_proof") else None)
            return pb.ProofEventResponse(success=True,
                                         message="Proof event received and forwarded")

        return await self._limited(call)
