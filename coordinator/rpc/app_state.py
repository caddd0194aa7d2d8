"""The app-instance calls of the agent API: the state (GetAppInstance), KV and
metadata of the caller's job's app instance, and the jobs an agent creates on it.

They act on the app instance of the request's job, which must be running in the
caller's session (the one authorization path, `AgentCalls`). Reads
(GetAppInstance, GetKV, GetMetadata) read the AppInstance object from the chain
(success=false, "Failed to fetch app instance", when it cannot be read).
Writes (SetKV, DeleteKV, AddMetadata, CreateAppJob) need a Sui key
(FAILED_PRECONDITION without); they go through the settler's outbox as Move
calls and answer the chain's outcome: success and the transaction digest, or
success=false with the chain's reason (a Move abort).
CreateAppJob refuses the reserved method `merge` and a method the app instance
lacks with success=false, as upstream words a create that failed.
The requests' pieces and the wire messages are in `coordinator.rpc.app_instance`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import purerpc

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.agent_writes import outbox_entry
from coordinator.domain import Job
from coordinator.errors import describe
from coordinator.instruments import socket_call
from coordinator.rpc.app_instance import (
    app_instance_data,
    check_key,
    check_value,
    create_app_job,
    metadata_message,
)
from coordinator.rpc.calls import AgentCalls, JobRequest, Refused, answers_refusals, trust_refusal
from coordinator.settlement import Settler, WriteAnswer
from coordinator.sui.app_instance import AppInstanceObject, read_app_instance
from coordinator.sui.client import SuiError
from coordinator.sui.transactions import AddMetadata, AgentWrite, DeleteKV, SetKV

__all__ = ["AppStateCalls"]

log = logging.getLogger("coordinator.rpc")

R = TypeVar("R")
W = TypeVar("W")

# The method of merge jobs, which only the coordinator creates (`create_merge_job`
# reserves the two proofs a merge job merges; an agent's CreateAppJob would not).
MERGE_METHOD = "merge"

NO_KEY = ("{call} writes to the chain and needs a Sui key: set sui.key_file or "
          "SUI_SECRET_KEY in the coordinator's configuration")


class AppStateCalls(AgentCalls):
    """Reads and writes of the app instance of the caller's job."""

    async def _instance(self, job: Job) -> AppInstanceObject:
        """The app instance of `job` as on chain now; one that cannot be read is
        refused as upstream refuses it ("Failed to fetch app instance")."""
        if self.chain is None:
            raise Refused("Failed to fetch app instance: this coordinator has no chain to read")
        try:
            return await read_app_instance(self.chain, job.app_instance)
        except SuiError as exc:
            log.warning("app instance of job %s not read: %s", job.ref, describe(exc))
            raise Refused(f"Failed to fetch app instance: the chain could not be read: "
                          f"{describe(exc)}") from None

    def _writer(self, call: str) -> Settler:
        if self.settler is None:
            raise purerpc.FailedPreconditionError(NO_KEY.format(call=call))
        return self.settler

    async def _write(self, settler: Settler, job: Job, write: AgentWrite) -> WriteAnswer:
        with self._write_slot(job):
            answer = await settler.write(outbox_entry(write, job.app_instance, job.job_id,
                                                      settler.clock()))
        log.info("%s for job %s: %s", type(write).__name__, job.ref, answer.message)
        return answer

    async def _read(self, named: tuple[str | None, int, str | None],
                    answer: Callable[[AppInstanceObject], R]) -> R:
        """GetAppInstance, GetKV and GetMetadata: the app instance of the caller's
        job read from the chain, then `answer` from it."""

        async def call() -> R:
            return answer(await self._instance(self._job_of(*named)))

        return await self._limited(call)

    async def _simple_write(self, name: str, request: JobRequest, make: Callable[[], AgentWrite],
                            response: Callable[..., W]) -> W:
        """SetKV, DeleteKV and AddMetadata: the caller and job checked, then the
        write's own fields (`make`), then the write for the caller's job,
        answered as `response` (success, message, tx_hash)."""
        named = self._job_request(request)
        write = make()

        async def call() -> W:
            job = self._job_of(*named)
            answer = await self._write(self._writer(name), job, write)
            return response(success=answer.success, message=answer.message,
                            tx_hash=answer.digest)

        return await self._limited(call)

    @socket_call("GetAppInstance")
    @answers_refusals(pb.GetAppInstanceResponse)
    async def GetAppInstance(
        self, input_message: pb.GetAppInstanceRequest
    ) -> pb.GetAppInstanceResponse:
        return await self._read(
            self._job_request(input_message),
            lambda instance: pb.GetAppInstanceResponse(
                success=True, message=f"app instance {instance.id}",
                app_instance=app_instance_data(instance)))

    @socket_call("GetKV")
    @answers_refusals(pb.GetKVResponse)
    async def GetKV(self, input_message: pb.GetKVRequest) -> pb.GetKVResponse:
        named = self._job_request(input_message)
        key = check_key(input_message.key)

        def answer(instance: AppInstanceObject) -> pb.GetKVResponse:
            if key not in instance.kv:
                # Upstream: a missing key is a success without a value.
                return pb.GetKVResponse(success=True, message=f"Key '{key}' not found")
            return pb.GetKVResponse(success=True, message="found", value=instance.kv[key])

        return await self._read(named, answer)

    @socket_call("GetMetadata")
    @answers_refusals(pb.GetMetadataResponse)
    async def GetMetadata(self, input_message: pb.GetMetadataRequest) -> pb.GetMetadataResponse:
        named = self._job_request(input_message)
        key = check_key(input_message.key) if input_message.HasField("key") else None

        def answer(instance: AppInstanceObject) -> pb.GetMetadataResponse:
            if key is None:
                message = "app instance info"
            elif key in instance.metadata:
                message = "found"
            else:
                message = f"Key '{key}' not found"
            return pb.GetMetadataResponse(success=True, message=message,
                                          metadata=metadata_message(instance, key))

        return await self._read(named, answer)

    @socket_call("SetKV")
    @answers_refusals(pb.SetKVResponse)
    async def SetKV(self, input_message: pb.SetKVRequest) -> pb.SetKVResponse:
        request = input_message
        return await self._simple_write(
            "SetKV", request, lambda: SetKV(check_key(request.key), check_value(request.value)),
            pb.SetKVResponse)

    @socket_call("DeleteKV")
    @answers_refusals(pb.DeleteKVResponse)
    async def DeleteKV(self, input_message: pb.DeleteKVRequest) -> pb.DeleteKVResponse:
        request = input_message
        return await self._simple_write(
            "DeleteKV", request, lambda: DeleteKV(check_key(request.key)), pb.DeleteKVResponse)

    @socket_call("AddMetadata")
    @answers_refusals(pb.AddMetadataResponse)
    async def AddMetadata(self, input_message: pb.AddMetadataRequest) -> pb.AddMetadataResponse:
        request = input_message
        return await self._simple_write(
            "AddMetadata", request,
            lambda: AddMetadata(check_key(request.key), check_value(request.value)),
            pb.AddMetadataResponse)

    @socket_call("CreateAppJob")
    @answers_refusals(pb.CreateAppJobResponse)
    async def CreateAppJob(
        self, input_message: pb.CreateAppJobRequest
    ) -> pb.CreateAppJobResponse:
        named = self._job_request(input_message)
        write = create_app_job(input_message)
        if write.method_name == MERGE_METHOD:
            raise trust_refusal("reserved_method", f"Failed to create app job: "
                                f"{MERGE_METHOD!r} is reserved: the coordinator creates "
                                f"merge jobs itself, reserving their proofs")

        async def call() -> pb.CreateAppJobResponse:
            job = self._job_of(*named)
            settler = self._writer("CreateAppJob")
            instance = await self._instance(job)
            if write.method_name not in instance.methods:
                # The chain would create nothing (OperationFailedEvent "Method not
                # found in app instance"); the transaction is not sent.
                known = ", ".join(sorted(instance.methods)) or "none"
                raise Refused(f"Failed to create app job: Method not found in app instance: "
                              f"{write.method_name!r} is not a method of {instance.id} "
                              f"(its methods: {known})")
            answer = await self._write(settler, job, write)
            return pb.CreateAppJobResponse(success=answer.success, message=answer.message,
                                           tx_hash=answer.digest,
                                           job_sequence=answer.job_sequence)

        return await self._limited(call)
