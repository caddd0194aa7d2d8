"""One daemon per state dir: an exclusive `flock` on the state dir itself.

Two coordinators on one state dir would reap each other's containers and
rewrite each other's job book, so the second one must not start. The lock is
taken before anything reads the state (store, reaper) and held for the
daemon's life; the kernel drops it when the process dies, however it dies, so
a lock file left behind by a crash never blocks the next start.

The lock is on the directory, not on a file in it: deleting a lock file
would let a second daemon in, and the directory cannot be deleted while it
holds the state. The holder writes who it is into `coordinator.lock` (pid,
host, instance id once known) so the refused daemon, or `reset-cursor`, can
name it in its one line; that file only informs, it locks nothing.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from types import TracebackType

from coordinator.errors import SetupError
from coordinator.logs import escape

LOCK_FILE = "coordinator.lock"
_HOLDER_MAX = 256


class StateDirLocked(SetupError):
    """Another process holds the state dir."""


class StateLock:
    """The held lock; `release` (or leaving the `with` block) lets it go."""

    def __init__(self, path: Path, fd: int, holder_fd: int) -> None:
        self.path = path
        self._fd = fd  # the state dir's, flocked
        self._holder_fd = holder_fd
        self._pid = os.getpid()

    @classmethod
    def acquire(cls, state_dir: Path) -> StateLock:
        """Take the lock without waiting; `StateDirLocked` names the holder,
        `SetupError` says why the lock file cannot be used."""
        path = state_dir / LOCK_FILE
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(state_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise SetupError(f"state.dir: cannot open {state_dir}: {reason}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StateDirLocked(
                f"state.dir: {state_dir} is in use by another coordinator ({_holder(path)}); "
                f"stop it, or give this one another state.dir"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise SetupError(f"state.dir: cannot lock {state_dir}: {exc.strerror}") from None
        try:
            holder_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW,
                                0o600)
        except OSError as exc:
            os.close(fd)
            raise SetupError(f"state.dir: cannot open {path}: {exc.strerror}") from None
        lock = cls(path, fd, holder_fd)
        lock.record()
        return lock

    def record(self, instance_id: str = "") -> None:
        """Write who holds the lock (the instance id once the store gave it)."""
        holder = f"pid {self._pid} on host {socket.gethostname()}"
        if instance_id:
            holder += f", instance {instance_id}"
        data = (holder + "\n").encode()
        os.ftruncate(self._holder_fd, 0)
        os.pwrite(self._holder_fd, data, 0)

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._holder_fd)
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = -1

    def __enter__(self) -> StateLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def _holder(path: Path) -> str:
    """The holder's own line, made safe to print (the file may hold anything, or be gone)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        try:
            raw = os.pread(fd, _HOLDER_MAX, 0)
        finally:
            os.close(fd)
    except OSError:
        raw = b""
    lines = raw.decode("utf-8", "replace").strip().splitlines()
    return escape(lines[0]) if lines else "holder unknown"
