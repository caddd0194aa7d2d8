"""What an operator sees: the summary line, the live view, `status` from outside."""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import trio
import trio.testing
from rich.console import Console

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import RpcSettings
from coordinator.console import live_view
from coordinator.dispatcher import DispatchStatus
from coordinator.jobs import JobBook
from coordinator.rpc import CoordinatorService, StatusService, serve
from coordinator.status import DaemonStatus, run_status
from coordinator.status_text import EventRate, summary_line
from coordinator.store import Store
from coordinator.sui.chain_status import ChainStatus

ROOT = Path(__file__).resolve().parent.parent


def busy_snapshot() -> pb.GetStatusResponse:
    return pb.GetStatusResponse(
        instance_id="abc123", uptime_secs=125,
        connection=pb.SuiConnection(state="reconnecting", endpoint="http://127.0.0.1:9000",
                                    last_error="connect failed: refused",
                                    reconnect_in_secs=4),
        cursor=150, has_cursor=True, chain_tip=200,
        jobs_by_state={"pending": 3, "running": 1, "completed": 7, "dead": 1},
        events_by_type={"jobs::JobCreatedEvent": 12, "agent::MethodAddedEvent": 1},
        registry_size=2, malformed_events=1, docker_state="connected",
        backfilling=True, backfill_from=101, backfill_to=200,
        running=[pb.RunningContainer(job_id=9, developer="D", agent="A", agent_method="prove",
                                     session_fingerprint="5e551013f1a9",
                                     image="silvana-demo/agent:latest", elapsed_secs=30,
                                     timeout_secs=120, memory_gb=1, cpu_cores=2, tee=True,
                                     pull_bytes_done=50_000_000,
                                     pull_bytes_total=100_000_000)],
        recent_outcomes=[pb.JobOutcome(job_id=8, state="dead", reason="dead after 3 attempts: x",
                                       exit_code=1, duration_secs=2.5, developer="D", agent="A",
                                       agent_method="prove")],
        waiting=[pb.WaitingKey(developer="D", agent="B", agent_method="m",
                               reason="unknown agent method", pending=2,
                               hint="set sui.registry_id")],
        package=pb.PackageStatus(layout="2025-11", layout_source="auto",
                                 misfits={"jobs::JobCreatedEvent": 2, "jobs::JobFailedEvent": 1}),
        agent_messages=[pb.AgentNote(age_secs=75, level="warn", job_id=9, developer="D",
                                     agent="A", agent_method="prove",
                                     text="proof [bold]slow[/bold]: 3\\x1b of 5"),
                        pb.AgentNote(age_secs=80, level="info", developer="D", agent="A",
                                     agent_method="prove", text="session up")],
    )


def test_summary_line_has_the_essentials() -> None:
    line = summary_line(busy_snapshot(), 1.5)
    for part in ["chain reconnecting http://127.0.0.1:9000, retry in 4 s",
                 "last error: connect failed: refused", "cursor 150 (tip 200, lag 50)",
                 "events 13 (1.5/s)", "jobs 7 completed, 1 dead, 3 pending, 1 running",
                 "containers 1", "registry 2", "backfilling 101..200", "malformed 1",
                 "waiting D/B/m: unknown agent method (set sui.registry_id)", "up 2m05s",
                 "layout 2025-11 (auto)",
                 "misfits jobs::JobCreatedEvent 2, jobs::JobFailedEvent 1"]:
        assert part in line, part
    assert "\n" not in line


def test_live_view_shows_every_section() -> None:
    console = Console(record=True, width=160, color_system=None)
    console.print(live_view(busy_snapshot(), 0.5))
    text = console.export_text()
    for part in ["Silvana coordinator abc123", "reconnecting", "retry in 4 s",
                 "connect failed: refused", "150 (tip 200, lag 50)", "backfill",
                 "101..200", "JobCreatedEvent 12", "(0.5/s)", "2 agent methods",
                 "pending 3", "dead 1", "waiting: D/B/m (2 pending): unknown agent method",
                 "how to fix: set sui.registry_id", "layout      2025-11 (auto)",
                 "misfits     jobs::JobCreatedEvent 2, jobs::JobFailedEvent 1  (fit no layout",
                 "running containers", "D/A/prove", "5e551013f1a9",
                 "silvana-demo/agent:latest",
                 "30s/2m00s", "1 GiB, 2 CPU", "yes", "pulling 50/100 MB",
                 "recent job outcomes",
                 "dead after 3 attempts: x", "2.5s",
                 "agent messages", "1m15s", "warn", "proof [bold]slow[/bold]: 3\\x1b of 5",
                 "session up"]:
        assert part in text, part


def test_an_unsettled_or_configured_layout_and_no_misfits() -> None:
    unsettled = pb.GetStatusResponse(package=pb.PackageStatus(layout_source="auto"))
    assert "layout not settled yet (auto)" in summary_line(unsettled, 0)
    configured = pb.GetStatusResponse(
        package=pb.PackageStatus(layout="2025-08", layout_source="configured"))
    line = summary_line(configured, 0)
    assert "layout 2025-08 (configured)" in line and "misfits" not in line
    console = Console(record=True, width=160, color_system=None)
    console.print(live_view(unsettled, 0))
    text = console.export_text()
    assert "not settled yet (auto)" in text and "misfits" not in text
    assert "agent messages" not in text  # shown once an agent has said something


def test_event_rate_is_over_a_window() -> None:
    rate = EventRate(window_secs=10)
    assert rate.update(pb.GetStatusResponse(uptime_secs=1)) == 0
    rate.update(pb.GetStatusResponse(uptime_secs=2, events_by_type={"x": 10}))
    assert rate.update(pb.GetStatusResponse(uptime_secs=6, events_by_type={"x": 21})) == 4.2
    rate.update(pb.GetStatusResponse(uptime_secs=30, events_by_type={"x": 21}))
    # The burst has left the 10 s window.
    assert rate.update(pb.GetStatusResponse(uptime_secs=31, events_by_type={"x": 21})) == 0


async def test_plain_mode_logs_a_summary_line_every_few_seconds(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="coordinator.status")
    handled = DispatchStatus(cursor=7)
    handled.events_by_type["jobs::JobCreatedEvent"] = 3
    status = DaemonStatus([ChainStatus(endpoint="http://127.0.0.1:9").report, handled.report])
    with trio.move_on_after(11):
        await run_status("plain", status)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "cursor 7" in lines[0] and "events 3" in lines[0]


async def test_status_command_asks_a_running_daemon(tmp_path: Path) -> None:
    socket_dir = tempfile.mkdtemp(prefix="silvana-", dir="/tmp")
    path = Path(socket_dir) / "c.sock"
    book = JobBook(await Store.open(tmp_path), max_attempts=3, lease_secs=60)
    chain = ChainStatus(endpoint="http://127.0.0.1:9000")
    status = DaemonStatus([chain.report, DispatchStatus(cursor=42).report, book.report],
                          instance_id="i-1")
    chain.state, chain.tip = "connected", 45
    service = CoordinatorService(book)
    status_service = StatusService(status.snapshot, service.limiter)

    def status_command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "coordinator", "status", *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=30)

    async with trio.open_nursery() as nursery:
        await nursery.start(serve, RpcSettings(socket_path=path), service, status_service)
        done = await trio.to_thread.run_sync(status_command, "--socket", str(path))
        nursery.cancel_scope.cancel()
    assert done.returncode == 0, done.stderr
    assert "chain connected http://127.0.0.1:9000" in done.stdout
    assert "cursor 42 (tip 45, lag 3)" in done.stdout

    missing = await trio.to_thread.run_sync(status_command, "--socket", str(path))
    assert missing.returncode == 1
    assert missing.stderr.startswith(f"error: no coordinator answered on {path}")
    assert missing.stderr.count("\n") == 1


def test_the_settlement_shows_address_balance_gas_outbox_and_claims() -> None:
    snapshot = busy_snapshot()
    assert "NOT ON CHAIN: no key" in summary_line(snapshot, 0.0)
    snapshot.settlement.CopyFrom(pb.Settlement(
        enabled=True, address="0x" + "ab" * 32, balance_mist=400_000_000, has_balance=True,
        low_balance=True, min_balance_mist=1_000_000_000, gas_spent_mist=3_000_000,
        jobs_settled=4, outbox_operations=2, outbox_oldest_age_secs=75, claims_won=5,
        claims_lost=1, last_error="GasError: short", pipeline_calls_dropped=2,
    ))
    line = summary_line(snapshot, 0.0)
    for part in ["settle 0xabababab… 0.4000 SUI (LOW: under 1 SUI)", "gas 750000 MIST/job",
                 "outbox 2 (oldest 1m15s)", "claims 5 won 1 lost", "PIPELINE CALLS DROPPED 2",
                 "last error: GasError: short"]:
        assert part in line, part
    assert "NOT ON CHAIN" not in line
    console = Console(record=True, width=200, color_system=None)
    console.print(live_view(snapshot, 0.0))
    assert "0xabababab… 0.4000 SUI (LOW: under 1 SUI)" in console.export_text()


def test_the_proof_events_kept_and_the_attribution_are_shown() -> None:
    snapshot = busy_snapshot()
    instance = "0x" + "cd" * 32
    snapshot.pipeline.add(app_instance=instance, proofs_submitted=4)
    snapshot.pipeline.add(app_instance="", proofs_submitted=1)
    snapshot.pipeline_attribution.CopyFrom(pb.PipelineAttribution(
        enabled=True, attributed=4, unattributed=0, failed=1, queued=2))
    kept = snapshot.proof_events.add(app_instance=instance, kinds={"submitted": 3, "rejected": 1})
    kept.recent.add(age_secs=65, kind="rejected", job_id=7, block_number=2, sequences=[3, 4])
    line = summary_line(snapshot, 0.0)
    for part in ["pipeline 1 app instances: proofs 5", "attributed 4, unattributed 0, failed 1, "
                 "queued 2", "proof events 1 rejected, 3 submitted"]:
        assert part in line, part
    console = Console(record=True, width=200, color_system=None)
    console.print(live_view(snapshot, 0.0))
    text = console.export_text()
    for part in ["(no instance named)", "events naming no instance, asked of the chain: "
                 "attributed 4", "proof events (kept)", "1 rejected, 3 submitted",
                 "rejected job 7 block 2 [3, 4] 1m05s ago"]:
        assert part in text, part


def test_images_pulled_ahead_show_their_state_progress_and_failures() -> None:
    snapshot = busy_snapshot()
    snapshot.prepulls.extend([
        pb.ImagePrepull(image="reg.example/a:v1", state="present", methods=["D/A/prove"]),
        pb.ImagePrepull(image="reg.example/b:v1", state="pulling", bytes_done=30_000_000,
                        bytes_total=120_000_000, methods=["D/B/m"]),
        pb.ImagePrepull(image="reg.example/c:v1", state="failed", methods=["D/C/m"],
                        error="pulling reg.example/c:v1: manifest unknown\x1b[31m"),
    ])
    line = summary_line(snapshot, 0.0)
    assert "images 1 present, 1 pulling, 1 failed (reg.example/b:v1 30/120 MB)" in line
    console = Console(record=True, width=160, color_system=None)
    console.print(live_view(snapshot, 0.0))
    text = console.export_text()
    assert "images      1 present, 1 pulling, 1 failed (reg.example/b:v1 30/120 MB)" in text
    # The error names the image; what came from outside is escaped.
    assert "pre-pull failed: pulling reg.example/c:v1: manifest unknown\\x1b[31m" in text


def test_the_split_with_other_coordinators_is_shown_once_there_is_one() -> None:
    snapshot = busy_snapshot()
    snapshot.shares.CopyFrom(pb.SharesStatus(steal_after_ms=1000, jobs_own=5))
    snapshot.shares.app_instances.add(app_instance="0x" + "ab" * 32, peers=["0x" + "01" * 32])
    assert "shares" not in summary_line(snapshot, 0.0)  # alone: every job is ours
    snapshot.shares.jobs_stolen = 2
    snapshot.shares.app_instances.add(app_instance="0x" + "cd" * 32,
                                      peers=["0x" + "01" * 32, "0x" + "02" * 32, "0x" + "03" * 32])
    phrase = "5 own, 2 stolen; up to 3 coordinators on an app instance (steal after 1000 ms)"
    assert f"shares {phrase}" in summary_line(snapshot, 0.0)
    console = Console(record=True, width=200, color_system=None)
    console.print(live_view(snapshot, 0.0))
    assert f"shares      {phrase}" in console.export_text()
