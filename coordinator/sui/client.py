"""Typed calls to a Sui fullnode's gRPC API (`sui.rpc.v2`, our subset) over one connection.

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

import logging
import math
import os
import ssl
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

import trio
from google.protobuf import field_mask_pb2
from google.protobuf.message import Message
from purerpc.grpclib.events import ResponseEnded
from purerpc.grpclib.exceptions import RpcFailedError
from purerpc.grpclib.status import Status, StatusCode
from purerpc.wrappers import send_single_message_client

from coordinator._pb.sui.rpc.v2 import (
    checkpoint_pb2,
    executed_transaction_pb2,
    filter_pb2,
    ledger_service_pb2,
    object_pb2,
    query_options_pb2,
    signature_pb2,
    state_service_pb2,
    subscription_service_pb2,
    transaction_execution_service_pb2,
    transaction_pb2,
)
from coordinator.errors import describe
from coordinator.grpc import TRANSPORT_ERRORS, ByteStream, StreamChannel, dial_tcp, dial_unix
from coordinator.logs import escape
from coordinator.sui.endpoint import Endpoint, client_ssl_context

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

log = logging.getLogger("coordinator.sui")

# --- Errors ----------------------------------------------------------------------


class SuiError(Exception):
    """A Sui RPC failed. See the module doc for the classes and codes."""

    retryable: bool = False

    def __init__(self, call: str, code: str, message: str = "") -> None:
        super().__init__(call, code, message)
        self.call = call
        self.code = code
        self.message = message

    def __str__(self) -> str:
        text = f"{self.call} failed: {self.code}"
        return f"{text}: {self.message}" if self.message else text


class SuiUnavailable(SuiError):
    """Transient: the server, the network or a deadline failed; retrying may help."""

    retryable = True


class SuiUnimplemented(SuiError):
    """The server does not offer this call: switch to the fallback."""


class SuiNotFound(SuiError):
    """The requested checkpoint, transaction or object does not exist (here)."""


class SuiRejected(SuiError):
    """The server refuses the request as made; retrying unchanged will not help."""


_CLASS_OF_STATUS: dict[StatusCode, type[SuiError]] = {
    StatusCode.UNAVAILABLE: SuiUnavailable,
    StatusCode.DEADLINE_EXCEEDED: SuiUnavailable,
    StatusCode.CANCELLED: SuiUnavailable,
    StatusCode.RESOURCE_EXHAUSTED: SuiUnavailable,
    StatusCode.ABORTED: SuiUnavailable,
    StatusCode.INTERNAL: SuiUnavailable,
    StatusCode.UNKNOWN: SuiUnavailable,
    StatusCode.UNIMPLEMENTED: SuiUnimplemented,
    StatusCode.NOT_FOUND: SuiNotFound,
    # Everything else (UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT,
    # FAILED_PRECONDITION, OUT_OF_RANGE, ALREADY_EXISTS, DATA_LOSS) is SuiRejected.
}


def _status_error(call: str, status: Status) -> SuiError:
    code = status.status_code
    name = str(code.name)
    if status.int_value != code.value:  # a number gRPC does not define
        name = f"UNKNOWN ({status.int_value})"
    return _CLASS_OF_STATUS.get(code, SuiRejected)(call, name, status.status_message)


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def _error(call: str, exc: BaseException) -> SuiError:
    """Our error for an exception (or group of exceptions) from purerpc or the network."""
    leaves = _leaves(exc)
    for kind in (SuiError, RpcFailedError, ssl.SSLCertVerificationError):
        found = next((leaf for leaf in leaves if isinstance(leaf, kind)), None)
        if isinstance(found, SuiError):
            return found
        if isinstance(found, RpcFailedError):
            return _status_error(call, found.status)
        if isinstance(found, ssl.SSLCertVerificationError):
            return SuiRejected(call, "tls", f"certificate not accepted: {found.verify_message}")
    first = leaves[0]
    if not isinstance(first, TRANSPORT_ERRORS):
        log.warning("unexpected error from the Sui connection (%s)", call, exc_info=exc)
    return SuiUnavailable(call, "transport", describe(first))


# --- Filters -----------------------------------------------------------------------


def _modules(package_id: str, modules: Iterable[str]) -> list[str]:
    names = [f"{package_id}::{module}" for module in modules]
    if not names:
        raise ValueError("a module filter needs at least one module (empty would match all)")
    return names


# Events are matched by the module that *defines* their type (`event_type =
# 0xPKG::module`). `emit_module` would be wrong here: on Sui it names the
# top-level Move call of the transaction, which for Silvana is an entry
# function of another module (or of an app's own package).


def module_event_filter(package_id: str, modules: Iterable[str]) -> filter_pb2.EventFilter:
    """Events whose type is defined in any of `package_id::module` (OR-ed terms)."""
    return filter_pb2.EventFilter(
        terms=[
            filter_pb2.EventTerm(
                literals=[filter_pb2.EventLiteral(event_type={"event_type": name})]
            )
            for name in _modules(package_id, modules)
        ]
    )


def module_transaction_filter(
    package_id: str, modules: Iterable[str]
) -> filter_pb2.TransactionFilter:
    """Transactions with an event whose type is defined in any of the modules."""
    return filter_pb2.TransactionFilter(
        terms=[
            filter_pb2.TransactionTerm(
                literals=[filter_pb2.TransactionLiteral(event_type={"event_type": name})]
            )
            for name in _modules(package_id, modules)
        ]
    )


def _mask(read_mask: Sequence[str]) -> field_mask_pb2.FieldMask | None:
    """None (the server's default mask) for an empty read mask."""
    if isinstance(read_mask, str):
        raise TypeError("read_mask is a sequence of paths, not one string")
    return field_mask_pb2.FieldMask(paths=list(read_mask)) if read_mask else None


class ReadMasks:
    """Read masks for one kind of call, from the richest to the simplest.

    Servers of different ages know different fields, and a server refuses a
    read-mask path it does not know with INVALID_ARGUMENT. Retrying the same
    mask would be refused forever, so `simpler` moves to the next mask; only
    the simplest mask's refusal stands (and is the caller's to report).
    """

    def __init__(self, what: str, calls: Iterable[str], *masks: Sequence[str]) -> None:
        if not masks:
            raise ValueError("ReadMasks needs at least one mask")
        self.what = what
        self.calls = frozenset(calls)  # e.g. "LedgerService/GetCheckpoint"
        self.masks = masks
        self.level = 0

    @property
    def paths(self) -> Sequence[str]:
        return self.masks[self.level]

    def at_least(self, level: int) -> None:
        """Skip the richer masks (a server known to be older than them)."""
        self.level = max(self.level, min(level, len(self.masks) - 1))

    def simpler(self, exc: SuiError) -> bool:
        """After a refusal: True when a simpler mask is now in use, so asking
        again can help; False when `exc` is no refusal of these calls or no
        simpler mask is left."""
        if (exc.code != "INVALID_ARGUMENT" or exc.call not in self.calls
                or self.level + 1 >= len(self.masks)):
            return False
        self.level += 1
        log.warning("%s refused the read mask of %s (%s); asking with a simpler one: %s",
                    exc.call, self.what, escape(exc.message), ", ".join(self.paths))
        return True


# --- Calls --------------------------------------------------------------------------

SUI_COIN_TYPE = "0x2::sui::SUI"
_GAS_COIN_TYPE = f"0x2::coin::Coin<{SUI_COIN_TYPE}>"
# What the executor needs of an outcome: status, gas, versions, events.
EXECUTED_MASK = (
    "digest",
    "effects.status",
    "effects.gas_used",
    "effects.gas_object",
    "effects.changed_objects",
    "events.events",
)

_Request = TypeVar("_Request", bound=Message)
_Response = TypeVar("_Response", bound=Message)


@dataclass(frozen=True)
class _Rpc(Generic[_Request, _Response]):
    service: str  # without the package, e.g. "LedgerService"
    method: str
    request_type: type[_Request]
    response_type: type[_Response]

    @property
    def name(self) -> str:
        return f"{self.service}/{self.method}"


_ledger, _state, _subs = ledger_service_pb2, state_service_pb2, subscription_service_pb2
_exec = transaction_execution_service_pb2
GET_SERVICE_INFO = _Rpc(
    "LedgerService", "GetServiceInfo", _ledger.GetServiceInfoRequest, _ledger.GetServiceInfoResponse
)
GET_CHECKPOINT = _Rpc(
    "LedgerService", "GetCheckpoint", _ledger.GetCheckpointRequest, _ledger.GetCheckpointResponse
)
GET_TRANSACTION = _Rpc(
    "LedgerService", "GetTransaction", _ledger.GetTransactionRequest, _ledger.GetTransactionResponse
)
GET_OBJECT = _Rpc("LedgerService", "GetObject", _ledger.GetObjectRequest, _ledger.GetObjectResponse)
LIST_EVENTS = _Rpc(
    "LedgerService", "ListEvents", _ledger.ListEventsRequest, _ledger.ListEventsResponse
)
LIST_DYNAMIC_FIELDS = _Rpc(
    "StateService",
    "ListDynamicFields",
    _state.ListDynamicFieldsRequest,
    _state.ListDynamicFieldsResponse,
)
GET_EPOCH = _Rpc("LedgerService", "GetEpoch", _ledger.GetEpochRequest, _ledger.GetEpochResponse)
LIST_OWNED_OBJECTS = _Rpc(
    "StateService",
    "ListOwnedObjects",
    _state.ListOwnedObjectsRequest,
    _state.ListOwnedObjectsResponse,
)
GET_BALANCE = _Rpc(
    "StateService", "GetBalance", _state.GetBalanceRequest, _state.GetBalanceResponse
)
EXECUTE_TRANSACTION = _Rpc(
    "TransactionExecutionService",
    "ExecuteTransaction",
    _exec.ExecuteTransactionRequest,
    _exec.ExecuteTransactionResponse,
)
SIMULATE_TRANSACTION = _Rpc(
    "TransactionExecutionService",
    "SimulateTransaction",
    _exec.SimulateTransactionRequest,
    _exec.SimulateTransactionResponse,
)
SUBSCRIBE_CHECKPOINTS = _Rpc(
    "SubscriptionService",
    "SubscribeCheckpoints",
    _subs.SubscribeCheckpointsRequest,
    _subs.SubscribeCheckpointsResponse,
)
SUBSCRIBE_EVENTS = _Rpc(
    "SubscriptionService",
    "SubscribeEvents",
    _subs.SubscribeEventsRequest,
    _subs.SubscribeEventsResponse,
)


_Field = TypeVar("_Field", bound=Message)


def _field(rpc: _Rpc[Any, Any], response: Message, name: str, value: _Field) -> _Field:
    """The one message a Get response carries; a server that leaves it out is broken."""
    if not response.HasField(name):
        raise SuiUnavailable(rpc.name, "transport", f"the response has no {name}")
    return value


def _end_status(call: Any) -> Status | None:
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
            with trio.fail_after(self._idle_timeout):
                message = await self._call.receive_message()
        except trio.TooSlowError:
            self._done = True
            raise SuiUnavailable(
                self._name, "DEADLINE_EXCEEDED", f"no message for {self._idle_timeout:g} s"
            ) from None
        except TRANSPORT_ERRORS as exc:
            self._done = True
            raise _error(self._name, exc) from exc
        if message is None:
            self._done = True
            status = _end_status(self._call)
            if status is not None and status.status_code is not StatusCode.OK:
                raise _status_error(self._name, status)
            raise StopAsyncIteration
        response: _Response = message
        return response


class SuiClient:
    """Typed Sui calls over one connection; made by `connect`.

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

    # -- unary calls

    async def service_info(
        self,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (a deadline this call applies)
    ) -> _ledger.GetServiceInfoResponse:
        return await self._unary(GET_SERVICE_INFO, _ledger.GetServiceInfoRequest(), timeout)

    async def get_checkpoint(
        self,
        sequence_number: int,
        read_mask: Sequence[str] = (),
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> checkpoint_pb2.Checkpoint:
        request = _ledger.GetCheckpointRequest(
            sequence_number=sequence_number, read_mask=_mask(read_mask)
        )
        response = await self._unary(GET_CHECKPOINT, request, timeout)
        return _field(GET_CHECKPOINT, response, "checkpoint", response.checkpoint)

    async def get_transaction(
        self,
        digest: str,
        read_mask: Sequence[str] = (),
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> executed_transaction_pb2.ExecutedTransaction:
        """A transaction by digest (its effects and events: did a sent one land?)."""
        request = _ledger.GetTransactionRequest(digest=digest, read_mask=_mask(read_mask))
        response = await self._unary(GET_TRANSACTION, request, timeout)
        return _field(GET_TRANSACTION, response, "transaction", response.transaction)

    async def get_object(
        self,
        object_id: str,
        read_mask: Sequence[str] = (),
        *,
        version: int | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> object_pb2.Object:
        request = _ledger.GetObjectRequest(
            object_id=object_id, version=version, read_mask=_mask(read_mask)
        )
        response = await self._unary(GET_OBJECT, request, timeout)
        return _field(GET_OBJECT, response, "object", response.object)

    async def list_dynamic_fields(
        self,
        parent: str,
        *,
        page_size: int | None = None,
        page_token: bytes | None = None,
        read_mask: Sequence[str] = (),
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> _state.ListDynamicFieldsResponse:
        request = _state.ListDynamicFieldsRequest(
            parent=parent, page_size=page_size, page_token=page_token, read_mask=_mask(read_mask)
        )
        return await self._unary(LIST_DYNAMIC_FIELDS, request, timeout)

    async def reference_gas_price(
        self,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> int:
        """The current epoch's reference gas price (MIST per gas unit)."""
        request = _ledger.GetEpochRequest(read_mask=_mask(["reference_gas_price"]))
        response = await self._unary(GET_EPOCH, request, timeout)
        epoch = _field(GET_EPOCH, response, "epoch", response.epoch)
        if not epoch.HasField("reference_gas_price"):
            raise SuiUnavailable(
                GET_EPOCH.name, "transport", "the epoch has no reference_gas_price"
            )
        return epoch.reference_gas_price

    async def list_owned_objects(
        self,
        owner: str,
        *,
        object_type: str | None = None,
        page_size: int | None = None,
        page_token: bytes | None = None,
        read_mask: Sequence[str] = (),
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> _state.ListOwnedObjectsResponse:
        request = _state.ListOwnedObjectsRequest(
            owner=owner,
            object_type=object_type,
            page_size=page_size,
            page_token=page_token,
            read_mask=_mask(read_mask),
        )
        return await self._unary(LIST_OWNED_OBJECTS, request, timeout)

    async def gas_coins(
        self,
        owner: str,
        *,
        max_pages: int = 10,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> list[object_pb2.Object]:
        """The SUI coins `owner` holds (id, version, digest, balance), at most
        `max_pages` pages of 50: enough to pay gas, bounded however many it has."""
        coins: list[object_pb2.Object] = []
        token: bytes | None = None
        for _ in range(max_pages):
            page = await self.list_owned_objects(
                owner,
                object_type=_GAS_COIN_TYPE,
                page_size=50,
                page_token=token,
                read_mask=("object_id", "version", "digest", "balance"),
                timeout=timeout,
            )
            coins.extend(page.objects)
            if not page.HasField("next_page_token") or not page.next_page_token:
                break
            token = page.next_page_token
        return coins

    async def balance(
        self,
        owner: str,
        coin_type: str = SUI_COIN_TYPE,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> int:
        """What `owner` holds of `coin_type`, in its smallest unit (MIST for SUI)."""
        request = _state.GetBalanceRequest(owner=owner, coin_type=coin_type)
        response = await self._unary(GET_BALANCE, request, timeout)
        return _field(GET_BALANCE, response, "balance", response.balance).balance

    async def execute_transaction(
        self,
        tx_bytes: bytes,
        signatures: Sequence[bytes],
        read_mask: Sequence[str] = EXECUTED_MASK,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> executed_transaction_pb2.ExecutedTransaction:
        """Execute a signed transaction (BCS TransactionData and serialized
        signatures); answers once its effects are known. A transaction that ran
        and failed (e.g. out of gas) is an answer, not an error: read
        `effects.status`. Refused ones (bad signature, unknown object) raise."""
        request = _exec.ExecuteTransactionRequest(
            transaction=transaction_pb2.Transaction(bcs={"value": tx_bytes}),
            signatures=[
                signature_pb2.UserSignature(bcs={"value": signature}) for signature in signatures
            ],
            read_mask=_mask(read_mask),
        )
        response = await self._unary(EXECUTE_TRANSACTION, request, timeout)
        return _field(EXECUTE_TRANSACTION, response, "transaction", response.transaction)

    async def simulate_transaction(
        self,
        tx_bytes: bytes,
        read_mask: Sequence[str] = (),
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> _exec.SimulateTransactionResponse:
        """Dry-run a transaction (no signature needed): its effects, events and
        each command's return values, as if executed now. Read-mask paths are
        relative to the response (`transaction.effects.gas_used`, `command_outputs`)."""
        request = _exec.SimulateTransactionRequest(
            transaction=transaction_pb2.Transaction(bcs={"value": tx_bytes}),
            read_mask=_mask(read_mask),
        )
        return await self._unary(SIMULATE_TRANSACTION, request, timeout)

    # -- server streams

    def subscribe_events(
        self,
        event_filter: filter_pb2.EventFilter | None,
        read_mask: Sequence[str] = (),
        *,
        idle_timeout: float | None = None,
    ) -> AbstractAsyncContextManager[ResponseStream[_subs.SubscribeEventsResponse]]:
        """`async with` it: yields a `ResponseStream` of SubscribeEventsResponse."""
        request = _subs.SubscribeEventsRequest(read_mask=_mask(read_mask), filter=event_filter)
        return self._stream(SUBSCRIBE_EVENTS, request, idle_timeout)

    def subscribe_checkpoints(
        self,
        read_mask: Sequence[str] = (),
        transaction_filter: filter_pb2.TransactionFilter | None = None,
        *,
        idle_timeout: float | None = None,
    ) -> AbstractAsyncContextManager[ResponseStream[_subs.SubscribeCheckpointsResponse]]:
        """`async with` it: yields a `ResponseStream` of SubscribeCheckpointsResponse."""
        request = _subs.SubscribeCheckpointsRequest(
            read_mask=_mask(read_mask), filter=transaction_filter
        )
        return self._stream(SUBSCRIBE_CHECKPOINTS, request, idle_timeout)

    def list_events(
        self,
        *,
        start_checkpoint: int | None = None,
        end_checkpoint: int | None = None,
        event_filter: filter_pb2.EventFilter | None = None,
        read_mask: Sequence[str] = (),
        limit: int | None = None,
        after: bytes | None = None,
        idle_timeout: float | None = None,
    ) -> AbstractAsyncContextManager[ResponseStream[_ledger.ListEventsResponse]]:
        """`async with` it: yields a `ResponseStream` of ListEventsResponse.

        A bounded query, so the wait for each message defaults to the client's
        `timeout`.
        """
        options = None
        if limit is not None or after is not None:
            options = query_options_pb2.QueryOptions(limit=limit, after=after)
        request = _ledger.ListEventsRequest(
            read_mask=_mask(read_mask),
            start_checkpoint=start_checkpoint,
            end_checkpoint=end_checkpoint,
            filter=event_filter,
            options=options,
        )
        idle = self.timeout if idle_timeout is None else idle_timeout
        return self._stream(LIST_EVENTS, request, idle)

    # -- machinery

    async def _start(self, rpc: _Rpc[Any, Any], request: Message, deadline: float | None) -> Any:
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
        self, rpc: _Rpc[_Request, _Response], request: _Request, deadline: float | None
    ) -> _Response:
        deadline = self.timeout if deadline is None else deadline
        self.calls[rpc.name] += 1
        call = None
        try:
            with trio.fail_after(deadline):
                call = await self._start(rpc, request, deadline)
                message = await call.receive_message()
                extra = None if message is None else await call.receive_message()
        except trio.TooSlowError:
            raise SuiUnavailable(
                rpc.name, "DEADLINE_EXCEEDED", f"no answer within {deadline:g} s"
            ) from None
        except TRANSPORT_ERRORS as exc:
            raise _error(rpc.name, exc) from exc
        finally:
            if call is not None:
                self._channel.abandon(call)
        status = _end_status(call)
        if status is not None and status.status_code is not StatusCode.OK:
            raise _status_error(rpc.name, status)
        if message is None or extra is not None:
            count = "no" if message is None else "more than one"
            raise SuiUnavailable(rpc.name, "transport", f"{count} response message")
        response: _Response = message
        return response

    @asynccontextmanager
    async def _stream(
        self, rpc: _Rpc[_Request, _Response], request: _Request, idle_timeout: float | None
    ) -> AsyncIterator[ResponseStream[_Response]]:
        self.calls[rpc.name] += 1
        try:
            with trio.fail_after(self.timeout):
                call = await self._start(rpc, request, None)
        except trio.TooSlowError:
            raise SuiUnavailable(
                rpc.name, "DEADLINE_EXCEEDED", f"could not start within {self.timeout:g} s"
            ) from None
        except TRANSPORT_ERRORS as exc:
            raise _error(rpc.name, exc) from exc
        responses: ResponseStream[_Response] = ResponseStream(rpc.name, call, idle_timeout)
        try:
            yield responses
        finally:
            responses._close()
            self._channel.abandon(call)


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
        error = _error("connect", exc)
        if error.code == "tls":
            raise SuiRejected("connect", "tls", f"{endpoint}: {error.message}") from exc
        detail = _connect_detail(exc) if error.code == "transport" else error.message
        raise type(error)("connect", error.code, f"cannot reach {endpoint}: {detail}") from exc


def _connect_detail(exc: BaseException) -> str:
    """'Connection refused' rather than anyio's 'All connection attempts failed'."""
    while exc.__cause__ is not None and str(exc) == "All connection attempts failed":
        exc = _leaves(exc.__cause__)[0]
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
        if not all(isinstance(leaf, Exception) for leaf in _leaves(exc)):
            raise  # cancellation, KeyboardInterrupt, ...: never ours to translate
        exit_error = exc
    if exit_error is not None:
        # Raised outside the handler, so the body's exception does not get the
        # group that wrapped it as its context.
        if body_error is not None:
            raise body_error
        raise _error("connection", exit_error) from exit_error
