"""What one client may hold on our servers: streams, message size, the
connection's window, handshake and idle time (`ServerLimits`), and how many
connections a listener, or several together, may have open (`Connections`).

purerpc allows 65,536 streams a connection, 32 MiB messages, a 64 MiB window per
stream and 1 GiB per connection, with no timeout, so a few clients sending
unfinished messages could pin gigabytes; see `coordinator.grpc.server`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "H2_INITIAL_WINDOW", "Connections", "ServerLimits"]

# HTTP/2's initial connection window (RFC 9113, 6.9.2); ours is opened from it.
H2_INITIAL_WINDOW = 65_535


@dataclass(frozen=True)
class ServerLimits:
    """What one client may hold of a server (see the module doc). The daemon
    builds it from `rpc.*` settings; every listener of one daemon shares it."""

    max_connections: int = 64  # of a listener given no `Connections` of its own
    max_streams_per_connection: int = 16
    max_message_bytes: int = 4 << 20  # gRPC's usual default
    handshake_timeout_secs: float = 10.0
    idle_timeout_secs: float = 60.0

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

