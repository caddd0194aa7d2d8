"""The agent API (upstream's CoordinatorService) and our status call, on the
operator's Unix socket; the agent API alone on each agent container's own socket,
and on TCP (`rpc.listen`), where only a running container's session is trusted.

    service = CoordinatorService(book,
                                 max_concurrent_requests=settings.rpc.max_concurrent_requests)
    status = StatusService(status_snapshot, service.limiter)
    sockets = AgentSockets.from_settings(settings.rpc, ...)   # the runner opens one per container
    await nursery.start(functools.partial(serve, settings.rpc, service, status, agents=sockets))
    # SocketPathError: exit 2
    await nursery.start(serve_tcp, settings.rpc, service)       # rpc.listen, when set
"""

from coordinator.rpc.agent_sockets import AgentSockets
from coordinator.rpc.checks import job_message, wire_job_id
from coordinator.rpc.server import SocketPathError, clear_socket_path, serve
from coordinator.rpc.service import CoordinatorService, StatusService
from coordinator.rpc.tcp import TcpListenError, serve_tcp

__all__ = [
    "AgentSockets",
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
