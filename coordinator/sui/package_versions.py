"""The coordination package's two ids: the original one for types and events,
the latest version for Move calls.

A Sui package upgrade publishes a new package object with a new id; the types
it had keep the id of the first version (the "original id"), so events and
objects are matched by `sui.package_id`, which names that first version. Calls
should go to the newest version: the old code stays callable on Sui, but it is
old code (the fix an upgrade shipped never runs, a function it added is not
there). The newest version is learned from the node (MovePackageService's
ListPackageVersions, which any version's id answers), checked again every
`sui.package_check_secs` and after a dry run fails, so an upgrade while the
daemon runs is followed without a restart. `sui.latest_package_id` pins the
call target instead (a node without that call, or an operator's choice).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import trio

from coordinator.events.models import normalize_address
from coordinator.logs import escape
from coordinator.sui.client import SuiClient, SuiError, SuiNotFound, SuiUnimplemented
from coordinator.sui.settings import SuiSettings

__all__ = ["PackageVersions"]

log = logging.getLogger("coordinator.sui")


@dataclass
class PackageVersions:
    """Where Move calls go (`latest`), kept up to date from the chain."""

    original: str
    latest: str
    version: int | None = None  # of `latest`, once the chain said it
    check_secs: float = 60.0
    pinned: bool = False  # `latest` given in config: never asked
    _checked_at: float | None = field(default=None, repr=False)
    _warned: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def of(cls, sui: SuiSettings) -> PackageVersions:
        pinned = sui.latest_package_id
        return cls(
            original=sui.package_id, latest=pinned or sui.package_id,
            check_secs=sui.package_check_secs, pinned=pinned is not None,
        )  # fmt: skip

    def recheck(self) -> None:
        """Ask the chain again before the next call (e.g. after a failed dry run)."""
        self._checked_at = None

    async def call_target(self, sui: SuiClient) -> str:
        """The package id a Move call names now; the chain asked when it is time."""
        due = self._checked_at is None or trio.current_time() - self._checked_at >= self.check_secs
        if due and not self.pinned:
            await self.refresh(sui)
        return self.latest

    async def refresh(self, sui: SuiClient) -> None:
        """Learn the newest version. A node that cannot say keeps the current
        target (said once); a retryable failure propagates to the caller's retry."""
        try:
            versions = await sui.package_versions(self.original)
        except SuiError as exc:
            if exc.retryable:
                raise
            # Asked again after check_secs: a node may be upgraded, a package published.
            self._checked_at = trio.current_time()
            why = (
                "the node does not know the package" if isinstance(exc, SuiNotFound)
                else "the node cannot list package versions" if isinstance(exc, SuiUnimplemented)
                else f"the node refused to list its versions ({exc.code}: {escape(exc.message)})"
            )  # fmt: skip
            self._once(
                exc.code, "package %s: %s; Move calls go to %s (sui.latest_package_id pins them)",
                self.original, why, self.latest,
            )  # fmt: skip
            return
        self._checked_at = trio.current_time()
        ids = [(normalize_address(storage_id), number) for storage_id, number in versions]
        if not ids:
            return
        if ids[0][0] != self.original:  # its events are never seen: an error
            self._once(
                "not-original",
                "sui.package_id %s is version %d of package %s: events carry the original id, "
                "so set sui.package_id = %s",
                self.original, dict(ids).get(self.original, 0), ids[0][0], ids[0][0],
                level=logging.ERROR,
            )  # fmt: skip
        latest, number = ids[-1]
        if latest != self.latest:
            log.info(
                "package %s: Move calls now go to version %d, %s (was %s)",
                self.original, number, latest, self.latest,
            )  # fmt: skip
        self.latest, self.version = latest, number

    def _once(self, key: str, message: str, *args: object, level: int = logging.WARNING) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.log(level, message, *args)
