"""A status snapshot (`GetStatusResponse`) in words: `summary_line`, the one
line of the plain status (journald, the enclave console), and the phrases the
live view (`coordinator.console`) shows too. No rich here: a daemon whose
status is plain or off never imports it."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb


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


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m"


def cursor(snapshot: pb.GetStatusResponse) -> str:
    if not snapshot.has_cursor:
        return "cursor none"
    lag = max(0, snapshot.chain_tip - snapshot.cursor)
    return f"cursor {snapshot.cursor} (tip {snapshot.chain_tip}, lag {lag})"


def connection(part: pb.SuiConnection) -> str:
    text = f"{part.state} {part.endpoint}"
    if part.reconnect_in_secs > 0:
        text += f", retry in {part.reconnect_in_secs:.0f} s"
    if part.last_error and part.state != "connected":
        text += f", last error: {part.last_error}"
    return text


def layout(package: pb.PackageStatus) -> str:
    return f"{package.layout or 'not settled yet'} ({package.layout_source})"


def misfits(package: pb.PackageStatus) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(package.misfits.items()))


def waiting(key: pb.WaitingKey) -> str:
    text = f"{key.developer}/{key.agent}/{key.agent_method}: {key.reason}"
    return f"{text} ({key.hint})" if key.hint else text


def reconcile(snapshot: pb.GetStatusResponse) -> str | None:
    """The reconciler's last pass in a few words; None when it is off."""
    if not snapshot.HasField("reconcile"):
        return None
    last = snapshot.reconcile
    next_pass = f"next in {duration(last.next_pass_in_secs)}"
    if not last.last_pass_at:
        return f"no pass yet, {next_pass}"
    ago = duration(max(0.0, time.time() - last.last_pass_at))
    text = (f"{last.last_result} {ago} ago ({last.app_instances} app instances): "
            f"{last.added} added, {last.dropped} dropped, {last.failed} failed; {next_pass}")
    return f"{text}; last error: {last.last_error}" if last.last_error else text


NOT_ON_CHAIN = "NOT ON CHAIN: no key, jobs are neither claimed nor settled on chain"
OBSERVING = "OBSERVE ONLY: the chain is followed; no job is claimed, run or settled"


def settlement(snapshot: pb.GetStatusResponse) -> str:
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
            f"{part.outbox_operations} (oldest {duration(part.outbox_oldest_age_secs)}), "
            f"claims {part.claims_won} won {part.claims_lost} lost")
    if part.pipeline_calls_dropped:
        text += f", PIPELINE CALLS DROPPED {part.pipeline_calls_dropped}"
    if part.last_error:
        text += f", last error: {part.last_error}"
    return text


def prepulls(snapshot: pb.GetStatusResponse) -> str:
    """The images pulled ahead of their first jobs: counts by state, then the
    pulls in flight with their progress."""
    states = Counter(entry.state for entry in snapshot.prepulls)
    text = ", ".join(f"{states[state]} {state}" for state in
                     ("present", "pulling", "queued", "failed") if states[state])
    pulling = [f"{entry.image} {entry.bytes_done / 1e6:.0f}/{entry.bytes_total / 1e6:.0f} MB"
               for entry in snapshot.prepulls if entry.state == "pulling"]
    return text + (f" ({', '.join(pulling)})" if pulling else "")


def shares(snapshot: pb.GetStatusResponse) -> str | None:
    """How the jobs split with other coordinators (docs/claims.md): jobs of our
    share and stolen late ones, and the most coordinators seen on one app
    instance; None while no other coordinator has been seen nor a job stolen
    (alone, every job is ours: nothing to tell)."""
    part = snapshot.shares
    most = max((len(entry.peers) for entry in part.app_instances), default=1)
    if most <= 1 and not part.jobs_stolen:
        return None
    return (f"{part.jobs_own} own, {part.jobs_stolen} stolen; up to {most} coordinators "
            f"on an app instance (steal after {part.steal_after_ms} ms)")


def summary_line(snapshot: pb.GetStatusResponse, rate: float) -> str:
    """One line with the essentials, for plain logs."""
    jobs = ", ".join(f"{n} {state}" for state, n in sorted(snapshot.jobs_by_state.items()))
    parts = [
        f"chain {connection(snapshot.connection)}",
        cursor(snapshot),
        f"events {sum(snapshot.events_by_type.values())} ({rate:.1f}/s)",
        f"jobs {jobs or 'none'}",
        f"containers {len(snapshot.running)}",
        f"registry {snapshot.registry_size}",
        f"up {duration(snapshot.uptime_secs)}",
        f"settle {settlement(snapshot)}",
    ]
    if snapshot.HasField("package"):
        parts.insert(2, f"layout {layout(snapshot.package)}")
        if snapshot.package.misfits:
            parts.append(f"misfits {misfits(snapshot.package)}")
    if snapshot.backfilling:
        parts.append(f"backfilling {snapshot.backfill_from}..{snapshot.backfill_to}")
    if snapshot.malformed_events:
        parts.append(f"malformed {snapshot.malformed_events}")
    if snapshot.waiting:
        parts.append("waiting " + ", ".join(waiting(w) for w in snapshot.waiting))
    reconciled = reconcile(snapshot)
    if reconciled is not None:
        parts.append(f"reconcile {reconciled}")
    if snapshot.pipeline:
        parts.append(f"pipeline {pipeline_totals(snapshot)}")
    if snapshot.proof_events:
        parts.append(f"proof events {proof_event_totals(snapshot)}")
    if snapshot.prepulls:
        parts.append(f"images {prepulls(snapshot)}")
    split = shares(snapshot)
    if split is not None:
        parts.append(f"shares {split}")
    if snapshot.draining:
        parts.append("DRAINING")
    if snapshot.state_disk_full:
        parts.append(disk_full(snapshot))
    return "; ".join(parts)


def disk_full(snapshot: pb.GetStatusResponse) -> str:
    return (f"DISK FULL for {duration(snapshot.state_disk_full_secs)}: no new work "
            f"until the state's disk has space")


def attribution(snapshot: pb.GetStatusResponse) -> str:
    """What the chain said of the events that named no app instance."""
    part = snapshot.pipeline_attribution
    text = (f"events naming no instance, asked of the chain: attributed {part.attributed}, "
            f"unattributed {part.unattributed}, failed {part.failed}")
    return f"{text}, queued {part.queued}" if part.queued else text


def pipeline_totals(snapshot: pb.GetStatusResponse) -> str:
    rows = snapshot.pipeline
    named = sum(1 for row in rows if row.app_instance)
    return (f"{named} app instances: proofs {sum(r.proofs_submitted for r in rows)}, "
            f"merges {sum(r.merges_completed for r in rows)}/"
            f"{sum(r.merges_created for r in rows)}, "
            f"blocks {sum(r.blocks_created for r in rows)}, "
            f"settled {sum(r.blocks_settled for r in rows)}"
            + (f" ({attribution(snapshot)})" if snapshot.pipeline_attribution.enabled else ""))


def kinds(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))


def proof_event_totals(snapshot: pb.GetStatusResponse) -> str:
    total: Counter[str] = Counter()
    for item in snapshot.proof_events:
        total.update(dict(item.kinds))
    return kinds(total)
