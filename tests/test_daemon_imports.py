"""The daemon holds in memory only what it runs: the commands' modules, rich
(a terminal's view) and requests' charset guesser are left out of its start
path. What that saves is a figure of `scripts/bench --only rss`
(docs/benchmarks.md), not asserted here."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT

# The daemon's imports (`python -m coordinator` loads `__main__`, which loads
# `app`), its plain logs and its plain status reporter for one summary line.
PROBE = """
import logging, sys
import trio, trio.testing
import coordinator.__main__, coordinator.app
from coordinator.logs import setup_logging
from coordinator.status import DaemonStatus, run_status

setup_logging("info", tty=False)
lines = []
logging.getLogger("coordinator.status").addHandler(logging.Handler())
logging.getLogger("coordinator.status").handlers[-1].emit = lines.append

async def plain_status():
    with trio.move_on_after(6):
        await run_status("plain", DaemonStatus())

trio.run(plain_status, clock=trio.testing.MockClock(autojump_threshold=0))
assert lines, "no summary line"
heavy = ("rich", "charset_normalizer", "cryptography.hazmat.primitives.serialization",
         "coordinator.console", "coordinator.status_cli", "coordinator.cursor_cli",
         "coordinator.init_cli", "coordinator.secrets_cli", "coordinator.state_cli",
         "coordinator.config_reference")
# (None in sys.modules: refused, never loaded)
print(sorted(name for name, module in sys.modules.items()
             if module is not None and (name in heavy or name.startswith("rich."))))
"""


def test_the_daemon_with_plain_logs_and_status_loads_no_view_or_command() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]"]


DECODE = """
import coordinator.docker
import requests
response = requests.models.Response()
response._content = "no such image: café — gone".encode()
print(response.text)
"""


def test_docker_text_without_a_charset_reads_as_utf8() -> None:
    # Docker's error bodies name no charset; without charset_normalizer requests
    # decodes them as UTF-8, as the Engine writes them.
    done = subprocess.run([sys.executable, "-W", "error", "-c", DECODE], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "no such image: café — gone\n"
