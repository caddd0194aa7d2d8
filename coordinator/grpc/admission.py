"""Who gets a connection on a listener anyone can reach (the agent API on TCP,
and the same rule for the metrics endpoint, `coordinator.metrics.endpoint`).

On a Unix socket the file's mode says who may connect; on TCP anyone who
reaches the port may, and the only credential is a live session id inside a
request. So a TCP connection starts *pending*: it may hold little (HTTP/2's
initial 64 KiB window, see `coordinator.grpc.connection`) until a request of
it names a live session (`SessionGate`), and it is closed when that has not
happened within the handshake timeout.

Pending connections must never keep a real agent out, so they are the ones
that give way: at most `max_pending` at once, and when a listener is full
(or the pending pool is), a new connection takes the place of the pending
one that has waited longest, which is closed with a GOAWAY. A real agent
names its session in its first request, sent with its connection preface,
so it is pending for one read; a crowd of clients that never do so keeps
pushing itself out. Proven connections are never pushed out: when all are, a
new connection is closed on accept, as with `Connections`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import trio

__all__ = ["Admission", "Admitted", "SessionGate"]


@dataclass(frozen=True)
class SessionGate:
    """How a pending connection proves itself: which field of a method's request
    holds the session id (None: the method takes none), and whether an id is a
    live session. Both run on the Trio thread, per request, before the call."""

    session_field: Callable[[str, str], int | None]  # (service, method) -> field number
    is_live: Callable[[str], bool]


@dataclass(eq=False)
class Admitted:
    """One admitted connection: its scope (cancelled to push it out) and whether
    it has proven itself yet (named a live session; sent its request head)."""

    scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    proven: trio.Event = field(default_factory=trio.Event)


def session_in(prefix: bytes, field_number: int) -> str | None:
    """The session id in the first bytes of a gRPC request (5 bytes of framing,
    then the protobuf message), or None when they do not hold it (yet).

    Protobuf writers put fields in field-number order, and upstream's requests
    name the session in one of their first fields, before any large one: so
    a request's first bytes prove who calls even when the rest is a proof of
    megabytes that a pending connection's window could not take."""
    at = 5
    while at < len(prefix):
        tag, at = _varint(prefix, at)
        if tag is None:
            return None
        number, kind = tag >> 3, tag & 7
        if number > field_number:
            return None  # past it: the request does not name a session
        if kind == 0:
            _, at = _varint(prefix, at)
        elif kind == 1:
            at += 8
        elif kind == 5:
            at += 4
        elif kind == 2:
            length, at = _varint(prefix, at)
            if length is None or at + length > len(prefix):
                return None
            if number == field_number:
                try:
                    return prefix[at:at + length].decode()
                except UnicodeDecodeError:
                    return None
            at += length
        else:
            return None  # groups: not in these messages
    return None


def _varint(data: bytes, at: int) -> tuple[int | None, int]:
    value = shift = 0
    while at < len(data) and shift < 64:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7
    return None, at


class Admission:
    """The connections of one listener that anyone may reach (see the module doc)."""

    def __init__(self, limit: int, max_pending: int) -> None:
        if limit < 1 or max_pending < 1:
            raise ValueError("connection limits must be at least 1")
        self.limit = limit
        self.max_pending = max_pending
        self.open: list[Admitted] = []  # oldest first

    def pending(self) -> list[Admitted]:
        return [c for c in self.open if not c.proven.is_set()]

    def enter(self) -> Admitted | None:
        """A place for a new connection, made by pushing out the oldest pending
        one when needed; None when every place is held by a proven one."""
        pending = self.pending()
        if len(self.open) >= self.limit or len(pending) >= self.max_pending:
            if not pending:
                return None
            oldest = pending[0]
            self.open.remove(oldest)
            oldest.scope.cancel()
        admitted = Admitted()
        self.open.append(admitted)
        return admitted

    def leave(self, admitted: Admitted) -> None:
        if admitted in self.open:
            self.open.remove(admitted)
