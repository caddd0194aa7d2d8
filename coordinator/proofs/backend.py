"""The one seam between the store and where bytes live (files, S3).

A backend is plain and synchronous: `ProofStore` runs every call in a worker
thread, checks hashes and caps, and turns descriptors into keys, so a backend
only moves bytes under a hash. Adding a backend means one class with these
four methods and one name in `descriptor.BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Entry:
    """One stored object as listed for expiry: its hash and when it was last stored."""

    hash: str
    stored_at: float  # Unix seconds


class Backend(Protocol):
    """Where the bytes of one backend live. Methods raise `ProofStoreError`
    subclasses (ObjectMissing, ObjectTooLarge, StoreUnavailable), nothing else."""

    @property
    def name(self) -> str:
        """The descriptor's first part, e.g. "embedded"."""
        ...

    @property
    def network(self) -> str:
        """The descriptor's second part for objects stored here."""
        ...

    def put(self, hash_: str, data: bytes) -> None:
        """Store `data` under `hash_` durably before returning; storing the
        same hash again is harmless and counts as a fresh store for expiry."""
        ...

    def get(self, hash_: str, max_bytes: int) -> bytes:
        """The object, or ObjectTooLarge before reading more than `max_bytes`."""
        ...

    def entries(self) -> Iterator[Entry]:
        """Every stored object (for expiry); unfinished writes are not listed."""
        ...

    def delete(self, hash_: str) -> None:
        """Remove the object; removing one that is already gone is no error."""
        ...

    def purge_unfinished(self, older_than: float) -> int:
        """Remove leftovers of writes that crashed before `older_than` (Unix
        seconds); how many went."""
        ...
