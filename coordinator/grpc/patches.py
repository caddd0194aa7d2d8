"""The purerpc 0.8 internals this package changes or relies on, and the one patch in place.

purerpc's entry points assume TCP and leave several failure paths waiting
forever (see `coordinator.grpc.client` and `coordinator.grpc.server`); our
fixes subclass its socket, connection, stream and handler classes and
reproduce `GRPCSocket.__init__`; the server's fast path for unary calls
reproduces `GRPCSocket._listen`, `GRPCStream._receive` and
`GRPCProtoStream.receive_event` with fewer rounds of the Trio loop, and sends a
unary answer's headers with its message, written from the call's task (its
only wait being `GRPCStream._send`'s for the client's window) and replaces
`SocketWrapper._writer_thread`; the server's header encoder relies on how hpack
keeps its table, and its socket on where h2 keeps the bytes to send.
`INTERNALS` fingerprints the source of every internal they build on, so an
upgrade of purerpc, hpack or h2 that changes one of them is
caught by a test (tests/test_grpc_internals.py) instead of by a hung call.

The in-place patch: `SocketWrapper._set_socket_options` sets TCP options on
every socket, which fails with `OSError 95` on `AF_UNIX`. `install()` (run on
import of the package) makes it skip sockets that are not TCP; it patches that
one static method, once.
"""

from __future__ import annotations

import hashlib
import inspect
import socket
from importlib.metadata import version
from typing import Any

import anyio.abc
import h2.connection  # type: ignore[import-untyped]
import hpack  # type: ignore[import-untyped]
import purerpc.client
import purerpc.grpc_proto
import purerpc.grpc_socket
import purerpc.grpclib.buffers
import purerpc.grpclib.connection
import purerpc.server
import purerpc.wrappers
from purerpc.grpc_socket import SocketWrapper

PURERPC_VERSION = "0.8.0"

_PATCH_MARK = "_silvana_purerpc_original"  # on our patch: the function it replaced


def install() -> None:
    """Make purerpc set its TCP socket options on TCP sockets only. Idempotent.

    purerpc 0.8 sets SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT and TCP_NODELAY on every
    socket it wraps; on an AF_UNIX socket the TCP options fail with
    `OSError: [Errno 95] Operation not supported`, so neither its server nor its
    client can use a Unix socket. TCP sockets keep purerpc's options unchanged;
    streams without a socket (e.g. in-memory streams in tests) get none.
    """
    original = SocketWrapper.__dict__["_set_socket_options"].__func__
    if hasattr(original, _PATCH_MARK):
        return

    def _set_socket_options(stream: anyio.abc.ByteStream) -> None:
        sock = stream.extra(anyio.abc.SocketAttribute.raw_socket, None)
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            original(stream)

    setattr(_set_socket_options, _PATCH_MARK, original)
    SocketWrapper._set_socket_options = staticmethod(_set_socket_options)


def close_queue(stream: Any) -> None:
    """Close a call's event queue (purerpc never does; anyio warns when it is collected).

    Only once purerpc's reader cannot be about to deliver to it: the reader looks a
    call up, then awaits, then delivers.
    """
    for end in stream._incoming_events:
        end.close()


def _fingerprint(target: Any) -> str:
    return hashlib.sha256(inspect.getsource(target).encode()).hexdigest()[:16]


def _internals() -> dict[str, Any]:
    sock, proto = purerpc.grpc_socket, purerpc.grpc_proto
    connection = purerpc.grpclib.connection.GRPCConnection
    buffers = purerpc.grpclib.buffers
    patched = sock.SocketWrapper.__dict__["_set_socket_options"].__func__
    return {
        "SocketWrapper.__init__": sock.SocketWrapper.__init__,
        "SocketWrapper._writer_thread": sock.SocketWrapper._writer_thread,
        "SocketWrapper.flush": sock.SocketWrapper.flush,
        "SocketWrapper.recv": sock.SocketWrapper.recv,
        "GRPCStream.__init__": sock.GRPCStream.__init__,
        "GRPCStream._close_remote": sock.GRPCStream._close_remote,
        "GRPCStream._close_local": sock.GRPCStream._close_local,
        "GRPCStream._set_flow_control_update": sock.GRPCStream._set_flow_control_update,
        "GRPCStream._wait_flow_control_update": sock.GRPCStream._wait_flow_control_update,
        "GRPCStream._send": sock.GRPCStream._send,
        "GRPCStream._receive": sock.GRPCStream._receive,
        "GRPCStream.start_response": sock.GRPCStream.start_response,
        "GRPCStream.close": sock.GRPCStream.close,
        "GRPCProtoStream.receive_event": proto.GRPCProtoStream.receive_event,
        "GRPCSocket.__init__": sock.GRPCSocket.__init__,
        "GRPCSocket._reader_thread": sock.GRPCSocket._reader_thread,
        "GRPCSocket._listen": sock.GRPCSocket._listen,
        "GRPCSocket.listen": sock.GRPCSocket.listen,
        "GRPCProtoSocket.start_request": proto.GRPCProtoSocket.start_request,
        "GRPCConnection.__init__": connection.__init__,
        "GRPCConnection._set_h2_connection_local_settings":
            connection._set_h2_connection_local_settings,
        "GRPCConnection.initiate_connection": connection.initiate_connection,
        "GRPCConnection._request_received": connection._request_received,
        "MessageReadBuffer._parse_one_message": buffers.MessageReadBuffer._parse_one_message,
        "ByteBuffer.append": buffers.ByteBuffer.append,
        "ByteBuffer.popleft_flowcontrol": buffers.ByteBuffer.popleft_flowcontrol,
        "GRPCConnection.receive_data": connection.receive_data,
        "GRPCConnection._data_received": connection._data_received,
        "GRPCConnection._response_received": connection._response_received,
        "GRPCConnection._trailers_received": connection._trailers_received,
        "GRPCConnection._stream_reset": connection._stream_reset,
        "GRPCConnection._connection_terminated": connection._connection_terminated,
        "GRPCConnection.reset_stream": connection.reset_stream,
        "_Channel.__init__": purerpc.client._Channel.__init__,
        "ConnectionHandler.__init__": purerpc.server.ConnectionHandler.__init__,
        "ConnectionHandler.__call__": purerpc.server.ConnectionHandler.__call__,
        "ConnectionHandler.request_received": purerpc.server.ConnectionHandler.request_received,
        "call_server_unary_unary": purerpc.wrappers.call_server_unary_unary,
        "extract_message_from_singleton_stream":
            purerpc.wrappers.extract_message_from_singleton_stream,
        "call_server_unary_stream": purerpc.wrappers.call_server_unary_stream,
        "call_server_stream_unary": purerpc.wrappers.call_server_stream_unary,
        "call_server_stream_stream": purerpc.wrappers.call_server_stream_stream,
        "SocketWrapper._set_socket_options": getattr(patched, _PATCH_MARK, patched),
        # The server's repeating header encoder: new entries go in front, a size
        # change is signalled through `resized`.
        "hpack.Encoder.encode": hpack.Encoder.encode,
        "hpack.HeaderTable.add": hpack.hpack.HeaderTable.add,
        "hpack.HeaderTable.maxsize": hpack.hpack.HeaderTable.maxsize.fset,
        # The server's writer is woken only when h2 holds bytes to send.
        "h2.H2Connection.data_to_send": h2.connection.H2Connection.data_to_send,
    }


# The source of each internal as of purerpc 0.8.0, hpack 3.0.0 and h2 3.2.0
# (sha256, 16 hex digits).
INTERNALS: dict[str, str] = {
    "SocketWrapper.__init__": "63a03b48e26fc38a",
    "SocketWrapper._writer_thread": "39290fa9988253d6",
    "SocketWrapper.flush": "e0340e1031f06319",
    "SocketWrapper.recv": "1fff65ae335f614b",
    "GRPCStream.__init__": "666cad525c8c5ff8",
    "GRPCStream._close_remote": "a0688d6d61514f57",
    "GRPCStream._close_local": "ce4bda56098ad26a",
    "GRPCStream._set_flow_control_update": "82b5f7f3905a9134",
    "GRPCStream._wait_flow_control_update": "bbd72d0fc651a71b",
    "GRPCStream._send": "bde89e911f981440",
    "GRPCStream._receive": "abde7a0baa6d89d5",
    "GRPCStream.start_response": "0b4bb12417ca2bf0",
    "GRPCStream.close": "548506b4591f1318",
    "GRPCProtoStream.receive_event": "4f9464bb5124b903",
    "GRPCSocket.__init__": "4f0853b07745a906",
    "GRPCSocket._reader_thread": "0337e27f49d7835f",
    "GRPCSocket._listen": "0baaac3545b6ad4f",
    "GRPCSocket.listen": "500a235a553a62c0",
    "GRPCProtoSocket.start_request": "fdd925db127446bd",
    "GRPCConnection.__init__": "9549ee074e8d8ea3",
    "GRPCConnection._set_h2_connection_local_settings": "0532040f449ed4b6",
    "GRPCConnection.initiate_connection": "95c31d713763ccfc",
    "GRPCConnection._request_received": "45c39f4ec76a8369",
    "MessageReadBuffer._parse_one_message": "063fea6e5d2e5bb2",
    "ByteBuffer.append": "e1555e79a1214a2a",
    "ByteBuffer.popleft_flowcontrol": "e8320cb82b7fe0f1",
    "GRPCConnection.receive_data": "fa801e0ab07c6e8d",
    "GRPCConnection._data_received": "120e51ca484fb580",
    "GRPCConnection._response_received": "ca3c092a8e340c8f",
    "GRPCConnection._trailers_received": "fd4cc8962628ca04",
    "GRPCConnection._stream_reset": "c03d05266ae21865",
    "GRPCConnection._connection_terminated": "9a06ad7894f59eeb",
    "GRPCConnection.reset_stream": "da87688af26bcd59",
    "_Channel.__init__": "99d3d6c663844a0e",
    "ConnectionHandler.__init__": "c9432098fb14e21a",
    "ConnectionHandler.__call__": "1a46cd08c16eefa0",
    "ConnectionHandler.request_received": "5c6ace4027b0d9e0",
    "call_server_unary_unary": "dda8304949a03399",
    "extract_message_from_singleton_stream": "e0760a76ef132457",
    "call_server_unary_stream": "f475d2d930bf0fd7",
    "call_server_stream_unary": "f23dfedb99bfe166",
    "call_server_stream_stream": "cb7729cd8ffdbfbe",
    "SocketWrapper._set_socket_options": "acf771b513882c81",
    "hpack.Encoder.encode": "a6475e232929fd0b",
    "hpack.HeaderTable.add": "41d41b54647ee0c2",
    "hpack.HeaderTable.maxsize": "7f6786bb7f4cfff2",
    "h2.H2Connection.data_to_send": "172d814505fe2ec4",
}


def changed_internals() -> list[str]:
    """What differs from the purerpc our fixes were written against: the version,
    and every internal whose source is not the one fingerprinted."""
    changed = [] if version("purerpc") == PURERPC_VERSION else [f"purerpc {version('purerpc')}"]
    for name, target in _internals().items():
        if INTERNALS.get(name) != _fingerprint(target):
            changed.append(name)
    return changed
