"""Upstream's command line as its operators type it (`silvana start ...`), run
as a real process: exit codes and one line per problem."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from coordinator.upstream import UPSTREAM_ENV_IGNORED
from tests.test_cli import DEAD_NODE, ROOT, TEST_KEY, private_testnet_config, wait_for_line

APP = "0x" + "a" * 64
# The names these tests set, kept out of the inherited environment.
OURS = ("COORDINATION_PACKAGE_ID", "COORDINATOR_CONFIG", "APP_INSTANCE_FILTER", "SETTLE_ONLY",
        "GRPC_SOCKET_PATH", "SUI_CHAIN", "LOG_LEVEL", "ETHEREUM_PRIVATE_KEY", "SUI_SECRET_KEY")


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None,
        ) -> subprocess.Popen[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in OURS}
    full_env["PYTHONPATH"] = str(ROOT)
    full_env.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "coordinator", *args], cwd=cwd,
                            env=full_env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def errors(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> list[str]:
    """stderr's lines of a run that must stop at once with exit status 2."""
    proc = run(*args, cwd=cwd, env=env)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    return err.splitlines()


def test_start_with_upstreams_flags_runs_and_drains(tmp_path: Path) -> None:
    socket_path = tmp_path / "grpc.sock"
    proc = run("--chain", "testnet", "start", "-c", private_testnet_config(tmp_path),
               "--rpc-url", DEAD_NODE, "--log-level", "warn", "--grpc-socket-path",
               str(socket_path), "--instance", APP, "--settle", "--container-timeout", "60",
               env={"SUI_SECRET_KEY": TEST_KEY})  # testnet: a key, or observe only
    try:
        wait_for_line(proc, "reconnecting in")
        assert socket_path.is_socket()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err


def test_the_env_names_and_dotenv_are_read(tmp_path: Path) -> None:
    """COORDINATOR_CONFIG names the file; .env fills what the environment lacks."""
    config = private_testnet_config(tmp_path)
    (tmp_path / ".env").write_text("APP_INSTANCE_FILTER=not-an-id\nSETTLE_ONLY=true\n")
    [line] = errors("start", cwd=tmp_path, env={"COORDINATOR_CONFIG": config})
    assert line.startswith("error: config: jobs.app_instance: ")
    assert line.endswith("(from env APP_INSTANCE_FILTER)")
    # The environment wins over the file.
    [line] = errors("start", cwd=tmp_path, env={"COORDINATOR_CONFIG": config,
                                                "APP_INSTANCE_FILTER": APP,
                                                "GRPC_SOCKET_PATH": ""})
    assert "rpc.socket_path" in line and "(from env GRPC_SOCKET_PATH)" in line


def test_a_bad_dotenv_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SUI_CHAIN=testnet\nthis is not a line\n")
    assert errors("start", cwd=tmp_path) == ["error: .env: line 2 is not NAME=value"]


def test_upstreams_ethereum_names_are_named_not_fatal(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ETHEREUM_PRIVATE_KEY=0x1\n")
    lines = errors("start", "--package-id", "zz", cwd=tmp_path)
    assert lines[0].startswith("warning: ETHEREUM_PRIVATE_KEY is upstream's")
    assert len(lines) == 2 and "package_id" in lines[1]


def test_each_upstream_name_not_read_here_is_one_warning_naming_it(tmp_path: Path) -> None:
    """Every env name upstream's `start` reads and this coordinator does not: one
    line each, naming it and where its meaning went, never its value."""
    secret = "do-not-print-me"
    env = dict.fromkeys(UPSTREAM_ENV_IGNORED, secret)
    lines = errors("start", "--package-id", "zz", cwd=tmp_path, env=env)
    warnings, [error] = lines[:-1], lines[-1:]
    assert "package_id" in error
    assert warnings == [f"warning: {name} is upstream's and not read here: "
                        f"{UPSTREAM_ENV_IGNORED[name]} (see docs/migrating-from-upstream.md)"
                        for name in sorted(UPSTREAM_ENV_IGNORED)]
    assert all(secret not in line for line in lines)


def test_every_upstream_name_not_read_here_is_documented() -> None:
    page = (ROOT / "docs" / "migrating-from-upstream.md").read_text()
    assert [name for name in UPSTREAM_ENV_IGNORED if f"`{name}`" not in page] == []


def test_unknown_flags_and_upstreams_other_commands_are_one_line() -> None:
    [line] = errors("start", "--layer", "x")
    assert line.startswith("error: unrecognized arguments: --layer x (see ")
    [line] = errors("new", "my-project")
    assert line.startswith("error: `silvana new` is upstream's") and "migrating" in line


def test_upstreams_config_file_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "coordinator.testnet.toml"
    path.write_text('[coordinator]\nmax_parallel_jobs = 10\nenable_metrics = true\n'
                    '[sui]\nlayer_id = "sui-testnet"\noperation_mode = "multicall"\n')
    lines = errors("start", "--config", str(path))
    assert len(lines) == 5 and all(line.startswith("error: config: ") for line in lines)
    assert any("max_parallel_jobs" in line and "docker.max_concurrent" in line
               for line in lines)


def test_start_chain_uses_the_shipped_config_and_a_wrong_chain_id_is_one_line(
        tmp_path: Path) -> None:
    # No file: the shipped testnet config, which (without a key) asks for one.
    [line] = errors("start", "--chain", "testnet", cwd=tmp_path)
    assert line.startswith("error: sui.key_file: no Sui key for chain testnet")
    # The shipped testnet config told it is mainnet: refused before anything runs.
    assert errors("--chain", "mainnet", "start", "-c", "testnet", cwd=tmp_path) == [
        "error: config: sui.chain_id: mainnet's chain id is 35834a8a, not 4c78adac; correct "
        "sui.chain (from --chain) or sui.chain_id"]
