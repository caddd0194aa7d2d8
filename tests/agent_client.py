"""grpcio as an agent calling the agent API by method name: the request goes
out as the agent's SDK would send it, the answer comes back decoded as that
method's response. Shared by the rigs of the per-call test files."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb

SERVICE = "/silvana.coordinator.v1.CoordinatorService/"


async def agent_call(channel: grpc.Channel, name: str, request: Any) -> Any:
    """Call `name` (e.g. "SubmitProof") on `channel`, off the Trio thread."""
    response = getattr(pb, name + "Response")
    method = channel.unary_unary(SERVICE + name,
                                 request_serializer=lambda m: m.SerializeToString(),
                                 response_deserializer=response.FromString)
    return await trio.to_thread.run_sync(lambda: method(request, timeout=30))


async def agent_refused(channel: grpc.Channel, name: str, request: Any) -> grpc.RpcError:
    """The gRPC error `name` answers `request` with (the test fails if it succeeds)."""
    with pytest.raises(grpc.RpcError) as info:
        await agent_call(channel, name, request)
    return info.value
