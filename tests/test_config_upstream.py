"""Upstream's env names, flags, `.env` and config file, as `load_settings` and
the `.env` reader take them (the process itself: tests/test_cli_upstream.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordinator.config import ConfigError, load_settings
from coordinator.dotenv import DotenvError, load_dotenv, parse_dotenv

ROOT = Path(__file__).resolve().parent.parent
APP = "0x" + "a" * 64
BASE = {"COORDINATION_PACKAGE_ID": "0x1"}


def test_upstreams_env_names() -> None:
    settings = load_settings(env={**BASE, "GRPC_SOCKET_PATH": "/run/x/c.sock",
                                  "APP_INSTANCE_FILTER": APP, "SETTLE_ONLY": "true",
                                  "LOG_LEVEL": "warn"})
    assert settings.rpc.socket_path == Path("/run/x/c.sock")
    assert settings.jobs.app_instance == APP and settings.jobs.settle_only
    assert settings.log.level == "warning"
    unset = load_settings(env={**BASE, "APP_INSTANCE_FILTER": "", "SETTLE_ONLY": "false"})
    assert unset.jobs.app_instance is None and not unset.jobs.settle_only


def test_upstreams_start_flags() -> None:
    cli = {"use_tee": True, "log_level": "trace", "grpc_socket_path": Path("/run/y.sock"),
           "instance": APP, "settle": True, "chain": "devnet"}
    settings = load_settings(env=BASE, cli=cli)
    assert settings.docker.use_tee and settings.log.level == "debug"
    assert settings.rpc.socket_path == Path("/run/y.sock")
    assert settings.jobs.app_instance == APP and settings.jobs.settle_only
    assert settings.sui.chain == "devnet"
    # Absent flags (None) leave the file's and the environment's values.
    absent = dict.fromkeys(cli)
    assert not load_settings(env={**BASE, "DOCKER_USE_TEE": "false"}, cli=absent).docker.use_tee


def test_a_bad_instance_names_the_flag() -> None:
    with pytest.raises(ConfigError, match=r"^config: jobs\.app_instance: .*\(from --instance\)$"):
        load_settings(env=BASE, cli={"instance": "my-app"})


def test_coordinator_config_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[sui]\npackage_id = "0x5"\n[jobs]\nmax_attempts = 7\n')
    assert load_settings(env={"COORDINATOR_CONFIG": str(path)}).jobs.max_attempts == 7
    other = tmp_path / "other.toml"
    other.write_text('[sui]\npackage_id = "0x5"\n')
    # --config wins over the environment, as upstream's clap does.
    assert load_settings(other, env={"COORDINATOR_CONFIG": str(path)}).jobs.max_attempts == 3


def test_upstreams_config_file_lists_every_problem_at_once(tmp_path: Path) -> None:
    """The shape of upstream's docker/coordinator/coordinator.testnet.toml (d1563ea)."""
    path = tmp_path / "coordinator.testnet.toml"
    path.write_text(
        '[coordinator]\nenable_layers = ["sui-testnet"]\nmax_parallel_jobs = 10\n'
        "reconciliation_interval = 30\nenable_metrics = true\nmetrics_interval = 60\n"
        '[sui]\nlayer_id = "sui-testnet"\n'
        'rpc_url = "https://rpc-testnet-pruned-grpc.suiscan.xyz"\n'
        'operation_mode = "multicall"\n'
        '[[ethereum]]\nlayer_id = "anvil"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    lines = str(caught.value).splitlines()
    assert all(line.startswith("config: ") for line in lines)
    expected = {"sui.package_id is required": "",
                "coordinator.enable_layers": "one Sui coordination layer",
                "coordinator.max_parallel_jobs": "docker.max_concurrent",
                "coordinator.reconciliation_interval": "reconcile.interval_secs",
                "coordinator.enable_metrics": "metrics.listen",
                "coordinator.metrics_interval": "no meaning here",
                "sui.layer_id": "one Sui coordination layer",
                "sui.operation_mode": "settle.batch_max",
                "key ethereum ": "Ethereum layers are not served"}
    assert len(lines) == len(expected), lines
    for key, hint in expected.items():
        assert any(key in line and hint in line for line in lines), (key, lines)


def test_one_problem_is_still_one_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[sui]\npackage_id = "0x5"\ntypo = 1\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value) == f"config: unknown key sui.typo (in file {path})"


def test_dotenv_lines() -> None:
    text = ('# upstream writes these\nSUI_ADDRESS=0xabc\nexport SUI_CHAIN = testnet # here\n'
            "A='x # y'\nB=\"l1\\nl2 \\\"q\\\"\"\n\nEMPTY=\n")
    assert parse_dotenv(text) == {"SUI_ADDRESS": "0xabc", "SUI_CHAIN": "testnet",
                                  "A": "x # y", "B": 'l1\nl2 "q"', "EMPTY": ""}
    for bad, words in [("NOT A LINE", "line 1 is not NAME=value"),
                       ("\nA='open", "line 2: the value's ' is not closed")]:
        with pytest.raises(DotenvError, match=words):
            parse_dotenv(bad)


def test_dotenv_fills_only_what_is_unset(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("SUI_CHAIN=devnet\nLOG_LEVEL=debug\n")
    env = {"LOG_LEVEL": "info"}
    assert load_dotenv(env, path) == ["SUI_CHAIN"]
    assert env == {"LOG_LEVEL": "info", "SUI_CHAIN": "devnet"}
    assert load_dotenv(env, tmp_path / "none") == []


def test_start_chain_without_a_file_is_that_networks_shipped_config() -> None:
    """Upstream's `silvana start --chain testnet` needs no file: nor does ours."""
    testnet = load_settings(env={}, cli={"chain": "testnet"})
    shipped = load_settings(Path("testnet"), env={})
    assert testnet.sui == shipped.sui and testnet.rpc == shipped.rpc
    assert testnet.state.dir == shipped.state.dir  # the instance is "testnet" either way
    # SUI_CHAIN (upstream's `.env` has it) does the same, in any case.
    mainnet = load_settings(env={**BASE, "SUI_CHAIN": "MainNet"})
    assert mainnet.sui == load_settings(Path("mainnet"), env=BASE).sui
    assert load_settings(env={}, cli={"chain": "localnet"}).simnet.enabled
    # A file still wins: --chain then only sets sui.chain.
    with pytest.raises(ConfigError, match=r"^config: sui\.chain: 'moon' is not a network: "
                                          r"devnet, testnet, mainnet or localnet "
                                          r"\(from --chain\)$"):
        load_settings(env={}, cli={"chain": "moon"})


@pytest.mark.parametrize(("toml", "cli", "words"), [
    # The shipped testnet config run as mainnet: the flag is named.
    (None, {"chain": "mainnet"},
     "config: sui.chain_id: mainnet's chain id is 35834a8a, not 4c78adac; correct sui.chain "
     "(from --chain) or sui.chain_id"),
    ('chain = "devnet"\nchain_id = "4c78adac"\n', {},
     "config: sui.chain_id: 4c78adac is testnet's chain id, not devnet's; correct sui.chain "
     "(from file FILE) or sui.chain_id"),
    ('chain = "testnet"\nchain_id = "a2c63a99"\n', {},
     "config: sui.chain_id: testnet's chain id is 4c78adac, not a2c63a99; correct sui.chain "
     "(from file FILE) or sui.chain_id"),
])
def test_a_chain_and_a_chain_id_that_disagree_are_refused(
        tmp_path: Path, toml: str | None, cli: dict[str, str], words: str) -> None:
    path = Path("testnet")
    if toml is not None:
        path = tmp_path / "c.toml"
        path.write_text(f'[sui]\npackage_id = "0x5"\n{toml}')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={}, cli=cli)
    assert str(caught.value) == words.replace("FILE", str(path))


def test_chains_and_ids_that_agree_start() -> None:
    for network in ("testnet", "mainnet", "devnet"):
        load_settings(Path(network), env=BASE)  # mainnet's package is not published yet
    # devnet's id changes with every wipe: any id is devnet's.
    load_settings(env={**BASE, "SUI_CHAIN": "devnet"}, cli={})


def test_upstreams_chain_rpc_url_names_that_networks_node() -> None:
    """SUI_RPC_URL_<CHAIN>: below SUI_RPC_URL and --rpc-url, above the file."""
    node = "https://fullnode.example:443"
    env = {"SUI_RPC_URL_TESTNET": node, "SUI_RPC_URL_MAINNET": "http://127.0.0.1:1"}
    assert load_settings(Path("testnet"), env=env).sui.rpc_url == node
    assert load_settings(Path("testnet"), env={**env, "SUI_RPC_URL": "http://127.0.0.1:2"}
                         ).sui.rpc_url == "http://127.0.0.1:2"
    assert load_settings(Path("testnet"), env=env, cli={"rpc_url": "http://127.0.0.1:3"}
                         ).sui.rpc_url == "http://127.0.0.1:3"
    with pytest.raises(ConfigError, match=r"sui\.rpc_url: .*\(from env SUI_RPC_URL_TESTNET\)"):
        load_settings(Path("testnet"), env={"SUI_RPC_URL_TESTNET": "fullnode"})
