"""A purerpc channel over a byte stream we connect, with the client fixes our calls rely on.

- `StreamChannel(stream, host, port)`: a channel over a stream the caller has
  already connected (`dial_tcp`, `dial_unix`), usable with `purerpc.Client`
  and the generated stubs (they read `_host`/`_port` for `:authority` and
  `_grpc_socket`).
- `unix_channel(path)`: like `purerpc.insecure_channel`, for a Unix socket path.

Changes to purerpc's behaviour, each found against a real HTTP/2 peer (tests in
tests/test_sui_client.py):

1. purerpc drops RST_STREAM from the server; the call then waits forever.
   Our channel ends the call with the status gRPC maps the HTTP/2 error code to
   (CANCEL -> CANCELLED, REFUSED_STREAM -> UNAVAILABLE, ...).
2. When the server closes the connection (EOF, reset, GOAWAY, an HTTP/2
   protocol error) purerpc's reader ends silently and pending calls wait forever,
   or its writer task crashes and cancels the caller's whole `async with` body. Our
   channel ends every open call with UNAVAILABLE instead and refuses new calls with
   UNAVAILABLE, so each caller sees an ordinary gRPC status.
3. purerpc never resets a call its caller stopped waiting for (a deadline,
   a cancel, leaving a stream early), so the server keeps working on it.
   `StreamChannel.abandon(stream)` sends RST_STREAM(CANCEL).
4. purerpc never closes the socket of a channel; ours closes it on exit.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

import h2.errors  # type: ignore[import-untyped]
import h2.events  # type: ignore[import-untyped]
import h2.exceptions  # type: ignore[import-untyped]
import purerpc
from purerpc.client import _Channel
from purerpc.grpc_proto import GRPCProtoSocket, GRPCProtoStream
from purerpc.grpc_socket import GRPCStreamState, SocketWrapper
from purerpc.grpclib.connection import GRPCConfiguration, GRPCConnection
from purerpc.grpclib.events import ResponseEnded
from purerpc.grpclib.status import Status, StatusCode

from coordinator.errors import describe
from coordinator.grpc.patches import close_queue
from coordinator.grpc.transport import TRANSPORT_ERRORS, ByteStream, dial_unix

log = logging.getLogger("coordinator.purerpc")

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
            close_queue(stream)
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
            close_queue(self)

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

    def __init__(self, stream: ByteStream) -> None:
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
                close_queue(stream)

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
            close_queue(stream)  # finished: purerpc forgot it after delivering its end
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

    def __init__(self, stream: ByteStream | None, host: str, port: int) -> None:
        super().__init__(host, port)
        self._stream = stream

    async def _connect(self) -> ByteStream:
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

    async def _connect(self) -> ByteStream:
        return await dial_unix(self.path)


def unix_channel(path: str | os.PathLike[str]) -> UnixChannel:
    """`purerpc.insecure_channel` for a Unix socket: `async with unix_channel(p) as ch`."""
    return UnixChannel(path)
