"""The Unix socket the CoordinatorService is served on.

`serve(settings, *services)` owns the socket file from start to end:

- It refuses a path that is a regular file, a directory, a symlink or any other
  non-socket (`SocketPathError`, one line for the operator), and a socket someone
  still answers on ("another coordinator is listening on PATH"). A socket nobody
  answers on is left over from a process that died: it is replaced.
- A missing parent directory is created (mode 0755).
- The socket is bound under a umask that leaves it owner-only, then given its
  group (`rpc.socket_group`), then its mode (`rpc.socket_mode`, default 0600): it
  is never wider than configured, nor open to a group it was not meant for.
  The umask is process-wide; it is changed for the bind only, with no await in
  between, so at worst a file another thread creates in that instant is born
  narrower than usual.
- On exit (cancellation included) the socket file is removed if it is still
  ours (same inode): a successor may already have replaced it.

Agent containers never get this socket: `agents` (`AgentSockets`) serve each
container's session on a socket of its own, made the same way (mode, group),
with a `CoordinatorService` bound to that session (`for_session`) and without
the status service. What a client can hold is capped by `rpc.*` settings
(`server_limits`): connections in all (one gate shared by every socket of the
daemon) and per agent socket, streams, message size, handshake and idle timeouts.

purerpc speaks HTTP/2 on the accepted connections through
`coordinator.grpc.serve_socket`.
"""

from __future__ import annotations

import errno
import functools
import grp
import logging
import os
import socket
import stat
from contextlib import suppress
from typing import Any

import trio

from coordinator import grpc
from coordinator.errors import SetupError
from coordinator.rpc.agent_sockets import AgentSockets
from coordinator.rpc.service import CoordinatorService
from coordinator.rpc.settings import RpcSettings

__all__ = [
    "SocketPathError",
    "clear_socket_path",
    "make_parent",
    "resolve_group",
    "serve",
    "server_limits",
]

log = logging.getLogger("coordinator.rpc")

# How long a socket found at the path may take to answer before we call it busy.
PROBE_TIMEOUT_SECS = 2.0
BACKLOG = 1024


class SocketPathError(SetupError):
    """The socket cannot be created at the configured path; the message is one
    line for the operator (the daemon prints it and exits 2)."""


def resolve_group(group: str | None) -> int | None:
    if group is None:
        return None
    if group.isdigit():
        return int(group)
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise SocketPathError(f"rpc.socket_group: there is no group named {group!r}") from None


async def clear_socket_path(path: str) -> None:
    """Make room for our socket at `path` (a stale socket is removed), or raise
    `SocketPathError`. The daemon calls it before starting its tree, so an
    unusable path stops it at once with that message."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SocketPathError(f"cannot check the socket path {path}: {exc.strerror}") from None
    advice = "remove it or set rpc.socket_path elsewhere"
    if stat.S_ISLNK(info.st_mode):
        raise SocketPathError(f"{path} is a symlink, not a socket; refusing to use it ({advice})")
    if stat.S_ISDIR(info.st_mode):
        raise SocketPathError(f"{path} is a directory, not a socket ({advice})")
    if stat.S_ISREG(info.st_mode):
        raise SocketPathError(f"{path} is a regular file, not a socket; refusing to replace "
                              f"it ({advice})")
    if not stat.S_ISSOCK(info.st_mode):
        raise SocketPathError(f"{path} exists and is not a socket ({advice})")

    probe = trio.socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with probe:
        try:
            with trio.fail_after(PROBE_TIMEOUT_SECS):
                await probe.connect(path)
        except ConnectionRefusedError:
            pass  # stale: nobody listens any more
        except FileNotFoundError:
            return  # gone meanwhile
        except trio.TooSlowError:
            raise SocketPathError(f"a process is listening on {path} but does not accept "
                                  f"connections; refusing to replace its socket") from None
        except OSError as exc:
            raise SocketPathError(f"cannot check the socket at {path}: {exc.strerror}") from None
        else:
            raise SocketPathError(f"another coordinator is listening on {path}")
    try:
        current = os.lstat(path)
        if stat.S_ISSOCK(current.st_mode) and current.st_ino == info.st_ino:
            os.unlink(path)
            log.info("replaced a stale socket at %s", path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise SocketPathError(f"cannot remove the stale socket {path}: {exc.strerror}") from None


def make_parent(path: str) -> None:
    parent = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(parent, mode=0o755, exist_ok=True)
    except FileExistsError:
        raise SocketPathError(f"rpc.socket_path: the parent of {path} is not a directory") from None
    except OSError as exc:
        raise SocketPathError(f"rpc.socket_path: cannot create the directory {parent}: "
                              f"{exc.strerror}") from None


def _bind(path: str, mode: int, gid: int | None) -> tuple[socket.socket, os.stat_result]:
    """A listening socket at `path` with group `gid` and permissions `mode`."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        # Owner bits only while the group is not set yet; no await until restored.
        previous = os.umask(0o777 & ~(mode & 0o700))
        try:
            sock.bind(path)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SocketPathError(f"{path} appeared while the coordinator was starting; "
                                      f"is another coordinator starting?") from None
            raise SocketPathError(f"cannot create the socket {path}: "
                                  f"{exc.strerror or exc}") from None
        finally:
            os.umask(previous)
        try:
            if gid is not None:
                try:
                    os.chown(path, -1, gid, follow_symlinks=False)
                except PermissionError:
                    raise SocketPathError(
                        f"rpc.socket_group: cannot give {path} to group {gid} (the coordinator "
                        f"must be root or a member of that group)") from None
            os.chmod(path, mode)
            info = os.lstat(path)
            sock.listen(BACKLOG)
        except BaseException:
            with suppress(OSError):
                os.unlink(path)
            raise
    except BaseException:
        sock.close()
        raise
    return sock, info


def _remove_if_ours(path: str, ours: os.stat_result) -> None:
    with suppress(OSError):
        info = os.lstat(path)
        if (stat.S_ISSOCK(info.st_mode) and info.st_ino == ours.st_ino
                and info.st_dev == ours.st_dev):
            os.unlink(path)
            log.debug("removed the socket %s", path)


def server_limits(settings: RpcSettings) -> grpc.ServerLimits:
    return grpc.ServerLimits(
        max_connections=settings.max_connections,
        max_streams_per_connection=settings.max_streams_per_connection,
        max_message_bytes=settings.max_message_bytes,
        handshake_timeout_secs=settings.handshake_timeout_secs,
        idle_timeout_secs=settings.idle_timeout_secs,
    )


async def serve(
    settings: RpcSettings,
    *services: Any,
    agents: AgentSockets | None = None,
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `services` (purerpc Servicers: `CoordinatorService`, `StatusService`)
    on the configured Unix socket until cancelled, and with `agents` each agent
    session's socket (the `CoordinatorService` bound to it); `task_status.started(path)`
    once the sockets accept connections. Raises `SocketPathError` when the path is
    unusable.
    """
    path = os.fspath(settings.socket_path)
    gid = resolve_group(settings.socket_group)
    limits = server_limits(settings)
    every = grpc.Connections(settings.max_connections)  # all sockets of this daemon
    await clear_socket_path(path)
    make_parent(path)
    sock, ours = _bind(path, settings.socket_mode, gid)
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(functools.partial(
                grpc.serve_socket, sock, *services, limits=limits, gates=(every,)))
            group = "" if gid is None else f", group {gid}"
            log.info("CoordinatorService listening on %s (mode %04o%s)",
                     path, settings.socket_mode, group)
            if agents is not None:
                service = next(s for s in services if isinstance(s, CoordinatorService))

                async def serve_session(
                    session_id: str, at: str, started: trio.TaskStatus[None]
                ) -> None:
                    gates = (every, grpc.Connections(settings.max_connections_per_agent))
                    await _serve_at(at, settings.socket_mode, gid, started,
                                    service.for_session(session_id), limits=limits, gates=gates)

                await nursery.start(agents.run, serve_session)
            task_status.started(path)
    finally:
        _remove_if_ours(path, ours)


async def _serve_at(
    path: str, mode: int, gid: int | None, task_status: trio.TaskStatus[None],
    *services: Any, limits: grpc.ServerLimits, gates: tuple[grpc.Connections, ...],
) -> None:
    """One agent session's socket at `path` (its directory exists), removed on exit.

    Reached through the directory's descriptor (/proc/self/fd/N/name): a socket
    path holds 107 bytes, and `rpc.agent_socket_dir` may be deep. Agents connect
    at `docker.container_socket_path`, which is short."""
    directory, name = os.path.split(path)
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise SocketPathError(f"cannot open the agent socket directory {directory}: "
                              f"{exc.strerror}") from None
    try:
        short = f"/proc/self/fd/{fd}/{name}"
        await clear_socket_path(short)
        sock, ours = _bind(short, mode, gid)
        try:
            await grpc.serve_socket(sock, *services, limits=limits, gates=gates,
                                    task_status=task_status)
        finally:
            _remove_if_ours(short, ours)
    finally:
        os.close(fd)
