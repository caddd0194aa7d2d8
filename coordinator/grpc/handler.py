"""The per-connection handler of our gRPC server: purerpc's, with the server
fixes (`coordinator.grpc.server`'s module doc): cancellation let through, a
servicer's exception answered UNKNOWN, calls of a reset stream or an ended
connection cancelled, the handshake and idle timeouts, the connection gates.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import anyio
import anyio.abc
import h2.events  # type: ignore[import-untyped]
import h2.exceptions  # type: ignore[import-untyped]
import purerpc
import trio
from google.protobuf.message import DecodeError
from purerpc.grpc_socket import GRPCStreamState
from purerpc.grpclib.events import (
    RequestReceived,
)
from purerpc.grpclib.exceptions import GRPCError, RpcFailedError
from purerpc.grpclib.status import Status, StatusCode
from purerpc.rpc import Cardinality
from purerpc.server import ConnectionHandler
from purerpc.wrappers import (
    call_server_stream_stream,
    call_server_stream_unary,
    call_server_unary_stream,
    extract_message_from_singleton_stream,
)

from coordinator.errors import describe
from coordinator.grpc.admission import Admission, Admitted, SessionGate
from coordinator.grpc.connection import ServerConnection, ServerSocket, WatchedSocket, say_goodbye
from coordinator.grpc.limits import Connections, ServerLimits
from coordinator.grpc.patches import close_queue
from coordinator.grpc.transport import TRANSPORT_ERRORS, ByteStream

__all__ = ["ServerHandler"]

log = logging.getLogger("coordinator.purerpc")


# Errors of the HTTP/2 stream itself, as opposed to a servicer's own (OSError included).
_STREAM_ERRORS = (
    GRPCError,
    h2.exceptions.H2Error,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    anyio.EndOfStream,
    DecodeError,
)


async def _call_unary_unary(method_fn: Callable[[Any], Any], stream: Any) -> None:
    """purerpc's call_server_unary_unary with the response headers sent with the
    answer (one write for headers, message and trailers), not before the request
    is read, and written from this task when it can (`WatchedSocket.send_at_once`):
    a unary call's cost is mostly its rounds of the loop and its writes."""
    response = await method_fn(await extract_message_from_singleton_stream(stream))
    socket: WatchedSocket = stream._socket
    socket.gathering = True  # headers, message and trailers: one write, sent now
    try:
        await stream.start_response()
        await stream.send_message(response)
        await stream.close(Status(StatusCode.OK))
    finally:
        socket.gathering = False
        socket.send_at_once()


_DISPATCH = {
    Cardinality.UNARY_UNARY: _call_unary_unary,
    Cardinality.UNARY_STREAM: call_server_unary_stream,
    Cardinality.STREAM_UNARY: call_server_stream_unary,
    Cardinality.STREAM_STREAM: call_server_stream_stream,
}


class ServerHandler(ConnectionHandler):  # type: ignore[misc]
    """purerpc's per-connection handler, with the server fixes of the module doc."""

    def __init__(
        self, services: dict[str, Any], limits: ServerLimits, gates: tuple[Connections, ...],
        admission: Admission | None = None, session_gate: SessionGate | None = None,
    ) -> None:
        super().__init__(services, purerpc.Server(port=0))
        self.limits = limits
        self.gates = gates
        # Anyone may connect (TCP): connections are pending until a request
        # names a live session (`coordinator.grpc.admission`).
        self.admission = admission
        self.session_gate = session_gate

    async def __call__(self, stream: ByteStream) -> None:
        entered: list[Connections] = []
        admitted = None
        try:
            for gate in self.gates:
                if not gate.try_enter():
                    log.debug("connection refused: %d connections open (the limit)", gate.open)
                    await _close(stream)
                    return
                entered.append(gate)
            if self.admission is not None:
                admitted = self.admission.enter()
                if admitted is None:
                    log.debug("connection refused: every place is held by an agent")
                    await _close(stream)
                    return
            await self._serve_connection(stream, admitted)
        finally:
            for gate in entered:
                gate.leave()
            if admitted is not None and self.admission is not None:
                self.admission.leave(admitted)

    async def _serve_connection(self, stream: ByteStream, admitted: Admitted | None) -> None:
        calls: dict[int, trio.CancelScope] = {}
        refused: dict[int, Status] = {}  # calls answered before their request is read
        first_call = trio.Event()
        proven = admitted.proven if admitted is not None else first_call

        def on_reset(stream_id: int) -> None:
            scope = calls.get(stream_id)
            if scope is not None:
                scope.cancel()

        def on_refused(stream_id: int, status: Status) -> None:
            refused[stream_id] = status
            on_reset(stream_id)

        connection_state = ServerConnection(
            self.limits, on_reset, on_refused,
            gate=None if admitted is None else self.session_gate,
            on_authenticated=proven.set)
        grpc_socket = ServerSocket(stream, connection_state)
        # Cancelled when a newer connection takes a pending one's place.
        pushed = admitted.scope if admitted is not None else trio.CancelScope()
        try:
            with trio.CancelScope() as connection:
                async with stream, grpc_socket:
                    with pushed:
                        async with trio.open_nursery() as nursery:
                            nursery.start_soon(self._watch, grpc_socket, proven, connection)
                            async for call in grpc_socket.listen():
                                first_call.set()
                                calls[call.stream_id] = trio.CancelScope()
                                nursery.start_soon(self._serve_call, grpc_socket, call, calls,
                                                   refused)
                            nursery.cancel_scope.cancel()  # the client went away
                    if pushed.cancelled_caught:
                        log.debug("connection pushed out: pending, and a newer one came")
                        with trio.CancelScope(shield=True):
                            await say_goodbye(grpc_socket)
        except Exception as exc:
            log.debug("connection ended: %s", describe(exc))
        finally:
            # Calls purerpc still holds (reset, or cut off with the connection).
            for call in grpc_socket._streams.values():
                close_queue(call)

    async def _watch(
        self, grpc_socket: ServerSocket, proven: trio.Event, connection: trio.CancelScope
    ) -> None:
        """Close a connection that has not proven itself in time (its first call;
        on TCP, a request naming a live session), or that went silent while no
        call of it was being answered (a call whose request has all arrived: a
        long server stream is not idle; a request that never ends is)."""
        with trio.move_on_after(self.limits.handshake_timeout_secs):
            await proven.wait()
        if not proven.is_set():
            log.debug("connection closed: not proven within %g s",
                      self.limits.handshake_timeout_secs)
            await say_goodbye(grpc_socket)
            connection.cancel()
            return
        socket: WatchedSocket = grpc_socket._socket
        while True:
            silent = trio.current_time() - socket.last_received
            answering = any(call.state is GRPCStreamState.HALF_CLOSED_REMOTE
                            for call in grpc_socket._streams.values())
            if answering:
                silent = 0.0
            if silent >= self.limits.idle_timeout_secs:
                log.debug("connection closed: silent for %g s", silent)
                await say_goodbye(grpc_socket)
                connection.cancel()
                return
            await trio.sleep(self.limits.idle_timeout_secs - silent)

    async def _serve_call(
        self, grpc_socket: Any, stream: Any, calls: dict[int, trio.CancelScope],
        refused: dict[int, Status],
    ) -> None:
        try:
            with calls[stream.stream_id]:
                if stream.stream_id not in refused:
                    await self.request_received(stream)
            status = refused.pop(stream.stream_id, None)
            if status is not None:
                with suppress(*TRANSPORT_ERRORS, TypeError):
                    await stream.close(status)
        finally:
            calls.pop(stream.stream_id, None)
            stream.handled = True
            if grpc_socket._streams.get(stream.stream_id) is not stream:
                close_queue(stream)  # both sides ended: nothing more can arrive

    async def request_received(self, stream: Any) -> None:
        name = "?"
        try:
            event = await stream.receive_event()
            if not isinstance(event, RequestReceived):
                await stream.close(Status(StatusCode.INTERNAL, "expected request headers"))
                return
            name = f"{event.service_name}/{event.method_name}"
            service = self.services.get(event.service_name)
            bound = None if service is None else service.methods.get(event.method_name)
            if bound is None:
                await stream.close(Status(StatusCode.UNIMPLEMENTED, f"{name} is not implemented"))
                return
            if bound.signature.cardinality is not Cardinality.UNARY_UNARY:
                await stream.start_response()  # streamed answers: headers first
        except TRANSPORT_ERRORS as exc:
            log.debug("call %s ended: %s", name, describe(exc))
            return
        stream.expect_message_type(bound.signature.request_type)
        method_fn = functools.partial(bound.method_fn, request=event)
        try:
            await _DISPATCH[bound.signature.cardinality](method_fn, stream)
            return
        except RpcFailedError as error:
            status = error.status
        except DecodeError:
            status = Status(StatusCode.INVALID_ARGUMENT,
                            f"the request is not a valid {bound.signature.request_type.__name__}")
        except _STREAM_ERRORS as exc:  # a bad request, or the call or connection broke
            log.debug("call %s ended: %s", name, describe(exc))
            status = Status(StatusCode.INTERNAL, describe(exc))
        except Exception as exc:
            log.exception("%s failed", name)
            status = Status(StatusCode.UNKNOWN, f"Exception calling application: {exc}")
        # TypeError: purerpc's "Closing already closed stream".
        with suppress(*TRANSPORT_ERRORS, TypeError):
            await stream.close(status)


async def _close(stream: ByteStream) -> None:
    with trio.CancelScope(shield=True):
        await stream.aclose()
