"""The agent API on TCP (`rpc.listen`), where upstream's agents look for it.

Upstream's SDK dials `COORDINATOR_URL`, by default
`http://host.docker.internal:50051`; agent containers resolve that name to the
host (`coordinator.docker.container`). Unlike the socket, whose file mode
decides who may call, a TCP port is open to whatever reaches it, so the only
credential is the session id of a running container: `CoordinatorService.over_tcp`
refuses calls without one, and jobs that are not the session's. Our own
`CoordinatorStatusService` is not served here (it is the operator's, on the socket).
"""

from __future__ import annotations

import functools
import logging
import socket

import trio

from coordinator import grpc
from coordinator.errors import SetupError
from coordinator.rpc.server import BACKLOG, server_limits
from coordinator.rpc.service import CoordinatorService
from coordinator.rpc.settings import RpcSettings

__all__ = ["TcpListenError", "serve_tcp"]

log = logging.getLogger("coordinator.rpc")


class TcpListenError(SetupError):
    """`rpc.listen` cannot be bound; one line for the operator (exit 2)."""


async def serve_tcp(
    settings: RpcSettings,
    service: CoordinatorService,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `service` (over TCP's rules) on `rpc.listen` until cancelled;
    `task_status.started(port)` once it accepts connections."""
    address = settings.listen_address
    if address is None:
        raise ValueError("rpc.listen is off")
    host, port = address
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, backlog=BACKLOG)
    except OSError as exc:
        raise TcpListenError(
            f"rpc.listen: cannot listen on {settings.listen}: {exc.strerror or exc}"
        ) from None
    bound: int = sock.getsockname()[1]
    async with trio.open_nursery() as nursery:
        # The same caps as the sockets' (rpc.max_*), with a connection gate of its own.
        serving = functools.partial(grpc.serve_socket, sock, service.over_tcp(),
                                    limits=server_limits(settings))
        await nursery.start(serving)
        log.info("CoordinatorService listening on TCP %s (calls need a session)", settings.listen)
        task_status.started(bound)
