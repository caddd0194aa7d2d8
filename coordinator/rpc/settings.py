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
    """`[rpc]`: the agent API (upstream's CoordinatorService) on Unix sockets and TCP."""

    socket_path: Path = Field(
        default_factory=lambda: instance_paths(DEFAULT_INSTANCE, os.environ).socket_path,
        description="The operator's Unix socket (`status`, grpcurl; at most 107 bytes), never "
        "mounted into agent containers; a stale socket is replaced, a file, directory or "
        "symlink there is refused. Relative: beside the config file.",
        json_schema_extra={"shown_default": "per instance: /run/coordinator/INSTANCE/"
                           "coordinator.sock as root, $RUNTIME_DIRECTORY/INSTANCE/... under "
                           "systemd, else $XDG_RUNTIME_DIR/coordinator/INSTANCE/... (without "
                           "it: in the state directory)"},
    )
    agent_socket_dir: Path | None = None
    """Each agent container's own socket is made in a directory of its own in here
    (docs/trust-model.md); any length (bound through the directory's descriptor); unset:
    `rpc.socket_path` with `.agents` appended."""
    socket_mode: int = Field(default=0o600, json_schema_extra={"toml": 'string, "0000" .. "0777"',
                                                                "shown_default": '"0600"'})
    """Permissions of the socket, octal digits in a string (`"0660"`); a bare number is
    refused."""
    socket_group: str | None = None
    """Group of the socket (name or numeric gid), e.g. to let a group's processes connect with
    mode `"0660"`."""
    max_concurrent_requests: int = Field(default=64, ge=1, le=4096)
    """Agent API calls served at once, socket and TCP together (1 .. 4096); more wait in line."""
    # What a client can hold (coordinator.grpc.ServerLimits, built in coordinator.rpc.server).
    max_connections: int = Field(default=64, ge=1, le=4096)
    """Connections open at once over all the daemon's sockets (1 .. 4096); one more is closed
    on accept."""
    max_connections_per_agent: int = Field(default=4, ge=1, le=256)
    """Connections open at once on one agent container's socket (1 .. 256)."""
    # On TCP: connections that have not yet named a live session, at once; a
    # newer one takes the place of the oldest (coordinator.grpc.admission).
    max_pending_connections: int = Field(default=16, ge=1, le=4096)
    """On TCP: connections that have not yet named a live session, at once (1 .. 4096); a newer
    one takes the place of the oldest (docs/agent-api.md, On TCP)."""
    max_streams_per_connection: int = Field(default=16, ge=1, le=1024)
    """Concurrent calls (HTTP/2 streams) a connection may open (1 .. 1024)."""
    max_message_bytes: int = Field(default=4 << 20, ge=4 << 20, le=64 << 20)
    """Largest request message; a larger one is answered RESOURCE_EXHAUSTED as soon as its
    length prefix arrives (4 MiB .. 64 MiB). A connection may leave at most twice this
    unconsumed, over all its calls."""
    handshake_timeout_secs: float = Field(default=10.0, gt=0, le=300)
    """A connection whose first call has not arrived by then is closed (on TCP: that has not
    named a live session)."""
    idle_timeout_secs: float = Field(default=60.0, gt=0, le=24 * 3600)
    """A connection that sends nothing this long is closed, with a GOAWAY (clients reconnect)."""

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
    """Where the agent API is also served on TCP (agents reach it as
    `host.docker.internal:<port>`, upstream's default). `auto:PORT` binds where agent
    containers reach the host and nothing else does, decided at start (docs/agent-api.md, On
    TCP): the Docker bridge's gateway address, or `127.0.0.1` with host networking and in
    TEE mode; it stops the start with one line when the engine cannot say. `IP:PORT` binds
    there (`0.0.0.0:50051` only if you write it); `""` turns TCP off; a name or port 0 is
    refused (agents are told the port). Calls need a running container's session
    (docs/agent-api.md, On TCP)."""

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

