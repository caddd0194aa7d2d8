"""What the daemon shows an operator: the status composed of its owners' parts, and its reporter.

Each owner (ingest's `ChainStatus`, the dispatcher, the job book, the
registry, the runner) keeps its own state and reports its part: a function
that fills its fields of the GetStatus message. `DaemonStatus.snapshot`
composes the parts without knowing their owners; the reporter only renders
snapshots (`coordinator.status_text`, `coordinator.console`) at a bounded
rate, so a slow terminal can never slow the daemon.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.logs import log_console
from coordinator.status_text import EventRate, summary_line

log = logging.getLogger("coordinator.status")

PLAIN_INTERVAL_SECS = 5.0
LIVE_FPS = 2

StatusPart = Callable[[pb.GetStatusResponse, float], None]
"""Fills its owner's fields of the message; the float is the trio clock now.
Runs on the Trio thread, like every write to the state it reads."""


MODES = ("chain", "local", "observe")
"""How the daemon works the chain's jobs (GetStatusResponse.mode): with a key,
claimed, run and settled on chain; without one on a local chain, run and
settled here only; observing, none claimed, run or settled."""


@dataclass
class DaemonStatus:
    parts: Sequence[StatusPart] = ()
    instance_id: str = ""
    mode: str = "chain"  # one of MODES
    started_at: float = field(default_factory=trio.current_time)

    def snapshot(self) -> pb.GetStatusResponse:
        """Everything an operator sees, as the GetStatus message: the live view,
        the plain lines and `python -m coordinator status` all render this."""
        now = trio.current_time()
        message = pb.GetStatusResponse(
            instance_id=self.instance_id, uptime_secs=now - self.started_at, mode=self.mode
        )
        for part in self.parts:
            part(message, now)
        return message


async def run_status(mode: str, status: DaemonStatus) -> None:
    """Show the status: a live view redrawn at most `LIVE_FPS` times a second
    on a terminal (`live`, or `auto` on a TTY), else a summary line every
    `PLAIN_INTERVAL_SECS` (`plain`, or `auto` elsewhere); `off` shows nothing.
    Each redraw renders one snapshot; nothing here owns daemon state."""
    rate = EventRate()
    if mode == "off":
        await trio.sleep_forever()
    # rich only for a view: `plain` (the deploy files') leaves it unimported;
    # `auto` asks rich whether stderr is a terminal.
    if mode == "live" or (mode == "auto" and log_console().is_terminal):
        from rich.live import Live

        from coordinator.console import live_view

        # Logs go through the same console, so rich prints them above the view.
        with Live(console=log_console(), auto_refresh=False, transient=False) as live:
            while True:
                snapshot = status.snapshot()
                live.update(live_view(snapshot, rate.update(snapshot)), refresh=True)
                await trio.sleep(1 / LIVE_FPS)
    while True:
        await trio.sleep(PLAIN_INTERVAL_SECS)
        snapshot = status.snapshot()
        log.info("%s", summary_line(snapshot, rate.update(snapshot)))
