"""Ingest's part of the status: the connection to the fullnode, as an operator sees it.

Ingest writes it (plain attribute updates on the one Trio thread); `report`
fills its fields of the GetStatus message.
"""

from __future__ import annotations

from dataclasses import dataclass

import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb


@dataclass
class ChainStatus:
    endpoint: str
    state: str = "starting"  # starting | connecting | backfilling | connected | reconnecting
    last_error: str = ""
    reconnect_at: float | None = None  # trio clock time of the next attempt
    tip: int = 0  # highest checkpoint the node reported
    backfill_from: int | None = None  # a backfill in progress covers these checkpoints
    backfill_to: int | None = None
    malformed: int = 0  # payloads of our package that did not decode
    # Trio clock of the node's last stream frame or checkpoint (readiness, metrics).
    heard_at: float | None = None

    def connecting(self) -> None:
        self.state, self.reconnect_at = "connecting", None

    def backfilling(self, first: int, last: int) -> None:
        self.state, self.backfill_from, self.backfill_to = "backfilling", first, last

    def connected(self) -> None:
        self.state, self.reconnect_at = "connected", None

    def reconnecting(self, delay: float, error: str) -> None:
        self.state, self.last_error = "reconnecting", error
        self.reconnect_at = trio.current_time() + delay

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        message.connection.CopyFrom(pb.SuiConnection(
            state=self.state, endpoint=self.endpoint, last_error=self.last_error,
            reconnect_in_secs=max(0.0, (self.reconnect_at or now) - now),
        ))
        message.chain_tip = self.tip
        message.malformed_events = self.malformed
        message.backfilling = self.backfill_from is not None
        message.backfill_from = self.backfill_from or 0
        message.backfill_to = self.backfill_to or 0
