"""purerpc, contained: the one package of the coordinator that knows purerpc 0.8's insides.

purerpc speaks gRPC over any anyio byte stream, but its entry points assume
TCP and several of its failure paths wait forever. Here, one module a concern,
one Trio API to the rest of the daemon (task_status, cancel scopes):

- `transport`: dialling Unix and TCP/TLS streams; the errors a broken
  connection raises (`TRANSPORT_ERRORS`);
- `client`: `StreamChannel` over a dialled stream, `unix_channel(path)`;
- `server`: `serve` (Unix socket path), `serve_socket` (a bound socket),
  `serve_tcp` (one address), each capped by a `ServerLimits` (streams, message
  size, connection window, handshake and idle timeouts) and `Connections` gates
  (`limits`), and on a listener anyone may reach, `admission` (connections
  pending until a request names a live session); under it the per-connection
  `handler` and the HTTP/2 `connection` with its flow control;
- `patches`: the in-place patch (TCP socket options on TCP sockets only,
  installed on import) and the fingerprints of every purerpc internal the
  fixes build on (a test fails when the pinned purerpc changes one);
- `status_message`: grpc-message percent-encoded only as the gRPC spec asks.
"""

from coordinator.grpc import status_message
from coordinator.grpc.admission import Admission, SessionGate
from coordinator.grpc.client import StreamChannel, UnixChannel, unix_channel
from coordinator.grpc.limits import DEFAULT_LIMITS, Connections, ServerLimits
from coordinator.grpc.patches import install
from coordinator.grpc.server import serve, serve_socket, serve_tcp
from coordinator.grpc.transport import TRANSPORT_ERRORS, ByteStream, dial_tcp, dial_unix

install()
status_message.install()

__all__ = [
    "DEFAULT_LIMITS",
    "TRANSPORT_ERRORS",
    "Admission",
    "ByteStream",
    "Connections",
    "ServerLimits",
    "SessionGate",
    "StreamChannel",
    "UnixChannel",
    "dial_tcp",
    "dial_unix",
    "install",
    "serve",
    "serve_socket",
    "serve_tcp",
    "unix_channel",
]
