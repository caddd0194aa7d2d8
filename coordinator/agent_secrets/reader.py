"""The daemon's view of the secrets file: read at start (a wrong key or a
damaged file stops the start, one line), then read again whenever the file
changes, so `python -m coordinator secrets set` takes effect without a restart.
A change that cannot be read is logged once (never a value) and the last good
secrets stay in force: a bad edit does not take the agents' secrets away.

Reads run in a worker thread (`trio.to_thread`): the file is small, but the
Trio loop never waits on a disk.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from pathlib import Path

import trio

from coordinator.agent_secrets.key import SecretsError, find_key
from coordinator.agent_secrets.settings import SecretsSettings
from coordinator.agent_secrets.store import (
    Scope,
    Secret,
    Secrets,
    SecretsFile,
    for_container,
    retrieve,
)

__all__ = ["AgentSecrets"]

log = logging.getLogger("coordinator.secrets")

_Stamp = tuple[int, int, int, int]  # inode, size, mtime ns, ctime ns


class AgentSecrets:
    """What agents may be given: RetrieveSecret's answers, the containers' SECRET_*."""

    def __init__(self, file: SecretsFile | None) -> None:
        self.file = file  # None: no key, no file: no secrets, and no error
        self._secrets: Secrets = {}
        self._stamp: _Stamp | None = None
        self._told: _Stamp | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, settings: SecretsSettings, state_dir: Path,
             env: Mapping[str, str] | None = None) -> AgentSecrets:
        """The store as configured, read once. Raises `SecretsError` when a file
        exists without a key, or the key does not open it."""
        path = settings.path(state_dir)
        key = find_key(settings.key_file, env)
        if key is None:
            if path.exists():
                raise SecretsError(f"the secrets file {path} exists but no key is given "
                                   f"(secrets.key_file, the systemd credential "
                                   f"coordinator-secrets-key, or env COORDINATOR_SECRETS_KEY)")
            return cls(None)
        secrets = cls(SecretsFile(path, key))
        secrets.reload(strict=True)
        return secrets

    @property
    def count(self) -> int:
        return len(self._secrets)

    def reload(self, *, strict: bool = False) -> Secrets:
        """The secrets as the file has them now (read again only when it changed)."""
        if self.file is None:
            return self._secrets
        with self._lock:
            try:
                st = os.stat(self.file.path)
                stamp: _Stamp | None = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            except FileNotFoundError:
                stamp = None
            if stamp == self._stamp and not strict:
                return self._secrets
            try:
                self._secrets = self.file.read()
            except SecretsError as exc:
                if strict:
                    raise
                if stamp != self._told:
                    log.warning("%s; the secrets read before stay in force", exc)
                    self._told = stamp
                return self._secrets
            if self._stamp is not None or stamp is not None:
                log.info("secrets file %s read: %d secrets", self.file.path, len(self._secrets))
            self._stamp = stamp
            return self._secrets

    async def retrieve(self, scope: Scope, name: str) -> Secret | None:
        secrets = await trio.to_thread.run_sync(self.reload)
        return retrieve(secrets, scope, name)

    async def for_container(self, scope: Scope) -> dict[str, str]:
        if self.file is None:
            return {}
        secrets = await trio.to_thread.run_sync(self.reload)
        return for_container(secrets, scope)
