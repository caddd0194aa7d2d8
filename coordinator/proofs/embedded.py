"""The embedded backend: content-addressed files under the state directory.

Layout: `<dir>/<first 2 hash chars>/<hash>`, so no directory grows past a few
thousand entries. A write goes to a temporary file in the same directory,
fsync, rename over the final name, fsync of the directory: after `put`
returns the object survives a crash, and a crash before leaves at most a
`.tmp` file that no reader sees (purged later). Needs nothing installed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from coordinator.proofs.backend import Entry
from coordinator.proofs.descriptor import EMBEDDED, EMBEDDED_NETWORK, HASH_CHARS
from coordinator.proofs.errors import ObjectMissing, ObjectTooLarge, StoreUnavailable

TMP_SUFFIX = ".tmp"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EmbeddedBackend:
    """Files on the local disk; descriptors `embedded:local:<hash>`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def name(self) -> str:
        return EMBEDDED

    @property
    def network(self) -> str:
        return EMBEDDED_NETWORK

    def _path(self, hash_: str) -> Path:
        return self.root / hash_[:2] / hash_

    def put(self, hash_: str, data: bytes) -> None:
        final = self._path(hash_)
        try:
            if final.is_file() and final.stat().st_size == len(data) \
                    and final.read_bytes() == data:
                # Already durable (content-addressed): a retry only refreshes
                # its age. A damaged copy fails the comparison and is replaced.
                os.utime(final)
                return
            self._write_new(final, data)
        except OSError as exc:
            raise StoreUnavailable(f"proof store: cannot write {final}: "
                                   f"{exc.strerror or exc}") from None

    def _write_new(self, final: Path, data: bytes) -> None:
        if not final.parent.is_dir():
            final.parent.mkdir(parents=True, exist_ok=True)
            _fsync_dir(final.parent.parent)
        tmp = final.with_name(f".{final.name}.{secrets.token_hex(4)}{TMP_SUFFIX}")
        try:
            with open(tmp, "xb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        _fsync_dir(final.parent)

    def get(self, hash_: str, max_bytes: int) -> bytes:
        path = self._path(hash_)
        try:
            with open(path, "rb") as src:
                size = os.fstat(src.fileno()).st_size
                if size > max_bytes:
                    raise ObjectTooLarge(f"proof store: {EMBEDDED}:{EMBEDDED_NETWORK}:{hash_} "
                                         f"is {size} bytes, over the cap of {max_bytes}")
                # One byte more than fstat said: a file that grew meanwhile is
                # caught by the store's cap and hash checks, never read unbounded.
                return src.read(size + 1)
        except FileNotFoundError:
            raise ObjectMissing(
                f"proof store: no object {EMBEDDED}:{EMBEDDED_NETWORK}:{hash_} (never stored "
                "on this machine, or expired; embedded objects are not shared between "
                "machines: use the s3 backend for that)") from None
        except OSError as exc:
            raise StoreUnavailable(f"proof store: cannot read {path}: "
                                   f"{exc.strerror or exc}") from None

    def _files(self) -> Iterator[os.DirEntry[str]]:
        try:
            shards = list(os.scandir(self.root))
        except FileNotFoundError:
            return
        for shard in shards:
            if shard.is_dir(follow_symlinks=False) and len(shard.name) == 2:
                with os.scandir(shard.path) as files:
                    yield from (f for f in files if f.is_file(follow_symlinks=False))

    def entries(self) -> Iterator[Entry]:
        for file in self._files():
            if len(file.name) == HASH_CHARS and not file.name.startswith("."):
                with contextlib.suppress(FileNotFoundError):
                    yield Entry(file.name, file.stat(follow_symlinks=False).st_mtime)

    def delete(self, hash_: str) -> None:
        try:
            self._path(hash_).unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StoreUnavailable(f"proof store: cannot delete {hash_}: "
                                   f"{exc.strerror or exc}") from None

    def purge_unfinished(self, older_than: float) -> int:
        removed = 0
        for file in self._files():
            if not file.name.endswith(TMP_SUFFIX):
                continue
            try:
                if file.stat(follow_symlinks=False).st_mtime < older_than:
                    os.unlink(file.path)
                    removed += 1
            except OSError as exc:
                if exc.errno != errno.ENOENT:
                    raise StoreUnavailable(f"proof store: cannot purge {file.path}: "
                                           f"{exc.strerror or exc}") from None
        return removed

