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


def session_gate(service: CoordinatorService) -> grpc.SessionGate:
    """Where each call's request names its session (upstream's field numbers),
    and whether a session is live: a running container's."""
    fields: dict[tuple[str, str], int] = {}
    for name, method in service.service.methods.items():
        field = method.signature.request_type.DESCRIPTOR.fields_by_name.get("session_id")
        if field is not None:
            fields[(service.service.name, name)] = field.number

    def session_field(service_name: str, method: str) -> int | None:
        return fields.get((service_name, method))

    return grpc.SessionGate(session_field, lambda session: session in service.book.sessions)


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
    tcp = service.over_tcp()
    async with trio.open_nursery() as nursery:
        # The same caps as the sockets' (rpc.max_*), with connections of its own:
        # pending until a request names a live session, pushed out by newer
        # ones when the places run out (coordinator.grpc.admission).
        serving = functools.partial(
            grpc.serve_socket, sock, tcp, limits=server_limits(settings),
            admission=grpc.Admission(settings.max_connections, settings.max_pending_connections),
            session_gate=session_gate(tcp))
        await nursery.start(serving)
        log.info("CoordinatorService listening on TCP %s (calls need a session)", settings.listen)
        task_status.started(bound)
