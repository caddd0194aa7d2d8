"""A purerpc server on a Unix socket, a bound socket or one TCP address, with the server fixes.

- `serve(path, *services)`: serve purerpc `Service`s (or `Servicer`s) on a Unix
  socket it creates at `path` (and removes on exit).
- `serve_socket(sock, *services)`: the same on a listening socket the caller
  bound (the CoordinatorService binds its own, see `coordinator.rpc.server`).
- `serve_tcp(host, port, *services)`: on a TCP listener bound to one address
  only (`purerpc.Server` binds every interface). All report through `task_status`.

purerpc's handler catches `BaseException` (so cancellation is logged as three
warnings per connection), answers a servicer's exception with CANCELLED and a
repr of it, keeps serving calls the client has reset, and leaves calls of a
closed connection running. Ours lets cancellation through, answers UNKNOWN like
grpcio does (INVALID_ARGUMENT for a request that does not decode), and cancels
calls that were reset or whose connection ended.

What a client can hold is capped by one `ServerLimits` (every entry point takes
it): purerpc allows 65,536 streams a connection, 32 MiB messages, a 64 MiB window
per stream and 1 GiB per connection, with no timeout, so a few clients sending
unfinished messages could pin gigabytes. Here a connection gets at most
`max_streams_per_connection` streams and a window of twice `max_message_bytes`
for all of them (what it has sent and the server has not consumed); a message
declared larger than `max_message_bytes` is answered RESOURCE_EXHAUSTED at once
and its bytes dropped as they come (a compressed one, which purerpc would inflate
without bound, UNIMPLEMENTED); connections beyond a listener's
`Connections` gates are closed on accept; a connection whose first call does not
arrive within `handshake_timeout_secs`, or that sends nothing for
`idle_timeout_secs` while none of its calls is being answered, is closed.
"""

from __future__ import annotations

import os
import socket
import stat
from contextlib import suppress
from typing import Any

import anyio
import anyio.abc
import purerpc
import trio

from coordinator.grpc.admission import Admission, SessionGate
from coordinator.grpc.handler import ServerHandler
from coordinator.grpc.limits import DEFAULT_LIMITS, Connections, ServerLimits


def _services(services: tuple[Any, ...]) -> dict[str, Any]:
    """{name: Service} from purerpc Services or Servicers."""
    by_name: dict[str, Any] = {}
    for item in services:
        service = item.service if isinstance(item, purerpc.Servicer) else item
        if service.name in by_name:
            raise ValueError(f"service {service.name} given twice")
        by_name[service.name] = service
    return by_name


async def _serve_listener(
    listener: anyio.abc.Listener[Any], services: tuple[Any, ...],
    task_status: trio.TaskStatus[Any], address: object,
    limits: ServerLimits, gates: tuple[Connections, ...],
    admission: Admission | None = None, session_gate: SessionGate | None = None,
) -> None:
    handler = ServerHandler(_services(services), limits, gates, admission, session_gate)
    async with listener:
        task_status.started(address)
        await listener.serve(handler)


async def serve(
    path: str | os.PathLike[str],
    *services: Any,
    mode: int | None = None,
    limits: ServerLimits = DEFAULT_LIMITS,
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve purerpc `Service`s or `Servicer`s on a Unix socket at `path` until
    cancelled (a stale socket file is replaced; `mode` sets its permissions), and
    remove it on exit; `task_status.started` gets the path."""
    path = os.fspath(path)
    listener = await anyio.create_unix_listener(path, mode=mode)
    inode = os.stat(path).st_ino
    try:
        await _serve_listener(listener, services, task_status, path, limits,
                              (Connections(limits.max_connections),))
    finally:
        with suppress(OSError):  # remove our socket, not one a successor put there
            info = os.lstat(path)
            if stat.S_ISSOCK(info.st_mode) and info.st_ino == inode:
                os.unlink(path)


async def serve_socket(
    sock: socket.socket,
    *services: Any,
    limits: ServerLimits = DEFAULT_LIMITS,
    gates: tuple[Connections, ...] | None = None,
    admission: Admission | None = None,
    session_gate: SessionGate | None = None,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve on a socket the caller bound and made listen; it is closed on exit
    (also when it cannot be served). `gates`: the connection caps it shares with
    other listeners (default: its own, of `limits.max_connections`). With
    `admission` and `session_gate`, anyone may reach it: connections are
    pending until a request names a live session (`coordinator.grpc.admission`)."""
    try:
        listener = await anyio.abc.SocketListener.from_socket(sock)
    except BaseException:
        sock.close()
        raise
    if gates is None:
        gates = (Connections(limits.max_connections),)
    await _serve_listener(listener, services, task_status, None, limits, gates,
                          admission, session_gate)


async def serve_tcp(
    host: str,
    port: int,
    *services: Any,
    limits: ServerLimits = DEFAULT_LIMITS,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve purerpc services on `host:port` only (port 0: any free port).

    `purerpc.Server` binds every interface; this binds the one address given.
    `task_status.started` gets the bound port.
    """
    listener = await anyio.create_tcp_listener(local_host=host, local_port=port)
    await _serve_listener(
        listener, services, task_status, listener.extra(anyio.abc.SocketAttribute.local_port),
        limits, (Connections(limits.max_connections),),
    )

