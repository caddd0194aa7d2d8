"""`silvana.simnet.v1.SimnetAdmin`: drive a running simulator from outside.

Served next to the Sui services on the simulator's listener; the
`create-job`, `add-method`, `fund`, `upgrade-package`, `set-faults` and
`stats` subcommands of
`python -m coordinator.simnet` are its clients.
"""

from __future__ import annotations

from typing import TypeVar

import purerpc
from google.protobuf.message import Message

from coordinator._pb.silvana.simnet.v1 import simnet_grpc, simnet_pb2
from coordinator.simnet.errors import SimnetError, UnknownObject
from coordinator.simnet.faults import Faults
from coordinator.simnet.sim import Simnet

R = TypeVar("R", bound=Message)


def _refused(exc: SimnetError) -> purerpc.RpcFailedError:
    if isinstance(exc, UnknownObject):
        return purerpc.NotFoundError(str(exc))
    return purerpc.FailedPreconditionError(str(exc))


def _required(request: R, *names: str) -> R:
    """`request`, once each of the fields `names` is set."""
    for name in names:
        if not getattr(request, name):
            raise purerpc.InvalidArgumentError(f"{name} is required")
    return request


class AdminService(simnet_grpc.SimnetAdminServicer):
    def __init__(self, sim: Simnet) -> None:
        self.sim = sim

    async def CreateJob(
        self, input_message: simnet_pb2.CreateJobRequest
    ) -> simnet_pb2.CreateJobResponse:
        request = _required(input_message, "developer", "agent", "agent_method", "app_instance")
        try:
            job = self.sim.create_job(
                request.app_instance,
                developer=request.developer,
                agent=request.agent,
                method=request.agent_method,
                data=request.data,
                description=request.description if request.HasField("description") else None,
                app_instance_method=(
                    request.app_instance_method if request.HasField("app_instance_method") else None
                ),
            )
        except SimnetError as exc:
            raise _refused(exc) from None
        tx = self.sim.last_tx
        assert tx is not None
        checkpoint = await self.sim.settle(tx)
        return simnet_pb2.CreateJobResponse(
            job_id=job.job_id, transaction_digest=tx.digest, checkpoint=checkpoint
        )

    async def AddMethod(
        self, input_message: simnet_pb2.AddMethodRequest
    ) -> simnet_pb2.AddMethodResponse:
        request = _required(input_message, "developer", "agent", "method", "docker_image")
        if request.min_memory_gb > 0xFFFF or request.min_cpu_cores > 0xFFFF:
            raise purerpc.InvalidArgumentError("min_memory_gb and min_cpu_cores are u16")
        sim = self.sim
        try:
            if request.developer not in sim.registry.developers:
                sim.register_developer(request.developer)
            if request.agent not in sim.developer(request.developer).agents:
                sim.register_agent(request.developer, request.agent)
            agent = sim.agent(request.developer, request.agent)
            updated = request.method in agent.methods
            sim.add_method(
                request.developer,
                request.agent,
                request.method,
                docker_image=request.docker_image,
                docker_sha256=(
                    request.docker_sha256 if request.HasField("docker_sha256") else None
                ),
                min_memory_gb=request.min_memory_gb,
                min_cpu_cores=request.min_cpu_cores,
                requires_tee=request.requires_tee,
                update=updated,
            )
            if request.set_default:
                sim.set_default_method(request.developer, request.agent, request.method)
        except SimnetError as exc:
            raise _refused(exc) from None
        tx = sim.last_tx
        assert tx is not None
        checkpoint = await sim.settle(tx)
        return simnet_pb2.AddMethodResponse(
            agent_id=agent.id, transaction_digest=tx.digest, checkpoint=checkpoint, updated=updated
        )

    async def SetFaults(
        self, input_message: simnet_pb2.SetFaultsRequest
    ) -> simnet_pb2.SetFaultsResponse:
        request = input_message
        try:
            faults = Faults(
                drop_stream_after_frames=request.drop_stream_after_frames,
                stall_stream_after_frames=request.stall_stream_after_frames,
                stall_secs=request.stall_secs or Faults.stall_secs,
                unavailable_every=request.unavailable_every,
                unavailable_burst=request.unavailable_burst,
                unimplemented=frozenset(request.unimplemented),
                index_lag_checkpoints=request.index_lag_checkpoints,
                old_node=request.old_node,
            )
        except ValueError as exc:
            raise purerpc.InvalidArgumentError(str(exc)) from None
        if request.unavailable_for_secs < 0:
            raise purerpc.InvalidArgumentError("unavailable_for_secs must be >= 0")
        self.sim.faults = faults
        if request.unavailable_for_secs:
            self.sim.gate.unavailable_for(request.unavailable_for_secs)
        return simnet_pb2.SetFaultsResponse()

    async def GetStats(
        self, input_message: simnet_pb2.GetStatsRequest
    ) -> simnet_pb2.GetStatsResponse:
        return simnet_pb2.GetStatsResponse(rpc_counts=dict(self.sim.rpc_counts), **self.sim.stats())

    async def Fund(self, input_message: simnet_pb2.FundRequest) -> simnet_pb2.FundResponse:
        request = input_message
        if not request.address:
            raise purerpc.InvalidArgumentError("address is required")
        try:
            coin = self.sim.fund(request.address, request.amount)
        except ValueError as exc:
            raise purerpc.InvalidArgumentError(f"cannot fund {request.address!r}: {exc}") from None
        tx = self.sim.last_tx
        assert tx is not None
        checkpoint = await self.sim.settle(tx)
        return simnet_pb2.FundResponse(
            coin_id=coin.id,
            version=coin.version,
            digest=coin.digest,
            balance=self.sim.coins.balance(coin.owner),
            transaction_digest=tx.digest,
            checkpoint=checkpoint,
        )

    async def UpgradePackage(
        self, input_message: simnet_pb2.UpgradePackageRequest
    ) -> simnet_pb2.UpgradePackageResponse:
        version = self.sim.upgrade_package()
        tx = self.sim.last_tx
        assert tx is not None
        checkpoint = await self.sim.settle(tx)
        return simnet_pb2.UpgradePackageResponse(
            package_id=version.storage_id, version=version.version,
            original_id=self.sim.package_id, transaction_digest=tx.digest, checkpoint=checkpoint,
        )  # fmt: skip
