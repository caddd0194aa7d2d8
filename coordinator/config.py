"""Settings: one pydantic model, layered defaults < TOML file < environment < CLI.

The TOML keys and the environment names are a contract with operators and with
the original (Rust) coordinator, so both are listed here once, as data. Any bad
value becomes a `ConfigError` whose message is one line naming the key, where
the value came from and what is allowed; `__main__` prints it and exits 2.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from coordinator.agent_env import CONTRACT_ENV
from coordinator.events.models import normalize_address
from coordinator.hostport import split_host_port
from coordinator.simnet.settings import SimnetSettings
from coordinator.sui.keys import SuiKey, SuiKeyError, load_key


class ConfigError(Exception):
    """A configuration problem, already phrased as one line for the operator."""


def _object_id(value: str) -> str:
    """Sui ids are 32 bytes; `0x2` and `0x000...02` are the same id. The
    spelling rule is the events' own, so config and chain ids compare equal."""
    try:
        return normalize_address(value)
    except ValueError:
        raise ValueError("must be 0x followed by 1 to 64 hex digits") from None


ObjectId = Annotated[str, AfterValidator(_object_id)]

# Where an agent's socket directory must not be mounted: over the image's own.
_SYSTEM_DIRS = frozenset({"/", "/tmp", "/run", "/var", "/etc", "/usr", "/bin", "/sbin", "/lib",
                          "/home", "/root", "/dev", "/proc", "/sys", "/opt", "/srv", "/mnt"})
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


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SuiSettings(_Section):
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
    start_checkpoint: int | None = Field(default=None, ge=0)
    # The coordinator's key: a file holding `suiprivkey1...` (mode 0600), or
    # SUI_SECRET_KEY (env only: a secret has no place in a config file).
    key_file: Path | None = None
    secret_key: SecretStr | None = None
    # SUI_ADDRESS: when set, the key's address must be this one.
    address: ObjectId | None = None
    # Cap of a transaction's gas budget in MIST (Sui's own maximum is 50 SUI);
    # None: the simulated gas with a margin, up to that maximum.
    gas_budget: int | None = Field(default=None, gt=0, le=50_000_000_000)
    # The network's name, given to agents as CHAIN (upstream's values).
    chain: Literal["devnet", "testnet", "mainnet", "localnet"] = "testnet"

    @field_validator("registry_id", "chain_id", "key_file", "secret_key", "address", mode="before")
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


class DockerSettings(_Section):
    use_tee: bool = False
    container_timeout_secs: int = Field(default=300, gt=0, le=7 * 24 * 3600)
    max_concurrent: int = Field(default=4, ge=1, le=1024)
    pull_policy: Literal["always", "if-not-present", "never"] = "if-not-present"
    tee_poll_interval_secs: float = Field(default=5.0, gt=0, le=600)
    # None: required in TEE mode only; see `digest_required`.
    require_digest: bool | None = None
    pull_timeout_secs: float = Field(default=1800.0, gt=0, le=24 * 3600)
    stop_grace_secs: int = Field(default=10, ge=0, le=3600)
    pids_limit: int = Field(default=512, ge=16, le=4_194_304)
    cap_add: list[str] = Field(default_factory=list, max_length=64)
    log_limit_bytes: int = Field(default=1 << 20, ge=4096, le=256 << 20)
    network_mode: str = "bridge"
    # COORDINATOR_SOCKET: the container's own socket; its directory is the mount.
    container_socket_path: str = "/run/silvana/coordinator.sock"
    # The path of rpc.agent_socket_dir on the Docker engine's host: where the
    # agent containers' socket directories are mounted from. None: that dir
    # itself. Set it when the coordinator runs in a container whose socket
    # directory is a host directory mounted at another path (README, Nitro Enclave).
    host_agent_socket_dir: Path | None = None
    # Extra environment for every agent container (values are never logged).
    agent_env: dict[str, str] = Field(default_factory=dict, max_length=64)

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


class RpcSettings(_Section):
    # The operator's socket (status, grpcurl): never mounted into agent containers.
    socket_path: Path = Path("/tmp/coordinator.sock")
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
    max_streams_per_connection: int = Field(default=16, ge=1, le=1024)
    max_message_bytes: int = Field(default=4 << 20, ge=4 << 20, le=64 << 20)
    handshake_timeout_secs: float = Field(default=10.0, gt=0, le=300)
    idle_timeout_secs: float = Field(default=300.0, gt=0, le=24 * 3600)

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
    # IP:port of the agent API on TCP (upstream's agents dial
    # host.docker.internal:50051); empty: the Unix socket only.
    listen: str = ""

    @field_validator("listen")
    @classmethod
    def _check_rpc_listen(cls, value: str) -> str:
        if value == "":
            return value
        host, port = _split_host_port(value)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ValueError("must be an IP address and port (e.g. 0.0.0.0:50051), "
                             "or empty for off") from None
        if port == 0:
            # Agents are told the port (COORDINATOR_URL) before anything binds it.
            raise ValueError("must name a port (1 .. 65535): agents are told it")
        return value

    @property
    def listen_address(self) -> tuple[str, int] | None:
        return None if not self.listen else _split_host_port(self.listen)

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


class JobsSettings(_Section):
    max_attempts: int = Field(default=3, ge=1, le=255)


class ReconcileSettings(_Section):
    """How often the job book is compared with the app instances' jobs on chain."""

    # 0 turns reconciliation off; else at least a second, at most a day.
    interval_secs: float = Field(default=300.0, ge=0, le=86400)

    @field_validator("interval_secs")
    @classmethod
    def _check_interval(cls, value: float) -> float:
        if 0 < value < 1:
            raise ValueError("must be 0 (off) or 1 .. 86400 seconds")
        return value

    # A job running on chain this long, under any coordinator's address, is
    # failed there (upstream's STUCK_JOB_TIMEOUT_SECS); never below
    # docker.container_timeout_secs (see `stale_after_secs`).
    stale_running_secs: int = Field(default=600, ge=1, le=7 * 24 * 3600)

    def stale_after_secs(self, docker: DockerSettings) -> int:
        """The stale limit in force: a live coordinator's container may run for
        the whole container timeout, so the limit is never below it."""
        return max(self.stale_running_secs, docker.container_timeout_secs)
class SettleSettings(_Section):
    """Batching of the job operations sent on chain (coordinator.settlement)."""

    # Operations of one app instance in one transaction (a multicall when > 1).
    batch_max: int = Field(default=50, ge=1, le=500)
    # How long the first due operation waits for others to join its batch.
    batch_ms: int = Field(default=200, ge=0, le=60_000)
    # The status warns when the key's address holds less than this (MIST).
    min_balance_mist: int = Field(default=1_000_000_000, ge=0)
    # How often the address's SUI balance is read.
    balance_interval_secs: float = Field(default=30.0, gt=0, le=3600)


class StateSettings(_Section):
    dir: Path = Path("state")

    @field_validator("dir")
    @classmethod
    def _check_dir(cls, value: Path) -> Path:
        # What the path points at is checked at start (coordinator.preflight).
        if "\0" in str(value):
            raise ValueError("must be a path without NUL characters")
        return value


class StatusSettings(_Section):
    mode: Literal["auto", "live", "plain", "off"] = "auto"


class LogSettings(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    # text: timestamped lines (a rich view on a TTY); json: one object a line, for log shippers.
    format: Literal["text", "json"] = "text"

    @field_validator("level", "format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


class MetricsSettings(_Section):
    """The HTTP endpoint of /metrics, /healthz and /readyz (see README, Monitoring)."""

    # host:port to serve on; empty: no endpoint. Port 0 picks a free one (tests).
    listen: str = "127.0.0.1:9464"

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        if value == "":
            return value
        host, _ = _split_host_port(value)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if host != "localhost":
                raise ValueError(
                    "must be an IP address and port (e.g. 127.0.0.1:9464), or empty for off"
                ) from None
        return value

    @property
    def listen_address(self) -> tuple[str, int] | None:
        return None if not self.listen else _split_host_port(self.listen)


_VSOCK_U32 = 0xFFFF_FFFF  # VMADDR_CID_ANY / VMADDR_PORT_ANY: not an address


def _split_host_port(value: str) -> tuple[str, int]:
    try:
        return split_host_port(value)
    except ValueError:
        raise ValueError("must be host:port, e.g. 127.0.0.1:443") from None


class EnclaveSettings(_Section):
    """TEE: the TCP-to-vsock forwarder to the parent's vsock-proxy (README, Nitro Enclave)."""

    # "CID:PORT" of the parent's vsock-proxy (CID 3 is the parent instance);
    # None: no forwarder.
    vsock_proxy: str | None = None
    # The local TCP address the forwarder serves; the fullnode's host name maps
    # to it (the entrypoint writes /etc/hosts), so sui.rpc_url keeps that name.
    listen: str = "127.0.0.1:443"
    max_connections: int = Field(default=64, ge=1, le=4096)
    connect_timeout_secs: float = Field(default=10.0, gt=0, le=600)
    # A connection with no bytes either way for this long is closed.
    idle_timeout_secs: float = Field(default=600.0, gt=0, le=24 * 3600)

    @field_validator("vsock_proxy", mode="before")
    @classmethod
    def _check_vsock_proxy(cls, value: object) -> object:
        if value == "":
            return None
        if isinstance(value, str):
            match = re.fullmatch(r"(\d{1,10}):(\d{1,10})", value)
            if not match or not all(0 < int(part) < _VSOCK_U32 for part in match.groups()):
                raise ValueError('must be "CID:PORT" (decimal, e.g. "3:8443")')
        return value

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        host, _ = _split_host_port(value)
        if not (host == "::1" or re.fullmatch(r"127\.\d{1,3}\.\d{1,3}\.\d{1,3}", host)):
            raise ValueError("must be a loopback address and port, e.g. 127.0.0.1:443")
        return value

    @property
    def vsock_address(self) -> tuple[int, int] | None:
        """(cid, port) of `vsock_proxy`, or None."""
        if self.vsock_proxy is None:
            return None
        cid, _, port = self.vsock_proxy.partition(":")
        return int(cid), int(port)

    @property
    def listen_address(self) -> tuple[str, int]:
        return _split_host_port(self.listen)


class Settings(_Section):
    sui: SuiSettings
    docker: DockerSettings = DockerSettings()
    rpc: RpcSettings = RpcSettings()
    jobs: JobsSettings = JobsSettings()
    reconcile: ReconcileSettings = ReconcileSettings()
    settle: SettleSettings = SettleSettings()
    state: StateSettings = StateSettings()
    status: StatusSettings = StatusSettings()
    log: LogSettings = LogSettings()
    simnet: SimnetSettings = SimnetSettings()
    metrics: MetricsSettings = MetricsSettings()
    enclave: EnclaveSettings = EnclaveSettings()

    @property
    def host_agent_socket_dir(self) -> Path:
        """Where the engine's host sees `rpc.agent_dir` (the mounts' source)."""
        return self.docker.host_agent_socket_dir or self.rpc.agent_dir

    @property
    def agent_coordinator_url(self) -> str | None:
        """The agents' COORDINATOR_URL (upstream's SDK name): the TCP service under
        the host name every agent container resolves to the host; None when off."""
        address = self.rpc.listen_address
        return None if address is None else f"http://host.docker.internal:{address[1]}"

    @model_validator(mode="after")
    def _stale_limit_covers_container_timeout(self) -> Settings:
        # Set below it, the survivors would fail jobs a live coordinator still runs.
        reconcile, timeout = self.reconcile, self.docker.container_timeout_secs
        if "stale_running_secs" in reconcile.model_fields_set and \
                reconcile.stale_running_secs < timeout:
            raise ValueError(f"reconcile.stale_running_secs ({reconcile.stale_running_secs}) "
                             f"must not be below docker.container_timeout_secs ({timeout})")
        return self

    @model_validator(mode="after")
    def _rpc_url_reaches_simnet(self) -> Settings:
        # Otherwise ingest would wait for a chain nobody serves, or read another one.
        if not self.simnet.enabled:
            return self
        listen, url = self.simnet.listen, self.sui.rpc_url.rstrip("/")
        # Port 0 (any free port) is for tests that run the simulator alone.
        reaches = url.startswith("http://") if listen.endswith(":0") else url == f"http://{listen}"
        if not reaches:
            raise ValueError(f"with [simnet] enabled, sui.rpc_url must be "
                             f"http://{listen} (simnet.listen)")
        return self

    @model_validator(mode="after")
    def _forwarder_serves_rpc_url(self) -> Settings:
        # With a forwarder, the fullnode is reached at [enclave] listen under
        # its own name (for TLS): sui.rpc_url's port must be the listen port.
        if self.enclave.vsock_proxy is not None:
            url = self.sui.rpc_url
            match = re.match(r"^https?://(?:[^/:\s]+|\[[0-9a-fA-F:]+\])(?::(\d+))?", url)
            if match is None:
                raise ValueError("with [enclave] vsock_proxy, sui.rpc_url must be https://host:port")
            default = 443 if url.startswith("https") else 80
            port = int(match.group(1) or default)
            if port != self.enclave.listen_address[1]:
                raise ValueError(
                    f"with [enclave] vsock_proxy, sui.rpc_url's port ({port}) must be the "
                    f"port of enclave.listen ({self.enclave.listen})"
                )
        return self


@dataclass(frozen=True)
class _Source:
    """Where a setting came from, so an error can point at it."""

    key: str  # dotted TOML key, e.g. "sui.package_id"
    origin: str  # e.g. "env COORDINATION_PACKAGE_ID" or "--package-id"


def _to_list(value: str) -> list[str]:
    return [value]


# Keys whose values may be secrets: an error names the key, never the value.
SECRET_KEYS = frozenset({"docker.agent_env"})

# Environment names of the original coordinator -> (TOML key, conversion).
ENV_KEYS: dict[str, tuple[str, Any]] = {
    "SUI_RPC_URL": ("sui.rpc_url", str),
    "SUI_CHAIN": ("sui.chain", str.lower),
    # Upstream's coordinator of today names the package SILVANA_REGISTRY_PACKAGE
    # (`start --package-id`) and the SilvanaRegistry object SILVANA_REGISTRY.
    "SILVANA_REGISTRY_PACKAGE": ("sui.package_id", str),
    "SILVANA_REGISTRY": ("sui.registry_id", str),
    "COORDINATION_PACKAGE_ID": ("sui.package_id", str),
    "COORDINATION_MODULE": ("sui.modules", _to_list),
    "DOCKER_USE_TEE": ("docker.use_tee", str),
    "CONTAINER_TIMEOUT_SECS": ("docker.container_timeout_secs", str),
    "LOG_LEVEL": ("log.level", str),
    "SUI_SECRET_KEY": ("sui.secret_key", str),
    "SUI_ADDRESS": ("sui.address", str),
}

# Upstream's names that it, too, treats as unset when empty (its `.env` template
# has `SILVANA_REGISTRY=`).
EMPTY_IS_UNSET = frozenset({"SILVANA_REGISTRY_PACKAGE", "SILVANA_REGISTRY"})

# Command-line flags (argparse dest) -> TOML key.
CLI_KEYS: dict[str, str] = {
    "rpc_url": "sui.rpc_url",
    "package_id": "sui.package_id",
    "module": "sui.modules",
    "container_timeout": "docker.container_timeout_secs",
}


def _set_dotted(tree: dict[str, Any], key: str, value: Any) -> None:
    section, _, name = key.partition(".")
    node = tree.setdefault(section, {})
    if not isinstance(node, dict):
        raise ConfigError(f"config: [{section}] must be a table, not {type(node).__name__}")
    node[name] = value


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config: file {path} not found") from None
    except OSError as exc:
        raise ConfigError(f"config: cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config: {path} is not UTF-8 text (byte {exc.start} is "
                          f"{exc.object[exc.start]:#04x})") from None


def load_settings(
    config_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    cli: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge the layers and validate once; raise `ConfigError` on any bad input."""
    env = os.environ if env is None else env
    tree: dict[str, Any] = read_toml(config_path) if config_path else {}
    origin = f"file {config_path}" if config_path else "defaults"
    sources: dict[str, _Source] = {}
    if isinstance(tree.get("sui"), dict) and "secret_key" in tree["sui"]:
        raise ConfigError(
            f"config: sui.secret_key is not read from a file (in {origin}); "
            "use SUI_SECRET_KEY or sui.key_file"
        )

    _check_package_names(env)
    for name, (key, convert) in ENV_KEYS.items():
        if name in env and (env[name] or name not in EMPTY_IS_UNSET):
            _set_dotted(tree, key, convert(env[name]))
            sources[key] = _Source(key, f"env {name}")
    for dest, key in CLI_KEYS.items():
        value = (cli or {}).get(dest)
        if value is not None:
            if key == "sui.modules":
                value = [value]
            _set_dotted(tree, key, value)
            sources[key] = _Source(key, "--" + dest.replace("_", "-"))

    try:
        settings = Settings.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, sources, origin)) from None
    signing_key(settings)  # a bad key is a configuration error, found at start
    return settings


def _check_package_names(env: Mapping[str, str]) -> None:
    """Both names of the package given must name the same one: which of two
    different packages was meant cannot be guessed."""
    ours, upstream = env.get("COORDINATION_PACKAGE_ID"), env.get("SILVANA_REGISTRY_PACKAGE")
    if not ours or not upstream:
        return
    try:
        same = _object_id(ours) == _object_id(upstream)
    except ValueError:
        same = False
    if not same:
        raise ConfigError(
            "config: sui.package_id: env COORDINATION_PACKAGE_ID and SILVANA_REGISTRY_PACKAGE "
            "name different packages; set one of them"
        )


def signing_key(settings: Settings) -> SuiKey | None:
    """The coordinator's Sui key, or None when none is configured (jobs then are
    neither claimed nor settled on chain). Raises `ConfigError`."""
    sui = settings.sui
    secret = None if sui.secret_key is None else sui.secret_key.get_secret_value()
    try:
        return load_key(secret, sui.key_file, sui.address)
    except SuiKeyError as exc:
        raise ConfigError(f"config: {exc}") from None


def _one_line(exc: ValidationError, sources: dict[str, _Source], origin: str) -> str:
    """The first error, as `config: <key>: <what is wrong> (from <where>)`."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    # Skip list indexes and validator names so the key reads as in the TOML file.
    key = ".".join(part for part in loc[:2] if not part.isdigit())
    where = sources[key].origin if key in sources else origin
    kind = error["type"]
    if kind == "missing":
        hint = "is required"
        if key == "sui.package_id":
            hint += (" (set it in the file, COORDINATION_PACKAGE_ID, SILVANA_REGISTRY_PACKAGE "
                     "or --package-id)")
        return f"config: {key} {hint}"
    if kind == "extra_forbidden":
        return f"config: unknown key {'.'.join(loc)} (in {where})"
    message = error["msg"].removeprefix("Value error, ")
    if "input" in error and not isinstance(error["input"], dict) and key not in SECRET_KEYS:
        message += f", got {error['input']!r}"
    # A check across sections names its keys in its message.
    label = f"{key}: " if key else ""
    return f"config: {label}{message} (from {where})"
