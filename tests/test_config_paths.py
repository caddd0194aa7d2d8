"""Where an instance's files go: its own socket and state by default, a config
file's relative paths beside the file, the shipped configs by name, and
`init` writing a starting config (never over one)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from coordinator.config import ConfigError, load_settings
from coordinator.instance_paths import instance_paths
from coordinator.store import DB_FILE
from coordinator.sui.keys import SuiKey
from tests.support import CONFIGS, DEAD_NODE, ROOT
from tests.test_cli import wait_for_line

PKG = {"COORDINATION_PACKAGE_ID": "0x2"}


def test_root_uses_run_and_var_lib_per_instance() -> None:
    paths = instance_paths("testnet", {}, uid=0)
    assert paths.socket_path == Path("/run/coordinator/testnet/coordinator.sock")
    assert paths.state_dir == Path("/var/lib/coordinator/testnet")


def test_systemd_directories_win(tmp_path: Path) -> None:
    env = {"STATE_DIRECTORY": f"{tmp_path}/state:/elsewhere",
           "RUNTIME_DIRECTORY": f"{tmp_path}/run", "XDG_STATE_HOME": "/nope"}
    for uid in (0, 1000):
        paths = instance_paths("a", env, uid=uid)
        assert paths.state_dir == tmp_path / "state" / "a"
        assert paths.socket_path == tmp_path / "run" / "a" / "coordinator.sock"


def test_a_user_gets_the_xdg_directories() -> None:
    env = {"HOME": "/home/u", "XDG_RUNTIME_DIR": "/run/user/1000"}
    paths = instance_paths("devnet", env, uid=1000)
    assert paths.state_dir == Path("/home/u/.local/state/coordinator/devnet")
    assert paths.socket_path == Path("/run/user/1000/coordinator/devnet/coordinator.sock")
    # No runtime directory (or a relative one, which XDG says to ignore): the
    # socket stays beside the state, never in a shared /tmp.
    env = {"HOME": "/home/u", "XDG_STATE_HOME": "/srv/st", "XDG_RUNTIME_DIR": "run"}
    paths = instance_paths("devnet", env, uid=1000)
    assert paths.state_dir == Path("/srv/st/coordinator/devnet")
    assert paths.socket_path == paths.state_dir / "coordinator.sock"


def test_the_config_file_names_the_instance(tmp_path: Path) -> None:
    env = {**PKG, "STATE_DIRECTORY": str(tmp_path / "st"), "RUNTIME_DIRECTORY": str(tmp_path)}
    (tmp_path / "alpha.toml").write_text("")
    (tmp_path / "beta.toml").write_text('[state]\ninstance = "gamma"\n')
    alpha = load_settings(tmp_path / "alpha.toml", env=env)
    gamma = load_settings(tmp_path / "beta.toml", env=env)
    assert alpha.state.dir == tmp_path / "st" / "alpha"
    assert alpha.rpc.socket_path == tmp_path / "alpha" / "coordinator.sock"
    assert gamma.state.dir == tmp_path / "st" / "gamma"
    assert load_settings(None, env=env).state.dir == tmp_path / "st" / "default"
    (tmp_path / "bad.toml").write_text('[state]\ninstance = "../up"\n')
    with pytest.raises(ConfigError, match=r"^config: state.instance: "):
        load_settings(tmp_path / "bad.toml", env=env)


def test_relative_paths_are_beside_the_config_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = tmp_path / "etc" / "one.toml"
    conf.parent.mkdir()
    conf.write_text('[state]\ndir = "st"\n[rpc]\nsocket_path = "run/c.sock"\n'
                    '[sui]\nkey_file = "key"\n')
    key = conf.parent / "key"
    key.write_text(SuiKey.generate().export())
    key.chmod(0o600)
    monkeypatch.chdir(tmp_path)  # started elsewhere: nothing changes
    settings = load_settings(Path("etc/one.toml"), env=PKG)
    assert settings.state.dir == tmp_path / "etc" / "st"
    assert settings.rpc.socket_path == tmp_path / "etc" / "run" / "c.sock"
    assert settings.sui.key_file == tmp_path / "etc" / "key"


def test_a_shipped_config_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    testnet = load_settings(Path("testnet"), env={"STATE_DIRECTORY": str(tmp_path)})
    assert testnet.sui.chain == "testnet" and testnet.state.dir == tmp_path / "testnet"
    local = load_settings(None, env={"COORDINATOR_CONFIG": "local"})
    assert local.simnet.scenario == CONFIGS / "simnet" / "demo.toml"
    with pytest.raises(ConfigError, match="nonet is neither a file nor a shipped config "
                                          r"\(local, devnet, testnet, mainnet\)"):
        load_settings(Path("nonet"), env=PKG)
    # A file of that name here is the file.
    (tmp_path / "testnet").write_text('[sui]\npackage_id = "0x7"\n')
    assert load_settings(Path("testnet"), env={}).sui.package_id.endswith("07")


def cli(cwd: Path, *args: str, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "coordinator", *args], cwd=cwd,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=30, check=False)


def test_init_writes_a_starting_config_and_never_overwrites(tmp_path: Path) -> None:
    made = cli(tmp_path, "init", "--network", "testnet")
    assert made.returncode == 0, made.stderr
    written = (tmp_path / "testnet.toml").read_text()
    assert written.startswith("# Written by `python -m coordinator init --network testnet`.")
    assert written.endswith((CONFIGS / "testnet.toml").read_text())
    (tmp_path / "testnet.toml").write_text("# mine\n")
    again = cli(tmp_path, "init", "--network", "testnet")
    assert again.returncode == 2
    assert again.stderr == "error: testnet.toml exists; not overwritten (choose another --out)\n"
    assert (tmp_path / "testnet.toml").read_text() == "# mine\n"


def test_init_local_brings_its_scenario(tmp_path: Path) -> None:
    out = tmp_path / "demo" / "mine.toml"
    assert cli(tmp_path, "init", "--network", "local", "--out", str(out)).returncode == 0
    settings = load_settings(out, env={"STATE_DIRECTORY": str(tmp_path / "st")})
    assert settings.simnet.scenario == tmp_path / "demo" / "simnet" / "demo.toml"
    assert settings.simnet.scenario.read_text() == (CONFIGS / "simnet" / "demo.toml").read_text()
    assert settings.state.dir == tmp_path / "st" / "mine"


def test_two_daemons_with_default_paths_do_not_collide(tmp_path: Path) -> None:
    """Two configs that name no socket and no state: each daemon gets its own,
    and `status --config` finds each one's socket from its config alone."""
    env = {"STATE_DIRECTORY": str(tmp_path / "state"), "RUNTIME_DIRECTORY": str(tmp_path / "run"),
           "COORDINATION_PACKAGE_ID": "0x1", "SUI_SECRET_KEY": ""}
    procs = []
    try:
        for name in ("one", "two"):
            (tmp_path / f"{name}.toml").write_text(
                f'[sui]\nrpc_url = "{DEAD_NODE}"\nchain = "localnet"\n'
                '[rpc]\nlisten = ""\n[metrics]\nlisten = ""\n[status]\nmode = "plain"\n')
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "coordinator", "--config", f"{name}.toml"],
                cwd=tmp_path, env={**os.environ, **env}, text=True,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        for proc in procs:
            wait_for_line(proc, "reconnecting in")
        for name in ("one", "two"):
            assert (tmp_path / "run" / name / "coordinator.sock").is_socket()
            assert (tmp_path / "state" / name / DB_FILE).is_file()
            status = cli(tmp_path, "status", "--config", f"{name}.toml", env=env)
            assert status.returncode == 0, status.stderr
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.communicate(timeout=30)
    assert [proc.returncode for proc in procs] == [0, 0]


def test_an_installed_package_brings_its_configs(tmp_path: Path) -> None:
    """`pip install` of the wheel, then `--config testnet` outside any checkout."""
    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"

    def pip(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "pip", "-q", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr

    pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(wheel_dir), str(ROOT))
    [wheel] = wheel_dir.glob("*.whl")
    pip("install", "--no-deps", "--target", str(target), str(wheel))
    probe = ("from pathlib import Path; from coordinator.config import load_settings; "
             "import os; s = load_settings(Path('testnet'), env=os.environ); "
             "import coordinator.shipped as m; "
             "print(m.__file__, s.sui.chain, s.state.dir)")
    env = {**os.environ, "PYTHONPATH": str(target), "STATE_DIRECTORY": str(tmp_path / "st")}
    shown = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60, check=False)
    assert shown.returncode == 0, shown.stderr
    module, chain, state = shown.stdout.split()
    assert module.startswith(str(target)) and chain == "testnet"
    assert state == str(tmp_path / "st" / "testnet")
