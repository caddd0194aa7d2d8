"""The machinery of Sui calls over one connection: unary calls under a
deadline, server streams with an idle timeout, each call counted, every
failure a `SuiError` (see `coordinator.sui.client`'s doc for the contract).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Any, Generic, TypeVar

import trio
from google.protobuf.message import Message
from purerpc.grpclib.events import ResponseEnded
from purerpc.grpclib.status import Status, StatusCode
from purerpc.wrappers import send_single_message_client

from coordinator.grpc import TRANSPORT_ERRORS, StreamChannel
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.errors import SuiError, SuiUnavailable, error_of, status_error
from coordinator.sui.rpcs import Rpc

_Request = TypeVar("_Request", bound=Message)
_Response = TypeVar("_Response", bound=Message)
_Field = TypeVar("_Field", bound=Message)


def field_of(rpc: Rpc[Any, Any], response: Message, name: str, value: _Field) -> _Field:
    """The one message a Get response carries; a server that leaves it out is broken."""
    if not response.HasField(name):
        raise SuiUnavailable(rpc.name, "transport", f"the response has no {name}")
    return value


@contextmanager
def _within(name: str, deadline: float, too_slow: str) -> Iterator[None]:
    """Run the block under `deadline`: running out of time is `SuiUnavailable`
    (DEADLINE_EXCEEDED, saying `too_slow`), a broken transport its `SuiError`."""
    try:
        with trio.fail_after(deadline):
            yield
    except trio.TooSlowError:
        raise SuiUnavailable(name, "DEADLINE_EXCEEDED", too_slow) from None
    except TRANSPORT_ERRORS as exc:
        raise error_of(name, exc) from exc


def end_status(call: Any) -> Status | None:
    event = call.end_stream_event
    return event.status if isinstance(event, ResponseEnded) else None


class ResponseStream(Generic[_Response]):
    """The messages of a server stream; failures raise `SuiError` from `__anext__`.

    With `idle_timeout`, waiting longer than that for the next message raises
    `SuiUnavailable` (DEADLINE_EXCEEDED). The first `__anext__` is where a server
    without the call answers UNIMPLEMENTED.
    """

    def __init__(self, name: str, call: Any, idle_timeout: float | None) -> None:
        self._name = name
        self._call = call
        self._idle_timeout = math.inf if idle_timeout is None else idle_timeout
        self._done = False

    def __aiter__(self) -> ResponseStream[_Response]:
        return self

    def _close(self) -> None:
        """The call was left (its `async with` ended): iteration ends here."""
        self._done = True

    async def __anext__(self) -> _Response:
        if self._done:
            raise StopAsyncIteration
        try:
            too_slow = f"no message for {self._idle_timeout:g} s"
            with _within(self._name, self._idle_timeout, too_slow):
                message = await self._call.receive_message()
        except SuiError:
            self._done = True
            raise
        if message is None:
            self._done = True
            status = end_status(self._call)
            if status is not None and status.status_code is not StatusCode.OK:
                raise status_error(self._name, status)
            raise StopAsyncIteration
        response: _Response = message
        return response


class Caller:
    """Calls over one connection: deadlines, counts, the call machinery.

    Unary calls run under a deadline: `timeout` from `connect`, or the call's own.
    `calls` counts the calls made (attempts, failed ones included) by name, e.g.
    `calls["LedgerService/GetCheckpoint"]`. An empty `read_mask` asks for the
    server's default fields; read-mask paths are relative to the message returned
    (the Checkpoint, ExecutedTransaction or Object for the Get calls, the response
    for the others).
    """

    def __init__(
        self,
        channel: StreamChannel,
        endpoint: Endpoint,
        *,
        timeout: float,
        metadata: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.calls: Counter[str] = Counter()
        self._channel = channel
        self._metadata = tuple(metadata)
        self._scheme = "https" if endpoint.scheme == "https" else "http"
        if endpoint.scheme == "unix":
            self._authority = "localhost"
        else:
            host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
            self._authority = f"{host}:{endpoint.port}"

    @property
    def lost_reason(self) -> str | None:
        """Why this connection can no longer carry calls (reconnect), or None."""
        return self._channel.lost_reason

    async def _start(self, rpc: Rpc[Any, Any], request: Message, deadline: float | None) -> Any:
        """Open the call and send the request; the caller must `abandon` what it gets."""
        grpc_timeout = None if deadline is None else timedelta(seconds=math.ceil(deadline))
        call = await self._channel.start_call(
            f"sui.rpc.v2.{rpc.service}",
            rpc.method,
            rpc.request_type,
            rpc.response_type,
            scheme=self._scheme,
            authority=self._authority,
            grpc_timeout=grpc_timeout,  # whole seconds: purerpc's "u" unit overflows 8 digits
            metadata=self._metadata,
        )
        try:
            await send_single_message_client(call, request)
        except BaseException:
            self._channel.abandon(call)
            raise
        return call

    async def _unary(
        self, rpc: Rpc[_Request, _Response], request: _Request, deadline: float | None
    ) -> _Response:
        deadline = self.timeout if deadline is None else deadline
        self.calls[rpc.name] += 1
        call = None
        try:
            with _within(rpc.name, deadline, f"no answer within {deadline:g} s"):
                call = await self._start(rpc, request, deadline)
                message = await call.receive_message()
                extra = None if message is None else await call.receive_message()
        finally:
            if call is not None:
                self._channel.abandon(call)
        status = end_status(call)
        if status is not None and status.status_code is not StatusCode.OK:
            raise status_error(rpc.name, status)
        if message is None or extra is not None:
            count = "no" if message is None else "more than one"
            raise SuiUnavailable(rpc.name, "transport", f"{count} response message")
        response: _Response = message
        return response

    @asynccontextmanager
    async def _stream(
        self, rpc: Rpc[_Request, _Response], request: _Request, idle_timeout: float | None
    ) -> AsyncIterator[ResponseStream[_Response]]:
        self.calls[rpc.name] += 1
        with _within(rpc.name, self.timeout, f"could not start within {self.timeout:g} s"):
            call = await self._start(rpc, request, None)
        responses: ResponseStream[_Response] = ResponseStream(rpc.name, call, idle_timeout)
        try:
            yield responses
        finally:
            responses._close()
            self._channel.abandon(call)
