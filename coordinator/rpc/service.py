"""CoordinatorService (upstream's agent API) and CoordinatorStatusService (ours).

The agent API is served by area, one module each, all on one authorization path
(`coordinator.rpc.calls`):

    jobs        GetJob, CompleteJob, FailJob, TerminateJob, AgentMessage
    app_state   GetAppInstance, GetKV, GetMetadata, SetKV, DeleteKV, AddMetadata,
                CreateAppJob
    proofs      SubmitProof, RejectProof, GetProof, GetBlockProof, ProofEvent
    blocks      sequence states and blocks
    settlement  settlement proofs and the blocks' settlement records
    data        data availability and secrets

A servicer reports a status by raising one of purerpc's `RpcFailedError`
subclasses (`purerpc.InvalidArgumentError(message)`, ...); the server in
`coordinator.grpc` sends its code and message (percent-encoded, as gRPC
wants) in the trailers. Any other exception is logged and answered UNKNOWN.

Who calls is known by where the call arrives. On the operator's socket the
service acts for whoever names a session, or for none (the seed's grpcurl call).
On an agent container's own socket the service is bound to that container's
session (`for_session`): a request must carry that session's id, so it acts on
the session's jobs only; anything else is PERMISSION_DENIED and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator._pb.silvana.coordinator.v1.coordinator_grpc import (
    CoordinatorStatusServiceServicer,
)
from coordinator.instruments import socket_call
from coordinator.rpc import blocks, data, proofs, settlement
from coordinator.rpc.app_state import AppStateCalls
from coordinator.rpc.blocks import BlockCalls
from coordinator.rpc.data import DataCalls
from coordinator.rpc.jobs import JobCalls
from coordinator.rpc.proofs import ProofCalls
from coordinator.rpc.settlement import SettlementCalls

__all__ = ["UNSERVED", "CoordinatorService", "StatusService"]

# Upstream's calls this coordinator does not serve yet, and what each would need.
UNSERVED: dict[str, str] = {
    **proofs.UNSERVED, **blocks.UNSERVED, **settlement.UNSERVED, **data.UNSERVED}


class CoordinatorService(JobCalls, AppStateCalls, ProofCalls, BlockCalls, SettlementCalls,
                         DataCalls):
    """silvana.coordinator.v1.CoordinatorService over a `JobBook`, every area of
    the API. Serve it, with a `StatusService`, through `coordinator.rpc.serve`."""


class StatusService(CoordinatorStatusServiceServicer):
    """silvana.coordinator.v1.CoordinatorStatusService: `status` builds the snapshot
    (the daemon owns that data). It shares the job calls' `limiter`."""

    def __init__(
        self, status: Callable[[], pb.GetStatusResponse], limiter: trio.CapacityLimiter
    ) -> None:
        self._status = status
        self.limiter = limiter

    @socket_call("GetStatus")
    async def GetStatus(self, input_message: pb.GetStatusRequest) -> pb.GetStatusResponse:
        async with self.limiter:
            return self._status()
