"""Rendering a status snapshot (`GetStatusResponse`) for people.

Two forms of the same facts: `summary_line` for plain logs (journald, the
enclave console) and `live_view` for a terminal, a rich renderable redrawn by
`coordinator.status` inside the daemon and by `python -m coordinator status`
outside it. Both read only the snapshot, so they show the same thing.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.logs import escape

RECENT_ROWS = 8
STATE_STYLE = {
    "connected": "bold green", "connecting": "yellow", "backfilling": "cyan",
    "reconnecting": "bold red",
    "starting": "yellow",
}
JOB_STYLE = {"completed": "green", "dead": "bold red", "pending": "yellow", "running": "cyan",
             "dropped": "dim"}
LEVEL_STYLE = {"debug": "dim", "warn": "yellow", "error": "bold red", "fatal": "bold red"}


@dataclass
class EventRate:
    """Events per second over the last `window_secs` of snapshots (a snapshot
    has only totals; chain events come in bursts, so a short window jumps)."""

    window_secs: float = 30.0
    samples: deque[tuple[float, int]] = field(default_factory=deque)

    def update(self, snapshot: pb.GetStatusResponse) -> float:
        now, total = snapshot.uptime_secs, sum(snapshot.events_by_type.values())
        self.samples.append((now, total))
        while len(self.samples) > 2 and self.samples[1][0] <= now - self.window_secs:
            self.samples.popleft()
        first_time, first_total = self.samples[0]
        return (total - first_total) / (now - first_time) if now > first_time else 0.0


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m"


def _cursor(snapshot: pb.GetStatusResponse) -> str:
    if not snapshot.has_cursor:
        return "cursor none"
    lag = max(0, snapshot.chain_tip - snapshot.cursor)
    return f"cursor {snapshot.cursor} (tip {snapshot.chain_tip}, lag {lag})"


def _connection(connection: pb.SuiConnection) -> str:
    text = f"{connection.state} {connection.endpoint}"
    if connection.reconnect_in_secs > 0:
        text += f", retry in {connection.reconnect_in_secs:.0f} s"
    if connection.last_error and connection.state != "connected":
        text += f", last error: {connection.last_error}"
    return text


def _layout(package: pb.PackageStatus) -> str:
    return f"{package.layout or 'not settled yet'} ({package.layout_source})"


def _misfits(package: pb.PackageStatus) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(package.misfits.items()))


def _waiting(waiting: pb.WaitingKey) -> str:
    text = f"{waiting.developer}/{waiting.agent}/{waiting.agent_method}: {waiting.reason}"
    return f"{text} ({waiting.hint})" if waiting.hint else text


def _reconcile(snapshot: pb.GetStatusResponse) -> str | None:
    """The reconciler's last pass in a few words; None when it is off."""
    if not snapshot.HasField("reconcile"):
        return None
    last = snapshot.reconcile
    next_pass = f"next in {_duration(last.next_pass_in_secs)}"
    if not last.last_pass_at:
        return f"no pass yet, {next_pass}"
    ago = _duration(max(0.0, time.time() - last.last_pass_at))
    text = (f"{last.last_result} {ago} ago ({last.app_instances} app instances): "
            f"{last.added} added, {last.dropped} dropped, {last.failed} failed; {next_pass}")
    return f"{text}; last error: {last.last_error}" if last.last_error else text


NOT_ON_CHAIN = "NOT ON CHAIN: no key, jobs are neither claimed nor settled on chain"
OBSERVING = "OBSERVE ONLY: the chain is followed; no job is claimed, run or settled"


def _settlement(snapshot: pb.GetStatusResponse) -> str:
    """Address, balance, gas per job, outbox and claims in one phrase (never the key)."""
    part = snapshot.settlement
    if snapshot.mode == "observe":
        return OBSERVING
    if not part.enabled:
        return NOT_ON_CHAIN
    balance = f"{part.balance_mist / 1e9:.4f} SUI" if part.has_balance else "balance ?"
    if part.low_balance:
        balance += f" (LOW: under {part.min_balance_mist / 1e9:g} SUI)"
    per_job = part.gas_spent_mist // part.jobs_settled if part.jobs_settled else 0
    text = (f"{part.address[:10]}… {balance}, gas {per_job} MIST/job, outbox "
            f"{part.outbox_operations} (oldest {_duration(part.outbox_oldest_age_secs)}), "
            f"claims {part.claims_won} won {part.claims_lost} lost")
    if part.pipeline_calls_dropped:
        text += f", PIPELINE CALLS DROPPED {part.pipeline_calls_dropped}"
    if part.last_error:
        text += f", last error: {part.last_error}"
    return text


def _prepulls(snapshot: pb.GetStatusResponse) -> str:
    """The images pulled ahead of their first jobs: counts by state, then the
    pulls in flight with their progress."""
    states = Counter(entry.state for entry in snapshot.prepulls)
    text = ", ".join(f"{states[state]} {state}" for state in
                     ("present", "pulling", "queued", "failed") if states[state])
    pulling = [f"{entry.image} {entry.bytes_done / 1e6:.0f}/{entry.bytes_total / 1e6:.0f} MB"
               for entry in snapshot.prepulls if entry.state == "pulling"]
    return text + (f" ({', '.join(pulling)})" if pulling else "")


def summary_line(snapshot: pb.GetStatusResponse, rate: float) -> str:
    """One line with the essentials, for plain logs."""
    jobs = ", ".join(f"{n} {state}" for state, n in sorted(snapshot.jobs_by_state.items()))
    parts = [
        f"chain {_connection(snapshot.connection)}",
        _cursor(snapshot),
        f"events {sum(snapshot.events_by_type.values())} ({rate:.1f}/s)",
        f"jobs {jobs or 'none'}",
        f"containers {len(snapshot.running)}",
        f"registry {snapshot.registry_size}",
        f"up {_duration(snapshot.uptime_secs)}",
        f"settle {_settlement(snapshot)}",
    ]
    if snapshot.HasField("package"):
        parts.insert(2, f"layout {_layout(snapshot.package)}")
        if snapshot.package.misfits:
            parts.append(f"misfits {_misfits(snapshot.package)}")
    if snapshot.backfilling:
        parts.append(f"backfilling {snapshot.backfill_from}..{snapshot.backfill_to}")
    if snapshot.malformed_events:
        parts.append(f"malformed {snapshot.malformed_events}")
    if snapshot.waiting:
        parts.append("waiting " + ", ".join(_waiting(w) for w in snapshot.waiting))
    reconcile = _reconcile(snapshot)
    if reconcile is not None:
        parts.append(f"reconcile {reconcile}")
    if snapshot.pipeline:
        parts.append(f"pipeline {_pipeline(snapshot)}")
    if snapshot.proof_events:
        parts.append(f"proof events {_proof_event_totals(snapshot)}")
    if snapshot.prepulls:
        parts.append(f"images {_prepulls(snapshot)}")
    if snapshot.draining:
        parts.append("DRAINING")
    if snapshot.state_disk_full:
        parts.append(_disk_full(snapshot))
    return "; ".join(parts)


def _disk_full(snapshot: pb.GetStatusResponse) -> str:
    return (f"DISK FULL for {_duration(snapshot.state_disk_full_secs)}: no new work "
            f"until the state's disk has space")


def _chain_panel(snapshot: pb.GetStatusResponse, rate: float) -> Panel:
    connection = snapshot.connection
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    state = Text(connection.state, style=STATE_STYLE.get(connection.state, ""))
    if connection.reconnect_in_secs > 0:
        state.append(f"  retry in {connection.reconnect_in_secs:.0f} s", style="yellow")
    grid.add_row("endpoint", connection.endpoint)
    grid.add_row("state", state)
    if connection.last_error and connection.state != "connected":
        grid.add_row("last error", Text(connection.last_error, style="red"))
    grid.add_row("cursor", _cursor(snapshot).removeprefix("cursor "))
    if snapshot.HasField("package"):
        package = snapshot.package
        grid.add_row("layout", Text(_layout(package),
                                    style="" if package.layout else "yellow"))
        if package.misfits:
            grid.add_row("misfits", Text(f"{_misfits(package)}  (fit no layout; skipped)",
                                         style="red"))
    if snapshot.backfilling:
        span = max(1, snapshot.backfill_to - snapshot.backfill_from + 1)
        done = max(0, min(span, snapshot.cursor - snapshot.backfill_from + 1))
        bar = Table.grid(padding=(0, 1))
        bar.add_row(ProgressBar(total=span, completed=done, width=30),
                    f"{snapshot.backfill_from}..{snapshot.backfill_to}")
        grid.add_row("backfill", bar)
    events = ", ".join(f"{name.split('::')[-1]} {n}"
                       for name, n in sorted(snapshot.events_by_type.items()))
    grid.add_row("events", f"{events or 'none yet'}  ({rate:.1f}/s)")
    if snapshot.malformed_events or snapshot.duplicate_events:
        grid.add_row("skipped", f"{snapshot.malformed_events} malformed, "
                                f"{snapshot.duplicate_events} duplicates")
    grid.add_row("registry", f"{snapshot.registry_size} agent methods")
    grid.add_row("docker", snapshot.docker_state or "?")
    if snapshot.prepulls:
        # Image references come from chain: Text (no markup), escaped.
        grid.add_row("images", Text(escape(_prepulls(snapshot))))
        for entry in snapshot.prepulls:
            if entry.state == "failed":  # its first job pulls it again
                grid.add_row("", Text(escape(f"pre-pull failed: {entry.error}"),
                                      style="yellow"))
    if snapshot.state_disk_full:
        grid.add_row("state", Text(_disk_full(snapshot), style="bold red"))
    settle = snapshot.settlement
    warn = not settle.enabled or settle.low_balance or bool(settle.last_error)
    grid.add_row("settle", Text(_settlement(snapshot), style="bold red" if warn else ""))
    return Panel(grid, title="chain", title_align="left")


def _jobs_panel(snapshot: pb.GetStatusResponse) -> Panel:
    counts = Text()
    for state in ("pending", "running", "completed", "dead", "dropped"):
        counts.append(f"{state} {snapshot.jobs_by_state.get(state, 0)}   ",
                      style=JOB_STYLE[state])
    parts: list[RenderableType] = [counts]
    for waiting in snapshot.waiting:
        parts.append(Text(f"waiting: {waiting.developer}/{waiting.agent}/"
                          f"{waiting.agent_method} ({waiting.pending} pending): {waiting.reason}",
                          style="yellow"))
        if waiting.hint:
            parts.append(Text(f"  how to fix: {waiting.hint}", style="dim"))
    reconcile = _reconcile(snapshot)
    if reconcile is not None:
        style = "red" if snapshot.reconcile.last_result == "error" else "dim"
        parts.append(Text(f"reconcile with the chain: {reconcile}", style=style))
    return Panel(Group(*parts), title="jobs", title_align="left")


def _containers_table(snapshot: pb.GetStatusResponse) -> Table:
    table = Table(title="running containers", title_justify="left", expand=True)
    for column in ("job", "session", "developer/agent/method", "image", "elapsed of timeout",
                   "limits", "TEE"):
        table.add_column(column)
    for running in snapshot.running:
        elapsed = Table.grid(padding=(0, 1))
        elapsed.add_row(
            ProgressBar(total=max(1.0, running.timeout_secs), completed=running.elapsed_secs,
                        width=12),
            f"{_duration(running.elapsed_secs)}/{_duration(running.timeout_secs)}",
        )
        image: RenderableType = running.image
        if running.pull_bytes_total:
            done, total = running.pull_bytes_done / 1e6, running.pull_bytes_total / 1e6
            bar = Table.grid(padding=(0, 1))
            bar.add_row(
                ProgressBar(total=total, completed=done, width=8),
                f"pulled {total:.0f} MB" if done >= total else f"pulling {done:.0f}/{total:.0f} MB",
            )
            image = Group(running.image, bar)
        limits = (f"{running.memory_gb or '-'} GiB, {running.cpu_cores or '-'} CPU")
        # The session's fingerprint (its socket directory's name), never its id.
        table.add_row(str(running.job_id), running.session_fingerprint,
                      f"{running.developer}/{running.agent}/{running.agent_method}",
                      image, elapsed, limits, "yes" if running.tee else "no")
    if not snapshot.running:
        table.add_row("-", "", "none running", "", "", "", "")
    return table


def _outcomes_table(snapshot: pb.GetStatusResponse) -> Table:
    table = Table(title="recent job outcomes", title_justify="left", expand=True)
    for column in ("job", "developer/agent/method", "state", "exit", "took", "reason"):
        table.add_column(column)
    for outcome in list(snapshot.recent_outcomes)[:RECENT_ROWS]:
        table.add_row(
            str(outcome.job_id), f"{outcome.developer}/{outcome.agent}/{outcome.agent_method}",
            Text(outcome.state, style=JOB_STYLE.get(outcome.state, "")),
            str(outcome.exit_code) if outcome.duration_secs else "-",
            f"{outcome.duration_secs:.1f}s" if outcome.duration_secs else "-",
            Text(escape(outcome.reason)),  # may be agent text: no markup, no control codes
        )
    if not snapshot.recent_outcomes:
        table.add_row("-", "none yet", "", "", "", "")
    return table


def _agent_messages_table(snapshot: pb.GetStatusResponse) -> Table:
    table = Table(title="agent messages", title_justify="left", expand=True)
    for column in ("ago", "level", "job", "developer/agent/method", "message"):
        table.add_column(column)
    for note in list(snapshot.agent_messages)[:RECENT_ROWS]:
        table.add_row(
            _duration(note.age_secs), Text(note.level, style=LEVEL_STYLE.get(note.level, "")),
            str(note.job_id) if note.HasField("job_id") else "-",
            f"{note.developer}/{note.agent}/{note.agent_method}",
            Text(note.text),  # escaped by the service, as logged; Text takes no markup
        )
    return table


def _short(app_instance: str) -> str:
    return f"{app_instance[:10]}…{app_instance[-4:]}" if app_instance else "(no instance named)"


def _attribution(snapshot: pb.GetStatusResponse) -> str:
    """What the chain said of the events that named no app instance."""
    part = snapshot.pipeline_attribution
    text = (f"events naming no instance, asked of the chain: attributed {part.attributed}, "
            f"unattributed {part.unattributed}, failed {part.failed}")
    return f"{text}, queued {part.queued}" if part.queued else text


def _pipeline_table(snapshot: pb.GetStatusResponse) -> Table:
    caption = _attribution(snapshot) if snapshot.pipeline_attribution.enabled else None
    table = Table(title="proof pipeline (chain events since start)", title_justify="left",
                  expand=True, caption=caption, caption_justify="left")
    for column in ("app instance", "proofs", "rejected", "merges", "blocks", "last block",
                   "proved", "settled", "last settled", "last event"):
        table.add_column(column)
    for row in snapshot.pipeline:
        table.add_row(
            _short(row.app_instance), str(row.proofs_submitted), str(row.proofs_rejected),
            f"{row.merges_completed}/{row.merges_created}", str(row.blocks_created),
            str(row.last_block) if row.HasField("last_block") else "-",
            str(row.blocks_proved), str(row.blocks_settled),
            str(row.last_settled_block) if row.HasField("last_settled_block") else "-",
            f"{_duration(row.last_event_age_secs)} ago",
        )
    return table


def _pipeline(snapshot: pb.GetStatusResponse) -> str:
    rows = snapshot.pipeline
    named = sum(1 for row in rows if row.app_instance)
    return (f"{named} app instances: proofs {sum(r.proofs_submitted for r in rows)}, "
            f"merges {sum(r.merges_completed for r in rows)}/"
            f"{sum(r.merges_created for r in rows)}, "
            f"blocks {sum(r.blocks_created for r in rows)}, "
            f"settled {sum(r.blocks_settled for r in rows)}"
            + (f" ({_attribution(snapshot)})" if snapshot.pipeline_attribution.enabled else ""))


def _kinds(kinds: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))


def _proof_event_totals(snapshot: pb.GetStatusResponse) -> str:
    total: Counter[str] = Counter()
    for item in snapshot.proof_events:
        total.update(dict(item.kinds))
    return _kinds(total)


def _proof_events_table(snapshot: pb.GetStatusResponse) -> Table:
    table = Table(title="proof events (kept)", title_justify="left", expand=True)
    for column in ("app instance", "events", "newest"):
        table.add_column(column)
    for item in snapshot.proof_events:
        newest = item.recent[0] if item.recent else None
        table.add_row(
            _short(item.app_instance), _kinds(item.kinds),
            "-" if newest is None else
            f"{newest.kind} job {newest.job_id} block {newest.block_number} "
            f"{list(newest.sequences)} {_duration(newest.age_secs)} ago",
        )
    return table


def live_view(snapshot: pb.GetStatusResponse, rate: float) -> RenderableType:
    """The whole status as a rich renderable for a terminal."""
    title = Text(f"Silvana coordinator {snapshot.instance_id}", style="bold")
    title.append(f"   up {_duration(snapshot.uptime_secs)}", style="dim")
    if snapshot.draining:
        title.append("   DRAINING", style="bold yellow")
    parts: list[RenderableType] = [title, _chain_panel(snapshot, rate), _jobs_panel(snapshot),
                                   _containers_table(snapshot), _outcomes_table(snapshot)]
    if snapshot.pipeline:  # only once the chain showed a proof, merge or block
        parts.append(_pipeline_table(snapshot))
    if snapshot.proof_events:  # only once an agent's proof was kept
        parts.append(_proof_events_table(snapshot))
    if snapshot.agent_messages:  # only once an agent has said something
        parts.append(_agent_messages_table(snapshot))
    return Group(*parts)
