"""The simulator is no part of the daemon unless the config enables it."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT

PROBE = """
import sys
from pathlib import Path
import coordinator.__main__, coordinator.app, coordinator.enclave.entrypoint
from coordinator.config import load_settings
settings = load_settings(Path("testnet"), env={"COORDINATION_PACKAGE_ID": "0x2"})
assert not settings.simnet.enabled
# Its package and its settings module (pydantic only) are read for [simnet];
# nothing of the simulator itself.
print(sorted(name for name in sys.modules if name.startswith("coordinator.simnet.")
             and name != "coordinator.simnet.settings"))
print(sorted(name for name in sys.modules if name.startswith("coordinator._pb.silvana.simnet")))
"""


def test_the_daemon_and_the_enclave_entrypoint_do_not_load_the_simulator() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "[]"]
