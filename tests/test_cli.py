"""The command line as an operator uses it: a real process, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from coordinator.sui.keys import SuiKey
from tests.support import CONFIGS, DEAD_NODE, ROOT


def private_testnet_config(directory: Path) -> str:
    """The shipped testnet config, but for its socket, state dir and metrics
    port, which are the machine's: a second run beside this one (another
    checkout's tests, an operator's daemon) must not be disturbed; and no config
    service (tests reach loopback only)."""
    text = (CONFIGS / "testnet.toml").read_text()
    for shipped, own in [("[rpc]\n", f'[rpc]\nsocket_path = "{directory / "coordinator.sock"}"\n'),
                         ('listen = "auto:50051"', 'listen = ""'),
                         ('config_service = "https://rpc-devnet.silvana.dev"',
                          'config_service = ""'),
                         ("[state]\n", f'[state]\ndir = "{directory / "state"}"\n')]:
        assert text.count(shipped) == 1, shipped
        text = text.replace(shipped, own)
    path = directory / "testnet.toml"
    path.write_text(text + '\n[metrics]\nlisten = ""\n')
    return str(path)


# A key of no value: on testnet the daemon starts keyless only to observe.
TEST_KEY = SuiKey.generate().export()


def coordinator(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("COORDINATION_PACKAGE_ID", "SUI_SECRET_KEY", "OBSERVE_ONLY")}
    full_env.update({"SUI_SECRET_KEY": TEST_KEY} if env is None else env)
    return subprocess.Popen(
        [sys.executable, "-m", "coordinator", *args],
        cwd=ROOT, env=full_env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float = 20) -> list[str]:
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} not seen; got:\n{''.join(lines)}")


def test_bad_package_id_from_env_is_one_line_and_exit_2() -> None:
    proc = coordinator("--config", "testnet", env={"COORDINATION_PACKAGE_ID": "zz"})
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert err.count("\n") == 1 and "package_id" in err and "Traceback" not in err


def test_unknown_key_and_wrong_type_exit_2(tmp_path: Path) -> None:
    for text, key in [('[sui]\npackage_id = "0x1"\ntypo = 1\n', "sui.typo"),
                      ('[sui]\npackage_id = "0x1"\n[jobs]\nmax_attempts = "x"\n',
                       "jobs.max_attempts")]:
        path = tmp_path / "bad.toml"
        path.write_text(text)
        proc = coordinator("--config", str(path))
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 2
        assert err.count("\n") == 1 and key in err and "Traceback" not in err


def test_unreachable_node_retries_with_backoff_and_sigint_exits_0(tmp_path: Path) -> None:
    proc = coordinator("--config", private_testnet_config(tmp_path), "--rpc-url", DEAD_NODE)
    try:
        lines = wait_for_line(proc, "reconnecting in")
        lines += wait_for_line(proc, "reconnecting in")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    output = "".join(lines) + err
    assert proc.returncode == 0, output
    assert "cannot reach http://127.0.0.1:9" in output
    assert "draining" in output
    assert "Traceback" not in output


def test_sigterm_exits_0(tmp_path: Path) -> None:
    proc = coordinator("--config", private_testnet_config(tmp_path), "--rpc-url", DEAD_NODE)
    try:
        wait_for_line(proc, "reconnecting in")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "SIGTERM: draining" in err


def test_sighup_drains_like_sigterm(tmp_path: Path) -> None:
    """A closed terminal (SIGHUP) stops the daemon cleanly, not abruptly."""
    proc = coordinator("--config", private_testnet_config(tmp_path), "--rpc-url", DEAD_NODE)
    try:
        wait_for_line(proc, "reconnecting in")
        proc.send_signal(signal.SIGHUP)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "SIGHUP: draining" in err


def test_keyless_on_testnet_exits_2_naming_the_key_unless_told_to_observe(
    tmp_path: Path,
) -> None:
    """Keyless, jobs would run unclaimed and settle nowhere while another
    coordinator runs them too: refused, unless the operator asks to observe."""
    config = private_testnet_config(tmp_path)
    proc = coordinator("--config", config, "--rpc-url", DEAD_NODE, env={})
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("error: sui.key_file: no Sui key for chain testnet") and \
        "--observe-only" in err
    assert not (tmp_path / "coordinator.sock").exists()  # nothing started

    proc = coordinator("--config", config, "--rpc-url", DEAD_NODE, "--observe-only", env={})
    try:
        lines = wait_for_line(proc, "reconnecting in")
        assert any("observe only (settle.observe_only)" in line for line in lines), lines
        assert not any("NEITHER CLAIMED" in line for line in lines), lines
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
