"""Agent-supplied text in the daemon's log and live view (issue 15): a FailJob error or a line
of container output can neither forge a log line nor hide part of itself.

The log is read as an operator (or journald) reads it: the plain formatter's
lines, every one of which must begin with a timestamp the daemon wrote.
"""

from __future__ import annotations

import io
import json
import logging
import signal
from pathlib import Path

import pytest
import trio
from rich.console import Console

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.console import live_view
from coordinator.logs import escape
from coordinator.runner import _log_output
from coordinator.simnet import Simnet, serve
from tests.e2e_support import Daemon, DaemonProcess
from tests.support import FORGED, LINE_START, daemon_config


def test_container_output_lines_are_escaped_one_per_line(daemon_log: io.StringIO) -> None:
    output = f"step 1\n{FORGED}\x1b[2K\rrewritten\nlast \\ line\n".encode()
    _log_output(output, dropped=0, level=logging.WARNING)
    text = daemon_log.getvalue()
    assert "\x1b" not in text and "\r" not in text
    # The block is the daemon's own: a header line, then the agent's lines
    # indented under it, none of them able to pass for a line of the daemon.
    header, *agent = text.rstrip("\n").split("\n")
    assert LINE_START.match(header) and "agent output, last 4 lines" in header
    # A carriage return ends a line (a progress bar's redraw), as a newline does.
    assert agent == ["  step 1", f"  {FORGED}\\x1b[2K", "  rewritten", "  last \\\\ line"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text, é and 漢字", "plain text, é and 漢字"),
        ("a\nb\tc\rd", "a\\nb\\tc\\rd"),
        ("back\\slash", "back\\\\slash"),  # so "\\n" in the text cannot pass for a newline
        ("\x00\x1b\x7f\x9b", "\\x00\\x1b\\x7f\\x9b"),
        ("\u200b\u202e\u2028\ufeff", "\\u200b\\u202e\\u2028\\ufeff"),
        ("\U000e0041", "\\U000e0041"),  # an invisible tag character
    ],
)
def test_escape(text: str, shown: str) -> None:
    assert escape(text) == shown


def test_the_live_view_shows_an_agent_error_as_text() -> None:
    """The status view reaches the same terminal: an agent's error there is
    neither rich markup nor control codes, and stays on its row."""
    snapshot = pb.GetStatusResponse(recent_outcomes=[pb.JobOutcome(
        job_id=7, state="pending", reason="[bold red]red alert[/]\n\x1b[2Jcleared",
        developer="dev", agent="agent", agent_method="prove",
    )])
    console = Console(record=True, width=200, color_system=None)
    console.print(live_view(snapshot, 0.0))
    text = console.export_text()
    assert "[bold red]red alert[/]\\n\\x1b[2Jcleared" in text


async def test_no_source_forges_a_line_of_the_daemons_log(tmp_path: Path) -> None:
    """The daemon as a process, its plain log as journald keeps it: chain data
    (a developer's name, a job's description, both with a newline and a line
    of our format after it) and a config value (a state.dir whose name holds
    the same) each reach the log; every line there is one the daemon began, or
    indented under one."""
    forge = f"\n{FORGED}"
    sim = Simnet(checkpoint_interval_secs=0.1)
    developer = f"Dev{forge}"
    sim.register_developer(developer)
    sim.register_agent(developer, "Agent")
    # A pull of it fails on loopback: nothing here is meant to run.
    sim.add_method(developer, "Agent", "prove", docker_image="127.0.0.1:9/absent:1")
    sim.create_app_instance("app")
    state = tmp_path / f"state{forge}"
    state.mkdir(mode=0o755)  # too wide: the daemon says so, naming the path
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        config = daemon_config(tmp_path, {
            "sui": {"package_id": '"0x5117a7a"', "start_checkpoint": "0"},
            "state": {"dir": json.dumps(str(state))},  # a JSON string is a TOML one
            "status": {"mode": '"off"'},
        }, f"http://{target}")
        sim.create_job("app", developer=developer, agent="Agent", method="prove",
                       description=f"job{forge}")
        daemon = DaemonProcess(Daemon(config, tmp_path / "c.sock", state), tmp_path / "log")
        try:
            await daemon.wait_for_log("JobCreatedEvent at", 30)
            # The job's key in full (the developer's name): its first attempt
            # fails on the absent image. Stopping before it raced that line.
            await daemon.wait_for_log("attempt 1 failed", 30)
            daemon.signal(signal.SIGTERM)
            await daemon.wait(30)
        finally:
            daemon.kill()
        nursery.cancel_scope.cancel()
    log = daemon.log()
    lines = log.splitlines()
    assert sum(FORGED in line for line in lines) >= 3, log  # name, description, state.dir
    for line in lines:
        assert LINE_START.match(line) or line.startswith(" "), line
        assert not line.startswith(FORGED[:23]), line  # the forged time at the margin
