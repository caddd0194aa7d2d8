"""The errors of Sui calls: one `SuiError` per failed call, classed by whether
trying again can help (the table is in `coordinator.sui.client`'s doc).
"""

from __future__ import annotations

import logging
import ssl

from purerpc.grpclib.exceptions import RpcFailedError
from purerpc.grpclib.status import Status, StatusCode

from coordinator.errors import describe
from coordinator.grpc import TRANSPORT_ERRORS

log = logging.getLogger("coordinator.sui")


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


def status_error(call: str, status: Status) -> SuiError:
    code = status.status_code
    name = str(code.name)
    if status.int_value != code.value:  # a number gRPC does not define
        name = f"UNKNOWN ({status.int_value})"
    return _CLASS_OF_STATUS.get(code, SuiRejected)(call, name, status.status_message)


def leaf_errors(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaf_errors(inner)]
    return [exc]


def error_of(call: str, exc: BaseException) -> SuiError:
    """Our error for an exception (or group of exceptions) from purerpc or the network."""
    leaves = leaf_errors(exc)
    for kind in (SuiError, RpcFailedError, ssl.SSLCertVerificationError):
        found = next((leaf for leaf in leaves if isinstance(leaf, kind)), None)
        if isinstance(found, SuiError):
            return found
        if isinstance(found, RpcFailedError):
            return status_error(call, found.status)
        if isinstance(found, ssl.SSLCertVerificationError):
            return SuiRejected(call, "tls", f"certificate not accepted: {found.verify_message}")
    first = leaves[0]
    if not isinstance(first, TRANSPORT_ERRORS):
        log.warning("unexpected error from the Sui connection (%s)", call, exc_info=exc)
    return SuiUnavailable(call, "transport", describe(first))

