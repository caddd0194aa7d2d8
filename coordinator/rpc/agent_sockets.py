"""Each agent container's own socket: the channel that tells the server who calls.

An agent container never sees the operator's socket (`rpc.socket_path`). The
runner asks `AgentSockets.session(session_id)` for a directory of the session's
own under `rpc.agent_socket_dir` (named by the session's fingerprint, never its
id) before the container starts, mounts that directory, and leaves the block
when the container has ended: the socket and the directory go. The rpc child
(`AgentSockets.run`) serves a socket in every open directory, bound to its
session: a call arriving there acts for that session only. Mounting the
directory rather than the socket file means an rpc child that restarts binds a
new socket the container sees at once (a bind-mounted file would stay the old,
dead inode).
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import trio

from coordinator.errors import SetupError
from coordinator.logs import FINGERPRINT_CHARS, session_fingerprint
from coordinator.rpc.settings import RpcSettings

__all__ = ["AgentSockets", "ServeSession"]

log = logging.getLogger("coordinator.rpc")

ServeSession = Callable[[str, str, trio.TaskStatus[None]], Awaitable[None]]
"""Serve `session_id` on a socket to bind at `path` until cancelled (the rpc child's)."""

_DIR_NAME = re.compile(rf"[0-9a-f]{{{FINGERPRINT_CHARS}}}")


@dataclass
class _Open:
    directory: Path
    scope: trio.CancelScope | None = None  # its socket's server, while served


@dataclass
class AgentSockets:
    """The open sessions' socket directories, and the rpc child's server of them."""

    base: Path  # rpc.agent_dir, as this process sees it
    host_base: Path  # the same, as the Docker engine's host sees it
    socket_name: str  # the socket's file name (that of docker.container_socket_path)
    dir_mode: int = 0o700
    _open: dict[str, _Open] = field(default_factory=dict)
    _serving: tuple[trio.Nursery, ServeSession] | None = None

    @classmethod
    def from_settings(cls, rpc: RpcSettings, host_base: Path,
                      container_socket_path: str) -> AgentSockets:
        """`host_base`: `Settings.host_agent_socket_dir`; `container_socket_path`:
        `docker.container_socket_path` (the socket's name in the container)."""
        mode = rpc.socket_mode
        # Enter (x) where the socket may be used (r or w): its mode says who may connect.
        dir_mode = 0o700 | (0o010 if mode & 0o060 else 0) | (0o001 if mode & 0o006 else 0)
        return cls(rpc.agent_dir, host_base, os.path.basename(container_socket_path), dir_mode)

    def socket_path(self, session_id: str) -> str:
        return str(self.base / session_fingerprint(session_id) / self.socket_name)

    @asynccontextmanager
    async def session(self, session_id: str) -> AsyncIterator[Path]:
        """A directory for the session, its socket served in it when the rpc child
        runs; yields the directory's path on the engine's host (the mount source)."""
        name = session_fingerprint(session_id)
        directory = self.base / name
        _remove(directory)  # a leftover of a crashed run, same session: not ours any more
        os.makedirs(self.base, mode=0o755, exist_ok=True)
        os.mkdir(directory, self.dir_mode)
        os.chmod(directory, self.dir_mode)  # the umask may have narrowed it
        entry = self._open[session_id] = _Open(directory)
        try:
            if self._serving is not None:
                await self._start(session_id, entry)
            yield self.host_base / name
        finally:
            if entry.scope is not None:
                entry.scope.cancel()
            del self._open[session_id]
            _remove(directory)

    async def run(
        self, serve: ServeSession, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Serve every open session's socket, and those opened later, until
        cancelled; directories of sessions no longer open are removed first."""
        try:
            os.makedirs(self.base, mode=0o755, exist_ok=True)
        except OSError as exc:
            raise SetupError(f"rpc.agent_socket_dir: cannot create {self.base}: "
                             f"{exc.strerror}") from None
        self._sweep()
        async with trio.open_nursery() as nursery:
            self._serving = (nursery, serve)
            try:
                for session_id, entry in list(self._open.items()):
                    await self._start(session_id, entry)
                task_status.started()
                await trio.sleep_forever()
            finally:
                self._serving = None

    async def _start(self, session_id: str, entry: _Open) -> None:
        assert self._serving is not None
        nursery, serve = self._serving
        entry.scope = trio.CancelScope()

        async def served(task_status: trio.TaskStatus[None]) -> None:
            assert entry.scope is not None
            with entry.scope:
                try:
                    await serve(session_id, self.socket_path(session_id), task_status)
                except SetupError as exc:
                    # One session's socket: its agent will fail to connect, the rest go on.
                    log.error("agent socket of session %s: %s", session_fingerprint(session_id),
                              exc)
                    task_status.started()

        await nursery.start(served)

    def _sweep(self) -> None:
        open_names = {entry.directory.name for entry in self._open.values()}
        with suppress(OSError):
            for name in os.listdir(self.base):
                if _DIR_NAME.fullmatch(name) and name not in open_names:
                    _remove(self.base / name)


def _remove(directory: Path) -> None:
    """A session directory and the socket in it; anything else there is left alone."""
    with suppress(FileNotFoundError, NotADirectoryError):
        for name in os.listdir(directory):
            path = directory / name
            with suppress(OSError):
                if stat.S_ISSOCK(os.lstat(path).st_mode):
                    os.unlink(path)
        with suppress(OSError):
            os.rmdir(directory)
