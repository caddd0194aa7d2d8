"""docs/live-view.svg: the live view of a real run, for the README.

Runs the daemon on the shipped `local` config (the embedded simulator and its
demo jobs, the demo agent in Docker) in a temporary instance directory, asks
it for its status over its socket as `python -m coordinator status` does, and
once a container runs and a job has completed renders the view with rich's
SVG export. Ports are free ones, so a running demo is not disturbed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trio
from rich.console import Console

from coordinator.console import live_view
from coordinator.shipped import shipped_config
from coordinator.status_cli import fetch
from coordinator.status_text import EventRate
from coordinator.sui.keys import SuiKey

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "live-view.svg"
WAIT_SECS = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def config(directory: Path) -> Path:
    """The shipped local config with free ports, its scenario beside it."""
    chain, agents = free_port(), free_port()
    text = shipped_config("local").read_text()
    for old, new in [('"127.0.0.1:9000"', f'"127.0.0.1:{chain}"'),
                     ('"http://127.0.0.1:9000"', f'"http://127.0.0.1:{chain}"'),
                     ('listen = "auto:50051"', f'listen = "auto:{agents}"'),
                     ('scenario = "simnet/demo.toml"',
                      f'scenario = "{shipped_config("local").parent / "simnet" / "demo.toml"}"')]:
        assert old in text, old
        text = text.replace(old, new)
    path = directory / "local.toml"
    path.write_text(text + '\n[metrics]\nlisten = ""\n')
    return path


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="live-view-") as tmp:
        directory = Path(tmp)
        env = {**os.environ, "STATE_DIRECTORY": str(directory / "state"),
               "RUNTIME_DIRECTORY": str(directory / "run"),
               "SUI_SECRET_KEY": SuiKey.generate().export()}
        daemon = subprocess.Popen([sys.executable, "-m", "coordinator", "--config",
                                   str(config(directory))], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            snapshot = None
            rate = EventRate()
            deadline = time.monotonic() + WAIT_SECS
            sock = directory / "run" / "local" / "coordinator.sock"
            while time.monotonic() < deadline:
                time.sleep(1)
                try:
                    snapshot = trio.run(fetch, sock)
                except Exception:  # not up yet
                    continue
                value = rate.update(snapshot)
                if snapshot.running and snapshot.recent_outcomes:
                    console = Console(record=True, width=120, force_terminal=True,
                                      color_system="truecolor", file=open(os.devnull, "w"))
                    console.print(live_view(snapshot, value))
                    console.save_svg(str(OUT), title="python -m coordinator status")
                    print(f"wrote {OUT}")
                    return 0
            print("error: no running container and completed job within "
                  f"{WAIT_SECS} s", file=sys.stderr)
            return 1
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
