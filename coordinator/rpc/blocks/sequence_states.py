"""GetSequenceStates: the sequence states a prove job of the caller's app
instance starts from, by upstream's rule (`sui.pipeline_reads.read_sequence_states`:
the requested state alone when it has a data availability, else the run from
the highest lower one that has one).

Upstream answers gRPC errors here (`grpc.rs` at d1563ea): an unknown job
NOT_FOUND, another agent's job PERMISSION_DENIED, an unknown session
UNAUTHENTICATED, and any failure to read or select INTERNAL "Failed to query
sequence states: ..." ("Failed to fetch AppInstance: ..." when the instance
cannot be read).
"""

from __future__ import annotations

import purerpc

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.events import pipeline_objects as layout
from coordinator.instruments import socket_call
from coordinator.rpc.calls import raises_refusals
from coordinator.rpc.pipeline import PipelineAccess
from coordinator.sui.pipeline_reads import SequenceStatesError, read_sequence_states

__all__ = ["SequenceStateReads"]


def _state_message(state: layout.SequenceState) -> pb.SequenceState:
    message = pb.SequenceState(sequence=state.sequence, optimistic_state=state.optimistic_state,
                               transition_data=state.transition_data)
    if state.state is not None:
        message.state = state.state
    if state.data_availability is not None:
        message.data_availability = state.data_availability
    return message


class SequenceStateReads(PipelineAccess):
    """GetSequenceStates."""

    @socket_call("GetSequenceStates")
    @raises_refusals
    async def GetSequenceStates(
        self, input_message: pb.GetSequenceStatesRequest
    ) -> pb.GetSequenceStatesResponse:
        request = input_message
        named = self._job_request(request)
        sequence = request.sequence

        async def call() -> pb.GetSequenceStatesResponse:
            job = self._job_of(*named)
            try:
                states = await self._pipeline(
                    job, lambda client, state: read_sequence_states(client, state, sequence),
                    "Failed to query sequence states", purerpc.InternalError)
            except SequenceStatesError as exc:
                raise purerpc.InternalError(f"Failed to query sequence states: {exc}") from None
            return pb.GetSequenceStatesResponse(
                success=True, states=[_state_message(state) for state in states],
                message=f"Retrieved {len(states)} sequence states for sequence {sequence}")

        return await self._limited(call)
