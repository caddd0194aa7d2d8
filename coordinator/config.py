"""Settings: one pydantic model, layered defaults < TOML file < environment < CLI.

The TOML keys and the environment names are a contract with operators and with
the original (Rust) coordinator, so both are listed here once, as data. Every
bad value becomes one line of a `ConfigError` naming the key, where the value
came from and what is allowed (a key of upstream's own config file says where
its meaning went, `coordinator.upstream`); all of a file's problems are
reported at once, so an upstream file is fixed in one pass. `__main__` prints
them and exits 2.

Each section lives with the layer it configures (`coordinator.sui.settings`,
`coordinator.docker.settings`, `coordinator.rpc.settings`, ...), so no layer
imports this module: only the wiring does. Here stay the sections of the
wiring itself (`[metrics]`, `[status]`) and the rules that tie sections together.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from coordinator.agent_secrets.settings import SecretsSettings
from coordinator.docker.settings import DockerSettings
from coordinator.events.models import normalize_address
from coordinator.forwarder import EnclaveSettings
from coordinator.hostport import listen_host_port, listen_ip
from coordinator.instance_paths import instance_name, instance_paths
from coordinator.jobs import JobsSettings, SharesSettings
from coordinator.logs import LogSettings
from coordinator.pipeline.settings import PipelineSettings
from coordinator.proofs.settings import ProofStoreSettings
from coordinator.reconciler import ReconcileSettings
from coordinator.rpc.settings import RpcSettings
from coordinator.section import Section
from coordinator.settlement import SettleSettings
from coordinator.shipped import SHIPPED, shipped_config
from coordinator.simnet.settings import SimnetSettings
from coordinator.store import StateSettings
from coordinator.sui.chain_id import network_mismatch
from coordinator.sui.keys import SuiKey, SuiKeyError, credential_path, load_key
from coordinator.sui.settings import SuiSettings
from coordinator.upstream import key_hint


class ConfigError(Exception):
    """Configuration problems, each already phrased as one line for the operator
    (several lines: all of a file's problems, found at once)."""

    def for_stderr(self) -> str:
        """Each problem as an `error: ...` line, as every command prints them."""
        return "\n".join(f"error: {line}" for line in str(self).splitlines())


class MetricsSettings(Section):
    """`[metrics]`: the HTTP endpoint of /metrics, /healthz and /readyz (docs/metrics.md)."""

    listen: str = "127.0.0.1:9464"
    """`IP:port` of `/metrics`, `/healthz`, `/readyz` (docs/metrics.md); `""` turns the
    endpoint off; `0.0.0.0:9464` to be scraped from outside the host. Port 0 is refused (a
    scraper must know the port)."""

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        if value:
            listen_ip(value, "127.0.0.1:9464", localhost=True)
        return value

    @property
    def listen_address(self) -> tuple[str, int] | None:
        return None if not self.listen else listen_host_port(self.listen)


class StatusSettings(Section):
    """`[status]`: what the daemon shows on its own terminal or output."""

    mode: Literal["auto", "live", "plain", "off"] = "auto"
    """`auto` (live view on a TTY, plain lines otherwise), `live`, `plain`, `off`."""


class Settings(Section):
    sui: SuiSettings
    docker: DockerSettings = DockerSettings()
    rpc: RpcSettings = RpcSettings()
    jobs: JobsSettings = JobsSettings()
    shares: SharesSettings = SharesSettings()
    reconcile: ReconcileSettings = ReconcileSettings()
    settle: SettleSettings = SettleSettings()
    state: StateSettings = StateSettings()
    status: StatusSettings = StatusSettings()
    log: LogSettings = LogSettings()
    simnet: SimnetSettings = SimnetSettings()
    metrics: MetricsSettings = MetricsSettings()
    enclave: EnclaveSettings = EnclaveSettings()
    proofs: ProofStoreSettings = ProofStoreSettings()
    pipeline: PipelineSettings = PipelineSettings()
    secrets: SecretsSettings = SecretsSettings()

    @property
    def host_agent_socket_dir(self) -> Path:
        """Where the engine's host sees `rpc.agent_dir` (the mounts' source)."""
        return self.docker.host_agent_socket_dir or self.rpc.agent_dir

    @property
    def agent_coordinator_url(self) -> str | None:
        """The agents' COORDINATOR_URL (upstream's SDK name): the TCP service under
        the host name every agent container resolves to the host; None when off."""
        port = self.rpc.listen_port
        return None if port is None else f"http://host.docker.internal:{port}"

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


    @model_validator(mode="after")
    def _enclave_channels_have_their_ends(self) -> Settings:
        enclave, sui = self.enclave, self.sui
        if enclave.metrics_channel is not None:
            address = self.metrics.listen_address
            if address is None or address[1] == 0:
                raise ValueError("with enclave.metrics_channel, metrics.listen must be a "
                                 "fixed host:port (what the channel forwards to)")
        if enclave.key_channel is not None and (sui.key_file or sui.key_credential):
            raise ValueError("with enclave.key_channel the host hands the key over at start: "
                             "set neither sui.key_file nor sui.key_credential")
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
    "SILVANA_RPC_SERVER": ("sui.config_service", str),
    # Upstream's `start` reads these too (its flags' env names).
    "GRPC_SOCKET_PATH": ("rpc.socket_path", str),
    "APP_INSTANCE_FILTER": ("jobs.app_instance", str),
    "SETTLE_ONLY": ("jobs.settle_only", str),
    # The original coordinator's names.
    "COORDINATION_PACKAGE_ID": ("sui.package_id", str),
    "COORDINATION_MODULE": ("sui.modules", _to_list),
    "DOCKER_USE_TEE": ("docker.use_tee", str),
    "CONTAINER_TIMEOUT_SECS": ("docker.container_timeout_secs", str),
    "LOG_LEVEL": ("log.level", str),
    "SUI_SECRET_KEY": ("sui.secret_key", str),
    "SUI_ADDRESS": ("sui.address", str),
    "OBSERVE_ONLY": ("settle.observe_only", str),
}

# The config file, when no --config is given (upstream's `start --config`).
CONFIG_ENV = "COORDINATOR_CONFIG"
# Where the service manager puts credentials (systemd.exec(5), LoadCredential=).
CREDENTIALS_ENV = "CREDENTIALS_DIRECTORY"

# Upstream's names that it, too, treats as unset when empty (its `.env` template
# has `SILVANA_REGISTRY=`).
EMPTY_IS_UNSET = frozenset({"SILVANA_REGISTRY_PACKAGE", "SILVANA_REGISTRY",
                            "APP_INSTANCE_FILTER", CONFIG_ENV})

# Command-line flags (argparse dest) -> TOML key.
CLI_KEYS: dict[str, str] = {
    # Upstream's `start` flags.
    "chain": "sui.chain",
    "use_tee": "docker.use_tee",
    "log_level": "log.level",
    "grpc_socket_path": "rpc.socket_path",
    "instance": "jobs.app_instance",
    "settle": "jobs.settle_only",
    # And those of the original coordinator.
    "rpc_url": "sui.rpc_url",
    "package_id": "sui.package_id",
    "module": "sui.modules",
    "container_timeout": "docker.container_timeout_secs",
    "observe_only": "settle.observe_only",
}


def _set_dotted(tree: dict[str, Any], key: str, value: Any) -> None:
    section, _, name = key.partition(".")
    node = tree.setdefault(section, {})
    if not isinstance(node, dict):
        raise ConfigError(f"config: [{section}] must be a table, not {type(node).__name__}")
    node[name] = value


# Paths a config file may give relative to itself (as `[section, key]`).
FILE_PATHS = (("state", "dir"), ("rpc", "socket_path"), ("sui", "key_file"),
              ("simnet", "scenario"), ("proofs", "dir"), ("secrets", "file"),
              ("secrets", "key_file"))


def config_file(value: Path) -> Path:
    """The file `--config` (or COORDINATOR_CONFIG) means: a shipped config by
    its name (`testnet`) unless a file of that name is here, else the path."""
    name = str(value)
    if "/" not in name and not value.suffix and not value.exists():
        try:
            return shipped_config(name)
        except KeyError:
            raise ConfigError(f"config: {name} is neither a file nor a shipped config "
                              f"({', '.join(SHIPPED)})") from None
    return value


def network_config(cli: Mapping[str, Any], env: Mapping[str, str]) -> Path | None:
    """Without a config file, the shipped config of the network `--chain` (or
    SUI_CHAIN) names, as upstream's `silvana start --chain NETWORK` needs no
    file; None when neither names one."""
    chain, origin = cli.get("chain"), "--chain"
    if not chain:
        chain, origin = env.get("SUI_CHAIN"), "env SUI_CHAIN"
    if not chain:
        return None
    name = chain.lower()
    try:
        return shipped_config("local" if name == "localnet" else name)
    except KeyError:
        raise ConfigError(f"config: sui.chain: {chain!r} is not a network: devnet, testnet, "
                          f"mainnet or localnet (from {origin})") from None


def _chain_rpc_url(tree: dict[str, Any], env: Mapping[str, str],
                   sources: dict[str, _Source]) -> None:
    """Upstream's SUI_RPC_URL_<CHAIN> (e.g. SUI_RPC_URL_TESTNET): the node of
    that network, below SUI_RPC_URL and --rpc-url, above the file."""
    sui = tree.get("sui")
    chain = sui.get("chain") if isinstance(sui, dict) else None
    if "sui.rpc_url" in sources or chain not in ("devnet", "testnet", "mainnet"):
        return
    name = f"SUI_RPC_URL_{chain.upper()}"
    if env.get(name):
        _set_dotted(tree, "sui.rpc_url", env[name])
        sources["sui.rpc_url"] = _Source("sui.rpc_url", f"env {name}")


def place_paths(tree: dict[str, Any], config_path: Path | None,
                env: Mapping[str, str]) -> None:
    """Give the instance its own socket and state (`coordinator.instance_paths`)
    where the config names none, and make the file's relative paths relative
    to the file. Values of the wrong type are left for validation to name."""
    state = tree.get("state")
    instance = instance_name(config_path, state.get("instance") if isinstance(state, dict)
                             else None)
    base = config_path.absolute().parent if config_path else Path.cwd()
    for section, key in FILE_PATHS:
        node = tree.get(section)
        if isinstance(node, dict):
            value = node.get(key)
            if isinstance(value, str) and value and not Path(value).is_absolute():
                node[key] = str(base / value)
    defaults = instance_paths(instance, env)
    if isinstance(tree.setdefault("state", {}), dict):
        tree["state"].setdefault("dir", str(defaults.state_dir))
    if isinstance(tree.setdefault("rpc", {}), dict):
        tree["rpc"].setdefault("socket_path", str(defaults.socket_path))


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
    if config_path is None and env.get(CONFIG_ENV):
        config_path = Path(env[CONFIG_ENV])
    if config_path is not None:
        config_path = config_file(config_path)
    else:
        config_path = network_config(cli or {}, env)
    tree: dict[str, Any] = read_toml(config_path) if config_path else {}
    place_paths(tree, config_path, env)
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
    _chain_rpc_url(tree, env, sources)

    try:
        settings = Settings.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError("\n".join(_lines(exc, sources, origin))) from None
    sui = settings.sui
    wrong = None if sui.chain_id is None else network_mismatch(sui.chain, sui.chain_id)
    if wrong is not None:
        where = sources["sui.chain"].origin if "sui.chain" in sources else origin
        raise ConfigError(f"config: sui.chain_id: {wrong}; correct sui.chain (from {where}) "
                          f"or sui.chain_id")
    signing_key(settings)  # a bad key is a configuration error, found at start
    return settings


def _check_package_names(env: Mapping[str, str]) -> None:
    """Both names of the package given must name the same one: which of two
    different packages was meant cannot be guessed."""
    ours, upstream = env.get("COORDINATION_PACKAGE_ID"), env.get("SILVANA_REGISTRY_PACKAGE")
    if not ours or not upstream:
        return
    try:
        same = normalize_address(ours) == normalize_address(upstream)
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
        key_file = sui.key_file
        if sui.key_credential is not None:
            if key_file is not None:
                raise SuiKeyError("sui.key_file and sui.key_credential are both set; give one")
            key_file = credential_path(sui.key_credential, os.environ.get(CREDENTIALS_ENV))
        return load_key(secret, key_file, sui.address)
    except SuiKeyError as exc:
        raise ConfigError(f"config: {exc}") from None


def _lines(exc: ValidationError, sources: dict[str, _Source], origin: str) -> list[str]:
    """Every error, one line each (an unknown table: one line per key in it)."""
    lines: list[str] = []
    for error in exc.errors():
        table = error.get("input")
        if error["type"] == "extra_forbidden" and isinstance(table, dict) and table:
            for name in table:
                key: ErrorDetails = {**error, "loc": (*error["loc"], name), "input": None}
                lines.append(_one_line(key, sources, origin))
        else:
            lines.append(_one_line(error, sources, origin))
    return list(dict.fromkeys(lines))


def _one_line(error: ErrorDetails, sources: dict[str, _Source], origin: str) -> str:
    """One error, as `config: <key>: <what is wrong> (from <where>)`."""
    loc = [str(part) for part in error["loc"]]
    # Skip list indexes and validator names so the key reads as in the TOML file.
    key = ".".join(part for part in loc[:2] if not part.isdigit())
    where = sources[key].origin if key in sources else origin
    kind = error["type"]
    if kind == "missing":
        hint = "is required"
        if key == "sui.package_id":
            hint += (" (set it in the file, COORDINATION_PACKAGE_ID, SILVANA_REGISTRY_PACKAGE "
                     "or --package-id" + ("; or name a network: --chain testnet)"
                                          if origin == "defaults" else ")"))
        return f"config: {key} {hint}"
    if kind == "extra_forbidden":
        dotted = ".".join(part for part in loc if not part.isdigit())
        moved = key_hint(dotted)
        return (f"config: unknown key {dotted} (in {where})"
                + ("" if moved is None else f": upstream's; {moved}"))
    message = error["msg"].removeprefix("Value error, ")
    if "input" in error and not isinstance(error["input"], dict) and key not in SECRET_KEYS:
        message += f", got {error['input']!r}"
    # A check across sections names its keys in its message.
    label = f"{key}: " if key else ""
    return f"config: {label}{message} (from {where})"
