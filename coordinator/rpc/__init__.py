"""The CoordinatorService on the Unix socket agent containers talk to.

    service = CoordinatorService(book, status_snapshot,
                                 max_concurrent_requests=settings.rpc.max_concurrent_requests)
    await nursery.start(serve, settings.rpc, service)   # SocketPathError: exit 2
"""

from coordinator.rpc.server import SocketPathError, clear_socket_path, serve
from coordinator.rpc.service import CoordinatorService, job_message

__all__ = ["CoordinatorService", "SocketPathError", "clear_socket_path", "job_message", "serve"]
