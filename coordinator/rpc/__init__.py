"""The agent API (upstream's CoordinatorService) and our status call, on the Unix
socket agent containers talk to; the agent API also on TCP (`rpc.listen`), where
only a running container's session is trusted.

    service = CoordinatorService(book,
                                 max_concurrent_requests=settings.rpc.max_concurrent_requests)
    status = StatusService(status_snapshot, service.limiter)
    await nursery.start(serve, settings.rpc, service, status)   # SocketPathError: exit 2
    await nursery.start(serve_tcp, settings.rpc, service)       # rpc.listen, when set
"""

from coordinator.rpc.server import SocketPathError, clear_socket_path, serve
from coordinator.rpc.service import CoordinatorService, StatusService, job_message, wire_job_id
from coordinator.rpc.tcp import TcpListenError, serve_tcp

__all__ = [
    "CoordinatorService",
    "SocketPathError",
    "StatusService",
    "TcpListenError",
    "clear_socket_path",
    "job_message",
    "serve",
    "serve_tcp",
    "wire_job_id",
]
