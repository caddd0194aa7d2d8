"""`python -m coordinator secrets keygen|set|list|delete`: the agents' secrets.

A value is read from standard input (from a terminal without echo), never from
the command line, where `ps` and shell history would keep it; no command
prints a value. `list` shows names and scopes. The daemon may run meanwhile:
it reads the file again when it changes. See docs/secrets.md.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from coordinator.agent_secrets import Scope, SecretsError, SecretsFile, SecretsKey, find_key
from coordinator.agent_secrets.store import MAX_VALUE_BYTES
from coordinator.config import ConfigError, load_settings
from coordinator.logs import escape

EXIT_CONFIG = 2
EXIT_NOT_FOUND = 1


def _scoped(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the secret's name (the container's SECRET_<NAME>); "
                        "names starting sk_ are private keys, per developer and agent")
    parser.add_argument("--developer", required=True)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--app", help="the app (with --app-instance: that instance only)")
    parser.add_argument("--app-instance", help="the app instance's id (0x...)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m coordinator secrets",
        description="The agents' secrets, encrypted at rest with the operator's key "
        "(secrets.key_file, the systemd credential coordinator-secrets-key, or env "
        "COORDINATOR_SECRETS_KEY). See docs/secrets.md.")
    commands = parser.add_subparsers(dest="command", required=True)
    keygen = commands.add_parser("keygen", help="print a new key (or write it to a new file)")
    keygen.add_argument("--out", type=Path, help="a new file (mode 0600) instead of stdout")
    for name, text in (("set", "set a secret; its value is read from standard input"),
                       ("delete", "delete a secret"),
                       ("list", "the secrets' names and scopes (never values)")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--config", type=Path,
                             help="the daemon's TOML file (default: $COORDINATOR_CONFIG)")
        if name != "list":
            _scoped(command)
    return parser


def read_value() -> str:
    """The value from standard input: a terminal is asked without echo; a pipe
    is read whole, less one final line break."""
    if sys.stdin.isatty():
        return getpass.getpass("value (not shown): ")
    data = sys.stdin.buffer.read(MAX_VALUE_BYTES + 3)
    if len(data) > MAX_VALUE_BYTES + 2:
        raise SecretsError(f"the value on standard input is longer than {MAX_VALUE_BYTES} bytes")
    for end in (b"\r\n", b"\n"):
        if data.endswith(end):
            data = data[: -len(end)]
            break
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise SecretsError("the value on standard input is not UTF-8 text") from None


def keygen(out: Path | None) -> None:
    key = SecretsKey.generate()
    if out is None:
        print(f"COORDINATOR_SECRETS_KEY={key.export()}")
        return
    try:
        # O_EXCL: never overwrite a key a secrets file may be sealed with.
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise SecretsError(f"cannot create {out}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as f:
        f.write(key.export() + "\n")
    print(f"secrets key written to {escape(str(out))}")


def open_file(config: Path | None) -> SecretsFile:
    settings = load_settings(config)
    key = find_key(settings.secrets.key_file)
    if key is None:
        raise SecretsError("no secrets key: set secrets.key_file, the systemd credential "
                           "coordinator-secrets-key or env COORDINATOR_SECRETS_KEY "
                           "(`python -m coordinator secrets keygen` makes one)")
    return SecretsFile(settings.secrets.path(settings.state.dir), key)


def run(args: argparse.Namespace) -> int:
    if args.command == "keygen":
        keygen(args.out)
        return 0
    file = open_file(args.config)
    if args.command == "list":
        secrets = sorted(file.read().values(), key=lambda s: (s.scope.order(), s.name))
        for secret in secrets:
            print(f"{secret.name}\t{escape(secret.scope.describe())}")
        print(f"{len(secrets)} secrets in {escape(str(file.path))}", file=sys.stderr)
        return 0
    scope = Scope(args.developer, args.agent, args.app, args.app_instance)
    if args.command == "set":
        replaced = file.put(scope, args.name, read_value())
        print(f"{args.name} {'replaced' if replaced else 'set'} for "
              f"{escape(scope.describe())}")
        return 0
    if file.delete(scope, args.name):
        print(f"{args.name} deleted for {escape(scope.describe())}")
        return 0
    print(f"error: no secret {args.name} for {escape(scope.describe())}", file=sys.stderr)
    return EXIT_NOT_FOUND


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except ConfigError as exc:
        print(exc.for_stderr(), file=sys.stderr)
    except SecretsError as exc:
        print(f"error: {escape(str(exc))}", file=sys.stderr)
    return EXIT_CONFIG
