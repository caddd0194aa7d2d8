"""The `[rpc]` section: the operator's socket, the agents' sockets and TCP, and
what one client may hold."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import (
    Field,
    field_validator,
)

from coordinator.hostport import listen_host_port, listen_ip
from coordinator.instance_paths import DEFAULT_INSTANCE, instance_paths
from coordinator.section import Section

__all__ = ["AUTO", "RpcSettings"]

# `rpc.listen`'s host that means "where agent containers reach the host".
AUTO = "auto"


class RpcSettings(Section):
    socket_path: Path = Field(
        default_factory=lambda: instance_paths(DEFAULT_INSTANCE, os.environ).socket_path,
        description="The operator's socket (status, grpcurl), never mounted into agent "
        "containers. Relative: beside the config file.",
        json_schema_extra={"shown_default": "per instance: /run/coordinator/INSTANCE/"
                           "coordinator.sock as root, $RUNTIME_DIRECTORY/INSTANCE/... under "
                           "systemd, else $XDG_RUNTIME_DIR/coordinator/INSTANCE/... (without "
                           "it: in the state directory)"},
    )
    # Each agent container's socket directory is made in here; None: socket_path
    # with ".agents" appended.
    agent_socket_dir: Path | None = None
    # Permissions of the socket file: a string of octal digits in the file ("0600",
    # "660"), an int here. A bare TOML integer is refused: 600 and 0o600 differ.
    socket_mode: int = 0o600
    # Group of the socket file (a name or a numeric gid); None keeps the default.
    socket_group: str | None = None
    # Socket calls served at once; more wait for a free slot.
    max_concurrent_requests: int = Field(default=64, ge=1, le=4096)
    # What a client can hold (coordinator.grpc.ServerLimits, built in coordinator.rpc.server).
    max_connections: int = Field(default=64, ge=1, le=4096)
    max_connections_per_agent: int = Field(default=4, ge=1, le=256)
    # On TCP: connections that have not yet named a live session, at once; a
    # newer one takes the place of the oldest (coordinator.grpc.admission).
    max_pending_connections: int = Field(default=16, ge=1, le=4096)
    max_streams_per_connection: int = Field(default=16, ge=1, le=1024)
    max_message_bytes: int = Field(default=4 << 20, ge=4 << 20, le=64 << 20)
    handshake_timeout_secs: float = Field(default=10.0, gt=0, le=300)
    idle_timeout_secs: float = Field(default=60.0, gt=0, le=24 * 3600)

    @field_validator("agent_socket_dir")
    @classmethod
    def _check_agent_socket_dir(cls, value: Path | None) -> Path | None:
        if value is not None and (not value.is_absolute() or "\0" in str(value)):
            raise ValueError("must be an absolute path")
        return value

    @property
    def agent_dir(self) -> Path:
        """Where agent containers' socket directories are made."""
        return self.agent_socket_dir or self.socket_path.with_name(self.socket_path.name
                                                                   + ".agents")
    # The agent API on TCP (upstream's agents dial host.docker.internal:50051):
    # "auto:PORT" binds where agent containers reach the host and nothing else
    # does, resolved at start (`coordinator.rpc.reach`); "IP:PORT" binds there
    # (0.0.0.0 only when written so); empty: the Unix sockets only.
    listen: str = f"{AUTO}:50051"

    @field_validator("listen")
    @classmethod
    def _check_rpc_listen(cls, value: str) -> str:
        if value == "":
            return value
        if value.startswith(f"{AUTO}:"):
            port = value.removeprefix(f"{AUTO}:")
            if not port.isdigit() or int(port) > 65535:
                raise ValueError(f"must be {AUTO}:PORT, IP:PORT or empty, e.g. {AUTO}:50051")
            port_number = int(port)
        else:
            _, port_number = listen_ip(value, f"{AUTO}:50051 or 127.0.0.1:50051")
        if port_number == 0:
            # Agents are told the port (COORDINATOR_URL) before anything binds it.
            raise ValueError("must name a port (1 .. 65535): agents are told it")
        return value

    @property
    def listen_auto(self) -> bool:
        """Whether the address is still to be resolved (`coordinator.rpc.reach`)."""
        return self.listen.startswith(f"{AUTO}:")

    @property
    def listen_port(self) -> int | None:
        """The TCP port agents are told; None when TCP is off."""
        return None if not self.listen else int(self.listen.rpartition(":")[2])

    @property
    def listen_address(self) -> tuple[str, int] | None:
        """(IP, port) to bind; None when off. `auto:PORT` must be resolved first."""
        if self.listen_auto:
            raise ValueError(f"rpc.listen {self.listen!r} is not resolved yet")
        return None if not self.listen else listen_host_port(self.listen)

    @field_validator("socket_path", mode="before")
    @classmethod
    def _socket_path_given(cls, value: object) -> object:
        # Path("") is ".", which would pass for a path below.
        if value == "":
            raise ValueError("must be a path of 1 to 107 bytes, not empty")
        return value

    @field_validator("socket_path")
    @classmethod
    def _check_rpc_socket_path(cls, value: Path) -> Path:
        # A Unix socket path (sun_path) holds 108 bytes with the final NUL.
        raw = os.fsencode(value)
        if not raw or len(raw) > 107 or b"\0" in raw:
            raise ValueError("must be a path of 1 to 107 bytes")
        return value

    @field_validator("socket_mode", mode="before")
    @classmethod
    def _parse_socket_mode(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError('must be a string of octal digits, e.g. "0600" (quote it)')
        if isinstance(value, str):
            digits = value.removeprefix("0o")
            if not re.fullmatch(r"[0-7]{1,4}", digits) or int(digits, 8) > 0o777:
                raise ValueError('must be octal permissions from "0000" to "0777", e.g. "0600"')
            return int(digits, 8)
        return value

    @field_validator("socket_group", mode="before")
    @classmethod
    def _check_socket_group(cls, value: object) -> object:
        if value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return str(value)
        if isinstance(value, str) and not re.fullmatch(
            r"[0-9]{1,10}|[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?", value
        ):
            raise ValueError("must be a group name or a numeric gid")
        return value

