"""ReadDataAvailability: the data behind a descriptor (a proof, a sequence's
state), read from the proof store.

Upstream (`grpc.rs` at d1563ea) checks only that the session exists and reads
any descriptor, answering success=false "Invalid session ID", "Data
availability hash is required" or "Failed to read data: ...". Stricter here:
the session must run a job, and the descriptor must be one its app instance
names: in the instance's objects on chain (a sequence state's data
availability, a proof's or block proof's descriptor, a block's state or proof
data availability), or a settlement proof this coordinator recorded for it.
So an agent reads its own app's data, never another app's that happens to sit
in the same store.
"""

from __future__ import annotations

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.domain import Job
from coordinator.instruments import socket_call
from coordinator.proofs.errors import ProofStoreError
from coordinator.rpc.calls import Refused, answers_refusals, trust_refusal
from coordinator.rpc.pipeline import MAX_DESCRIPTOR_BYTES, PipelineAccess, check_text
from coordinator.sui.pipeline_reads import read_descriptors

__all__ = ["DataReads"]


class DataReads(PipelineAccess):
    """ReadDataAvailability."""

    async def _named_by(self, jobs: list[Job], descriptor: str) -> bool:
        """Whether an app instance of `jobs` names `descriptor` (the records kept
        here first: no chain read for a settlement proof)."""
        one_per_instance = {job.app_instance: job for job in jobs}
        if self.proof_log is not None:
            for app_instance in one_per_instance:
                if descriptor in await self.proof_log.settlement_descriptors(app_instance):
                    return True
        for job in one_per_instance.values():
            if descriptor in await self._pipeline(job, read_descriptors, "Failed to read data"):
                return True
        return False

    @socket_call("ReadDataAvailability")
    @answers_refusals(pb.ReadDataAvailabilityResponse)
    async def ReadDataAvailability(
        self, input_message: pb.ReadDataAvailabilityRequest
    ) -> pb.ReadDataAvailabilityResponse:
        request = input_message
        session_id = self._caller(request.session_id)
        descriptor = check_text("da_hash", request.da_hash, MAX_DESCRIPTOR_BYTES)

        async def call() -> pb.ReadDataAvailabilityResponse:
            jobs = self._session_jobs(session_id)
            if not descriptor:
                raise Refused("Data availability hash is required")
            if not jobs:
                raise trust_refusal("data_outside_instance", "Failed to read data: this "
                                    "session runs no job, so no app instance's data is "
                                    "readable")
            if not await self._named_by(jobs, descriptor):
                raise trust_refusal("data_outside_instance", f"Failed to read data: "
                                    f"{descriptor} is not named by the app instance of this "
                                    f"session's job")
            try:
                data = await self._stored_text(descriptor)
            except ProofStoreError as exc:
                raise Refused(f"Failed to read data: {exc}") from None
            return pb.ReadDataAvailabilityResponse(
                success=True, data=data,
                message=f"Successfully read data for descriptor: {descriptor}")

        return await self._limited(call)
