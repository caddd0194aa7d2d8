"""SubmitState: the state after a sequence, stored, then queued on chain.

As upstream (`C/grpc.rs:2089`): the caller's job (gRPC errors); a
`serialized_state` is stored in the proof store (INTERNAL "Failed to save
state to data availability layer" when it cannot be) and its descriptor
written, none without one; `update_state_for_sequence(sequence,
new_state_data, descriptor)` is queued in the app instance's next batch (it
never aborts: out of range it returns false with an OperationFailedEvent,
which the settler logs). Answer: success, tx_hash "", da_hash the descriptor
or unset. Stricter: `new_state_data` over MAX_STATE_BYTES is INVALID_ARGUMENT
(a Sui pure argument holds 16 KiB).
"""

from __future__ import annotations

import purerpc

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.instruments import socket_call
from coordinator.proofs.errors import ProofStoreError
from coordinator.rpc.calls import raises_refusals
from coordinator.rpc.chain_writes import PipelineWrites
from coordinator.rpc.checks import invalid
from coordinator.sui.calls.block import UpdateStateForSequence

MAX_STATE_BYTES = 16_000


class SubmitStateCall(PipelineWrites):
    @socket_call("SubmitState")
    @raises_refusals
    async def SubmitState(self, input_message: pb.SubmitStateRequest) -> pb.SubmitStateResponse:
        request = input_message
        named = self._job_request(request)

        async def call() -> pb.SubmitStateResponse:
            job = self._job_of(*named)
            state = request.new_state_data if request.HasField("new_state_data") else None
            if state is not None and len(state) > MAX_STATE_BYTES:
                invalid(f"new_state_data: {len(state)} bytes, over {MAX_STATE_BYTES}")
            settler = self._pipeline_settler("SubmitState")
            descriptor = None
            if request.HasField("serialized_state"):
                try:
                    stored = await self._store(self._store_of("SubmitState"),
                                               "serialized_state", request.serialized_state)
                except ProofStoreError as exc:
                    raise purerpc.InternalError(
                        f"Failed to save state to data availability layer: {exc}") from None
                descriptor = str(stored)
            await self._queue(settler, job,
                              UpdateStateForSequence(request.sequence, state, descriptor))
            answer = pb.SubmitStateResponse(success=True, message="State submitted successfully",
                                            tx_hash="")
            if descriptor is not None:
                answer.da_hash = descriptor
            return answer

        return await self._limited(call)
