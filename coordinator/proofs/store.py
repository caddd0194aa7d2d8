"""`ProofStore`: the async face of the backends, what the pipeline's handlers call.

- `store(data)` writes to the configured backend and returns the descriptor
  only once the bytes are durable; the same bytes always give the same
  descriptor, so a store retried after a crash (before the chain write that
  names it) just stores again.
- `read(descriptor)` parses the descriptor strictly, reads from the backend
  it names (if configured here), refuses more than the cap and checks that
  the bytes hash to the descriptor.
- `purge(now, keep)` removes objects not stored for `expiry_secs`, except
  those still referenced (`keep`), and leftovers of crashed writes.

Backends are synchronous; every call runs in a worker thread, at most
`max_parallel` at once, so the Trio loop never blocks and memory stays under
`max_parallel * max_object_bytes`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TypeVar

import trio

from coordinator.proofs.backend import Backend
from coordinator.proofs.descriptor import Descriptor, content_hash, parse
from coordinator.proofs.errors import BackendNotConfigured, ObjectCorrupt, ObjectTooLarge

T = TypeVar("T")
# A write that has not been renamed into place within this long crashed.
UNFINISHED_AFTER_SECS = 3600.0


@dataclass(frozen=True)
class PurgeReport:
    removed: int
    kept_referenced: int
    unfinished_removed: int


class ProofStore:
    """Proofs and states by descriptor; writes go to `writer`, reads to any
    backend in `backends` (so objects stored before a switch of backend stay
    readable while they live)."""

    def __init__(self, writer: Backend, readers: Collection[Backend] = (), *,
                 max_object_bytes: int, expiry_secs: float | None, max_parallel: int = 4) -> None:
        self.writer = writer
        self.backends: Mapping[str, Backend] = {b.name: b for b in (*readers, writer)}
        self.max_object_bytes = max_object_bytes
        self.expiry_secs = expiry_secs
        self._limiter = trio.CapacityLimiter(max_parallel)
        self._purge_lock = trio.Lock()
        # While a purge runs: the hashes stored since it began, which it must
        # not delete (a store that found the object and only refreshed its age
        # must not see it deleted by a purge that listed it as old).
        self._guard = threading.Lock()
        self._stored_while_purging: set[str] | None = None

    async def _run(self, fn: Callable[[], T]) -> T:
        return await trio.to_thread.run_sync(fn, limiter=self._limiter)

    async def store(self, data: bytes) -> Descriptor:
        """Durably store `data`; its descriptor. ObjectTooLarge over the cap."""
        if len(data) > self.max_object_bytes:
            raise ObjectTooLarge(f"proof store: refusing {len(data)} bytes, over the cap of "
                                 f"{self.max_object_bytes}")
        hash_ = content_hash(data)

        def put() -> None:
            with self._guard:
                if self._stored_while_purging is not None:
                    self._stored_while_purging.add(hash_)
            self.writer.put(hash_, data)

        await self._run(put)
        return Descriptor(self.writer.name, self.writer.network, hash_)

    def _backend_for(self, descriptor: Descriptor) -> Backend:
        backend = self.backends.get(descriptor.backend)
        if backend is None:
            raise BackendNotConfigured(
                f"proof store: {descriptor} names backend {descriptor.backend!r}, which this "
                f"coordinator does not use (it stores in {self.writer.name!r})")
        if backend.network != descriptor.network:
            raise BackendNotConfigured(
                f"proof store: {descriptor} is in {descriptor.network!r}, this coordinator's "
                f"{backend.name} store is {backend.network!r}")
        return backend

    async def read(self, descriptor: str | Descriptor) -> bytes:
        """The bytes behind a descriptor (a string from outside is parsed
        strictly first). Raises a ProofStoreError subclass naming what failed."""
        parsed = parse(descriptor) if isinstance(descriptor, str) else descriptor
        backend = self._backend_for(parsed)
        data = await self._run(lambda: backend.get(parsed.hash, self.max_object_bytes))
        if len(data) > self.max_object_bytes:  # grew between the size check and the read
            raise ObjectTooLarge(f"proof store: {parsed} is over the cap of "
                                 f"{self.max_object_bytes} bytes")
        if content_hash(data) != parsed.hash:
            raise ObjectCorrupt(f"proof store: {parsed} does not hold the data it names "
                                f"({len(data)} bytes that hash otherwise)")
        return data

    async def purge(self, now: float | None = None,
                    keep: Collection[Descriptor] = ()) -> PurgeReport:
        """Remove what expired: objects of the writing backend last stored more
        than `expiry_secs` before `now`, unless in `keep` (still referenced on
        chain); and unfinished writes older than an hour. Nothing expires when
        `expiry_secs` is None."""
        now = time.time() if now is None else now
        async with self._purge_lock:
            with self._guard:
                self._stored_while_purging = set()
            try:
                return await self._purge(now, {d.hash for d in keep
                                               if d.backend == self.writer.name})
            finally:
                with self._guard:
                    self._stored_while_purging = None

    async def _purge(self, now: float, kept: set[str]) -> PurgeReport:
        backend = self.writer
        unfinished = await self._run(
            lambda: backend.purge_unfinished(now - UNFINISHED_AFTER_SECS))
        if self.expiry_secs is None:
            return PurgeReport(0, 0, unfinished)
        cutoff = now - self.expiry_secs

        def sweep() -> tuple[int, int]:
            removed = referenced = 0
            for entry in list(backend.entries()):
                if entry.stored_at >= cutoff:
                    continue
                if entry.hash in kept:
                    referenced += 1
                    continue
                with self._guard:
                    assert self._stored_while_purging is not None
                    if entry.hash in self._stored_while_purging:
                        continue
                    backend.delete(entry.hash)
                removed += 1
            return removed, referenced

        removed, referenced = await self._run(sweep)
        return PurgeReport(removed, referenced, unfinished)
