"""A status snapshot (`GetStatusResponse`) for a terminal: `live_view`, a rich
renderable redrawn by `coordinator.status` inside the daemon and by
`python -m coordinator status` outside it. Its phrases are those of the plain
`summary_line` (`coordinator.status_text`), so both show the same thing.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from coordinator import status_text
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
    grid.add_row("cursor", status_text.cursor(snapshot).removeprefix("cursor "))
    if snapshot.HasField("package"):
        package = snapshot.package
        grid.add_row("layout", Text(status_text.layout(package),
                                    style="" if package.layout else "yellow"))
        if package.misfits:
            misfits = status_text.misfits(package)
            grid.add_row("misfits", Text(f"{misfits}  (fit no layout; skipped)", style="red"))
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
        grid.add_row("images", Text(escape(status_text.prepulls(snapshot))))
        for entry in snapshot.prepulls:
            if entry.state == "failed":  # its first job pulls it again
                grid.add_row("", Text(escape(f"pre-pull failed: {entry.error}"),
                                      style="yellow"))
    split = status_text.shares(snapshot)
    if split is not None:
        grid.add_row("shares", split)
    if snapshot.state_disk_full:
        grid.add_row("state", Text(status_text.disk_full(snapshot), style="bold red"))
    settle = snapshot.settlement
    warn = not settle.enabled or settle.low_balance or bool(settle.last_error)
    grid.add_row("settle", Text(status_text.settlement(snapshot), style="bold red" if warn else ""))
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
    reconcile = status_text.reconcile(snapshot)
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
            f"{status_text.duration(running.elapsed_secs)}/"
            f"{status_text.duration(running.timeout_secs)}",
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
            status_text.duration(note.age_secs),
            Text(note.level, style=LEVEL_STYLE.get(note.level, "")),
            str(note.job_id) if note.HasField("job_id") else "-",
            f"{note.developer}/{note.agent}/{note.agent_method}",
            Text(note.text),  # escaped by the service, as logged; Text takes no markup
        )
    return table


def _short(app_instance: str) -> str:
    return f"{app_instance[:10]}…{app_instance[-4:]}" if app_instance else "(no instance named)"


def _pipeline_table(snapshot: pb.GetStatusResponse) -> Table:
    caption = status_text.attribution(snapshot) if snapshot.pipeline_attribution.enabled else None
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
            f"{status_text.duration(row.last_event_age_secs)} ago",
        )
    return table


def _proof_events_table(snapshot: pb.GetStatusResponse) -> Table:
    table = Table(title="proof events (kept)", title_justify="left", expand=True)
    for column in ("app instance", "events", "newest"):
        table.add_column(column)
    for item in snapshot.proof_events:
        newest = item.recent[0] if item.recent else None
        table.add_row(
            _short(item.app_instance), status_text.kinds(item.kinds),
            "-" if newest is None else
            f"{newest.kind} job {newest.job_id} block {newest.block_number} "
            f"{list(newest.sequences)} {status_text.duration(newest.age_secs)} ago",
        )
    return table


def live_view(snapshot: pb.GetStatusResponse, rate: float) -> RenderableType:
    """The whole status as a rich renderable for a terminal."""
    title = Text(f"Silvana coordinator {snapshot.instance_id}", style="bold")
    title.append(f"   up {status_text.duration(snapshot.uptime_secs)}", style="dim")
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
