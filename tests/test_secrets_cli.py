"""`python -m coordinator secrets` as an operator runs it: a key made, values
given on standard input, listed by name and scope, deleted; a wrong key and
a damaged file are one line and exit 2; no output ever holds a value."""

from __future__ import annotations

import stat
from pathlib import Path

from coordinator.agent_secrets import Scope, SecretsFile, SecretsKey
from coordinator.agent_secrets.store import for_container
from tests.support import daemon_config, run_cli

VALUE = "s3cr3t-value-never-shown"
INSTANCE = "0x" + "ab" * 32


def test_set_list_delete_through_the_command_line(tmp_path: Path) -> None:
    key_file = tmp_path / "secrets.key"
    made = run_cli("secrets", "keygen", "--out", str(key_file))
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    config = daemon_config(tmp_path, {"secrets": {"key_file": f'"{key_file}"'}})
    scope = ["--developer", "dev", "--agent", "agent"]
    outputs = []

    for args, value in (
        ([*scope, "--app", "app", "--app-instance", INSTANCE, "token"], VALUE + "\n"),
        ([*scope, "sk_wallet"], "suiprivkey1example"),
        ([*scope, "token"], "agent-wide\r\n"),
    ):
        done = run_cli("secrets", "set", "--config", str(config), *args, stdin=value)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout + done.stderr)
    assert outputs[0] == f"token set for developer=dev agent=agent app=app " \
                         f"app_instance={INSTANCE}\n"

    listed = run_cli("secrets", "list", "--config", str(config))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "sk_wallet\tdeveloper=dev agent=agent",
        "token\tdeveloper=dev agent=agent",
        f"token\tdeveloper=dev agent=agent app=app app_instance={INSTANCE}",
    ]
    outputs.append(listed.stdout + listed.stderr)

    # What the daemon will read: the values as given, less the final line break.
    key = SecretsKey.parse(key_file.read_text(), "test")
    secrets = SecretsFile(tmp_path / "state" / "secrets.enc", key).read()
    assert for_container(secrets, Scope("dev", "agent", "app", INSTANCE)) == {
        "SECRET_TOKEN": VALUE}
    assert for_container(secrets, Scope("dev", "agent", "other", INSTANCE)) == {
        "SECRET_TOKEN": "agent-wide"}

    deleted = run_cli("secrets", "delete", "--config", str(config), *scope, "sk_wallet")
    assert deleted.returncode == 0 and deleted.stdout == \
        "sk_wallet deleted for developer=dev agent=agent\n"
    again = run_cli("secrets", "delete", "--config", str(config), *scope, "sk_wallet")
    assert again.returncode == 1
    assert again.stderr == "error: no secret sk_wallet for developer=dev agent=agent\n"
    for output in outputs:
        assert VALUE not in output and "suiprivkey1example" not in output
        assert "agent-wide" not in output


def test_the_key_from_the_environment_and_refusals_in_one_line(tmp_path: Path) -> None:
    config = daemon_config(tmp_path)
    key = SecretsKey.generate().export()
    args = ("--config", str(config), "--developer", "dev", "--agent", "agent", "token")

    no_key = run_cli("secrets", "set", *args, stdin=VALUE)
    assert no_key.returncode == 2 and no_key.stderr.startswith("error: no secrets key: ")
    assert len(no_key.stderr.splitlines()) == 1

    done = run_cli("secrets", "set", *args, stdin=VALUE, env={"COORDINATOR_SECRETS_KEY": key})
    assert done.returncode == 0, done.stderr
    file = tmp_path / "state" / "secrets.enc"
    sealed = file.read_bytes()

    wrong = run_cli("secrets", "list", "--config", str(config),
                    env={"COORDINATOR_SECRETS_KEY": SecretsKey.generate().export()})
    assert wrong.returncode == 2
    assert wrong.stderr == (f"error: the secrets key (env COORDINATOR_SECRETS_KEY) is not the "
                            f"one the secrets file {file} was written with\n")
    overwrite = run_cli("secrets", "set", *args, stdin="new",
                        env={"COORDINATOR_SECRETS_KEY": SecretsKey.generate().export()})
    assert overwrite.returncode == 2 and file.read_bytes() == sealed

    file.write_bytes(sealed[:40])
    damaged = run_cli("secrets", "list", "--config", str(config),
                      env={"COORDINATOR_SECRETS_KEY": key})
    assert damaged.returncode == 2 and len(damaged.stderr.splitlines()) == 1
    assert damaged.stderr.startswith(f"error: the secrets file {file} is damaged (")

    bad_name = run_cli("secrets", "set", "--config", str(config), "--developer", "dev",
                       "--agent", "agent", "no-dashes", stdin=VALUE,
                       env={"COORDINATOR_SECRETS_KEY": key})
    assert bad_name.returncode == 2 and "letters, digits or _" in bad_name.stderr
    empty = run_cli("secrets", "set", *args, stdin="", env={"COORDINATOR_SECRETS_KEY": key})
    assert empty.returncode == 2 and empty.stderr == "error: the secret's value is empty\n"


def test_the_daemon_refuses_to_start_on_a_wrong_key(tmp_path: Path) -> None:
    config = daemon_config(tmp_path)
    key = SecretsKey.generate().export()
    done = run_cli("secrets", "set", "--config", str(config), "--developer", "dev", "--agent",
                   "agent", "token", stdin=VALUE, env={"COORDINATOR_SECRETS_KEY": key})
    assert done.returncode == 0, done.stderr
    file = tmp_path / "state" / "secrets.enc"

    wrong = run_cli("--config", str(config),
                    env={"COORDINATOR_SECRETS_KEY": SecretsKey.generate().export()})
    assert wrong.returncode == 2, wrong.stderr
    assert "holds other files" not in wrong.stderr  # the secrets file is the coordinator's
    assert wrong.stderr.splitlines()[-1] == (
        f"error: the secrets key (env COORDINATOR_SECRETS_KEY) is not the one the secrets "
        f"file {file} was written with")
    none = run_cli("--config", str(config))
    assert none.returncode == 2
    assert none.stderr.splitlines()[-1].startswith(
        f"error: the secrets file {file} exists but no key is given")
    assert VALUE not in wrong.stderr + none.stderr
