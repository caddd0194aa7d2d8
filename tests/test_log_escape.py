"""Agent-supplied text in the daemon's log and live view (issue 15): a FailJob error or a line
of container output can neither forge a log line nor hide part of itself.

The log is read as an operator (or journald) reads it: the plain formatter's
lines, every one of which must begin with a timestamp the daemon wrote.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import pytest
from rich.console import Console

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.console import live_view
from coordinator.jobs import JobBook
from coordinator.logs import PLAIN_FORMAT, escape
from coordinator.runner import _log_output
from tests.test_rpc import (  # noqa: F401 (fixtures)
    KEY,
    GrpcClient,
    book,
    client,
    created,
    served,
    sock_dir,
    store,
)

FORGED = "2026-01-01 00:00:00,000 ERROR   coordinator: wallet key leaked"
LINE_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")


@pytest.fixture(name="daemon_log")
def daemon_log_fixture() -> Iterator[io.StringIO]:
    """The daemon's plain log lines (as on a pipe or journald)."""
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield text
    root.removeHandler(handler)
    root.setLevel(level)


def lines_of(log: io.StringIO) -> list[str]:
    lines = log.getvalue().splitlines()
    assert lines, "nothing was logged"
    return lines


async def test_a_fail_job_error_cannot_forge_a_log_line(
    book: JobBook, client: GrpcClient, daemon_log: io.StringIO  # noqa: F811
) -> None:
    book.on_chain_event(created(1))
    opened = book.open_session(KEY)
    assert opened is not None
    session, _ = opened
    error = f"proof failed\n{FORGED}\r{FORGED}\u2028{FORGED}\u202eevil"
    reply = await client.fail(session.session_id, 1, error)
    assert reply.success

    lines = lines_of(daemon_log)
    for line in lines:
        assert LINE_START.match(line), f"a forged line: {line!r}"
    [outcome] = [line for line in lines if "proof failed" in line]
    # The operator still reads the whole error, escaped on its one line.
    # (The service already dropped the CR; newline and tab are kept in the job.)
    assert f"proof failed\\n{FORGED}{FORGED}\\u2028{FORGED}\\u202eevil" in outcome


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
