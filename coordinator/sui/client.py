"""Typed calls to a Sui fullnode's gRPC API (`sui.rpc.v2`, our subset) over one connection.

By concern: `reads` (chain state), `streams` (subscriptions and listings),
`executing` (transactions), over `caller` (the call machinery), `errors`,
`filters` and `rpcs`; `SuiClient` is all of them on one connection.

    async with connect(Endpoint.parse(url), timeout=10) as sui:
        info = await sui.service_info()
        async with sui.subscribe_events(filter, ["contents"], idle_timeout=60) as events:
            async for frame in events:
                ...

Errors
------
Every failure surfaces as one `SuiError` saying which call failed (`.call`, e.g.
"LedgerService/GetCheckpoint", or "connect"), how (`.code`: the gRPC status name,
"transport" for a broken connection or a malformed answer, "tls" for a rejected
certificate) and whether trying again can help (`.retryable`):

=====================  =========  ==================================================
class                  retryable  codes
=====================  =========  ==================================================
`SuiUnavailable`       yes        UNAVAILABLE, DEADLINE_EXCEEDED (the server's or our
                                  own deadline), CANCELLED (incl. RST_STREAM),
                                  RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNKNOWN;
                                  "transport": refused, reset or closed connections,
                                  DNS failures, TLS handshake failures, HTTP/2 protocol
                                  errors, GOAWAY, undecodable messages
`SuiUnimplemented`     no         UNIMPLEMENTED: the server lacks this call; use the
                                  fallback (e.g. SubscribeCheckpoints)
`SuiNotFound`          no         NOT_FOUND
`SuiRejected`          no         UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT,
                                  FAILED_PRECONDITION, OUT_OF_RANGE, ALREADY_EXISTS,
                                  DATA_LOSS; "tls": the server's certificate failed
                                  verification (wrong host name, unknown CA, expired)
=====================  =========  ==================================================

A rejected certificate is not retryable: it means a wrong URL, a missing private CA
(`connect(ssl_context=...)`) or an interception, and retrying hides that from the
operator. What to do about an error that is not retryable (stop, or wait long and
say so loudly) is the caller's policy.

The contract of `connect`
-------------------------
- Connecting (TCP/Unix connect and TLS handshake) runs under `timeout`; failures
  raise `SuiError` with `.call == "connect"`.
- Each call's failure raises a `SuiError` from that call. A connection that breaks
  ends every open call with `SuiUnavailable`, and later calls fail the same way: the
  body sees ordinary errors, never a cancellation it did not ask for.
- Whatever leaves the channel when the block ends is ONE exception: the `SuiError`
  the body raised if any; else the body's own non-Sui exception, unchanged (a bug in
  the caller is not a network error); else one `SuiError` for anything the channel
  machinery raised, ExceptionGroups from purerpc's task groups and h2 errors
  included. `trio.Cancelled`, `KeyboardInterrupt` and other BaseExceptions always
  pass through untouched.
- On leaving a call early (deadline, cancel, `break` out of a stream) the call is
  reset with RST_STREAM(CANCEL), so the server stops working on it.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import trio

from coordinator.errors import describe
from coordinator.grpc import ByteStream, StreamChannel, dial_tcp, dial_unix
from coordinator.sui.caller import ResponseStream
from coordinator.sui.endpoint import Endpoint, client_ssl_context
from coordinator.sui.errors import (
    SuiError,
    SuiNotFound,
    SuiRejected,
    SuiUnavailable,
    SuiUnimplemented,
    error_of,
    leaf_errors,
)
from coordinator.sui.executing import Executing
from coordinator.sui.filters import ReadMasks, module_event_filter, module_transaction_filter
from coordinator.sui.reads import SUI_COIN_TYPE, Reads
from coordinator.sui.streams import Streams

__all__ = [
    "SUI_COIN_TYPE",
    "ReadMasks",
    "ResponseStream",
    "SuiClient",
    "SuiError",
    "SuiNotFound",
    "SuiRejected",
    "SuiUnavailable",
    "SuiUnimplemented",
    "connect",
    "module_event_filter",
    "module_transaction_filter",
]


class SuiClient(Reads, Streams, Executing):
    """Typed Sui calls over one connection; made by `connect`. The calls are
    grouped by concern in its bases; `Caller` (under them) says how every call
    behaves: deadlines, counts, read masks."""


# --- Connecting -----------------------------------------------------------------------


async def _open_stream(
    endpoint: Endpoint, deadline: float, ssl_context: ssl.SSLContext | None
) -> ByteStream:
    try:
        with trio.fail_after(deadline):
            if endpoint.scheme == "unix":
                return await dial_unix(endpoint.path)
            if endpoint.scheme == "https":
                tls = ssl_context or client_ssl_context()
                return await dial_tcp(endpoint.host, endpoint.port, tls)
            return await dial_tcp(endpoint.host, endpoint.port)
    except trio.TooSlowError:
        raise SuiUnavailable(
            "connect", "DEADLINE_EXCEEDED", f"cannot reach {endpoint} within {deadline:g} s"
        ) from None
    except Exception as exc:
        error = error_of("connect", exc)
        if error.code == "tls":
            raise SuiRejected("connect", "tls", f"{endpoint}: {error.message}") from exc
        detail = _connect_detail(exc) if error.code == "transport" else error.message
        raise type(error)("connect", error.code, f"cannot reach {endpoint}: {detail}") from exc


def _connect_detail(exc: BaseException) -> str:
    """'Connection refused' rather than anyio's 'All connection attempts failed'."""
    while exc.__cause__ is not None and str(exc) == "All connection attempts failed":
        exc = leaf_errors(exc.__cause__)[0]
    if isinstance(exc, OSError) and not isinstance(exc, ssl.SSLError) and exc.errno:
        if exc.errno > 0:
            return os.strerror(exc.errno)
        return exc.strerror or describe(exc)  # e.g. a DNS failure
    return describe(exc)


@asynccontextmanager
async def connect(
    endpoint: Endpoint,
    *,
    timeout: float,  # noqa: ASYNC109 (connect and call deadlines applied here)
    ssl_context: ssl.SSLContext | None = None,
    metadata: Sequence[tuple[str, str]] = (),
) -> AsyncIterator[SuiClient]:
    """Connect to a Sui fullnode and yield a `SuiClient` for the connection's life.

    `http://` is plaintext HTTP/2, `https://` is TLS with the system trust store,
    host name checked and ALPN h2 (`ssl_context` replaces that, e.g. for a private
    CA; it must offer ALPN "h2"), `unix:` is a Unix socket. `timeout` bounds the
    connect and is the default deadline of each unary call. `metadata` is sent with
    every call (e.g. an API key header). Errors: see the module doc.
    """
    stream = await _open_stream(endpoint, timeout, ssl_context)
    host, port = (endpoint.host, endpoint.port) if endpoint.scheme != "unix" else ("localhost", 80)
    body_error: Exception | None = None
    exit_error: BaseException | None = None
    try:
        async with StreamChannel(stream, host, port) as channel:
            try:
                yield SuiClient(channel, endpoint, timeout=timeout, metadata=metadata)
            except Exception as exc:
                body_error = exc
                raise
    except BaseException as exc:
        if not all(isinstance(leaf, Exception) for leaf in leaf_errors(exc)):
            raise  # cancellation, KeyboardInterrupt, ...: never ours to translate
        exit_error = exc
    if exit_error is not None:
        # Raised outside the handler, so the body's exception does not get the
        # group that wrapped it as its context.
        if body_error is not None:
            raise body_error
        raise error_of("connection", exit_error) from exit_error
