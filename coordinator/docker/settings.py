"""The `[docker]` section: how agent containers are pulled, run and bounded."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    field_validator,
)

from coordinator.agent_env import CONTRACT_ENV
from coordinator.section import Section

__all__ = ["DockerSettings"]


# Where an agent's socket directory must not be mounted: over the image's own.
_SYSTEM_DIRS = frozenset({"/", "/tmp", "/run", "/var", "/etc", "/usr", "/bin", "/sbin", "/lib",
                          "/home", "/root", "/dev", "/proc", "/sys", "/opt", "/srv", "/mnt"})


class DockerSettings(Section):
    """`[docker]`: how agent containers are pulled, run and bounded."""

    use_tee: bool = False
    """TEE mode: host networking, polling `inspect`."""
    container_timeout_secs: int = Field(default=300, gt=0, le=7 * 24 * 3600)
    """An agent container is stopped after this."""
    max_concurrent: int = Field(default=4, ge=1, le=1024)
    """Agent containers running at once."""
    pull_policy: Literal["always", "if-not-present", "never"] = "if-not-present"
    """`always`, `if-not-present` or `never`."""
    tee_poll_interval_secs: float = Field(default=5.0, gt=0, le=600)
    """TEE mode: seconds between `inspect` polls."""
    require_digest: bool | None = None
    """Refuse an agent method without `docker_sha256`; unset: on in TEE mode, off otherwise."""
    pull_timeout_secs: float = Field(default=1800.0, gt=0, le=24 * 3600)
    """A pull or tar load must finish within this."""
    prepull: bool = True
    """Pull an agent method's image when the chain announces the method (and, at start, the
    images of the methods the pending jobs need), so its first job does not wait for the
    pull; off: each image is pulled with its first job only."""
    prepull_concurrency: int = Field(default=2, ge=1, le=16)
    """Pre-pulls at once."""
    prepull_queue: int = Field(default=64, ge=1, le=4096)
    """Images waiting for a pre-pull; an image announced while it is full is pulled with its
    first job instead."""
    prepull_max_images: int = Field(default=32, ge=1, le=1024)
    """Images pre-pulled per run at most (a bound on the disk a flood of announced methods
    can fill); past it, images are pulled with their first job."""
    prepull_timeout_secs: float = Field(default=600.0, gt=0, le=24 * 3600)
    """A pre-pull must finish within this (and within `pull_timeout_secs`)."""
    stop_grace_secs: int = Field(default=10, ge=0, le=3600)
    """SIGTERM, then this long, then SIGKILL (timeout, cancellation, reaping)."""
    pids_limit: int = Field(default=512, ge=16, le=4_194_304)
    """Processes per agent container (16 .. 4194304)."""
    cap_add: list[str] = Field(default_factory=list, max_length=64)
    """Capabilities given back (e.g. `["NET_ADMIN"]`); all others are dropped; `ALL` is
    refused."""
    log_limit_bytes: int = Field(default=1 << 20, ge=4096, le=256 << 20)
    """Output kept per container (the tail; the rest is counted as dropped)."""
    network_mode: str = "bridge"
    """Standard mode: `bridge`, `none`, `host` or a Docker network name (TEE mode: always
    `host`)."""
    container_socket_path: str = "/run/silvana/coordinator.sock"
    """The container's own socket as it sees it (`COORDINATOR_SOCKET`); its directory is where
    the session's socket directory is mounted, so it must be a directory of its own (not
    `/`, `/tmp`, `/run`, ...)."""
    host_agent_socket_dir: Path | None = None
    """The path of `rpc.agent_socket_dir` on the Docker engine's host: where the agent
    containers' socket directories are mounted from; set it when the coordinator itself runs
    in a container whose socket directory is a host directory mounted at another path
    (docs/enclave-image.md); unset: `rpc.agent_socket_dir` itself."""
    agent_env: dict[str, str] = Field(default_factory=dict, max_length=64)
    """Extra environment for every agent container (a TOML table of strings; the contract's own
    names are refused; values are never logged)."""

    @property
    def digest_required(self) -> bool:
        """Whether an agent method without `docker_sha256` is refused."""
        return self.use_tee if self.require_digest is None else self.require_digest

    @field_validator("cap_add")
    @classmethod
    def _check_caps(cls, value: list[str]) -> list[str]:
        # capabilities(7); "ALL" is left out on purpose: that is privileged mode.
        known = (
            "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP "
            "LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK "
            "IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT "
            "SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL "
            "SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON "
            "BPF CHECKPOINT_RESTORE"
        ).split()
        caps = []
        for name in value:
            cap = name.upper().removeprefix("CAP_")
            if cap not in known:
                raise ValueError(f"{name!r} is not a Linux capability name (e.g. NET_ADMIN)")
            caps.append(cap)
        return caps

    @field_validator("agent_env")
    @classmethod
    def _check_agent_env(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,127}", name):
                raise ValueError(f"{name!r} is not an environment variable name")
            if name in CONTRACT_ENV:
                raise ValueError(f"{name} is set by the coordinator for every job")
            if len(text) > 4096 or "\0" in text:
                raise ValueError(f"the value of {name} must be at most 4096 characters, no NUL")
        return value

    @field_validator("network_mode")
    @classmethod
    def _check_network_mode(cls, value: str) -> str:
        # bridge, host, none, or the name of a user-defined Docker network.
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", value):
            raise ValueError("must be bridge, host, none or a Docker network name")
        return value

    @field_validator("host_agent_socket_dir", mode="before")
    @classmethod
    def _check_host_agent_socket_dir(cls, value: object) -> object:
        if value == "":
            return None
        if isinstance(value, str) and (not value.startswith("/") or "\0" in value):
            raise ValueError("must be an absolute path")
        return value

    @field_validator("container_socket_path")
    @classmethod
    def _check_socket_path(cls, value: str) -> str:
        # 107: a Unix socket path (sun_path) holds 108 bytes with the final NUL.
        if not value.startswith("/") or len(value) > 107 or "\0" in value:
            raise ValueError("must be an absolute path of at most 107 characters")
        # Its directory is mounted over whatever the image has there.
        if os.path.dirname(os.path.normpath(value)) in _SYSTEM_DIRS:
            raise ValueError("must be in a directory of its own (e.g. /run/silvana/coordinator."
                             "sock): its directory is mounted over the image's")
        return value

