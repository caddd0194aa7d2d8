"""Where one coordinator instance keeps its files, so two never share them.

An instance is named by its config: `state.instance` when set, otherwise the
config file's name without `.toml` (`testnet.toml` -> `testnet`), `default`
without a file. Unless the config says otherwise, its socket goes in a
runtime directory and its state in a state directory, each with the
instance's name:

- under systemd (`RuntimeDirectory=`, `StateDirectory=`): `$RUNTIME_DIRECTORY`
  and `$STATE_DIRECTORY`;
- as root: `/run/coordinator` and `/var/lib/coordinator`;
- otherwise the XDG directories: `$XDG_RUNTIME_DIR/coordinator` (without it,
  the socket stays beside the state) and `$XDG_STATE_HOME/coordinator`
  (`~/.local/state/coordinator`).

A relative path in a config file means a path beside that file, never one
under wherever the daemon was started.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["INSTANCE_RE", "InstancePaths", "instance_name", "instance_paths"]

# A name that is one path component on every file system, and short: it is in
# the socket's path (at most 107 bytes).
INSTANCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT_INSTANCE = "default"
SOCKET_NAME = "coordinator.sock"


@dataclass(frozen=True)
class InstancePaths:
    """An instance's default socket and state directory."""

    socket_path: Path
    state_dir: Path


def instance_name(config_path: Path | None, given: object) -> str:
    """`state.instance` when given (checked by the settings model), else the
    config file's stem when it is a valid name, else `default`."""
    if isinstance(given, str) and given:
        return given
    if config_path is not None and INSTANCE_RE.match(config_path.stem):
        return config_path.stem
    return DEFAULT_INSTANCE


def _first(value: str | None) -> Path | None:
    """systemd lists several directories separated by colons: the first is ours."""
    if not value:
        return None
    path = Path(value.split(":")[0])
    return path if path.is_absolute() else None


def _xdg(env: Mapping[str, str], name: str) -> Path | None:
    # The XDG spec: a relative value is invalid and must be ignored.
    value = env.get(name)
    return Path(value) if value and Path(value).is_absolute() else None


def instance_paths(instance: str, env: Mapping[str, str], uid: int | None = None) -> InstancePaths:
    """The default places of `instance`'s socket and state, for this user."""
    uid = os.geteuid() if uid is None else uid
    state_base = _first(env.get("STATE_DIRECTORY"))
    runtime_base = _first(env.get("RUNTIME_DIRECTORY"))
    if uid == 0:
        state_base = state_base or Path("/var/lib/coordinator")
        runtime_base = runtime_base or Path("/run/coordinator")
    else:
        home = Path(env.get("HOME") or Path.home())
        state_home = _xdg(env, "XDG_STATE_HOME") or home / ".local" / "state"
        state_base = state_base or state_home / "coordinator"
        runtime_dir = _xdg(env, "XDG_RUNTIME_DIR")
        runtime_base = runtime_base or (None if runtime_dir is None
                                        else runtime_dir / "coordinator")
    state_dir = state_base / instance
    socket_dir = state_dir if runtime_base is None else runtime_base / instance
    return InstancePaths(socket_path=socket_dir / SOCKET_NAME, state_dir=state_dir)
