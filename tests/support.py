"""Names the tests share that are not fixtures (those are in conftest.py)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docker
import h2.config
import h2.connection
import h2.events
import h2.exceptions
import pytest
import trio

from coordinator.docker import LABEL_COORDINATOR
from coordinator.domain import AgentKey, Job
from coordinator.events import JobCreatedEvent, JobStatus
from coordinator.events import models_2025_11 as v11
from coordinator.events.layouts import Layout, neutral
from coordinator.events.parser import CoordinationEvent, LedgerPosition
from coordinator.simnet import Simnet
from coordinator.simnet.objects import AppMethod

if TYPE_CHECKING:
    from coordinator.simnet import Simnet

ROOT = Path(__file__).resolve().parent.parent
# The shipped configs (package data: `--config testnet`, `init`).
CONFIGS = ROOT / "coordinator" / "configs"
# A loopback port nothing listens on: connecting fails at once, like a dead node.
DEAD_NODE = "http://127.0.0.1:9"
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
    """Every container (running or not) labelled with this coordinator instance.
    Listed without inspecting (docker-py's `containers.list` inspects each and
    fails on one removed in between, as the daemon cleans up as it goes), then
    each one still there is inspected."""
    listed = client.api.containers(
        all=True, filters={"label": f"{LABEL_COORDINATOR}={instance_id}"})
    found: list[Any] = []
    for summary in listed:
        with contextlib.suppress(docker.errors.NotFound):
            found.append(client.containers.get(summary["Id"]))
    return found


# A log line as an agent might forge it, and how every real line of the plain
# format begins (tests of escaping agent text).
FORGED = "2026-01-01 00:00:00,000 ERROR   coordinator: wallet key leaked"
LINE_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")


def log_lines(log: io.StringIO) -> list[str]:
    lines = log.getvalue().splitlines()
    assert lines, "nothing was logged"
    return lines


# --- the demo agent's names and the builders of jobs, job events, app instances -------

# The demo agent (agent/ and scripts/build-agent-image) and the app instance the
# tests run it in: ADD_KEY where a test needs an AgentKey; APP_INSTANCE, an
# object id, where the daemon's book or service is fed events by hand; DEMO_APP,
# the name of the app instance the end-to-end tests create on a simulator.
DEV, AGENT, METHOD = "AddExampleDev", "AddAgent", "prove"
ADD_KEY = AgentKey(DEV, AGENT, METHOD)
APP_INSTANCE = "0x" + "a" * 64
DEMO_APP = "add-demo"
SUI = 1_000_000_000  # MIST


def job_created(job_id: int, *, layout: Layout = "2025-08", key: AgentKey = ADD_KEY,
                app_instance: str = APP_INSTANCE, **fields: Any,
                ) -> JobCreatedEvent | v11.JobCreatedEvent:
    """A JobCreatedEvent of `key` in `app_instance` in the models of `layout`
    (2025-08: `job_id`; 2025-11: `job_sequence`); `fields` override the rest."""
    common: dict[str, Any] = dict(
        description="add", developer=key.developer, agent=key.agent,
        agent_method=key.agent_method, app="AddApp", app_instance=app_instance,
        app_instance_method="add", data=bytes([1, 2, job_id % 256]),
        status=JobStatus(kind="pending"), created_at=1_700_000_000_000 + job_id,
    )
    if layout == "2025-08":
        return JobCreatedEvent(**{**common, "job_id": job_id, "sequences": (7, 8), **fields})
    return v11.JobCreatedEvent(**{
        **common, "job_sequence": job_id, "block_number": None, "sequences": None,
        "sequences1": (7, 8), "sequences2": None, **fields})


def created(job_id: int, key: AgentKey = ADD_KEY, *, app_instance: str = APP_INSTANCE,
            layout: Layout = "2025-08", tx: str | None = None, **fields: Any,
            ) -> CoordinationEvent:
    """A JobCreatedEvent (see `job_created`) as the router hands it to the book,
    in transaction `tx` (by default one of its own per job and app instance)."""
    payload = job_created(job_id, layout=layout, key=key, app_instance=app_instance, **fields)
    return CoordinationEvent(LedgerPosition(1, tx or f"tx-{job_id}-{app_instance}", 0, 0),
                             "jobs", "JobCreatedEvent", "0x1", neutral(payload))


def job(job_id: int, key: AgentKey = ADD_KEY, app_instance: str = APP_INSTANCE,
        **fields: Any) -> Job:
    """A job of the daemon's book (pending unless `fields` say otherwise)."""
    return Job(app_instance=app_instance, job_id=job_id, developer=key.developer,
               agent=key.agent, agent_method=key.agent_method, **fields)


def register_app(sim: Simnet, images: str | dict[str, str] | None, app: str = DEMO_APP,
                 key: AgentKey = ADD_KEY, **instance: Any) -> Simnet:
    """On `sim`: `key`'s developer and agent, the agent's methods (`images`: a
    method name -> its Docker image; one image: `key`'s method; None: no method),
    and the app instance `app` (`instance`: create_app_instance's keywords)."""
    sim.register_developer(key.developer)
    sim.register_agent(key.developer, key.agent)
    methods = {key.agent_method: images} if isinstance(images, str) else images or {}
    for method, image in methods.items():
        sim.add_method(key.developer, key.agent, method, docker_image=image)
    sim.create_app_instance(app, **instance)
    return sim


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
    """A 2025-11 simulator sealing per transaction: the demo developer, agent and
    method, and app instance `app` whose method `add` runs it, with one pending
    job (sequence 1)."""
    sim = register_app(Simnet(checkpoint_interval_secs=0, layout="2025-11"), "img:1", "app",
                       methods={"add": AppMethod(DEV, AGENT, METHOD, "adds")})
    sim.create_job("app", developer=DEV, agent=AGENT, method=METHOD)
    return sim


def daemon_config(tmp_path: Path, extra: dict[str, dict[str, str]] | None = None,
                  rpc_url: str = DEAD_NODE) -> Path:
    """A config file for a daemon run as a process: keyless on a local chain (so
    it starts), its socket and state in `tmp_path`, no TCP port and no metrics
    port (runs beside each other never collide); `extra`: TOML values by section."""
    sections: dict[str, dict[str, str]] = {
        "sui": {"rpc_url": f'"{rpc_url}"', "package_id": '"0x1"', "chain": '"localnet"'},
        "rpc": {"socket_path": f'"{tmp_path / "c.sock"}"', "listen": '""'},
        "state": {"dir": f'"{tmp_path / "state"}"'},
        "metrics": {"listen": '""'},
        "status": {"mode": '"plain"'},
    }
    for section, keys in (extra or {}).items():
        sections.setdefault(section, {}).update(keys)
    path = tmp_path / "coordinator.toml"
    path.write_text("".join(
        f"[{name}]\n" + "".join(f"{key} = {value}\n" for key, value in keys.items())
        for name, keys in sections.items()
    ))
    return path


def run_cli(*args: str, timeout: float = 30, stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m coordinator ARGS` to its end, without the package id of this
    machine's environment; `stdin` is its standard input (none: empty), `env`
    added to its environment."""
    environment = {k: v for k, v in os.environ.items() if k != "COORDINATION_PACKAGE_ID"}
    return subprocess.run([sys.executable, "-m", "coordinator", *args], cwd=ROOT,
                          env={**environment, **(env or {})}, input=stdin or "",
                          capture_output=True, text=True, timeout=timeout, check=False)
