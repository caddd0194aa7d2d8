"""One HTTP/2 connection of our gRPC server, under purerpc's: the flow
control that caps a connection's window (`ServerLimits`), oversized and
compressed messages refused as they arrive, the response headers encoded once
(`RepeatingEncoder`), and the idle watch on the socket.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from contextlib import AsyncExitStack, suppress
from typing import Any

import anyio
import anyio.abc
import h2.events  # type: ignore[import-untyped]
import h2.exceptions  # type: ignore[import-untyped]
import hpack  # type: ignore[import-untyped]
import trio
from anyio.streams.tls import TLSAttribute
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
from purerpc.grpclib.exceptions import MessageTooLargeError
from purerpc.grpclib.status import Status, StatusCode

from coordinator.grpc.admission import SessionGate, session_in
from coordinator.grpc.limits import H2_INITIAL_WINDOW, ServerLimits
from coordinator.grpc.patches import close_queue
from coordinator.grpc.transport import TRANSPORT_ERRORS, ByteStream

__all__ = ["RepeatingEncoder", "ServerConnection", "ServerSocket", "WatchedSocket", "say_goodbye"]



class RepeatingEncoder(hpack.Encoder):  # type: ignore[misc]
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


# What is kept of a pending connection's request to find its session id in.
_PREFIX_BYTES = 4096


class ServerConnection(GRPCConnection):  # type: ignore[misc]
    def __init__(
        self, limits: ServerLimits, on_reset: Callable[[int], None],
        on_refused: Callable[[int, Status], None],
        gate: SessionGate | None = None, on_authenticated: Callable[[], None] = lambda: None,
    ) -> None:
        # Read by purerpc's _set_h2_connection_local_settings (SETTINGS frame).
        self.MAX_CONCURRENT_STREAMS = limits.max_streams_per_connection
        self._window = limits.connection_window
        # With a gate, the connection is pending (`coordinator.grpc.admission`):
        # HTTP/2's initial window until a request names a live session.
        self._gate = gate
        self._on_authenticated = on_authenticated
        self._prefixes: dict[int, tuple[int, bytearray]] = {}  # stream -> (field, bytes)
        super().__init__(GRPCConfiguration(client_side=False,
                                           max_message_length=limits.max_message_bytes))
        self._on_reset = on_reset
        self._on_refused = on_refused
        # Our headers and trailers are purerpc's, lowercase and well formed: h2's
        # checks of what we send cost more per call than the message itself. What
        # callers send is still checked.
        self.h2_connection.config.validate_outbound_headers = False
        self.h2_connection.config.normalize_outbound_headers = False
        self.h2_connection.encoder = RepeatingEncoder()

    def initiate_connection(self) -> None:
        # purerpc opens the connection window by 1 GiB; ours bounds what a client
        # can leave unconsumed on one connection, whatever its streams.
        self.h2_connection.initiate_connection()
        if self._gate is None:
            self._open_window()

    def _open_window(self) -> None:
        self.h2_connection.increment_flow_control_window(self._window - H2_INITIAL_WINDOW)

    def _authenticate(self, stream_id: int, data: bytes) -> None:
        """A pending connection's request: its first bytes may name a live session,
        which opens the connection's window and admits it for good."""
        field_number, prefix = self._prefixes[stream_id]
        prefix += data[:_PREFIX_BYTES - len(prefix)]
        session = session_in(bytes(prefix), field_number)
        if session is None:
            if len(prefix) >= _PREFIX_BYTES:
                del self._prefixes[stream_id]  # not in its first bytes: never will be
            return
        del self._prefixes[stream_id]
        assert self._gate is not None
        if self._gate.is_live(session):
            self._gate = None
            self._prefixes.clear()
            self._open_window()
            self._on_authenticated()

    def _request_received(self, event: h2.events.RequestReceived) -> list[Any]:
        events: list[Any] = super()._request_received(event)
        if self._gate is not None:
            field_number = self._gate.session_field(events[0].service_name,
                                                    events[0].method_name)
            if field_number is not None:
                self._prefixes[event.stream_id] = (field_number, bytearray())
        encoding = events[0].message_encoding
        if encoding not in (None, "identity"):
            # purerpc inflates a compressed message with no bound on the result.
            del self.message_read_buffers[event.stream_id]
            self._on_refused(event.stream_id, Status(
                StatusCode.UNIMPLEMENTED,
                f"grpc-encoding {encoding} is not accepted; send messages uncompressed"))
        return events

    def _data_received(self, event: h2.events.DataReceived) -> list[Any]:
        if event.stream_id in self._prefixes:
            self._authenticate(event.stream_id, event.data)
        buffer = self.message_read_buffers.get(event.stream_id)
        if buffer is None:  # a refused message: dropped, its window given back
            self._give_back(event.stream_id, event.flow_controlled_length)
            return []
        try:
            return list(super()._data_received(event))
        except MessageTooLargeError as exc:
            # Nothing of the call is kept: its buffered bytes go, their window comes
            # back. Summed from the chunks: purerpc 0.8's ByteBuffer never adds what
            # it appends to its own flow_controlled_length, so that count says 0.
            del self.message_read_buffers[event.stream_id]
            held = buffer._flow_controlled_length or 0
            held += sum(length for _, length in buffer._buffer._deque)
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

    async def _wait_flow_control_update(self) -> None:
        # The client's window is full: what is written so far must go now
        # (a gathered answer's beginning included), or its update never comes.
        self._socket.gathering = False
        self._socket.send_at_once()
        await super()._wait_flow_control_update()

    def _close_remote(self) -> None:
        super()._close_remote()  # the reader's last step for the client's last event
        if self.handled and self.state is GRPCStreamState.CLOSED:
            close_queue(self)


class WatchedSocket(SocketWrapper):  # type: ignore[misc]
    """purerpc's socket wrapper, noting when the client last sent something,
    waking its writer only when there is something to write, and sending a
    unary answer from the call's own task when it can (`send_at_once`)."""

    _flush_event: anyio.Event  # SocketWrapper's: set to wake the writer

    def __init__(self, connection: Any, stream: ByteStream) -> None:
        super().__init__(connection, stream)
        self.last_received = trio.current_time()
        # The plain socket under the stream, for `send_at_once` (None: not one,
        # e.g. TLS or an in-memory stream in a test; the writer sends everything).
        raw = stream.extra(anyio.abc.SocketAttribute.raw_socket, None)
        tls = stream.extra(TLSAttribute.ssl_object, None)
        self._raw: socket.socket | None = raw if tls is None else None
        self._unsent = b""  # the rest of a write `send_at_once` began: sent first
        self._writing = False
        # While a unary answer is written (no await between its parts but a wait
        # for the client's window): flushes leave it to `send_at_once`.
        self.gathering = False

    async def recv(self, buffer_size: int) -> bytes:
        data: bytes = await super().recv(buffer_size)
        self.last_received = trio.current_time()
        return data

    async def flush(self) -> None:
        # purerpc flushes after every read and every acknowledgement of a message,
        # which mostly leave h2 nothing to send: each flush woke the writer task for
        # a round of the Trio loop that found nothing, two per unary call. The
        # writer only has work when h2 has bytes waiting (h2 3.2's buffer), and
        # none while a unary answer is gathered for `send_at_once`.
        if self._grpc_connection.h2_connection._data_to_send and not self.gathering:
            self._flush_event.set()

    async def _writer_thread(self) -> None:
        # SocketWrapper._writer_thread (purerpc 0.8), sending first what
        # `send_at_once` left, and saying when a send is under way.
        while True:
            data = self._unsent + self._grpc_connection.data_to_send()
            self._unsent = b""
            if data:
                self._writing = True
                try:
                    await self._stream.send(data)
                finally:
                    self._writing = False
            elif self._running:
                await self._flush_event.wait()
                self._flush_event = anyio.Event()
            else:
                return

    def send_at_once(self) -> None:
        """Send what h2 holds now, from the calling task, when the writer is not
        sending: a unary answer then leaves without the two rounds of the Trio
        loop the writer takes (its wake-up, its send's checkpoint). One
        non-blocking send: what the kernel does not take at once, or an error,
        is left to the writer, which sends it before anything newer, and fails
        as before when the connection is broken. Never blocks nor yields."""
        if self._raw is None or self._writing or self._unsent:
            # The writer's: after what it is sending (a flush gathered or not).
            if self._grpc_connection.h2_connection._data_to_send:
                self._flush_event.set()
            return
        data = self._grpc_connection.data_to_send()
        if not data:
            return
        try:
            sent = self._raw.send(data)
        except OSError:  # would block, or broken: the writer sends or reports it
            sent = 0
        if sent < len(data):
            self._unsent = data[sent:]
            self._flush_event.set()


class ServerSocket(GRPCProtoSocket):  # type: ignore[misc]
    StreamClass = _ServerStream

    def __init__(self, stream: ByteStream, connection: ServerConnection) -> None:
        # GRPCSocket.__init__ (purerpc 0.8), with our connection and socket wrapper.
        AsyncExitStack.__init__(self)
        self._streams: dict[int, Any] = {}
        self._grpc_connection = connection
        self._socket = WatchedSocket(self._grpc_connection, stream)
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


async def say_goodbye(grpc_socket: ServerSocket) -> None:
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

