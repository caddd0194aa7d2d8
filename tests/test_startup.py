"""The config contract at start, as an operator meets it: `python -m coordinator
--config FILE` with a resource the file names unusable on this machine exits 2
with one line naming the key (no traceback, no child crash-looping until the
supervisor gives up with 1).

Cases about permissions use mode bits; when the tests run as root, the daemon
runs as root without the capabilities that let root ignore them (setpriv drops
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_CHOWN and CAP_FOWNER from its
bounding set), as a hardened service unit would run it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from coordinator.config import ConfigError, load_settings
from tests.support import ROOT

# A loopback port nothing listens on: the daemon would retry it forever.
DEAD_NODE = "http://127.0.0.1:9"
# What lets root write anywhere and give a file to any group.
UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-chown,-fowner",
                "--inh-caps=-all"]
START_WITHIN_SECS = 30


@pytest.fixture(name="world")
def world_fixture() -> Iterator[Path]:
    """A directory under /tmp every user can read (tmp_path is root's only),
    with short paths for sockets."""
    path = Path(tempfile.mkdtemp(prefix="silvana-start-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def config_file(directory: Path, *, state: str, socket_path: str, socket_group: str = "",
                extra: str = "", rpc_url: str = DEAD_NODE) -> Path:
    path = directory / "coordinator.toml"
    path.write_text(f"""
[sui]
rpc_url = "{rpc_url}"
package_id = "0x5117a7a"

[state]
dir = "{state}"

[rpc]
socket_path = "{socket_path}"
socket_group = "{socket_group}"
listen = ""

[status]
mode = "off"
{extra}
""")
    path.chmod(0o644)
    return path


def start(config: Path, *, unprivileged: bool = False) -> tuple[int, str]:
    """Run the daemon; it must exit on its own. Returns (status, stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "COORDINATION_PACKAGE_ID"}
    env["PYTHONPATH"] = str(ROOT)
    wrapper = UNPRIVILEGED if unprivileged and os.geteuid() == 0 else []
    try:
        done = subprocess.run(
            [*wrapper, sys.executable, "-m", "coordinator", "--config", str(config)],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=START_WITHIN_SECS,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"the daemon did not exit within {START_WITHIN_SECS} s: "
                             f"{exc.stderr!r}") from None
    return done.returncode, done.stderr


def assert_one_line(status: int, stderr: str, key: str) -> None:
    assert status == 2, f"exit {status}, stderr:\n{stderr}"
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("error: ") and key in stderr, stderr
    assert "Traceback" not in stderr


# --- state.dir ----------------------------------------------------------------------


def test_state_dir_that_is_a_file(world: Path) -> None:
    (world / "afile").write_text("not a directory")
    config = config_file(world, state=f"{world}/afile", socket_path=f"{world}/c.sock")
    status, err = start(config)
    assert_one_line(status, err, "state.dir")
    assert "not a directory" in err


def test_state_dir_not_writable(world: Path) -> None:
    state = world / "readonly"
    state.mkdir(mode=0o555)
    config = config_file(world, state=str(state), socket_path=f"{world}/c.sock")
    status, err = start(config, unprivileged=True)
    assert_one_line(status, err, "state.dir")
    assert "cannot write" in err


def test_state_dir_under_proc(world: Path) -> None:
    config = config_file(world, state="/proc/self", socket_path=f"{world}/c.sock")
    status, err = start(config)
    assert_one_line(status, err, "state.dir")
    assert "/proc" in err


def test_state_dir_with_nul(world: Path) -> None:
    config = config_file(world, state=f"{world}/st\\u0000ate", socket_path=f"{world}/c.sock")
    status, err = start(config)
    assert_one_line(status, err, "state.dir")


# --- the file itself ------------------------------------------------------------------


def test_config_file_not_utf8(world: Path) -> None:
    config = world / "latin1.toml"
    config.write_bytes(b'[sui]\npackage_id = "0x1"\n# caf\xe9\n')
    status, err = start(config)
    assert_one_line(status, err, str(config))
    assert "UTF-8" in err


# --- the socket -----------------------------------------------------------------------


def test_socket_group_that_does_not_exist(world: Path) -> None:
    config = config_file(world, state=f"{world}/state", socket_path=f"{world}/c.sock",
                         socket_group="no-such-group-here")
    status, err = start(config)
    assert_one_line(status, err, "rpc.socket_group")


def test_socket_group_this_user_cannot_give(world: Path) -> None:
    # A gid this process is not in (a bare number: no such group need exist).
    gid = max(set(range(1, 65534)) - {os.getegid(), *os.getgroups()})
    config = config_file(world, state=f"{world}/state", socket_path=f"{world}/c.sock",
                         socket_group=str(gid))
    status, err = start(config, unprivileged=True)
    assert_one_line(status, err, "rpc.socket_group")


def test_socket_directory_that_cannot_be_made(world: Path) -> None:
    config = config_file(world, state=f"{world}/state", socket_path="/proc/silvana/c.sock")
    status, err = start(config)
    assert_one_line(status, err, "rpc.socket_path")


def test_socket_directory_not_writable(world: Path) -> None:
    sockets = world / "sockets"
    sockets.mkdir(mode=0o555)
    config = config_file(world, state=f"{world}/state", socket_path=f"{sockets}/c.sock")
    status, err = start(config, unprivileged=True)
    assert_one_line(status, err, "rpc.socket_path")
    assert "cannot write" in err


def test_agent_socket_dir_that_is_a_file(world: Path) -> None:
    (world / "c.sock.agents").write_text("")
    config = config_file(world, state=f"{world}/state", socket_path=f"{world}/c.sock")
    status, err = start(config)
    assert_one_line(status, err, "rpc.agent_socket_dir")
    assert "is not a directory" in err


# --- the embedded simulator -------------------------------------------------------------


def test_simnet_listen_in_use(world: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        listen = f"127.0.0.1:{taken.getsockname()[1]}"
        config = config_file(world, state=f"{world}/state", socket_path=f"{world}/c.sock",
                             rpc_url=f"http://{listen}",
                             extra=f'[simnet]\nenabled = true\nlisten = "{listen}"\n')
        status, err = start(config)
    assert_one_line(status, err, "simnet.listen")
    assert "in use" in err


def test_simnet_listen_not_what_rpc_url_points_at(world: Path) -> None:
    config = config_file(world, state=f"{world}/state", socket_path=f"{world}/c.sock",
                         rpc_url="http://127.0.0.1:9",
                         extra='[simnet]\nenabled = true\nlisten = "127.0.0.1:19"\n')
    status, err = start(config)
    assert_one_line(status, err, "sui.rpc_url")
    assert "simnet.listen" in err and "127.0.0.1:19" in err


# --- values that may be secrets ---------------------------------------------------------


@pytest.mark.parametrize("value", ["12345678", '["s3cr3t-value"]', "3.14159"])
def test_a_bad_agent_env_value_is_named_by_key_never_echoed(world: Path, value: str) -> None:
    path = world / "secret.toml"
    path.write_text(f'[sui]\npackage_id = "0x1"\n[docker]\nagent_env = {{ API_TOKEN = {value} }}\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    message = str(caught.value)
    assert message.startswith("config: docker.agent_env"), message
    assert value.strip('[]"') not in message


def test_a_check_across_sections_reads_as_one_line_naming_its_keys(world: Path) -> None:
    path = world / "simnet.toml"
    path.write_text('[sui]\npackage_id = "0x1"\nrpc_url = "http://127.0.0.1:9001"\n'
                    '[simnet]\nenabled = true\nlisten = "127.0.0.1:9000"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value).startswith(
        "config: with [simnet] enabled, sui.rpc_url must be http://127.0.0.1:9000 (simnet.listen)")
    # The same address, spelled with a trailing slash, is the simulator.
    path.write_text(path.read_text().replace(":9001", ":9000/"))
    assert load_settings(path, env={}).simnet.enabled
