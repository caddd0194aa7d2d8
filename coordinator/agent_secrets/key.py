"""The key of the secrets file: 32 random bytes, written as base64, that the
operator provides and the coordinator never stores.

Where it is looked for, first found wins:

1. `secrets.key_file`: a file (it should be mode 0600);
2. `$CREDENTIALS_DIRECTORY/coordinator-secrets-key`: a systemd credential
   (`LoadCredential=` or `LoadCredentialEncrypted=` in the unit);
3. env `COORDINATOR_SECRETS_KEY`: e.g. the enclave image's environment, given
   by the host at start as SUI_SECRET_KEY is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CREDENTIAL_NAME", "KEY_ENV", "SecretsError", "SecretsKey", "find_key"]

KEY_ENV = "COORDINATOR_SECRETS_KEY"
CREDENTIAL_NAME = "coordinator-secrets-key"
KEY_BYTES = 32
MAX_KEY_FILE_BYTES = 1024


class SecretsError(Exception):
    """The secrets key or file cannot be used; one line for the operator that
    never holds a secret."""


@dataclass(frozen=True)
class SecretsKey:
    """An AES-256 key and where it came from (for messages)."""

    raw: bytes = field(repr=False)
    origin: str

    @classmethod
    def generate(cls) -> SecretsKey:
        return cls(secrets.token_bytes(KEY_BYTES), "new")

    @classmethod
    def parse(cls, text: str, origin: str) -> SecretsKey:
        try:
            raw = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise SecretsError(f"{origin}: the secrets key must be base64 "
                            f"(`python -m coordinator secrets keygen` makes one)") from None
        if len(raw) != KEY_BYTES:
            raise SecretsError(f"{origin}: the secrets key must be {KEY_BYTES} bytes, "
                            f"not {len(raw)}")
        return cls(raw, origin)

    def export(self) -> str:
        return base64.b64encode(self.raw).decode()

    @property
    def key_id(self) -> str:
        """A short name of the key, kept in the file, so a wrong key is told apart
        from a damaged file. It tells nothing of the key."""
        return hashlib.sha256(b"silvana-secrets-key-id\0" + self.raw).hexdigest()[:16]


def _read_file(path: Path, origin: str) -> SecretsKey:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise SecretsError(f"{origin}: cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_KEY_FILE_BYTES:
        raise SecretsError(f"{origin}: {path} is too long for a secrets key")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise SecretsError(f"{origin}: {path} is not a base64 secrets key") from None
    return SecretsKey.parse(text, origin)


def find_key(key_file: Path | None, env: Mapping[str, str] | None = None) -> SecretsKey | None:
    """The operator's key, or None when none is provided anywhere."""
    env = os.environ if env is None else env
    if key_file is not None:
        return _read_file(key_file, "secrets.key_file")
    credentials = env.get("CREDENTIALS_DIRECTORY")
    if credentials:
        path = Path(credentials) / CREDENTIAL_NAME
        if path.exists():
            return _read_file(path, f"systemd credential {CREDENTIAL_NAME}")
    text = env.get(KEY_ENV)
    if text:
        return SecretsKey.parse(text, f"env {KEY_ENV}")
    return None
