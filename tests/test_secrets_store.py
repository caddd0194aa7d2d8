"""The secrets store at rest: a round trip through the sealed file, the key
from each of its places, a wrong key and a damaged file refused in one line
that holds no secret, upstream's scopes, and the daemon's reader keeping the
last good secrets when the file goes bad."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from coordinator.agent_secrets import (
    AgentSecrets,
    Scope,
    SecretsError,
    SecretsFile,
    SecretsKey,
    SecretsSettings,
    find_key,
)
from coordinator.agent_secrets.store import MAX_VALUE_BYTES, for_container, retrieve

VALUE = "hunter2-the-value-itself"
INSTANCE = "0x" + "ab" * 32
JOB = Scope("dev", "agent", "app", INSTANCE)


def sealed(tmp_path: Path, key: SecretsKey | None = None) -> SecretsFile:
    return SecretsFile(tmp_path / "secrets.enc", key or SecretsKey.generate())


def test_round_trip_keeps_every_secret_and_shows_no_value(tmp_path: Path) -> None:
    file = sealed(tmp_path)
    assert file.put(JOB, "api_token", VALUE) is False
    assert file.put(Scope("dev", "agent"), "sk_wallet", "suiprivkey1secret") is False
    assert file.put(JOB, "api_token", VALUE + "2") is True

    again = SecretsFile(file.path, SecretsKey(file.key.raw, "again"))
    secrets = again.read()
    assert {(scope, name): s.value for (scope, name), s in secrets.items()} == {
        (JOB, "api_token"): VALUE + "2",
        (Scope("dev", "agent"), "sk_wallet"): "suiprivkey1secret",
    }
    raw = file.path.read_bytes()
    for clear in (VALUE.encode(), b"suiprivkey1secret", b"api_token", b"sk_wallet", b"dev"):
        assert clear not in raw
    assert stat.S_IMODE(file.path.stat().st_mode) == 0o600
    assert VALUE not in repr(secrets)
    assert again.delete(JOB, "api_token") is True
    assert again.delete(JOB, "api_token") is False
    assert list(file.read()) == [(Scope("dev", "agent"), "sk_wallet")]


def test_a_wrong_key_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    file = sealed(tmp_path)
    file.put(JOB, "api_token", VALUE)
    before = file.path.read_bytes()
    wrong = SecretsFile(file.path, SecretsKey(SecretsKey.generate().raw, "env X"))
    for attempt in (wrong.read, lambda: wrong.put(JOB, "other", "v")):
        with pytest.raises(SecretsError) as info:
            attempt()
        assert str(info.value) == (f"the secrets key (env X) is not the one the secrets "
                                   f"file {file.path} was written with")
    assert file.path.read_bytes() == before


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "header"])
def test_a_damaged_file_is_one_line_and_is_not_overwritten(tmp_path: Path, damage: str) -> None:
    file = sealed(tmp_path)
    file.put(JOB, "api_token", VALUE)
    data = file.path.read_bytes()
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        envelope = json.loads(data)
        sealed_part = envelope["sealed"]
        envelope["sealed"] = ("A" if sealed_part[0] != "A" else "B") + sealed_part[1:]
        data = json.dumps(envelope).encode()
    elif damage == "garbage":
        data = b"\x00\xff not json"
    else:  # the header is authenticated too
        envelope = json.loads(data)
        envelope["key_id"] = "0" * 16
        data = json.dumps(envelope).encode()
    file.path.write_bytes(data)
    with pytest.raises(SecretsError) as info:
        file.read()
    message = str(info.value)
    assert "\n" not in message and VALUE not in message
    if damage != "header":
        assert message.startswith(f"the secrets file {file.path} is damaged (")
    with pytest.raises(SecretsError):
        file.put(JOB, "other", "value")
    assert file.path.read_bytes() == data  # nothing written over what may be restored


def test_upstreams_scopes(tmp_path: Path) -> None:
    file = sealed(tmp_path)
    file.put(Scope("dev", "agent"), "sk_wallet", "key")
    file.put(Scope("dev", "agent"), "token", "agent-wide")
    file.put(Scope("dev", "agent", "app"), "token", "app-wide")
    file.put(JOB, "token", "instance")
    file.put(Scope("dev", "agent", "app"), "region", "eu")
    file.put(Scope("dev", "agent", "app", "0x" + "cd" * 32), "only_there", "x")
    file.put(Scope("dev", "other"), "token", "another agent's")
    secrets = file.read()

    # RetrieveSecret: sk_ per developer and agent, others exactly at the job's instance.
    found = retrieve(secrets, JOB, "sk_wallet")
    assert found is not None and found.value == "key"
    found = retrieve(secrets, JOB, "token")
    assert found is not None and found.value == "instance"
    assert retrieve(secrets, JOB, "region") is None  # no wider scope for the call
    assert retrieve(secrets, JOB, "only_there") is None

    # Containers: the most specific scope wins; sk_ stay out of the environment.
    assert for_container(secrets, JOB) == {"SECRET_REGION": "eu", "SECRET_TOKEN": "instance"}
    elsewhere = Scope("dev", "agent", "app", "0x" + "ef" * 32)
    assert for_container(secrets, elsewhere) == {"SECRET_REGION": "eu",
                                                 "SECRET_TOKEN": "app-wide"}
    assert for_container(secrets, Scope("dev", "agent", "other-app", INSTANCE)) == {
        "SECRET_TOKEN": "agent-wide"}
    assert for_container(secrets, Scope("nobody", "agent", "app", INSTANCE)) == {}


@pytest.mark.parametrize(("scope", "name", "value", "says"), [
    (JOB, "", "v", "secret name '' must be 1 to 64"),
    (JOB, "9lives", "v", "not starting with a digit"),
    (JOB, "has-dash", "v", "letters, digits or _"),
    (JOB, "x" * 65, "v", "1 to 64"),
    (JOB, "ok", "", "the secret's value is empty"),
    (JOB, "ok", "a\0b", "NUL"),
    (JOB, "ok", "x" * (MAX_VALUE_BYTES + 1), f"at most {MAX_VALUE_BYTES}"),
    (Scope("dev", "agent", "app"), "sk_key", "v", "per developer and agent"),
    (Scope("dev", "agent", None, INSTANCE), "ok", "v", "needs its app"),
    (Scope("dev", "agent", "app", "not-an-address"), "ok", "v", "app instance"),
    (Scope("dev ", "agent"), "ok", "v", "developer"),
])
def test_bad_names_scopes_and_values_are_refused(tmp_path: Path, scope: Scope, name: str,
                                                 value: str, says: str) -> None:
    file = sealed(tmp_path)
    with pytest.raises(SecretsError, match=says):
        file.put(scope, name, value)
    assert not file.path.exists()


def test_names_that_would_share_a_variable_are_refused(tmp_path: Path) -> None:
    file = sealed(tmp_path)
    file.put(JOB, "token", "a")
    with pytest.raises(SecretsError, match="both would be SECRET_TOKEN"):
        file.put(Scope("dev", "agent"), "TOKEN", "b")


def test_the_key_from_a_file_a_credential_or_the_environment(tmp_path: Path) -> None:
    key = SecretsKey.generate()
    (tmp_path / "k").write_text(key.export() + "\n")
    credentials = tmp_path / "creds"
    credentials.mkdir()
    (credentials / "coordinator-secrets-key").write_text(key.export())
    other = SecretsKey.generate()
    env = {"CREDENTIALS_DIRECTORY": str(credentials), "COORDINATOR_SECRETS_KEY": other.export()}

    from_file = find_key(tmp_path / "k", env)
    assert from_file is not None and from_file.raw == key.raw
    credential = find_key(None, env)
    assert credential is not None and credential.raw == key.raw
    assert credential.origin == "systemd credential coordinator-secrets-key"
    from_env = find_key(None, {"COORDINATOR_SECRETS_KEY": other.export()})
    assert from_env is not None and from_env.raw == other.raw
    assert find_key(None, {}) is None
    assert other.export() not in repr(from_env)

    with pytest.raises(SecretsError, match="env COORDINATOR_SECRETS_KEY: the secrets key must "
                                           "be 32 bytes, not 3"):
        find_key(None, {"COORDINATOR_SECRETS_KEY": "YWJj"})
    with pytest.raises(SecretsError, match="must be base64"):
        find_key(None, {"COORDINATOR_SECRETS_KEY": "not base64!"})
    with pytest.raises(SecretsError, match=r"secrets\.key_file: cannot read"):
        find_key(tmp_path / "missing", {})


def test_the_daemon_needs_the_key_of_an_existing_file(tmp_path: Path) -> None:
    settings = SecretsSettings()
    assert AgentSecrets.open(settings, tmp_path, {}).file is None  # none, and no error
    key = SecretsKey.generate()
    SecretsFile(tmp_path / "secrets.enc", key).put(JOB, "token", VALUE)
    with pytest.raises(SecretsError, match="exists but no key is given"):
        AgentSecrets.open(settings, tmp_path, {})
    with pytest.raises(SecretsError, match="is not the one"):
        AgentSecrets.open(settings, tmp_path,
                          {"COORDINATOR_SECRETS_KEY": SecretsKey.generate().export()})
    opened = AgentSecrets.open(settings, tmp_path, {"COORDINATOR_SECRETS_KEY": key.export()})
    assert opened.count == 1


async def test_the_reader_follows_changes_and_keeps_the_last_good_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    key = SecretsKey.generate()
    file = SecretsFile(tmp_path / "secrets.enc", key)
    reader = AgentSecrets.open(SecretsSettings(), tmp_path,
                               {"COORDINATOR_SECRETS_KEY": key.export()})
    assert await reader.for_container(JOB) == {}

    file.put(JOB, "token", VALUE)
    assert await reader.for_container(JOB) == {"SECRET_TOKEN": VALUE}
    found = await reader.retrieve(JOB, "token")
    assert found is not None and found.value == VALUE

    caplog.set_level(logging.INFO)
    file.path.write_bytes(b"{}")  # a bad copy put in place
    assert await reader.for_container(JOB) == {"SECRET_TOKEN": VALUE}
    assert await reader.for_container(JOB) == {"SECRET_TOKEN": VALUE}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "is damaged" in warnings[0]
    assert VALUE not in caplog.text
