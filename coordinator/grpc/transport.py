"""What purerpc's HTTP/2 runs over, and what a broken connection raises.

purerpc 0.8 speaks over anyio byte streams; these are the only places a
caller's connection is made, so the rest of the coordinator sees Trio alone.
"""

from __future__ import annotations

import ssl

import anyio
import anyio.abc
import h2.exceptions  # type: ignore[import-untyped]
import trio
from google.protobuf.message import DecodeError
from purerpc.grpclib.exceptions import GRPCError

ByteStream = anyio.abc.ByteStream
"""A connected stream a channel runs over (from `dial_unix` or `dial_tcp`)."""

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


async def dial_unix(path: str) -> ByteStream:
    """Connect to a Unix socket (no timeout: callers set one)."""
    return await anyio.connect_unix(path)


async def dial_tcp(host: str, port: int, ssl_context: ssl.SSLContext | None = None) -> ByteStream:
    """Connect over TCP, with TLS when `ssl_context` is given (it must offer ALPN
    "h2"; the host name is checked). No timeout: callers set one."""
    if ssl_context is None:
        return await anyio.connect_tcp(host, port)
    return await anyio.connect_tcp(
        host, port, tls=True, ssl_context=ssl_context, tls_hostname=host,
        tls_standard_compatible=False,
    )
