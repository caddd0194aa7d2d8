"""Helpers of the end-to-end tests (tests/test_e2e*.py): the real agent image and
variants of it, a daemon's config file, GetStatus from the host with grpcio,
and the daemon as a process.

Nothing is faked but the chain: the simulator stands in for Sui; Docker, the
agent image (scripts/build-agent-image), the Unix socket and the daemon are real.
Sockets live in short directories under /tmp (sun_path holds 108 bytes).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pty
import re
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import termios
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.store import DB_FILE
from coordinator.sui.keys import SuiKey
from tests.support import ROOT

# The demo agent of this checkout: other checkouts on the same engine may build
# silvana-demo/agent:latest from another version of the agent or the proto.
# With SILVANA_AGENT_PROTO_ROOT (another proto tree, e.g. upstream's: see
# scripts/build-agent-image) the agent speaks that file's service, under a tag
# of its own.
_PROTO_ROOT = os.environ.get("SILVANA_AGENT_PROTO_ROOT", "")
# Upstream's own agent proto (SilvanaOne/silvana d1563ea, unchanged; see the
# NOTICE beside it): a test input outside the project.
UPSTREAM_PROTO = Path("/work/shared/vectors/upstream/proto")


def agent_image_tag(proto_root: str) -> str:
    """The demo agent's tag for this checkout and proto tree ("": ours)."""
    tag = hashlib.sha256(f"{ROOT}{chr(0) + proto_root if proto_root else ''}".encode())
    return f"silvana-demo/agent:checkout-{tag.hexdigest()[:12]}"


AGENT_IMAGE = agent_image_tag(_PROTO_ROOT)
STATUS_SERVICE = "/silvana.coordinator.v1.CoordinatorStatusService/"


# --- images ------------------------------------------------------------------


def build_agent_image(proto_root: str = _PROTO_ROOT) -> str:
    """The demo agent image of this checkout speaking the service of
    `proto_root`'s coordinator.proto ("": ours), cached: a no-op when it matches
    the script, the agent and the proto."""
    image = agent_image_tag(proto_root)
    subprocess.run([str(ROOT / "scripts" / "build-agent-image")], check=True,
                   env={**os.environ, "SILVANA_AGENT_IMAGE": image,
                        "SILVANA_AGENT_PROTO_ROOT": proto_root})
    return image




# --- the daemon's files ----------------------------------------------------------




@dataclass(frozen=True)
class Daemon:
    """Where one coordinator's files are."""

    config: Path
    socket: Path
    state: Path

    @property
    def db(self) -> Path:
        return self.state / DB_FILE


def _toml(value: Any) -> str:
    """A value of a [docker] key in TOML (Python's repr is TOML for str, int,
    float and bool's lower-cased words aside; a dict is an inline table)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return repr(value)


def write_config(
    directory: Path, socket_dir: Path, rpc_url: str, *, extra: str = "", sui: str = "",
    start_checkpoint: int | None = 0, rpc: str = "listen = ''", key: SuiKey | None = None,
    **docker: Any,
) -> Daemon:
    """A config file for a daemon on the chain at `rpc_url` (read from
    `start_checkpoint`; None: the tip, as a first start on a live chain), with
    short Docker grace times; `docker` keys override [docker]. With `key`, the
    daemon claims and settles on chain with it (a key file, 0600). The chain is
    `localnet` unless `sui` names one: keyless, the daemon starts only there."""
    sock = socket_dir / "coordinator.sock"
    state = directory / "state"
    if "chain =" not in sui:  # the simulator's chain is this machine's own
        sui += '\nchain = "localnet"'
    if key is not None:
        key_file = directory / "coordinator.key"
        key_file.write_text(key.export() + "\n")
        key_file.chmod(0o600)
        sui += f'\nkey_file = "{key_file}"'
    docker_keys = {"container_timeout_secs": 60, "max_concurrent": 2, "stop_grace_secs": 1,
                   **docker}
    docker_lines = "\n".join(f"{key} = {_toml(value)}" for key, value in docker_keys.items())
    text = f"""
[sui]
rpc_url = "{rpc_url}"
package_id = "0x5117a7a"
modules = ["agent", "jobs"]
{"" if start_checkpoint is None else f"start_checkpoint = {start_checkpoint}"}
idle_timeout_secs = 10
{sui}

[docker]
{docker_lines}

[rpc]
socket_path = "{sock}"
{rpc}

[state]
dir = "{state}"

[status]
mode = "off"

[log]
level = "info"
{extra}
"""
    if "[metrics]" not in extra:
        # Off unless a test asks: the default port may be taken on a shared machine,
        # and the metrics child starts only once it listens.
        text += '\n[metrics]\nlisten = ""\n'
    config = directory / "coordinator.toml"
    config.write_text(text)
    return Daemon(config, sock, state)


def make_agent_variant(client: Any, agent_image: str, mode: str) -> str:
    """The demo agent image with `ENV AGENT_MODE=mode` baked in, tagged locally
    (silvana-e2e/agent:<random>); the caller removes it."""
    tag = f"silvana-e2e/agent:{uuid.uuid4().hex[:12]}"
    container = client.containers.create(agent_image)
    try:
        repository, _, name = tag.partition(":")
        container.commit(repository=repository, tag=name, changes=[f"ENV AGENT_MODE={mode}"])
    finally:
        container.remove(force=True)
    return tag


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# --- what an operator checks ----------------------------------------------------


def get_status(socket_path: Path, timeout: float = 5.0) -> pb.GetStatusResponse:
    """GetStatus from the host, with grpcio (not our purerpc)."""
    with grpc.insecure_channel(f"unix:{socket_path}") as channel:
        call = channel.unary_unary(
            STATUS_SERVICE + "GetStatus",
            request_serializer=pb.GetStatusRequest.SerializeToString,
            response_deserializer=pb.GetStatusResponse.FromString,
        )
        response: pb.GetStatusResponse = call(pb.GetStatusRequest(), timeout=timeout)
        return response


async def status_when(
    socket_path: Path,
    condition: Callable[[pb.GetStatusResponse], bool],
    within: float,
    what: str,
) -> pb.GetStatusResponse:
    """Poll GetStatus until `condition` holds; fail naming `what` and the last status."""
    last: pb.GetStatusResponse | None = None
    error = ""
    with trio.move_on_after(within):
        while True:
            try:
                last = await trio.to_thread.run_sync(get_status, socket_path)
                error = ""
                if condition(last):
                    return last
            except grpc.RpcError as exc:  # not listening yet
                error = f"{exc.code().name}: {exc.details()}"
            await trio.sleep(0.2)
    raise AssertionError(f"not within {within:g} s: {what}; last status: {last} {error}")


def stored_jobs(db: Path) -> list[dict[str, Any]]:
    """The jobs table as the daemon left it."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM jobs ORDER BY app_instance, job_id").fetchall()
    return [dict(row) for row in rows]




def instance_id_of(daemon: Daemon) -> str | None:
    """The coordinator instance id kept in the daemon's state, once it started."""
    if not daemon.db.exists():
        return None
    with sqlite3.connect(daemon.db) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'instance_id'").fetchone()
    return None if row is None else str(row[0])




# --- the daemon as a process -------------------------------------------------------


class DaemonProcess:
    """`python -m coordinator --config FILE`, its stderr in a file."""

    def __init__(self, daemon: Daemon, log_path: Path, *args: str) -> None:
        self.daemon = daemon
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items() if k not in (
            "COORDINATION_PACKAGE_ID", "SILVANA_REGISTRY_PACKAGE", "SILVANA_REGISTRY")}
        env["PYTHONPATH"] = str(ROOT)
        with log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "coordinator", "--config", str(daemon.config), *args],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    async def wait(self, within: float) -> int:
        """The exit status (negative: killed by that signal)."""
        deadline = time.monotonic() + within
        while (code := self.process.poll()) is None:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the daemon did not exit within {within:g} s; its log:\n{self.log()}")
            await trio.sleep(0.1)
        return code

    async def wait_for_log(self, needle: str, within: float) -> None:
        deadline = time.monotonic() + within
        while needle not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not in the daemon's log:\n{self.log()}")
            await trio.sleep(0.1)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


def status_command(socket_path: Path, *, terminal: bool) -> str:
    """What `python -m coordinator status --socket PATH` prints: on a pipe (the
    summary line), or on a terminal (a pseudo-terminal, 200 columns: rich's live
    view), with the terminal's escape codes taken out."""
    command = [sys.executable, "-m", "coordinator", "status", "--socket", str(socket_path)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm", "COLUMNS": "200"}
    if not terminal:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=30, check=True)
        return done.stdout
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 200, 0, 0))
    with subprocess.Popen(command, cwd=ROOT, env=env, stdin=follower, stdout=follower,
                          stderr=follower) as process:
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            output += chunk
        process.wait(timeout=30)
    os.close(leader)
    assert process.returncode == 0, output
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output.decode(errors="replace"))
