"""The coordinator's Sui key: Sui's text form, key files, addresses, config errors, keygen."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coordinator.config import ConfigError, load_settings, signing_key
from coordinator.sui.keys import SuiKey, SuiKeyError, address_of

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = {"COORDINATION_PACKAGE_ID": "0x2"}


def _vector_key() -> dict[str, str]:
    for shared in (ROOT.parent / "shared", Path("/work/shared")):
        path = shared / "vectors" / "sui-transactions.json"
        if path.is_file():
            key: dict[str, str] = json.loads(path.read_text())["key"]
            return key
    raise FileNotFoundError("shared/vectors/sui-transactions.json not found")


VECTOR = _vector_key()


def test_the_vector_key_and_address_are_derived_exactly() -> None:
    key = SuiKey.from_text(VECTOR["suiprivkey"])
    assert key.address == VECTOR["address"]
    assert base64.b64encode(key.public_key).decode() == VECTOR["public_key_base64"]
    assert key.export() == VECTOR["suiprivkey"]
    assert SuiKey.from_secret(bytes.fromhex(VECTOR["secret_hex"])).address == VECTOR["address"]
    assert address_of(key.public_key) == VECTOR["address"]


def test_the_secret_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    key = SuiKey.from_text(VECTOR["suiprivkey"])
    settings = load_settings(None, env={**PACKAGE, "SUI_SECRET_KEY": VECTOR["suiprivkey"]})
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("key %s %r settings %s %r", key, key, settings, settings)
    shown = caplog.text + repr(settings.model_dump()) + str(settings.sui)
    for secret in (VECTOR["suiprivkey"], VECTOR["secret_hex"], "07" * 32):
        assert secret not in shown
    assert VECTOR["address"] in repr(key)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0x" + "07" * 32, "not a Sui private key"),
        (VECTOR["suiprivkey"][:-1] + "5", "checksum"),
        (VECTOR["suiprivkey"][:-8], "checksum"),
        # A valid bech32 suiprivkey whose flag says Secp256k1 (0x01).
        (
            "suiprivkey1qyrswpc8qurswpc8qurswpc8qurswpc8qurswpc8qurswpc8qurswua9amz",
            "not an Ed25519",
        ),
    ],
)
def test_a_malformed_key_is_one_line_without_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(None, env={**PACKAGE, "SUI_SECRET_KEY": text})
    line = str(caught.value)
    assert "\n" not in line and text not in line and "SUI_SECRET_KEY" in line


def _key_file(tmp_path: Path, mode: int, text: str = VECTOR["suiprivkey"]) -> Path:
    path = tmp_path / "coordinator.key"
    path.write_text(text + "\n")
    path.chmod(mode)
    return path


def test_a_key_file_of_mode_0600_is_used(tmp_path: Path) -> None:
    path = _key_file(tmp_path, 0o600)
    toml = tmp_path / "c.toml"
    toml.write_text(f'[sui]\npackage_id = "0x2"\nkey_file = "{path}"\n')
    settings = load_settings(toml, env={"SUI_ADDRESS": VECTOR["address"].upper().replace("X", "x")})
    key = signing_key(settings)
    assert key is not None and key.address == VECTOR["address"]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_looser_key_file_is_refused(tmp_path: Path, mode: int) -> None:
    path = _key_file(tmp_path, mode)
    toml = tmp_path / "c.toml"
    toml.write_text(f'[sui]\npackage_id = "0x2"\nkey_file = "{path}"\n')
    with pytest.raises(ConfigError, match=f"mode {mode:04o}.*chmod 600") as caught:
        load_settings(toml, env={})
    assert "\n" not in str(caught.value)


def test_key_file_problems(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text(f'[sui]\npackage_id = "0x2"\nkey_file = "{tmp_path / "missing"}"\n')
    with pytest.raises(ConfigError, match="not found"):
        load_settings(toml, env={})
    link = tmp_path / "link.key"
    link.symlink_to(_key_file(tmp_path, 0o600))
    toml.write_text(f'[sui]\npackage_id = "0x2"\nkey_file = "{link}"\n')
    with pytest.raises(ConfigError, match="cannot open key file"):
        load_settings(toml, env={})
    (tmp_path / "garbage.key").write_bytes(b"\xff\xfe")
    (tmp_path / "garbage.key").chmod(0o600)
    toml.write_text(f'[sui]\npackage_id = "0x2"\nkey_file = "{tmp_path / "garbage.key"}"\n')
    with pytest.raises(ConfigError, match="not a suiprivkey1"):
        load_settings(toml, env={})


def test_address_mismatch_and_inconsistent_settings(tmp_path: Path) -> None:
    env = {**PACKAGE, "SUI_SECRET_KEY": VECTOR["suiprivkey"], "SUI_ADDRESS": "0x1"}
    with pytest.raises(ConfigError, match=f"address {VECTOR['address']} is not SUI_ADDRESS 0x0+1$"):
        load_settings(None, env=env)
    with pytest.raises(ConfigError, match="SUI_ADDRESS is set but no key"):
        load_settings(None, env={**PACKAGE, "SUI_ADDRESS": VECTOR["address"]})
    toml = tmp_path / "c.toml"
    toml.write_text(f'[sui]\npackage_id = "0x2"\nkey_file = "{_key_file(tmp_path, 0o600)}"\n')
    with pytest.raises(ConfigError, match="both set"):
        load_settings(toml, env={"SUI_SECRET_KEY": VECTOR["suiprivkey"]})
    toml.write_text(f'[sui]\npackage_id = "0x2"\nsecret_key = "{VECTOR["suiprivkey"]}"\n')
    with pytest.raises(ConfigError, match="not read from a file") as caught:
        load_settings(toml, env={})
    assert VECTOR["suiprivkey"] not in str(caught.value)


def test_no_key_is_fine() -> None:
    settings = load_settings(None, env={**PACKAGE, "SUI_SECRET_KEY": ""})
    assert signing_key(settings) is None


def test_gas_budget_is_validated(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text('[sui]\npackage_id = "0x2"\ngas_budget = 0\n')
    with pytest.raises(ConfigError, match=r"sui\.gas_budget"):
        load_settings(toml, env={})
    toml.write_text('[sui]\npackage_id = "0x2"\ngas_budget = 20000000\n')
    assert load_settings(toml, env={}).sui.gas_budget == 20_000_000


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SUI_", "COORDINATION_"))}
    return subprocess.run(
        [sys.executable, "-m", "coordinator", *args],
        cwd=ROOT,
        env={**clean, **(env or {})},
        text=True,
        capture_output=True,
        timeout=60,
    )


def test_keygen_prints_a_key_that_loads_to_its_address(tmp_path: Path) -> None:
    result = _run("keygen")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert SuiKey.from_text(lines["SUI_SECRET_KEY"]).address == lines["SUI_ADDRESS"]
    out = tmp_path / "new.key"
    result = _run("keygen", "--out", str(out))
    assert result.returncode == 0 and out.stat().st_mode & 0o777 == 0o600
    address = result.stdout.splitlines()[-1].removeprefix("SUI_ADDRESS=")
    assert SuiKey.from_file(out).address == address
    assert out.read_text().strip() not in result.stdout
    again = _run("keygen", "--out", str(out))
    assert again.returncode == 2 and "exists" in again.stderr
    assert SuiKey.from_file(out).address == address  # never overwritten


def test_a_bad_key_exits_2_with_one_line() -> None:
    result = _run(
        "--rpc-url",
        "http://127.0.0.1:9",
        env={**PACKAGE, "SUI_SECRET_KEY": VECTOR["suiprivkey"], "SUI_ADDRESS": "0x1234"},
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "is not SUI_ADDRESS" in result.stderr
    assert VECTOR["suiprivkey"] not in result.stderr


def test_from_file_refuses_what_is_not_a_key(tmp_path: Path) -> None:
    with pytest.raises(SuiKeyError, match="not a regular file"):
        SuiKey.from_file(tmp_path)


def test_the_key_as_a_service_managers_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """systemd's LoadCredential=sui-key:/etc/... puts the key at
    $CREDENTIALS_DIRECTORY/sui-key, mode 0400 for the service's user: the daemon
    reads it there by name, and says in one line what is missing otherwise."""
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "sui-key").write_text(VECTOR["suiprivkey"] + "\n")
    (credentials / "sui-key").chmod(0o400)
    toml = tmp_path / "c.toml"
    toml.write_text('[sui]\npackage_id = "0x2"\nkey_credential = "sui-key"\n')
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(ConfigError, match=r"sui-key.*CREDENTIALS_DIRECTORY is not set.*"
                       r"LoadCredential=sui-key:") as caught:
        load_settings(toml, env={})
    assert "\n" not in str(caught.value)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    key = signing_key(load_settings(toml, env={}))
    assert key is not None and key.address == VECTOR["address"]
    toml.write_text('[sui]\npackage_id = "0x2"\nkey_credential = "other"\n')
    with pytest.raises(ConfigError, match=f"key file {credentials / 'other'} not found"):
        load_settings(toml, env={})
    toml.write_text(f'[sui]\npackage_id = "0x2"\nkey_credential = "sui-key"\n'
                    f'key_file = "{_key_file(tmp_path, 0o600)}"\n')
    with pytest.raises(ConfigError, match=r"key_file and sui\.key_credential are both set"):
        load_settings(toml, env={})
    toml.write_text('[sui]\npackage_id = "0x2"\nkey_credential = "../sui-key"\n')
    with pytest.raises(ConfigError, match=r"sui\.key_credential"):
        load_settings(toml, env={})
