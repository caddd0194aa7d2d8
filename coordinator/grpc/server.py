"""A purerpc server on a Unix socket, a bound socket or one TCP address, with the server fixes.

- `serve(path, *services)`: serve purerpc `Service`s (or `Servicer`s) on a Unix
  socket it creates at `path` (and removes on exit).
- `serve_socket(sock, *services)`: the same on a listening socket the caller
  bound (the CoordinatorService binds its own, see `coordinator.rpc.server`).
- `serve_tcp(host, port, *services)`: on a TCP listener bound to one address
  only (`purerpc.Server` binds every interface). All report through `task_status`.

purerpc's handler catches `BaseException` (so cancellation is logged as three
warnings per connection), answers a servicer's exception with CANCELLED and a
repr of it, keeps serving calls the client has reset, and leaves calls of a
closed connection running. Ours lets cancellation through, answers UNKNOWN like
grpcio does (INVALID_ARGUMENT for a request that does not decode), and cancels
calls that were reset or whose connection ended.

What a client can hold is capped by one `ServerLimits` (every entry point takes
it): purerpc allows 65,536 streams a connection, 32 MiB messages, a 64 MiB window
per stream and 1 GiB per connection, with no timeout, so a few clients sending
unfinished messages could pin gigabytes. Here a connection gets at most
`max_streams_per_connection` streams and a window of twice `max_message_bytes`
for all of them (what it has sent and the server has not consumed); a message
declared larger than `max_message_bytes` is answered RESOURCE_EXHAUSTED at once
and its bytes dropped as they come (a compressed one, which purerpc would inflate
without bound, UNIMPLEMENTED); connections beyond a listener's
`Connections` gates are closed on accept; a connection whose first call does not
arrive within `handshake_timeout_secs`, or that sends nothing for
`idle_timeout_secs` while none of its calls is being answered, is closed.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import stat
from collections.abc import Callable
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.abc
import h2.events  # type: ignore[import-untyped]
import h2.exceptions  # type: ignore[import-untyped]
import hpack  # type: ignore[import-untyped]
import purerpc
import trio
from google.protobuf.message import DecodeError
from purerpc.grpc_proto import GRPCProtoSocket, GRPCProtoStream
from purerpc.grpc_socket import GRPCStreamState, SocketWrapper
from purerpc.grpclib.connection import GRPCConfiguration, GRPCConnection
from purerpc.grpclib.events import (
    MessageReceived,
    RequestEnded,
    RequestReceived,
    ResponseEnded,
    WindowUpdated,
)
from purerpc.grpclib.exceptions import GRPCError, MessageTooLargeError, RpcFailedError
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
from coordinator.grpc.patches import close_queue
from coordinator.grpc.transport import TRANSPORT_ERRORS, ByteStream

log = logging.getLogger("coordinator.purerpc")

# HTTP/2's initial connection window (RFC 9113, 6.9.2); ours is opened from it.
_H2_INITIAL_WINDOW = 65_535


@dataclass(frozen=True)
class ServerLimits:
    """What one client may hold of a server (see the module doc). The daemon
    builds it from `rpc.*` settings; every listener of one daemon shares it."""

    max_connections: int = 64  # of a listener given no `Connections` of its own
    max_streams_per_connection: int = 16
    max_message_bytes: int = 4 << 20  # gRPC's usual default
    handshake_timeout_secs: float = 10.0
    idle_timeout_secs: float = 300.0

    @property
    def connection_window(self) -> int:
        """Bytes a connection may have in flight, unconsumed, over all its streams:
        room for one whole message of the largest size, with its framing, twice."""
        return 2 * (self.max_message_bytes + 5)


DEFAULT_LIMITS = ServerLimits()


class Connections:
    """A cap on open connections, shared by the listeners given it (one for all
    of a daemon's sockets, one more per agent socket). Over the cap a new
    connection is closed on accept: waiting would let a flood hold the queue."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a connection limit must be at least 1")
        self.limit = limit
        self.open = 0

    def try_enter(self) -> bool:
        if self.open >= self.limit:
            return False
        self.open += 1
        return True

    def leave(self) -> None:
        self.open -= 1


class _RepeatingEncoder(hpack.Encoder):  # type: ignore[misc]
    """hpack's encoder, remembering the block of a header list it encoded without
    changing its table. A server answers with the same headers and trailers
    call after call: once they are in the table, each is the same few indexed
    bytes, and encoding them again cost more than the answer's message. A block
    is reused only while the table is exactly as it was (same newest entry, same
    length and size limit, no size change to signal): the bytes name entries by
    their position in it."""

    _LIMIT = 16  # header lists remembered (answers, trailers, a few errors)

    def __init__(self) -> None:
        super().__init__()
        self._blocks: dict[tuple[Any, ...], tuple[tuple[Any, int, int], bytes]] = {}

    def _table(self) -> tuple[Any, int, int] | None:
        table = self.header_table
        if table.resized:
            return None
        entries = table.dynamic_entries
        return (entries[0] if entries else None, len(entries), table.maxsize)

    def encode(self, headers: Any, huffman: bool = True) -> bytes:
        try:
            key = (huffman, *((type(h), *h) for h in headers))
        except TypeError:  # a dict, or unhashable values: not the repeating kind
            return bytes(super().encode(headers, huffman))
        before = self._table()
        known = self._blocks.get(key)
        if known is not None and before is not None and _same_table(known[0], before):
            return known[1]
        block = bytes(super().encode(headers, huffman))
        after = self._table()
        if before is not None and after is not None and _same_table(before, after):
            if len(self._blocks) >= self._LIMIT:
                self._blocks.clear()
            self._blocks[key] = (after, block)
        return block


def _same_table(a: tuple[Any, int, int], b: tuple[Any, int, int]) -> bool:
    return a[0] is b[0] and a[1] == b[1] and a[2] == b[2]


class _ServerConnection(GRPCConnection):  # type: ignore[misc]
    def __init__(
        self, limits: ServerLimits, on_reset: Callable[[int], None],
        on_refused: Callable[[int, Status], None],
    ) -> None:
        # Read by purerpc's _set_h2_connection_local_settings (SETTINGS frame).
        self.MAX_CONCURRENT_STREAMS = limits.max_streams_per_connection
        self._window = limits.connection_window
        super().__init__(GRPCConfiguration(client_side=False,
                                           max_message_length=limits.max_message_bytes))
        self._on_reset = on_reset
        self._on_refused = on_refused
        # Our headers and trailers are purerpc's, lowercase and well formed: h2's
        # checks of what we send cost more per call than the message itself. What
        # callers send is still checked.
        self.h2_connection.config.validate_outbound_headers = False
        self.h2_connection.config.normalize_outbound_headers = False
        self.h2_connection.encoder = _RepeatingEncoder()

    def initiate_connection(self) -> None:
        # purerpc opens the connection window by 1 GiB; ours bounds what a client
        # can leave unconsumed on one connection, whatever its streams.
        self.h2_connection.initiate_connection()
        self.h2_connection.increment_flow_control_window(self._window - _H2_INITIAL_WINDOW)

    def _request_received(self, event: h2.events.RequestReceived) -> list[Any]:
        events: list[Any] = super()._request_received(event)
        encoding = events[0].message_encoding
        if encoding not in (None, "identity"):
            # purerpc inflates a compressed message with no bound on the result.
            del self.message_read_buffers[event.stream_id]
            self._on_refused(event.stream_id, Status(
                StatusCode.UNIMPLEMENTED,
                f"grpc-encoding {encoding} is not accepted; send messages uncompressed"))
        return events

    def _data_received(self, event: h2.events.DataReceived) -> list[Any]:
        buffer = self.message_read_buffers.get(event.stream_id)
        if buffer is None:  # a refused message: dropped, its window given back
            self._give_back(event.stream_id, event.flow_controlled_length)
            return []
        try:
            return list(super()._data_received(event))
        except MessageTooLargeError as exc:
            # Nothing of the call is kept: its buffered bytes go, their window comes back.
            del self.message_read_buffers[event.stream_id]
            held = buffer._flow_controlled_length or 0
            held += buffer._buffer.flow_controlled_length
            self._give_back(event.stream_id, held)
            self._on_refused(event.stream_id, Status(StatusCode.RESOURCE_EXHAUSTED, str(exc)))
            return []

    def _give_back(self, stream_id: int, length: int) -> None:
        if length:
            with suppress(h2.exceptions.StreamClosedError):
                self.h2_connection.acknowledge_received_data(length, stream_id)

    def _stream_reset(self, event: h2.events.StreamReset) -> list[Any]:
        self._on_reset(event.stream_id)
        return []


class _ServerStream(GRPCProtoStream):  # type: ignore[misc]
    """A call on our server: its event queue is closed once nothing can use it,
    and events already queued are taken without a trip through the scheduler."""

    handled = False  # set when the servicer's task is over

    async def _receive(self) -> Any:
        # GRPCStream._receive (purerpc 0.8), taking a queued event at once: a
        # unary request's headers, message and end arrive in one read, and a
        # checkpoint for each of them costs a round of the Trio loop per event.
        try:
            event = self._incoming_events[1].receive_nowait()
        except anyio.WouldBlock:
            event = await self._incoming_events[1].receive()
        if isinstance(event, MessageReceived):
            self._grpc_connection.acknowledge_received_data(
                self._stream_id, event.flow_controlled_length)
            await self._socket.flush()
        elif isinstance(event, (RequestEnded, ResponseEnded)):
            self._end_stream_event = event
        else:
            self._start_stream_event = event
        return event

    async def receive_event(self) -> Any:
        # GRPCProtoStream.receive_event (purerpc 0.8), whose super()._receive would
        # skip ours.
        event = await self._receive()
        if isinstance(event, MessageReceived) and hasattr(self, "_incoming_message_type"):
            binary_data = event.data
            event.data = self._incoming_message_type()
            event.data.ParseFromString(binary_data)
        return event

    def _close_remote(self) -> None:
        super()._close_remote()  # the reader's last step for the client's last event
        if self.handled and self.state is GRPCStreamState.CLOSED:
            close_queue(self)


class _WatchedSocket(SocketWrapper):  # type: ignore[misc]
    """purerpc's socket wrapper, noting when the client last sent something."""

    def __init__(self, connection: Any, stream: ByteStream) -> None:
        super().__init__(connection, stream)
        self.last_received = trio.current_time()

    async def recv(self, buffer_size: int) -> bytes:
        data: bytes = await super().recv(buffer_size)
        self.last_received = trio.current_time()
        return data


class _ServerSocket(GRPCProtoSocket):  # type: ignore[misc]
    StreamClass = _ServerStream

    def __init__(self, stream: ByteStream, connection: _ServerConnection) -> None:
        # GRPCSocket.__init__ (purerpc 0.8), with our connection and socket wrapper.
        AsyncExitStack.__init__(self)
        self._streams: dict[int, Any] = {}
        self._grpc_connection = connection
        self._socket = _WatchedSocket(self._grpc_connection, stream)
        self._receive_buffer_size = 1024 * 1024

    async def _listen(self) -> Any:
        # GRPCSocket._listen (purerpc 0.8), queueing each event with send_nowait (the
        # queues are unbounded, so it never waits): one checkpoint per read, not per event.
        while True:
            try:
                data = await self._socket.recv(self._receive_buffer_size)
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                return
            events = self._grpc_connection.receive_data(data)
            await self._socket.flush()
            for event in events:
                if isinstance(event, WindowUpdated):
                    if event.stream_id == 0:
                        for stream in self._streams.values():
                            await stream._set_flow_control_update()
                    elif event.stream_id in self._streams:
                        await self._streams[event.stream_id]._set_flow_control_update()
                    continue
                if isinstance(event, RequestReceived):
                    self._allocate_stream(event.stream_id)
                self._streams[event.stream_id]._incoming_events[0].send_nowait(event)
                if isinstance(event, RequestReceived):
                    yield self._streams[event.stream_id]
                elif isinstance(event, (ResponseEnded, RequestEnded)):
                    self._streams[event.stream_id]._close_remote()


async def _say_goodbye(grpc_socket: _ServerSocket) -> None:
    """GOAWAY (no error) before the server closes a silent connection: the client
    then knows no call of its was lost, and sends its next one on a new
    connection instead of on the closing one (which would fail UNAVAILABLE).
    Sent directly and briefly: the connection is silent, so its writer is idle."""
    h2_connection = grpc_socket._grpc_connection.h2_connection
    with suppress(h2.exceptions.ProtocolError):
        h2_connection.close_connection()
    data = h2_connection.data_to_send()
    if data:
        with trio.move_on_after(1), suppress(*TRANSPORT_ERRORS, anyio.BusyResourceError):
            await grpc_socket._socket._stream.send(data)


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
    is read: a unary call's cost is mostly its rounds of the loop and its writes."""
    response = await method_fn(await extract_message_from_singleton_stream(stream))
    await stream.start_response()
    await stream.send_message(response)
    await stream.close(Status(StatusCode.OK))


_DISPATCH = {
    Cardinality.UNARY_UNARY: _call_unary_unary,
    Cardinality.UNARY_STREAM: call_server_unary_stream,
    Cardinality.STREAM_UNARY: call_server_stream_unary,
    Cardinality.STREAM_STREAM: call_server_stream_stream,
}


class _ConnectionHandler(ConnectionHandler):  # type: ignore[misc]
    """purerpc's per-connection handler, with the server fixes of the module doc."""

    def __init__(
        self, services: dict[str, Any], limits: ServerLimits, gates: tuple[Connections, ...]
    ) -> None:
        super().__init__(services, purerpc.Server(port=0))
        self.limits = limits
        self.gates = gates

    async def __call__(self, stream: ByteStream) -> None:
        entered: list[Connections] = []
        try:
            for gate in self.gates:
                if not gate.try_enter():
                    log.debug("connection refused: %d connections open (the limit)", gate.open)
                    with trio.CancelScope(shield=True):
                        await stream.aclose()
                    return
                entered.append(gate)
            await self._serve_connection(stream)
        finally:
            for gate in entered:
                gate.leave()

    async def _serve_connection(self, stream: ByteStream) -> None:
        calls: dict[int, trio.CancelScope] = {}
        refused: dict[int, Status] = {}  # calls answered before their request is read
        first_call = trio.Event()

        def on_reset(stream_id: int) -> None:
            scope = calls.get(stream_id)
            if scope is not None:
                scope.cancel()

        def on_refused(stream_id: int, status: Status) -> None:
            refused[stream_id] = status
            on_reset(stream_id)

        grpc_socket = _ServerSocket(stream, _ServerConnection(self.limits, on_reset, on_refused))
        try:
            with trio.CancelScope() as connection:
                async with stream, grpc_socket:
                    async with trio.open_nursery() as nursery:
                        nursery.start_soon(self._watch, grpc_socket, first_call, connection)
                        async for call in grpc_socket.listen():
                            first_call.set()
                            calls[call.stream_id] = trio.CancelScope()
                            nursery.start_soon(self._serve_call, grpc_socket, call, calls, refused)
                        nursery.cancel_scope.cancel()  # the client went away
        except Exception as exc:
            log.debug("connection ended: %s", describe(exc))
        finally:
            # Calls purerpc still holds (reset, or cut off with the connection).
            for call in grpc_socket._streams.values():
                close_queue(call)

    async def _watch(
        self, grpc_socket: _ServerSocket, first_call: trio.Event, connection: trio.CancelScope
    ) -> None:
        """Close a connection whose first call is late, or that went silent while
        no call of it was being answered (a call whose request has all arrived: a
        long server stream is not idle; a request that never ends is)."""
        with trio.move_on_after(self.limits.handshake_timeout_secs):
            await first_call.wait()
        if not first_call.is_set():
            log.debug("connection closed: no call within %g s", self.limits.handshake_timeout_secs)
            await _say_goodbye(grpc_socket)
            connection.cancel()
            return
        socket: _WatchedSocket = grpc_socket._socket
        while True:
            silent = trio.current_time() - socket.last_received
            answering = any(call.state is GRPCStreamState.HALF_CLOSED_REMOTE
                            for call in grpc_socket._streams.values())
            if answering:
                silent = 0.0
            if silent >= self.limits.idle_timeout_secs:
                log.debug("connection closed: silent for %g s", silent)
                await _say_goodbye(grpc_socket)
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


def _services(services: tuple[Any, ...]) -> dict[str, Any]:
    """{name: Service} from purerpc Services or Servicers."""
    by_name: dict[str, Any] = {}
    for item in services:
        service = item.service if isinstance(item, purerpc.Servicer) else item
        if service.name in by_name:
            raise ValueError(f"service {service.name} given twice")
        by_name[service.name] = service
    return by_name


async def _serve_listener(
    listener: anyio.abc.Listener[Any], services: tuple[Any, ...],
    task_status: trio.TaskStatus[Any], address: object,
    limits: ServerLimits, gates: tuple[Connections, ...],
) -> None:
    handler = _ConnectionHandler(_services(services), limits, gates)
    async with listener:
        task_status.started(address)
        await listener.serve(handler)


async def serve(
    path: str | os.PathLike[str],
    *services: Any,
    mode: int | None = None,
    limits: ServerLimits = DEFAULT_LIMITS,
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve purerpc `Service`s or `Servicer`s on a Unix socket at `path` until
    cancelled (a stale socket file is replaced; `mode` sets its permissions), and
    remove it on exit; `task_status.started` gets the path."""
    path = os.fspath(path)
    listener = await anyio.create_unix_listener(path, mode=mode)
    inode = os.stat(path).st_ino
    try:
        await _serve_listener(listener, services, task_status, path, limits,
                              (Connections(limits.max_connections),))
    finally:
        with suppress(OSError):  # remove our socket, not one a successor put there
            info = os.lstat(path)
            if stat.S_ISSOCK(info.st_mode) and info.st_ino == inode:
                os.unlink(path)


async def serve_socket(
    sock: socket.socket,
    *services: Any,
    limits: ServerLimits = DEFAULT_LIMITS,
    gates: tuple[Connections, ...] | None = None,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve on a socket the caller bound and made listen; it is closed on exit
    (also when it cannot be served). `gates`: the connection caps it shares with
    other listeners (default: its own, of `limits.max_connections`)."""
    try:
        listener = await anyio.abc.SocketListener.from_socket(sock)
    except BaseException:
        sock.close()
        raise
    if gates is None:
        gates = (Connections(limits.max_connections),)
    await _serve_listener(listener, services, task_status, None, limits, gates)


async def serve_tcp(
    host: str,
    port: int,
    *services: Any,
    limits: ServerLimits = DEFAULT_LIMITS,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve purerpc services on `host:port` only (port 0: any free port).

    `purerpc.Server` binds every interface; this binds the one address given.
    `task_status.started` gets the bound port.
    """
    listener = await anyio.create_tcp_listener(local_host=host, local_port=port)
    await _serve_listener(
        listener, services, task_status, listener.extra(anyio.abc.SocketAttribute.local_port),
        limits, (Connections(limits.max_connections),),
    )
