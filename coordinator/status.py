"""What the daemon shows an operator: a shared status record and its reporter.

Children write their part of `DaemonStatus` (plain attribute updates on the one
Trio thread, so no locks); the reporter only reads it, so a slow terminal can
never slow the daemon.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

import trio

log = logging.getLogger("coordinator.status")

PLAIN_INTERVAL_SECS = 10.0


@dataclass
class ChainStatus:
    endpoint: str
    state: str = "starting"  # starting | connecting | connected | reconnecting
    last_error: str = ""
    reconnect_at: float | None = None  # trio clock time of the next attempt
    tip: int = 0  # highest checkpoint the node reported
    delivered: int | None = None  # last checkpoint whose events all went to dispatch
    backfill_from: int | None = None  # a backfill in progress covers these checkpoints
    backfill_to: int | None = None
    malformed: int = 0  # payloads of our package that did not decode

    def connecting(self) -> None:
        self.state, self.reconnect_at = "connecting", None

    def connected(self) -> None:
        self.state, self.reconnect_at = "connected", None

    def reconnecting(self, delay: float, error: str) -> None:
        self.state, self.last_error = "reconnecting", error
        self.reconnect_at = trio.current_time() + delay

    def describe(self) -> str:
        text = f"{self.state} {self.endpoint}"
        if self.reconnect_at is not None:
            text += f" (retry in {max(0.0, self.reconnect_at - trio.current_time()):.0f} s)"
        if self.last_error and self.state != "connected":
            text += f", last error: {self.last_error}"
        return text


@dataclass
class DaemonStatus:
    chain: ChainStatus
    started_at: float = field(default_factory=trio.current_time)
    draining: bool = False
    cursor: int | None = None  # durably handled through this checkpoint
    events_by_type: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0  # replayed events skipped by the dispatcher

    def summary(self) -> str:
        uptime = trio.current_time() - self.started_at
        parts = [f"chain {self.chain.describe()}", f"up {uptime:.0f} s"]
        if self.cursor is not None:
            lag = max(0, self.chain.tip - self.cursor)
            parts.append(f"cursor {self.cursor} (tip {self.chain.tip}, lag {lag})")
        if self.events_by_type:
            parts.append(f"events {sum(self.events_by_type.values())}")
        if self.chain.malformed:
            parts.append(f"malformed {self.chain.malformed}")
        if self.draining:
            parts.append("draining")
        return "; ".join(parts)


async def run_status(mode: str, status: DaemonStatus) -> None:
    """Report periodically. `off` reports nothing; the other modes print plain
    summary lines for now (the live view builds on the same record)."""
    if mode == "off":
        await trio.sleep_forever()
    while True:
        await trio.sleep(PLAIN_INTERVAL_SECS)
        log.info("%s", status.summary())
