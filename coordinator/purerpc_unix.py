"""purerpc over Unix sockets and already-open byte streams, with the fixes our calls rely on.

purerpc 0.8 (pinned in pyproject) speaks gRPC over any anyio byte stream, but its
entry points assume TCP: `purerpc.Server` binds every interface, the channels dial
TCP themselves, and every socket gets TCP keepalive options. This module is the
small adapter both sides of the coordinator use:

Server side (CoordinatorService on a Unix socket, the Sui simulator on 127.0.0.1):

- `serve(listener_or_path, *services)`: serve purerpc `Service`s (or `Servicer`s)
  on an anyio listener or on a Unix socket path it creates (and removes on exit).
- `serve_tcp(host, port, *services)`: the same on a TCP listener bound to one
  address only. Both report their address through `task_status`.

Client side:

- `StreamChannel(stream, host, port)`: a channel over a byte stream the caller has
  already connected (TCP, TLS or Unix), usable with `purerpc.Client` and the
  generated stubs (they read `_host`/`_port` for `:authority` and `_grpc_socket`).
- `unix_channel(path)`: like `purerpc.insecure_channel`, for a Unix socket path.

Changes to purerpc's behaviour, each found against a real HTTP/2 peer (tests in
tests/test_sui_client.py):

1. `SocketWrapper._set_socket_options` sets TCP options on every socket, which fails
   with `OSError 95` on `AF_UNIX`. `install()` (run on import) makes it skip sockets
   that are not TCP; it patches that one static method, once.
2. Client: purerpc drops RST_STREAM from the server; the call then waits forever.
   Our channel ends the call with the status gRPC maps the HTTP/2 error code to
   (CANCEL -> CANCELLED, REFUSED_STREAM -> UNAVAILABLE, ...).
3. Client: when the server closes the connection (EOF, reset, GOAWAY, an HTTP/2
   protocol error) purerpc's reader ends silently and pending calls wait forever,
   or its writer task crashes and cancels the caller's whole `async with` body. Our
   channel ends every open call with UNAVAILABLE instead and refuses new calls with
   UNAVAILABLE, so each caller sees an ordinary gRPC status.
4. Client: purerpc never resets a call its caller stopped waiting for (a deadline,
   a cancel, leaving a stream early), so the server keeps working on it.
   `StreamChannel.abandon(stream)` sends RST_STREAM(CANCEL).
5. purerpc never closes the socket of a channel; ours closes it on exit.
6. Server: purerpc catches `BaseException` (so cancellation is logged as three
   warnings per connection), answers a servicer's exception with CANCELLED and a
   repr of it, keeps serving calls the client has reset, and leaves calls of a
   closed connection running. Our handler lets cancellation through, answers
   UNKNOWN like grpcio does, and cancels calls that were reset or whose connection
   ended.

Everything here is built on purerpc 0.8's internals (`GRPCSocket`,
`GRPCConnection`, `ConnectionHandler`); re-check it when upgrading purerpc.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import stat
from collections.abc import Callable
from contextlib import AsyncExitStack, suppress
from datetime import timedelta
from typing import Any

import anyio
import anyio.abc
import h2.errors  # type: ignore[import-untyped]
import h2.events  # type: ignore[import-untyped]
import h2.exceptions  # type: ignore[import-untyped]
import purerpc
import trio
from google.protobuf.message import DecodeError
from purerpc.client import _Channel
from purerpc.grpc_proto import GRPCProtoSocket, GRPCProtoStream
from purerpc.grpc_socket import GRPCStreamState, SocketWrapper
from purerpc.grpclib.connection import GRPCConfiguration, GRPCConnection
from purerpc.grpclib.events import RequestReceived, ResponseEnded
from purerpc.grpclib.exceptions import GRPCError, RpcFailedError
from purerpc.grpclib.status import Status, StatusCode
from purerpc.rpc import Cardinality
from purerpc.server import ConnectionHandler
from purerpc.wrappers import (
    call_server_stream_stream,
    call_server_stream_unary,
    call_server_unary_stream,
    call_server_unary_unary,
)

from coordinator.errors import describe

__all__ = [
    "TRANSPORT_ERRORS",
    "StreamChannel",
    "UnixChannel",
    "describe",
    "install",
    "serve",
    "serve_tcp",
    "unix_channel",
]

log = logging.getLogger("coordinator.purerpc")

# What a broken or misbehaving connection raises from purerpc, h2, anyio and trio
# (ssl.SSLError is an OSError). Anything else is a bug, not the network.
TRANSPORT_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    EOFError,
    GRPCError,  # purerpc: RpcFailedError, ProtocolError, StreamClosedError
    h2.exceptions.H2Error,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    anyio.EndOfStream,
    trio.BrokenResourceError,
    trio.ClosedResourceError,
    DecodeError,
)


# --- 1. TCP socket options only on TCP sockets ----------------------------------

_PATCH_MARK = "_silvana_tcp_only"


def install() -> None:
    """Make purerpc set its TCP socket options on TCP sockets only. Idempotent.

    purerpc 0.8 sets SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT and TCP_NODELAY on every
    socket it wraps; on an AF_UNIX socket the TCP options fail with
    `OSError: [Errno 95] Operation not supported`, so neither its server nor its
    client can use a Unix socket. TCP sockets keep purerpc's options unchanged;
    streams without a socket (e.g. in-memory streams in tests) get none.
    """
    current = SocketWrapper.__dict__["_set_socket_options"]
    original = current.__func__
    if getattr(original, _PATCH_MARK, False):
        return

    def _set_socket_options(stream: anyio.abc.ByteStream) -> None:
        sock = stream.extra(anyio.abc.SocketAttribute.raw_socket, None)
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            original(stream)

    setattr(_set_socket_options, _PATCH_MARK, True)
    SocketWrapper._set_socket_options = staticmethod(_set_socket_options)


install()


# --- 2-5. The client channel ------------------------------------------------------

_OPEN = (GRPCStreamState.OPEN, GRPCStreamState.HALF_CLOSED_LOCAL)  # response not ended yet

# gRPC's mapping of HTTP/2 RST_STREAM codes to statuses (doc/PROTOCOL-HTTP2.md).
_RESET_STATUS = {
    h2.errors.ErrorCodes.REFUSED_STREAM: StatusCode.UNAVAILABLE,
    h2.errors.ErrorCodes.CANCEL: StatusCode.CANCELLED,
    h2.errors.ErrorCodes.ENHANCE_YOUR_CALM: StatusCode.RESOURCE_EXHAUSTED,
    h2.errors.ErrorCodes.INADEQUATE_SECURITY: StatusCode.PERMISSION_DENIED,
}


def _h2_error_name(code: int) -> str:
    try:
        return str(h2.errors.ErrorCodes(code).name)
    except ValueError:
        return f"error {code}"


class _Discard:
    """Stands in for an abandoned call in the socket's table of calls.

    purerpc's reader dispatches a whole batch of events with awaits in between, so
    events for a call can still arrive after its caller abandoned it; they go here.
    """

    state = GRPCStreamState.CLOSED

    def __init__(self) -> None:
        self._incoming_events = (self, None)

    async def send(self, event: Any) -> None:
        pass

    def _close_remote(self) -> None:
        pass

    async def _set_flow_control_update(self) -> None:
        pass


_DISCARD = _Discard()


def _close_queue(stream: Any) -> None:
    """Close a call's event queue (purerpc never does; anyio warns when it is collected).

    Only once purerpc's reader cannot be about to deliver to it: the reader looks a
    call up, then awaits, then delivers.
    """
    for end in stream._incoming_events:
        end.close()


class _ClientConnection(GRPCConnection):  # type: ignore[misc]
    """purerpc's HTTP/2 state machine, plus events for resets and GOAWAY."""

    def __init__(self, config: Any, streams: dict[int, Any]) -> None:
        super().__init__(config)
        self._streams = streams  # the socket's open calls, by stream id
        self._ended: set[int] = set()  # calls given an end in the current batch
        self.abandoned: list[Any] = []  # calls to forget once their batch is out
        self.goaway: str | None = None

    def receive_data(self, data: bytes) -> list[Any]:
        # purerpc's reader has dispatched the previous batch: forget abandoned calls.
        for stream in self.abandoned:
            if self._streams.get(stream.stream_id) is _DISCARD:
                del self._streams[stream.stream_id]
            self.message_read_buffers.pop(stream.stream_id, None)
            _close_queue(stream)
        self.abandoned = []
        self._ended = set()
        events: list[Any] = super().receive_data(data)
        # Frames of forgotten calls still in flight: nobody to give them to.
        return [e for e in events if e.stream_id == 0 or e.stream_id in self._streams]

    def _data_received(self, event: h2.events.DataReceived) -> list[Any]:
        if event.stream_id not in self.message_read_buffers:
            return []  # a forgotten call (purerpc would raise KeyError)
        events: list[Any] = super()._data_received(event)
        return events

    def _note_ends(self, events: list[Any]) -> list[Any]:
        self._ended.update(e.stream_id for e in events if isinstance(e, ResponseEnded))
        return events

    def _response_received(self, event: h2.events.ResponseReceived) -> list[Any]:
        return self._note_ends(super()._response_received(event))

    def _trailers_received(self, event: h2.events.TrailersReceived) -> list[Any]:
        return self._note_ends(super()._trailers_received(event))

    def _end(self, stream_id: int, status: Status) -> list[Any]:
        stream = self._streams.get(stream_id)
        if stream is None or stream.state not in _OPEN or stream_id in self._ended:
            return []
        self._ended.add(stream_id)
        self.message_read_buffers.pop(stream_id, None)
        return [ResponseEnded(stream_id, status)]

    def _stream_reset(self, event: h2.events.StreamReset) -> list[Any]:
        code = _RESET_STATUS.get(event.error_code, StatusCode.INTERNAL)
        message = f"the server reset the stream (HTTP/2 {_h2_error_name(event.error_code)})"
        return self._end(event.stream_id, Status(code, message))

    def _connection_terminated(self, event: h2.events.ConnectionTerminated) -> list[Any]:
        self.goaway = (
            f"the server is closing the connection "
            f"(HTTP/2 GOAWAY {_h2_error_name(event.error_code)})"
        )
        last = event.last_stream_id
        status = Status(StatusCode.UNAVAILABLE, self.goaway)
        events: list[Any] = []
        for stream_id in list(self._streams):
            if last is None or stream_id > last:  # never processed: safe to retry
                events += self._end(stream_id, status)
        return events


class _ClientSocketWrapper(SocketWrapper):  # type: ignore[misc]
    """purerpc's writer, reporting a failed send instead of crashing its task group."""

    def __init__(self, connection: Any, stream: Any, on_broken: Callable[[str], None]) -> None:
        super().__init__(connection, stream)
        self._on_broken = on_broken

    async def _writer_thread(self) -> None:
        try:
            await super()._writer_thread()
        except TRANSPORT_ERRORS as exc:
            self._on_broken(f"sending to the server failed: {describe(exc)}")


class _ClientStream(GRPCProtoStream):  # type: ignore[misc]
    """A call on our channel: its event queue is closed once it is over.

    Over means purerpc forgot it (both sides ended) and its caller has read the
    end, which are the last event in and the last event out.
    """

    def _finish(self) -> None:
        if self.state is GRPCStreamState.CLOSED and self._end_stream_event is not None:
            _close_queue(self)

    def _close_remote(self) -> None:
        super()._close_remote()
        self._finish()

    def _close_local(self) -> None:
        super()._close_local()
        self._finish()

    async def receive_event(self) -> Any:
        event = await super().receive_event()
        self._finish()
        return event


class _ClientSocket(GRPCProtoSocket):  # type: ignore[misc]
    StreamClass = _ClientStream

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        # GRPCSocket.__init__ (purerpc 0.8), with our connection and writer.
        AsyncExitStack.__init__(self)
        self._streams: dict[int, Any] = {}
        self._grpc_connection = _ClientConnection(
            GRPCConfiguration(client_side=True), self._streams
        )
        self._socket = _ClientSocketWrapper(self._grpc_connection, stream, self.lost)
        self._receive_buffer_size = 1024 * 1024
        self.lost_reason: str | None = None

    def lost(self, reason: str) -> None:
        """End every open call with UNAVAILABLE and refuse new ones."""
        if self.lost_reason is None:
            self.lost_reason = reason
            log.debug("connection lost: %s", reason)
        status = Status(StatusCode.UNAVAILABLE, self.lost_reason)
        for stream in list(self._streams.values()):
            if stream.state in _OPEN:
                stream._incoming_events[0].send_nowait(ResponseEnded(stream.stream_id, status))
                stream._close_remote()

    def close_queues(self) -> None:
        """At the end: close the event queues of calls still known."""
        for stream in [*self._streams.values(), *self._grpc_connection.abandoned]:
            if stream is not _DISCARD:
                _close_queue(stream)

    async def _reader_thread(self) -> None:
        try:
            await super()._reader_thread()
        except Exception as exc:
            if not isinstance(exc, TRANSPORT_ERRORS) and self.lost_reason is None:
                log.warning("purerpc's reader failed", exc_info=True)
            self.lost(f"the connection failed: {describe(exc)}")
        else:
            self.lost("the server closed the connection")

    async def start_request(self, *args: Any, **kwargs: Any) -> Any:
        reason = self.lost_reason or self._grpc_connection.goaway
        if reason is not None:
            raise purerpc.UnavailableError(reason)
        return await super().start_request(*args, **kwargs)

    def abandon(self, stream: Any) -> None:
        stream_id: int = stream.stream_id
        if self._streams.get(stream_id) is not stream:
            _close_queue(stream)  # finished: purerpc forgot it after delivering its end
            return
        self._streams[stream_id] = _DISCARD
        self._grpc_connection.abandoned.append(stream)
        if self.lost_reason is not None:
            return
        try:
            self._grpc_connection.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
        except h2.exceptions.H2Error:
            return
        self._socket._flush_event.set()  # wake the writer (what SocketWrapper.flush does)


class StreamChannel(_Channel):  # type: ignore[misc]
    """A purerpc channel over a byte stream that is already connected.

    `host` and `port` only make the `:authority` header of calls made through
    `purerpc.Client` (generated stubs). The stream is closed when the channel exits.
    Open calls fail with UNAVAILABLE when the connection ends (see the module doc).
    """

    def __init__(self, stream: anyio.abc.ByteStream | None, host: str, port: int) -> None:
        super().__init__(host, port)
        self._stream = stream

    async def _connect(self) -> anyio.abc.ByteStream:
        if self._stream is None:
            raise RuntimeError("StreamChannel needs a stream")
        return self._stream

    async def __aenter__(self) -> StreamChannel:
        await AsyncExitStack.__aenter__(self)
        try:
            stream = await self._connect()
            self.push_async_callback(stream.aclose)
            grpc_socket = _ClientSocket(stream)
            self.callback(grpc_socket.close_queues)  # runs after the socket's exit
            self._grpc_socket = await self.enter_async_context(grpc_socket)
        except BaseException:
            await self.aclose()
            raise
        return self

    @property
    def lost_reason(self) -> str | None:
        """Why the connection can no longer carry calls, or None while it can."""
        if self._grpc_socket is None:
            return None
        reason: str | None = (
            self._grpc_socket.lost_reason or self._grpc_socket._grpc_connection.goaway
        )
        return reason

    async def start_call(
        self,
        service: str,
        method: str,
        request_type: type[Any],
        response_type: type[Any],
        *,
        scheme: str = "http",
        authority: str | None = None,
        grpc_timeout: timedelta | None = None,
        metadata: Any = (),
    ) -> Any:
        """Open one call (HTTP/2 stream) and return purerpc's `GRPCProtoStream`.

        Like `purerpc.Client.rpc`, plus the `:scheme`, `:authority` and `grpc-timeout`
        headers purerpc's Client does not let us set. Give it back with `abandon`.
        """
        stream = await self._grpc_socket.start_request(
            scheme,
            service,
            method,
            request_type.DESCRIPTOR.full_name,
            authority if authority is not None else f"{self._host}:{self._port}",
            grpc_timeout,
            custom_metadata=tuple(metadata),
        )
        stream.expect_message_type(response_type)
        return stream

    def abandon(self, stream: Any) -> None:
        """Reset a call that has not ended (RST_STREAM CANCEL); no-op once it has.

        Call it when leaving a call for any reason; it never blocks or raises.
        """
        if self._grpc_socket is not None:
            self._grpc_socket.abandon(stream)


class UnixChannel(StreamChannel):
    """A purerpc channel that connects to a Unix socket when entered."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        # gRPC's default authority for unix: targets is "localhost"; purerpc's
        # Client sends "host:port", and port 80 is http's default, so the same.
        super().__init__(None, "localhost", 80)
        self.path = os.fspath(path)

    async def _connect(self) -> anyio.abc.ByteStream:
        return await anyio.connect_unix(self.path)


def unix_channel(path: str | os.PathLike[str]) -> UnixChannel:
    """`purerpc.insecure_channel` for a Unix socket: `async with unix_channel(p) as ch`."""
    return UnixChannel(path)


# --- 6. The server ------------------------------------------------------------------


class _ServerConnection(GRPCConnection):  # type: ignore[misc]
    def __init__(self, config: Any, on_reset: Callable[[int], None]) -> None:
        super().__init__(config)
        self._on_reset = on_reset

    def _stream_reset(self, event: h2.events.StreamReset) -> list[Any]:
        self._on_reset(event.stream_id)
        return []


class _ServerStream(GRPCProtoStream):  # type: ignore[misc]
    """A call on our server: its event queue is closed once nothing can use it."""

    handled = False  # set when the servicer's task is over

    def _close_remote(self) -> None:
        super()._close_remote()  # the reader's last step for the client's last event
        if self.handled and self.state is GRPCStreamState.CLOSED:
            _close_queue(self)


class _ServerSocket(GRPCProtoSocket):  # type: ignore[misc]
    StreamClass = _ServerStream

    def __init__(self, stream: anyio.abc.ByteStream, on_reset: Callable[[int], None]) -> None:
        # GRPCSocket.__init__ (purerpc 0.8), with our connection.
        AsyncExitStack.__init__(self)
        self._streams: dict[int, Any] = {}
        self._grpc_connection = _ServerConnection(GRPCConfiguration(client_side=False), on_reset)
        self._socket = SocketWrapper(self._grpc_connection, stream)
        self._receive_buffer_size = 1024 * 1024


# Errors of the HTTP/2 stream itself, as opposed to a servicer's own (OSError included).
_STREAM_ERRORS = (
    GRPCError,
    h2.exceptions.H2Error,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    anyio.EndOfStream,
    DecodeError,
)

_DISPATCH = {
    Cardinality.UNARY_UNARY: call_server_unary_unary,
    Cardinality.UNARY_STREAM: call_server_unary_stream,
    Cardinality.STREAM_UNARY: call_server_stream_unary,
    Cardinality.STREAM_STREAM: call_server_stream_stream,
}


class _ConnectionHandler(ConnectionHandler):  # type: ignore[misc]
    """purerpc's per-connection handler, with the server fixes of the module doc."""

    def __init__(self, services: dict[str, Any]) -> None:
        super().__init__(services, purerpc.Server(port=0))

    async def __call__(self, stream: anyio.abc.ByteStream) -> None:
        calls: dict[int, anyio.CancelScope] = {}

        def on_reset(stream_id: int) -> None:
            scope = calls.get(stream_id)
            if scope is not None:
                scope.cancel()

        grpc_socket = _ServerSocket(stream, on_reset)
        try:
            async with stream, grpc_socket:
                async with anyio.create_task_group() as task_group:
                    async for call in grpc_socket.listen():
                        calls[call.stream_id] = anyio.CancelScope()
                        task_group.start_soon(self._serve_call, grpc_socket, call, calls)
                    task_group.cancel_scope.cancel()  # the client went away
        except Exception as exc:
            log.debug("connection ended: %s", describe(exc))
        finally:
            # Calls purerpc still holds (reset, or cut off with the connection).
            for call in grpc_socket._streams.values():
                _close_queue(call)

    async def _serve_call(
        self, grpc_socket: Any, stream: Any, calls: dict[int, anyio.CancelScope]
    ) -> None:
        try:
            with calls[stream.stream_id]:
                await self.request_received(stream)
        finally:
            calls.pop(stream.stream_id, None)
            stream.handled = True
            if grpc_socket._streams.get(stream.stream_id) is not stream:
                _close_queue(stream)  # both sides ended: nothing more can arrive

    async def request_received(self, stream: Any) -> None:
        name = "?"
        try:
            await stream.start_response()
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
        except _STREAM_ERRORS as exc:  # a bad request, or the call or connection broke
            log.debug("call %s ended: %s", name, describe(exc))
            status = Status(StatusCode.INTERNAL, describe(exc))
        except Exception as exc:
            log.exception("%s failed", name)
            status = Status(StatusCode.UNKNOWN, f"Exception calling application: {exc}")
        # TypeError: purerpc's "Closing already closed stream".
        with suppress(*TRANSPORT_ERRORS, TypeError):
            await stream.close(status)


def _services(services: tuple[Any, ...]) -> dict[str, Any]:
    """{name: Service} from purerpc Services or Servicers."""
    by_name: dict[str, Any] = {}
    for item in services:
        service = item.service if isinstance(item, purerpc.Servicer) else item
        if service.name in by_name:
            raise ValueError(f"service {service.name} given twice")
        by_name[service.name] = service
    return by_name


async def serve(
    listener_or_path: anyio.abc.Listener[Any] | str | os.PathLike[str],
    *services: Any,
    mode: int | None = None,
    task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve purerpc `Service`s or `Servicer`s until cancelled.

    Given a path, listen on a Unix socket there (a stale socket file is replaced;
    `mode` sets its permissions) and remove it on exit; `task_status.started` gets
    the path. Given a listener, serve it and close it on exit; `started` gets its
    local address (a path, or `(host, port)` for TCP) or None.
    """
    handler = _ConnectionHandler(_services(services))
    if isinstance(listener_or_path, anyio.abc.Listener):
        listener = listener_or_path
        async with listener:
            task_status.started(listener.extra(anyio.abc.SocketAttribute.local_address, None))
            await listener.serve(handler)
        return
    path = os.fspath(listener_or_path)
    unix_listener = await anyio.create_unix_listener(path, mode=mode)
    inode = os.stat(path).st_ino
    try:
        async with unix_listener:
            task_status.started(path)
            await unix_listener.serve(handler)
    finally:
        with suppress(OSError):  # remove our socket, not one a successor put there
            info = os.lstat(path)
            if stat.S_ISSOCK(info.st_mode) and info.st_ino == inode:
                os.unlink(path)


async def serve_tcp(
    host: str,
    port: int,
    *services: Any,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve purerpc services on `host:port` only (port 0: any free port).

    `purerpc.Server` binds every interface; this binds the one address given.
    `task_status.started` gets the bound port.
    """
    handler = _ConnectionHandler(_services(services))
    listener = await anyio.create_tcp_listener(local_host=host, local_port=port)
    async with listener:
        task_status.started(listener.extra(anyio.abc.SocketAttribute.local_port))
        await listener.serve(handler)
