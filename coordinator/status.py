"""What the daemon shows an operator: a shared status record and its reporter.

Children write their part of `DaemonStatus` (plain attribute updates on the one
Trio thread, so no locks); `DaemonStatus.snapshot` reads it all into the
GetStatus message, and the reporter only renders snapshots (see
`coordinator.console`) at a bounded rate, so a slow terminal can never slow
the daemon.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import trio
from rich.live import Live

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.console import EventRate, live_view, summary_line
from coordinator.logs import log_console

if TYPE_CHECKING:
    from coordinator.jobs import JobBook
    from coordinator.registry import Registry
    from coordinator.runner import Runner

log = logging.getLogger("coordinator.status")

PLAIN_INTERVAL_SECS = 5.0
LIVE_FPS = 2


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


@dataclass
class DaemonStatus:
    chain: ChainStatus
    instance_id: str = ""
    started_at: float = field(default_factory=trio.current_time)
    draining: bool = False
    cursor: int | None = None  # durably handled through this checkpoint
    events_by_type: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0  # replayed events skipped by the dispatcher
    # The parts that own job and container state; the snapshot reads them.
    book: JobBook | None = None
    runner: Runner | None = None
    registry: Registry | None = None

    def snapshot(self) -> pb.GetStatusResponse:
        """Everything an operator sees, as the GetStatus message: the live view,
        the plain lines and `python -m coordinator status` all render this."""
        now = trio.current_time()
        chain = self.chain
        message = pb.GetStatusResponse(
            instance_id=self.instance_id,
            uptime_secs=now - self.started_at,
            connection=pb.SuiConnection(
                state=chain.state, endpoint=chain.endpoint, last_error=chain.last_error,
                reconnect_in_secs=max(0.0, (chain.reconnect_at or now) - now),
            ),
            cursor=self.cursor or 0, has_cursor=self.cursor is not None,
            chain_tip=chain.tip,
            events_by_type=dict(self.events_by_type),
            malformed_events=chain.malformed, duplicate_events=self.duplicates,
            backfilling=chain.backfill_from is not None,
            backfill_from=chain.backfill_from or 0, backfill_to=chain.backfill_to or 0,
            draining=self.draining,
        )
        if self.registry is not None:
            message.registry_size = len(self.registry)
        if self.book is not None:
            message.jobs_by_state.update(self.book.counts())
            for outcome in reversed(self.book.outcomes):
                message.recent_outcomes.append(pb.JobOutcome(
                    job_id=outcome.ref.job_id, state=outcome.state.value, reason=outcome.reason,
                    exit_code=outcome.exit_code or 0, duration_secs=outcome.duration_secs,
                    developer=outcome.key.developer, agent=outcome.key.agent,
                    agent_method=outcome.key.agent_method,
                    app_instance=outcome.ref.app_instance,
                ))
        if self.runner is not None:
            message.docker_state = self.runner.docker_state
            for running in self.runner.running.values():
                key = running.session.key
                message.running.append(pb.RunningContainer(
                    job_id=running.trigger.job_id, developer=key.developer, agent=key.agent,
                    agent_method=key.agent_method, image=running.method.docker_image,
                    session_id=running.session.session_id,
                    elapsed_secs=now - running.started_at, timeout_secs=running.timeout_secs,
                    memory_gb=running.method.min_memory_gb,
                    cpu_cores=running.method.min_cpu_cores, tee=running.tee,
                    pull_bytes_done=running.pull.bytes_done if running.pull else 0,
                    pull_bytes_total=running.pull.bytes_total if running.pull else 0,
                ))
            for key, reason in self.runner.waiting.items():
                pending = self.book.pending_count(key) if self.book is not None else 0
                message.waiting.append(pb.WaitingKey(
                    developer=key.developer, agent=key.agent, agent_method=key.agent_method,
                    reason=reason, pending=pending,
                ))
        return message


async def run_status(mode: str, status: DaemonStatus) -> None:
    """Show the status: a live view redrawn at most `LIVE_FPS` times a second
    on a terminal (`live`, or `auto` on a TTY), else a summary line every
    `PLAIN_INTERVAL_SECS` (`plain`, or `auto` elsewhere); `off` shows nothing.
    Each redraw renders one snapshot; nothing here owns daemon state."""
    rate = EventRate()
    if mode == "off":
        await trio.sleep_forever()
    console = log_console()
    if mode == "live" or (mode == "auto" and console.is_terminal):
        # Logs go through the same console, so rich prints them above the view.
        with Live(console=console, auto_refresh=False, transient=False) as live:
            while True:
                snapshot = status.snapshot()
                live.update(live_view(snapshot, rate.update(snapshot)), refresh=True)
                await trio.sleep(1 / LIVE_FPS)
    while True:
        await trio.sleep(PLAIN_INTERVAL_SECS)
        snapshot = status.snapshot()
        log.info("%s", summary_line(snapshot, rate.update(snapshot)))
