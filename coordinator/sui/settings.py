"""The `[sui]` section: the fullnode, the coordination package, the key.

Ids are spelled as the events spell them (`normalize_address`), so config and
chain ids compare equal."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    field_validator,
)

from coordinator.events.bcs import U64_MAX
from coordinator.events.models import normalize_address
from coordinator.section import Section

__all__ = ["ObjectId", "SuiSettings"]


def _object_id(value: str) -> str:
    """Sui ids are 32 bytes; `0x2` and `0x000...02` are the same id. The
    spelling rule is the events' own, so config and chain ids compare equal."""
    try:
        return normalize_address(value)
    except ValueError:
        raise ValueError("must be 0x followed by 1 to 64 hex digits") from None


ObjectId = Annotated[str, AfterValidator(_object_id)]


_MODULE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,127}$")


def _check_rpc_url(value: str) -> str:
    if value.startswith("unix:"):
        if len(value) <= len("unix:"):
            raise ValueError("unix: needs a socket path, e.g. unix:/run/sui.sock")
        return value
    match = re.match(r"^(http|https)://([^/:\s]+|\[[0-9a-fA-F:]+\])(?::(\d{1,5}))?/?$", value)
    if not match or (match.group(3) and not 0 < int(match.group(3)) < 65536):
        raise ValueError("must be http://host:port, https://host:port or unix:/path")
    return value


class SuiSettings(Section):
    rpc_url: Annotated[str, AfterValidator(_check_rpc_url)] = "https://fullnode.testnet.sui.io:443"
    package_id: ObjectId
    modules: list[str] = Field(default_factory=lambda: ["agent", "jobs"], min_length=1)
    registry_id: ObjectId | None = None
    stream: Literal["auto", "events", "checkpoints"] = "auto"
    # Which version of the package's event and object layouts to decode
    # (coordinator.events.layouts); auto settles it from the first job event.
    layout: Literal["auto", "2025-08", "2025-11"] = "auto"
    # When set, a node reporting another chain id is refused at connect.
    chain_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{8}$")
    idle_timeout_secs: float = Field(default=30.0, gt=0, le=3600)
    rpc_timeout_secs: float = Field(default=30.0, gt=0, le=600)
    # None: a first start (no stored cursor) begins at the chain tip.
    start_checkpoint: int | None = Field(default=None, ge=0, le=U64_MAX)
    # The coordinator's key: a file holding `suiprivkey1...` (mode 0600), or
    # SUI_SECRET_KEY (env only: a secret has no place in a config file).
    key_file: Path | None = None
    secret_key: SecretStr | None = None
    # Or the name of a credential the service manager hands over (systemd's
    # LoadCredential=NAME:..., read from $CREDENTIALS_DIRECTORY/NAME; the
    # enclave's entrypoint hands the host's key over the same way).
    key_credential: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$")
    # SUI_ADDRESS: when set, the key's address must be this one.
    address: ObjectId | None = None
    # Cap of a transaction's gas budget in MIST (Sui's own maximum is 50 SUI);
    # None: the simulated gas with a margin, up to that maximum.
    gas_budget: int | None = Field(default=None, gt=0, le=50_000_000_000)
    # The network's name, given to agents as CHAIN (upstream's values).
    chain: Literal["devnet", "testnet", "mainnet", "localnet"] = "testnet"

    @field_validator("registry_id", "chain_id", "key_file", "secret_key", "key_credential",
                     "address", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("modules")
    @classmethod
    def _check_modules(cls, value: list[str]) -> list[str]:
        for module in value:
            if not _MODULE_RE.match(module):
                raise ValueError(f"{module!r} is not a Move module name")
        return value

