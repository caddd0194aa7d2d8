"""What every figure shares: results, progress lines, the machine, processes and sockets."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PACKAGE_ID = "0x5117a7a"
# The environment names the daemon reads (coordinator.config.ENV_KEYS): a
# daemon started by the bench takes its settings from the bench's TOML only.
DAEMON_ENV_KEYS = (
    "SUI_RPC_URL", "COORDINATION_PACKAGE_ID", "COORDINATION_MODULE", "DOCKER_USE_TEE",
    "CONTAINER_TIMEOUT_SECS", "LOG_LEVEL",
)

_START = time.monotonic()


class BenchError(Exception):
    """A phase could not measure; the message says why (one line)."""


def progress(message: str) -> None:
    """One progress line on stderr, with the time since the bench started."""
    print(f"==> [{time.monotonic() - _START:6.1f} s] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    progress(f"{name} ...")
    start = time.monotonic()
    yield
    progress(f"{name}: done in {time.monotonic() - start:.1f} s")


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    note: str = ""

    def line(self) -> str:
        value = f"{self.value:.3f}" if abs(self.value) < 10 else f"{self.value:.1f}"
        note = f"  # {self.note}" if self.note else ""
        return f"{self.name}: {value}{note}"


@dataclass
class Results:
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, value: float, unit: str, note: str = "") -> None:
        figure = Figure(name, value, unit, note)
        self.figures.append(figure)
        print(figure.line(), flush=True)

    def as_json(self) -> dict[str, Any]:
        return {
            "figures": {
                f.name: {"value": round(f.value, 3), "unit": f.unit, "note": f.note}
                for f in self.figures
            },
            "details": self.details,
        }


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


# --- the machine ----------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _command(*args: str) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=10, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def machine() -> dict[str, Any]:
    cpuinfo = _read("/proc/cpuinfo")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.MULTILINE)
    versions = {}
    for name in ("purerpc", "grpcio", "protobuf", "trio", "docker"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[name] = version(name)
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model.group(1).strip() if model else platform.processor(),
        "ram_gb": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "docker_server": _command("docker", "version", "--format", "{{.Server.Version}}"),
        "packages": versions,
        # Other work on the machine while the bench ran (1, 5, 15 minute load averages).
        "loadavg_at_start": _read("/proc/loadavg").split()[:3],
        "git_commit": _command("git", "rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_command("git", "status", "--porcelain", "--untracked-files=no")),
    }


# --- processes, sockets, files -------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Any, what: str, timeout: float, interval: float = 0.05) -> Any:
    """Call `check()` until it returns something truthy; BenchError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise BenchError(f"{what}: not within {timeout:g} s")
        time.sleep(interval)


def daemon_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DAEMON_ENV_KEYS}
    env["PYTHONPATH"] = str(ROOT)
    return env


class Process:
    """A child process whose output goes to a log file; stopped on exit."""

    def __init__(self, name: str, args: list[str], log_path: Path, **kwargs: Any) -> None:
        self.name = name
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.popen = subprocess.Popen(
            args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=ROOT, env=kwargs.pop("env", daemon_env()), **kwargs,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise BenchError(f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join("    " + line for line in text[-lines:])

    def stop(self, grace: float = 45.0) -> int | None:
        """SIGTERM (the daemon drains), then SIGKILL after `grace`."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()
        return self.popen.returncode

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def vm_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM ... of a process, in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name.startswith("Vm") and rest.strip().endswith("kB"):
            values[name] = int(rest.split()[0])
    return values


def cpu_secs(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


@contextlib.contextmanager
def scratch_dir(name: str) -> Iterator[Path]:
    """A temporary directory (short path: Unix socket paths hold 107 bytes)."""
    path = Path(tempfile.mkdtemp(prefix=f"silvana-bench-{name}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)
