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


def _check_service_url(value: str) -> str:
    return value and _check_rpc_url(value)


class SuiSettings(Section):
    """`[sui]`: the fullnode, the coordination package, the coordinator's key."""

    rpc_url: Annotated[str, AfterValidator(_check_rpc_url)] = "https://fullnode.testnet.sui.io:443"
    """`http://host:port` (plaintext), `https://host:port` (TLS, ALPN h2, system trust store)
    or `unix:/path`. Upstream's `SUI_RPC_URL_<CHAIN>` (e.g. `SUI_RPC_URL_TESTNET`) names it
    for the network `sui.chain` names, below `SUI_RPC_URL` and `--rpc-url`."""
    package_id: ObjectId
    """The coordination package's original id (its first version: types and events keep it
    across upgrades); `0x` + 1..64 hex, normalised to 64. `SILVANA_REGISTRY_PACKAGE`
    is the name today's upstream coordinator reads it from (`start --package-id`); empty is
    unset; both names set to different packages is refused."""
    latest_package_id: ObjectId | None = None
    """Pins where Move calls go (a later version of the package); none = the latest version,
    learned from the node (`MovePackageService/ListPackageVersions`) and followed while
    running (docs/package-upgrades.md). `sui.package_id` stays the original id either way."""
    package_check_secs: float = Field(default=60.0, gt=0, le=86400)
    """How often the latest version of the package is asked for (and after a failed dry run)."""
    modules: list[str] = Field(default_factory=lambda: ["agent", "jobs"], min_length=1)
    """Move modules whose events are watched; env and flag set the list to one module."""
    registry_id: ObjectId | None = None
    """The `SilvanaRegistry` shared object (upstream's `SILVANA_REGISTRY`; empty is unset):
    agent methods missing from the cache are looked up on chain (a first start on a live
    chain begins at the tip, after the methods were registered, so the stream alone never
    shows them), and at start the pending jobs of known app instances are read back from
    their objects. Without it, a job of a method this daemon has not seen waits, and the log
    (once per method) and the status (`WaitingKey.hint`) say so and how to fix it."""
    config_service: Annotated[str, AfterValidator(_check_service_url)] = ""
    """Silvana's RPC service (written as `sui.rpc_url` is), asked once at start for the
    network's registry while `sui.registry_id` is empty (upstream's `SILVANA_RPC_SERVER`);
    `""`: never."""
    stream: Literal["auto", "events", "checkpoints"] = "auto"
    """`events` (SubscribeEvents), `checkpoints` (SubscribeCheckpoints), `auto` (events,
    falling back to checkpoints)."""
    # Which version of the package's event and object layouts to decode
    # (coordinator.events.layouts); auto settles it from the first job event.
    layout: Literal["auto", "2025-08", "2025-11"] = "auto"
    """Which version of the package's events and objects to decode: `2025-11` (every testnet
    publication since 2025-09-02), `2025-08` (the Rust coordinator's README), or `auto`:
    settled by the first job event that decodes whole under exactly one layout, logged,
    shown in the status (`PackageStatus.layout`, `configured` or `auto`; the live view's and
    summary line's `layout`) and remembered in the state (a new chain settles again)."""
    chain_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{8}$")
    """The chain the package lives on, as `Move.lock` and `sui client` name it (8 hex digits,
    e.g. `4c78adac` for testnet): a node reporting another chain is refused with one line
    and exit status 2."""
    idle_timeout_secs: float = Field(default=30.0, gt=0, le=3600)
    """Reconnect when the stream is silent this long."""
    rpc_timeout_secs: float = Field(default=30.0, gt=0, le=600)
    """Deadline of each unary call and of connecting."""
    start_checkpoint: int | None = Field(default=None, ge=0, le=U64_MAX)
    """Where a first start (no stored cursor) begins; none = the chain tip; above the node's
    tip it is clamped to the tip, with a warning."""
    key_file: Path | None = None
    """A file holding the coordinator's Sui key as `suiprivkey1…` text (`python -m coordinator
    keygen --out FILE` makes one); must be mode 0600 (readable by its owner only), else the
    daemon refuses to start."""
    secret_key: SecretStr | None = None
    """The key as `sui keytool export` prints it (`suiprivkey1…`, Ed25519); env only, never in
    a file of settings; not together with `sui.key_file`; never logged or shown."""
    key_credential: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$")
    """The name of a credential the service manager hands over: the key is read from
    `$CREDENTIALS_DIRECTORY/<name>` (systemd's `LoadCredential=<name>:/path`; mode 0400 there),
    so it is never in the unit, the environment or this file (docs/deployment.md). Not
    together with `sui.key_file` or `SUI_SECRET_KEY`."""
    address: ObjectId | None = None
    """When set, the key's address (BLAKE2b-256 of 0x00 ‖ public key) must be this one."""
    gas_budget: int | None = Field(default=None, gt=0, le=50_000_000_000)
    """Cap of a transaction's gas budget in MIST (1 .. 50 000 000 000); none: the simulated gas
    plus a margin."""
    # The network's name, given to agents as CHAIN (upstream's values).
    chain: Literal["devnet", "testnet", "mainnet", "localnet"] = "testnet"
    """`devnet`, `testnet`, `mainnet` or `localnet` (any case in env): the network's name,
    given to agents as `CHAIN`. Without a config file, `--chain` (or `SUI_CHAIN`) starts on
    that network's shipped config. Testnet's and mainnet's `sui.chain_id` are known: a
    contradicting pair is refused at start."""

    @field_validator(
        "latest_package_id", "registry_id", "chain_id", "key_file", "secret_key",
        "key_credential", "address", mode="before",
    )
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

