"""Helpers of the tests/test_docker_*.py files: the local registry script,
container options and specs with short limits (their fixtures are in
conftest.py)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from typing import Any

from coordinator.docker import ContainerOptions, ContainerSpec
from coordinator.sui.keys import SuiKey
from tests.support import BUSYBOX_IMAGE, ROOT

REGISTRY_SCRIPT = ROOT / "scripts" / "registry"


def registry_port() -> int:
    return int(os.environ.get("SILVANA_TEST_REGISTRY_PORT", "5000"))


def run_registry(command: str, env: dict[str, str] | None = None) -> bool:
    """scripts/registry <command>; True when it exited 0."""
    result = subprocess.run(
        [str(REGISTRY_SCRIPT), command], env={**os.environ, **(env or {})}, check=False
    )
    return result.returncode == 0












def make_options(instance_id: str, **changes: Any) -> ContainerOptions:
    """Short limits for tests; no network at all in standard mode."""
    base = ContainerOptions(
        instance_id=instance_id,
        timeout_secs=30,
        stop_grace_secs=2,
        network_mode="none",
        tee_poll_interval_secs=0.2,
    )
    return replace(base, **changes)


def make_spec(job_id: int, command: str, **changes: Any) -> ContainerSpec:
    base = ContainerSpec(
        job_id=job_id,
        session_id=f"session-{job_id}",
        session_private_key=SuiKey.generate().export(),
        developer="dev",
        agent="agent",
        agent_method="method",
        app_instance="0xapp",
        job_data=b"\x01\x02",
        image=BUSYBOX_IMAGE,
        command=("sh", "-c", command),
    )
    return replace(base, **changes)
