"""The coordinator host's hardware as upstream reports it in `submit_proof`
(cores clamped to 255, an `arch-os` string, total memory in KB): upstream
sends the coordinator's own host, not the prover's (reference §5 item 10),
and so do we, so the chain's records read the same."""

from __future__ import annotations

import functools
import os
import platform
import sys
from dataclasses import dataclass

__all__ = ["Hardware", "host_hardware"]

# Upstream's fallback when the memory cannot be read: 8 GB in KB.
DEFAULT_MEMORY_KB = 8 * 1024 * 1024
_OS = {"linux": "linux", "darwin": "darwin", "win32": "windows"}
_ARCH = {"amd64": "x86_64", "arm64": "aarch64"}


@dataclass(frozen=True)
class Hardware:
    cpu_cores: int  # at most 255 (a Move u8)
    architecture: str  # e.g. x86_64-linux
    memory_kb: int


def _memory_kb() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1024
    except (ValueError, OSError, AttributeError):
        return DEFAULT_MEMORY_KB


@functools.cache
def host_hardware() -> Hardware:
    """This host's hardware, read once."""
    machine = platform.machine().lower()
    arch = _ARCH.get(machine, machine)
    system = _OS.get(sys.platform, sys.platform)
    return Hardware(min(os.cpu_count() or 1, 255), f"{arch}-{system}", _memory_kb())
