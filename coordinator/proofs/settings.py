"""The `[proofs]` section of the coordinator's settings: where proofs and states go.

Only pydantic here (like `coordinator.simnet.settings`): `coordinator.config`
can read the section without importing the S3 client. Credentials are not
settings: they come from the environment or a file at open time
(`S3Settings.credentials`), so no dump of the settings can show them.
"""

from __future__ import annotations

import configparser
import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coordinator.proofs.descriptor import BUCKET_RE

MIB = 1 << 20
ACCESS_KEY_ENV = "AWS_ACCESS_KEY_ID"
SECRET_KEY_ENV = "AWS_SECRET_ACCESS_KEY"


class ProofStoreConfigError(Exception):
    """A problem with the `[proofs]` settings or credentials, as one line."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class S3Settings(_Section):
    """`[proofs.s3]`: an S3-compatible bucket shared by the app's coordinators."""

    bucket: str
    """The shared bucket (3-63 of a-z, 0-9, '.', '-'); required with `proofs.backend = "s3"`."""
    region: str = "us-east-1"
    """The bucket's region."""
    endpoint: str | None = None
    """https://host[:port] of an S3-compatible server; unset: AWS's own for `region`."""
    credentials_file: Path | None = None
    """An AWS shared-credentials file (INI, `aws_access_key_id` and `aws_secret_access_key`
    under `[credentials_profile]`); unset: the environment's AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY. Credentials never come from the settings themselves."""
    credentials_profile: str = "default"
    """The section of `credentials_file` to read."""
    connect_timeout_secs: float = Field(default=5.0, gt=0, le=120)
    """Deadline of connecting to the S3 server."""
    request_timeout_secs: float = Field(default=60.0, gt=0, le=3600)
    """Deadline of one S3 request."""

    @field_validator("bucket")
    @classmethod
    def _check_bucket(cls, value: str) -> str:
        if not BUCKET_RE.fullmatch(value) or ".." in value:
            raise ValueError("must be an S3 bucket name: 3-63 of a-z, 0-9, '.', '-'")
        return value

    @field_validator("endpoint")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
            raise ValueError("must be https://host[:port] (no path)")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ValueError("plain http is allowed only to a loopback address; use https")
        return value.rstrip("/")

    def credentials(self, env: Mapping[str, str]) -> tuple[str, str]:
        """(access key id, secret key) from the file or the environment."""
        if self.credentials_file is None:
            key_id, secret = env.get(ACCESS_KEY_ENV, ""), env.get(SECRET_KEY_ENV, "")
            if not key_id or not secret:
                raise ProofStoreConfigError(
                    f"proofs.s3: no credentials: set {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}, "
                    "or proofs.s3.credentials_file")
            return key_id, secret
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with open(self.credentials_file, encoding="utf-8") as file:
                parser.read_file(file)
        except (OSError, UnicodeDecodeError, configparser.Error) as exc:
            raise ProofStoreConfigError(
                f"proofs.s3.credentials_file: cannot read {self.credentials_file}: "
                f"{type(exc).__name__}") from None
        section = self.credentials_profile
        key_id = parser.get(section, "aws_access_key_id", fallback="")
        secret = parser.get(section, "aws_secret_access_key", fallback="")
        if not key_id or not secret:
            raise ProofStoreConfigError(
                f"proofs.s3.credentials_file: {self.credentials_file} has no aws_access_key_id "
                f"and aws_secret_access_key under [{section}]")
        return key_id, secret


class ProofStoreSettings(_Section):
    """`[proofs]`: the store behind SubmitProof, GetProof, SubmitState and kin."""

    backend: Literal["embedded", "s3"] = "embedded"
    """Where proofs and states are kept (`embedded`: content-addressed files under
    `proofs.dir`; `s3`: an S3-compatible bucket, `[proofs.s3]`); the store is built, its
    agent calls are not served yet (see docs/proof-store.md)."""
    dir: Path | None = None
    """The embedded store's directory; unset: `<state.dir>/proofs`. Relative: beside the
    config file."""
    max_object_bytes: int = Field(default=64 * MIB, ge=1, le=1024 * MIB)
    """Largest proof or state stored or read (checked before reading it whole)."""
    expiry_days: float = Field(default=7.0, ge=0, le=3650)
    """Objects not stored again for this long are purged unless still referenced; 0: never
    (for ever). Upstream's cache keeps 2 days (docs/proof-store.md)."""
    max_parallel: int = Field(default=4, ge=1, le=64)
    """Store calls in flight at once (worker threads; memory <= this x max_object_bytes)."""
    s3: S3Settings | None = None
    """The `[proofs.s3]` table: the bucket of `proofs.backend = "s3"`."""

    @field_validator("dir")
    @classmethod
    def _check_dir(cls, value: Path | None) -> Path | None:
        if value is not None and "\0" in str(value):
            raise ValueError("must be a path without NUL characters")
        return value

    @model_validator(mode="after")
    def _s3_needs_its_section(self) -> ProofStoreSettings:
        if self.backend == "s3" and self.s3 is None:
            raise ValueError("proofs.backend = \"s3\" needs a [proofs.s3] section with a bucket")
        return self

    def embedded_dir(self, state_dir: Path) -> Path:
        return self.dir if self.dir is not None else state_dir / "proofs"

    @property
    def expiry_secs(self) -> float | None:
        return self.expiry_days * 86400 if self.expiry_days > 0 else None
