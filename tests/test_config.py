"""Settings: layering, the original env names and flags, and one-line errors."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from coordinator.config import ConfigError, load_settings
from coordinator.sui.keys import SuiKey
from tests.support import CONFIGS, ROOT

PKG = "0x" + "ab" * 32


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


def test_defaults_with_only_package_id() -> None:
    settings = load_settings(None, env={"COORDINATION_PACKAGE_ID": "0x2", "HOME": "/home/u"})
    assert settings.sui.package_id == "0x" + "0" * 63 + "2"
    assert settings.sui.modules == ["agent", "jobs"]
    assert settings.docker.container_timeout_secs == 300
    assert settings.log.level == "info"
    assert settings.docker.pull_policy == "if-not-present"
    # The default instance's own (tests/test_config_paths.py: who gets which).
    root = os.geteuid() == 0
    assert settings.rpc.socket_path == (Path("/run/coordinator/default/coordinator.sock")
                                        if root else settings.state.dir / "coordinator.sock")
    assert settings.state.dir == Path("/var/lib/coordinator/default" if root
                                      else "/home/u/.local/state/coordinator/default")


def test_layers_defaults_toml_env_cli(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'[sui]\npackage_id = "{PKG}"\nrpc_url = "http://127.0.0.1:1"\n'
        "[docker]\ncontainer_timeout_secs = 10\nuse_tee = false\n",
    )
    from_file = load_settings(path, env={})
    assert from_file.sui.rpc_url == "http://127.0.0.1:1"
    assert from_file.docker.container_timeout_secs == 10

    env = {"SUI_RPC_URL": "http://127.0.0.1:2", "CONTAINER_TIMEOUT_SECS": "20",
           "DOCKER_USE_TEE": "true", "COORDINATION_MODULE": "main", "LOG_LEVEL": "DEBUG"}
    from_env = load_settings(path, env=env)
    assert from_env.sui.rpc_url == "http://127.0.0.1:2"
    assert from_env.docker.container_timeout_secs == 20
    assert from_env.docker.use_tee is True
    assert from_env.sui.modules == ["main"]
    assert from_env.log.level == "debug"

    cli = {"rpc_url": "unix:/run/sui.sock", "container_timeout": 30, "module": "jobs",
           "package_id": "0xFF"}
    from_cli = load_settings(path, env=env, cli=cli)
    assert from_cli.sui.rpc_url == "unix:/run/sui.sock"
    assert from_cli.docker.container_timeout_secs == 30
    assert from_cli.sui.modules == ["jobs"]
    assert from_cli.sui.package_id == "0x" + "0" * 62 + "ff"


def test_shipped_configs_load() -> None:
    testnet = load_settings(CONFIGS / "testnet.toml", env={})
    assert testnet.sui.rpc_url.startswith("https://")
    assert testnet.sui.registry_id is None
    # The 2025-11 publications of move/coordination/Move.lock at d1563ea.
    assert (testnet.sui.package_id, testnet.sui.layout, testnet.sui.chain_id) == (
        "0x6bae7fdb076da8fb64bc6c43244dbd6fe65db9500fed935b8305c27d2225c4f0", "2025-11",
        "4c78adac")
    devnet = load_settings(CONFIGS / "devnet.toml", env={})
    assert (devnet.sui.package_id, devnet.sui.layout, devnet.sui.chain_id) == (
        "0x9c743c3b5ff8da420331a442bbf610204f1887a7330db20f31114d3d84f15cb0", "2025-11",
        "a2c63a99")
    assert load_settings(CONFIGS / "local.toml", env={}).sui.layout == "auto"
    mainnet = load_settings(
        CONFIGS / "mainnet.toml", env={"COORDINATION_PACKAGE_ID": "0x1"}
    )
    assert mainnet.sui.rpc_url == "https://fullnode.mainnet.sui.io:443"
    local = load_settings(CONFIGS / "local.toml", env={})
    assert local.simnet.enabled


@pytest.mark.parametrize(
    ("toml", "env", "expected"),
    [
        ('[sui]\npackage_id = "zz"\n', {},
         "config: sui.package_id: must be 0x followed by 1 to 64"),
        ('[sui]\npackage_id = "0x1"\n', {"COORDINATION_PACKAGE_ID": "zz"},
         "(from env COORDINATION_PACKAGE_ID)"),
        ('[sui]\npackage_id = "0x1"\n', {"COORDINATION_PACKAGE_ID": "0x1\n"},
         "config: sui.package_id: must be 0x followed by 1 to 64"),
        ('[sui]\npackage_id = "0x' + "1" * 65 + '"\n', {}, "sui.package_id"),
        ('[sui]\npackage_id = "0x1"\nbogus = 1\n', {}, "config: unknown key sui.bogus"),
        ('[sui]\npackage_id = "0x1"\n[nope]\nx = 1\n', {}, "config: unknown key nope"),
        ('[sui]\npackage_id = "0x1"\n[docker]\nmax_concurrent = "four"\n', {},
         "config: docker.max_concurrent:"),
        ('[sui]\npackage_id = "0x1"\nstream = "grpc"\n', {}, "config: sui.stream: Input should be"),
        ('[sui]\npackage_id = "0x1"\nrpc_url = "ftp://x"\n', {}, "config: sui.rpc_url: must be"),
        ('[sui]\npackage_id = "0x1"\nmodules = ["ok", "1x"]\n', {}, "'1x' is not a Move module"),
        ('[sui]\npackage_id = "0x1"\nregistry_id = "0xq"\n', {}, "config: sui.registry_id"),
        ('[sui]\npackage_id = "0x1"\n[status]\nmode = "loud"\n', {}, "config: status.mode"),
        ('[sui]\npackage_id = "0x1"\nlayout = "2026-01"\n', {},
         "config: sui.layout: Input should be"),
        ('[sui]\npackage_id = "0x1"\nchain_id = "testnet"\n', {}, "config: sui.chain_id"),
        ('[sui]\npackage_id = "0x1"\n', {"CONTAINER_TIMEOUT_SECS": "-1"},
         "docker.container_timeout_secs: Input should be greater than 0"),
        ('[sui]\npackage_id = "0x1"\n', {"DOCKER_USE_TEE": "maybe"}, "config: docker.use_tee"),
        ("[sui]\n", {}, "config: sui.package_id is required"),
        ("[sui\n", {}, "is not valid TOML"),
        ("sui = 1\n", {}, "config: sui:"),
    ],
)
def test_bad_values_give_one_line(tmp_path: Path, toml: str, env: dict[str, str],
                                  expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, toml), env=env)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_upstream_env_names_of_the_package_and_the_registry(tmp_path: Path) -> None:
    """SILVANA_REGISTRY_PACKAGE and SILVANA_REGISTRY, as upstream's coordinator reads
    them: the package watched and the SilvanaRegistry object; empty is unset."""
    settings = load_settings(None, env={"SILVANA_REGISTRY_PACKAGE": "0x2",
                                        "SILVANA_REGISTRY": "0x916a"})
    assert settings.sui.package_id == "0x" + "0" * 63 + "2"
    assert settings.sui.registry_id == "0x" + "0" * 60 + "916a"
    path = write(tmp_path, '[sui]\npackage_id = "0x3"\nregistry_id = "0x4"\n')
    kept = load_settings(path, env={"SILVANA_REGISTRY_PACKAGE": "", "SILVANA_REGISTRY": ""})
    assert (kept.sui.package_id[-1], kept.sui.registry_id) == ("3", "0x" + "0" * 63 + "4")
    both = {"COORDINATION_PACKAGE_ID": "0x02", "SILVANA_REGISTRY_PACKAGE": "0x" + "0" * 63 + "2"}
    assert load_settings(None, env=both).sui.package_id == settings.sui.package_id
    with pytest.raises(ConfigError) as caught:
        load_settings(None, env={**both, "SILVANA_REGISTRY_PACKAGE": "0x5"})
    assert str(caught.value) == (
        "config: sui.package_id: env COORDINATION_PACKAGE_ID and SILVANA_REGISTRY_PACKAGE "
        "name different packages; set one of them")
    with pytest.raises(ConfigError, match=r"sui.registry_id: .*\(from env SILVANA_REGISTRY\)"):
        load_settings(None, env={"SILVANA_REGISTRY_PACKAGE": "0x2", "SILVANA_REGISTRY": "0xq"})


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^config: file .*nope.toml not found$"):
        load_settings(tmp_path / "nope.toml", env={})


def test_docker_container_keys() -> None:
    defaults = load_settings(None, env={"COORDINATION_PACKAGE_ID": "0x2"}).docker
    assert (defaults.stop_grace_secs, defaults.pids_limit, defaults.log_limit_bytes) == (
        10, 512, 1 << 20)
    assert defaults.cap_add == [] and defaults.network_mode == "bridge"
    # require_digest unset follows the mode; set, it wins in either mode.
    assert defaults.digest_required is False
    tee = load_settings(None, env={"COORDINATION_PACKAGE_ID": "0x2", "DOCKER_USE_TEE": "1"})
    assert tee.docker.digest_required is True
    from coordinator.config import DockerSettings

    pinned = DockerSettings(use_tee=True, require_digest=False, cap_add=["cap_net_admin"])
    assert pinned.digest_required is False and pinned.cap_add == ["NET_ADMIN"]


@pytest.mark.parametrize(
    ("docker_toml", "expected"),
    [
        ('cap_add = ["ALL"]', "config: docker.cap_add: 'ALL' is not a Linux capability"),
        ('network_mode = "bridge; rm"', "config: docker.network_mode: must be bridge, host"),
        ("pids_limit = 0", "config: docker.pids_limit: Input should be greater than"),
        ("log_limit_bytes = 10", "config: docker.log_limit_bytes:"),
        ('container_socket_path = "relative.sock"', "docker.container_socket_path: must be"),
        # Its directory is mounted: never over the image's /tmp.
        ('container_socket_path = "/tmp/c.sock"', "docker.container_socket_path: must be in a "
         "directory of its own"),
        ('require_digest = "sometimes"', "config: docker.require_digest:"),
    ],
)
def test_bad_docker_keys(tmp_path: Path, docker_toml: str, expected: str) -> None:
    toml = f'[sui]\npackage_id = "0x1"\n[docker]\n{docker_toml}\n'
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, toml), env={})
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("rpc_toml", "expected"),
    [
        ("max_message_bytes = 1024", "config: rpc.max_message_bytes: Input should be greater"),
        ("max_connections = 0", "config: rpc.max_connections: Input should be greater"),
        ("max_connections_per_agent = 0", "config: rpc.max_connections_per_agent:"),
        ("max_streams_per_connection = 0", "config: rpc.max_streams_per_connection:"),
        ("handshake_timeout_secs = 0", "config: rpc.handshake_timeout_secs:"),
        ("idle_timeout_secs = -1", "config: rpc.idle_timeout_secs:"),
        ('agent_socket_dir = "rel"', "config: rpc.agent_socket_dir: must be an absolute path"),
    ],
)
def test_bad_rpc_keys(tmp_path: Path, rpc_toml: str, expected: str) -> None:
    toml = f'[sui]\npackage_id = "0x1"\n[rpc]\n{rpc_toml}\n'
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, toml), env={})
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_chain_from_toml_and_upstream_env(tmp_path: Path) -> None:
    assert load_settings(CONFIGS / "local.toml", env={}).sui.chain == "localnet"
    assert load_settings(CONFIGS / "testnet.toml", env={}).sui.chain == "testnet"
    path = write(tmp_path, f'[sui]\npackage_id = "{PKG}"\nchain = "devnet"\n')
    assert load_settings(path, env={}).sui.chain == "devnet"
    # Upstream's SUI_CHAIN, in any case (upstream lowercases it too).
    assert load_settings(path, env={"SUI_CHAIN": "MainNet"}).sui.chain == "mainnet"
    bad = write(tmp_path, f'[sui]\npackage_id = "{PKG}"\nchain = "moon"\n')
    with pytest.raises(ConfigError, match=r"sui\.chain"):
        load_settings(bad, env={})


@pytest.mark.parametrize(
    "name",
    ["SESSION_ID", "DEVELOPER", "AGENT", "AGENT_METHOD", "CHAIN", "COORDINATOR_ID",
     "JOB_ID", "JOB_DATA", "APP_INSTANCE", "COORDINATOR_SOCKET", "METHOD",
     "COORDINATION_LAYER_ID", "COORDINATION_LAYER_TYPE", "OPERATION_MODE"],
)
def test_agent_env_may_not_set_a_contract_name(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, f'[sui]\npackage_id = "{PKG}"\n[docker.agent_env]\n{name} = "x"\n')
    with pytest.raises(ConfigError, match=f"{name} is set by the coordinator"):
        load_settings(path, env={})


@pytest.mark.parametrize(("path", "chain", "chain_id"), [
    (CONFIGS / "testnet.toml", "testnet", "4c78adac"),  # Move.lock [env.testnet]
    (CONFIGS / "devnet.toml", "devnet", "a2c63a99"),  # Move.lock [env.devnet] (changes with a wipe)
    (CONFIGS / "mainnet.toml", "mainnet", "35834a8a"),  # Sui's mainnet genesis
    (ROOT / "config" / "enclave.toml", "mainnet", "35834a8a"),  # the enclave image's own
])
def test_shipped_configs_name_their_chain(path: Path, chain: str, chain_id: str) -> None:
    """CHAIN, the layer id agents get and the chain check all follow these two keys."""
    tree = tomllib.loads(path.read_text())
    assert (tree["sui"]["chain"], tree["sui"]["chain_id"]) == (chain, chain_id)


@pytest.mark.parametrize("name", ["testnet", "devnet", "mainnet"])
def test_shipped_configs_say_how_to_give_the_key(tmp_path: Path, name: str) -> None:
    """Next to `key_file`, the three ways (file, systemd credential, env); the
    commented line, uncommented, names a key file the daemon would read."""
    text = (CONFIGS / f"{name}.toml").read_text()
    comments = [line for line in text.splitlines() if line.startswith("#")]
    for way in ("key_file = ", "key_credential = ", "SUI_SECRET_KEY=", "keygen"):
        assert any(way in line for line in comments), way
    key = tmp_path / "coordinator.key"
    key.write_text(SuiKey.generate().export() + "\n")
    key.chmod(0o600)
    text = text.replace('# key_file = "/etc/silvana/coordinator.key"', f'key_file = "{key}"')
    path = write(tmp_path, text)
    settings = load_settings(path, env={"COORDINATION_PACKAGE_ID": "0x1"})
    assert settings.sui.key_file == key
