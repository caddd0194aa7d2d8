"""The coordination package's versions on the simulated chain, and upgrading it.

A Sui package upgrade publishes a new package object: a new id (its
`storage_id`), the version one higher, the same `original_id`. Types keep the
id of the version that first defined them, so every event and object type of
the coordination package keeps the original id after an upgrade; only Move
calls name the version they run. Sui does not refuse calls to an older
version after a compatible upgrade (the old package object stays on chain and
its code runs); a package that wants that must check a version field of its
own shared objects, which Silvana's package does not do. The simulator does
the same: every version stays callable, and a transaction's MoveCall names the
version it ran (in its structured form and in its effects).
"""

from __future__ import annotations

from dataclasses import dataclass

from coordinator.events import normalize_address
from coordinator.simnet.chain import derived_address


@dataclass(frozen=True)
class PackageVersion:
    """One published version: its own object id and its number (1 for the first)."""

    storage_id: str
    version: int


class PackageHistory:
    """Every version of the package, oldest first; the first's id is the original id."""

    def __init__(self, original_id: str) -> None:
        self.versions = [PackageVersion(normalize_address(original_id), 1)]

    @property
    def original(self) -> PackageVersion:
        return self.versions[0]

    @property
    def latest(self) -> PackageVersion:
        return self.versions[-1]

    def version_of(self, package_id: str) -> PackageVersion | None:
        """The version `package_id` names, or None when it names none of them."""
        try:
            wanted = normalize_address(package_id)
        except ValueError:
            return None
        return next((v for v in self.versions if v.storage_id == wanted), None)

    def upgrade(self) -> PackageVersion:
        """Publish the next version (its id derived from the original and the
        number, so a run is repeatable) and return it."""
        number = self.latest.version + 1
        storage_id = derived_address(f"upgrade-{number}", self.original.storage_id)
        self.versions.append(PackageVersion(storage_id, number))
        return self.latest
