"""Names the tests share that are not fixtures (those are in conftest.py)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import h2.config
import h2.connection
import h2.events
import h2.exceptions
import pytest
import trio

from coordinator.docker import LABEL_COORDINATOR
from coordinator.domain import AgentKey
from coordinator.events import JobCreatedEvent, JobStatus
from coordinator.events.layouts import neutral
from coordinator.events.parser import CoordinationEvent, LedgerPosition
from coordinator.simnet import Simnet
from coordinator.simnet.objects import AppMethod

ROOT = Path(__file__).resolve().parent.parent
BUSYBOX_IMAGE = "silvana-test/busybox:latest"


def need(reason: str) -> None:
    """A real part this test needs is missing: under CI=true the test fails
    (CI runs everything); elsewhere it is skipped with the reason."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: every test must run)")
    pytest.skip(reason)


async def eventually(
    done: Callable[[], bool], within: float, what: str, detail: Callable[[], str] = str
) -> None:
    """Poll `done` until it holds (state of several parts, no single event to
    wait on); AssertionError naming `what` and `detail()` after `within` s."""
    with trio.move_on_after(within) as scope:
        while not done():  # noqa: ASYNC110
            await trio.sleep(0.01)
    if scope.cancelled_caught:
        raise AssertionError(f"{what} did not happen within {within:g} s {detail()}".rstrip())


def containers_of(client: docker.DockerClient, instance_id: str) -> list[Any]:
    """Every container (running or not) labelled with this coordinator instance."""
    found: list[Any] = client.containers.list(
        all=True, filters={"label": f"{LABEL_COORDINATOR}={instance_id}"}
    )
    return found


# A log line as an agent might forge it, and how every real line of the plain
# format begins (tests of escaping agent text).
FORGED = "2026-01-01 00:00:00,000 ERROR   coordinator: wallet key leaked"
LINE_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")


def log_lines(log: io.StringIO) -> list[str]:
    lines = log.getvalue().splitlines()
    assert lines, "nothing was logged"
    return lines


ADD_KEY = AgentKey("AddExampleDev", "AddAgent", "prove")


def created(job_id: int, key: AgentKey = ADD_KEY, description: str | None = "add",
            app_instance: str = "0x" + "a" * 64) -> CoordinationEvent:
    """A JobCreatedEvent of `key` in `app_instance`, as the router hands it to the book."""
    payload = JobCreatedEvent(
        job_id=job_id, description=description, developer=key.developer, agent=key.agent,
        agent_method=key.agent_method, app="AddApp", app_instance=app_instance,
        app_instance_method="add", sequences=(7, 8), data=bytes([1, 2, job_id % 256]),
        status=JobStatus(kind="pending"), created_at=1_700_000_000_000 + job_id,
    )
    return CoordinationEvent(LedgerPosition(1, f"tx-{job_id}-{app_instance}", 0, 0), "jobs",
                             "JobCreatedEvent", "0x1", neutral(payload))


class RawH2:
    """A bare HTTP/2 client on a Unix socket, blocking (run it in a thread): what a
    careless or hostile gRPC client sends, which a real gRPC library would not."""

    def __init__(self, path: str, timeout: float = 10.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.events: list[Any] = []
        # A server over its connection cap may close before the preface is
        # sent (a loaded machine runs its accept first): `closed_by_server` says so.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.flush()

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def receive(self) -> bool:
        """One read; False when the server closed the connection."""
        data = self.sock.recv(1 << 16)
        if not data:
            return False
        self.events += self.conn.receive_data(data)
        self.flush()
        return True

    def start_call(self, method: str, *headers: tuple[str, str]) -> int:
        stream_id: int = self.conn.get_next_available_stream_id()
        self.conn.send_headers(stream_id, [
            (":method", "POST"), (":scheme", "http"), (":path", method),
            (":authority", "localhost"), ("content-type", "application/grpc"), ("te", "trailers"),
            *headers,
        ])
        self.flush()
        return stream_id

    def send_unfinished(self, stream_ids: list[int], declared: int, within: float) -> int:
        """On each stream a message that says it is `declared` bytes long, and as
        much of it as the server's windows let through, never all of it; the
        bytes sent in all."""
        for stream_id in stream_ids:
            self.conn.send_data(stream_id, struct.pack(">?I", False, declared))
        remaining = dict.fromkeys(stream_ids, declared - 1)
        chunk = bytes(1 << 20)
        sent, deadline = 0, time.monotonic() + within
        while any(remaining.values()) and time.monotonic() < deadline:
            for stream_id, left in remaining.items():
                try:
                    size = min(left, len(chunk), self.conn.max_outbound_frame_size,
                               self.conn.local_flow_control_window(stream_id))
                    if size > 0:
                        self.conn.send_data(stream_id, chunk[:size])
                        remaining[stream_id] -= size
                        sent += size
                except h2.exceptions.StreamClosedError:
                    remaining[stream_id] = 0
            self.flush()
            if any(remaining.values()) and not self._window_left(remaining):
                self.sock.settimeout(0.5)
                try:
                    if not self.receive():
                        break
                except TimeoutError:
                    break  # the server gives no more window: it holds what it has
        return sent

    def _window_left(self, remaining: dict[int, int]) -> bool:
        for stream_id, left in remaining.items():
            try:
                if left and self.conn.local_flow_control_window(stream_id) > 0:
                    return True
            except h2.exceptions.StreamClosedError:
                pass
        return False

    def statuses(self, stream_ids: list[int]) -> list[int]:
        """The grpc-status each stream ended with (-1: none before the connection closed)."""
        codes: dict[int, int] = {}
        while True:
            for event in self.events:
                fields = dict(getattr(event, "headers", None) or [])
                status = fields.get(b"grpc-status", fields.get("grpc-status"))
                if status is not None:
                    codes[event.stream_id] = int(status)
            if all(stream_id in codes for stream_id in stream_ids) or not self.receive():
                return [codes.get(stream_id, -1) for stream_id in stream_ids]

    def settings(self) -> dict[int, int]:
        """The server's SETTINGS, as received."""
        while not any(isinstance(e, h2.events.RemoteSettingsChanged) for e in self.events):
            if not self.receive():
                raise EOFError("closed before its SETTINGS")
        return {code: value.new_value for e in self.events
                if isinstance(e, h2.events.RemoteSettingsChanged)
                for code, value in e.changed_settings.items()}

    def closed_by_server(self, within: float) -> bool:
        """Whether the server closes the connection within `within` s."""
        self.sock.settimeout(within)
        try:
            while self.receive():
                pass
        except TimeoutError:
            return False
        except ConnectionError:
            pass
        return True

    def close(self) -> None:
        self.sock.close()


def job_chain() -> Simnet:
    """A 2025-11 simulator sealing per transaction: developer `dev`'s agent `agent`
    with method `prove`, and app instance `app` whose method `add` runs it, with
    one pending job (sequence 1)."""
    sim = Simnet(checkpoint_interval_secs=0, layout="2025-11")
    sim.register_developer("dev")
    sim.register_agent("dev", "agent")
    sim.add_method("dev", "agent", "prove", docker_image="img:1")
    sim.create_app_instance("app", methods={"add": AppMethod("dev", "agent", "prove", "adds")})
    sim.create_job("app", developer="dev", agent="agent", method="prove")
    return sim
