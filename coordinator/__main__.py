"""Command line: arguments -> Settings -> `app.run`.

`python -m coordinator [start] [flags]`: `start` and its flags are upstream's
(`silvana start`), so its operators' scripts keep working; a `.env` file in the
working directory fills the environment first, as upstream's does.

Exit codes: 0 after a clean shutdown, 1 when the supervision tree gave up,
2 for a configuration error (one line on stderr per problem, no traceback),
130 when a second signal cut the drain short.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn

import trio

from coordinator import __version__, app
from coordinator.channel import Channel
from coordinator.config import ConfigError, Settings, load_settings
from coordinator.dotenv import DotenvError, load_dotenv
from coordinator.errors import SetupError
from coordinator.log_sink import install_log_sink
from coordinator.logs import setup_logging
from coordinator.state_integrity import set_aside
from coordinator.statelock import StateLock
from coordinator.store import DB_FILE
from coordinator.sui.keys import SuiKey
from coordinator.upstream import UPSTREAM_COMMANDS, UPSTREAM_ENV_IGNORED

EXIT_CONFIG = 2
MIGRATING = "docs/migrating-from-upstream.md"


class OneLineParser(argparse.ArgumentParser):
    """argparse whose usage errors are one line (its own are a usage block and
    a line), like every other refusal of the command line."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_CONFIG, f"error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m coordinator",
        description="Silvana coordinator: runs agent containers for jobs on a Sui chain. "
        "`python -m coordinator [start] [flags]` runs it (`start` and its flags as "
        "upstream's `silvana start`); "
        "`python -m coordinator status --help`: ask a running daemon for its status; "
        "`python -m coordinator reset-cursor --help`: start over on the chain; "
        "`python -m coordinator keygen --help`: make a Sui key for the coordinator; "
        "`python -m coordinator init --help`: write a starting config for a network; "
        "`python -m coordinator config-reference`: every key of the configuration; "
        "`python -m coordinator backup|restore --help`: a copy of the state, and back; "
        "`python -m coordinator secrets --help`: the agents' secrets.",
        epilog="Environment (a .env file in the working directory too): SUI_RPC_URL, "
        "COORDINATION_PACKAGE_ID, COORDINATION_MODULE, DOCKER_USE_TEE, CONTAINER_TIMEOUT_SECS, "
        "LOG_LEVEL, SUI_SECRET_KEY, SUI_ADDRESS, and upstream's SUI_CHAIN, SUI_RPC_URL_<CHAIN>, "
        "SILVANA_REGISTRY_PACKAGE, SILVANA_REGISTRY, GRPC_SOCKET_PATH, "
        "APP_INSTANCE_FILTER, SETTLE_ONLY, COORDINATOR_CONFIG "
        f"(see docs/configuration.md and {MIGRATING}).",
    )
    parser.add_argument("-c", "--config", type=Path,
                        help="TOML file, or a shipped config by name (local, devnet, testnet, "
                        "mainnet); default: $COORDINATOR_CONFIG")
    parser.add_argument("--rpc-url", help="Sui gRPC endpoint: http://, https:// or unix:")
    parser.add_argument("--package-id", help="the coordination package id (0x...)")
    parser.add_argument("--module", help="watch this one Move module (and the proof "
                        "pipeline's, for the status and metrics)")
    parser.add_argument(
        "--container-timeout", type=int, metavar="SECS", help="agent container timeout"
    )
    parser.add_argument(
        "--observe-only", action="store_true", default=None,
        help="follow the chain and show its jobs; claim, run and settle none (needs no key)",
    )
    parser.add_argument(
        "--fresh-state", action="store_true",
        help="start with empty state: the database is kept aside (coordinator.sqlite3.aside-*)",
    )
    # Upstream's `silvana start` flags (None when absent: the file's value stands).
    parser.add_argument("--chain", help="devnet, testnet, mainnet or localnet (sui.chain); "
                        "without --config: that network's shipped config")
    parser.add_argument("--use-tee", action="store_true", default=None,
                        help="TEE mode: host networking, digests required (docker.use_tee)")
    parser.add_argument("--log-level", help="error, warn, info, debug or trace (log.level)")
    parser.add_argument("--grpc-socket-path", type=Path,
                        help="the operator's socket (rpc.socket_path)")
    parser.add_argument("--instance", metavar="APP_INSTANCE",
                        help="take only this app instance's jobs (jobs.app_instance)")
    parser.add_argument("--settle", action="store_true", default=None,
                        help="a settlement node: only `settle` jobs (jobs.settle_only)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def start_argv(argv: list[str]) -> list[str]:
    """The start flags: `start` dropped, wherever upstream's global `--chain`
    put it (`silvana --chain testnet start ...`)."""
    if argv[:1] == ["start"]:
        return argv[1:]
    if argv[:1] == ["--chain"] and argv[2:3] == ["start"]:
        return argv[:2] + argv[3:]
    if argv[:1] and argv[0].startswith("--chain=") and argv[1:2] == ["start"]:
        return argv[:1] + argv[2:]
    return argv


def read_dotenv() -> bool:
    """`.env` into the environment (names already set win); False after
    printing the one-line error. Upstream's names that mean nothing here are
    named once each on stderr, so nobody believes them in force."""
    try:
        load_dotenv(os.environ)
    except DotenvError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    for name in sorted(UPSTREAM_ENV_IGNORED.keys() & os.environ.keys()):
        print(f"warning: {name} is upstream's and not read here: {UPSTREAM_ENV_IGNORED[name]} "
              f"(see {MIGRATING})", file=sys.stderr)
    return True


def keygen(argv: list[str]) -> int:
    """Make a new Ed25519 key: print it (or write it to a new 0600 file) and its address."""
    parser = argparse.ArgumentParser(
        prog="python -m coordinator keygen",
        description="Make a new Sui Ed25519 key for the coordinator and print its address. "
        "Use it as SUI_SECRET_KEY or as sui.key_file; fund the address before use.",
    )
    parser.add_argument(
        "--out", type=Path, help="write the key to this new file (mode 0600) instead of stdout"
    )
    args = parser.parse_args(argv)
    key = SuiKey.generate()
    if args.out is None:
        print(f"SUI_SECRET_KEY={key.export()}")
    else:
        try:
            # O_EXCL: never overwrite a key that may hold funds.
            fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            print(f"error: cannot create {args.out}: {exc.strerror}", file=sys.stderr)
            return EXIT_CONFIG
        with os.fdopen(fd, "w") as f:
            f.write(key.export() + "\n")
        print(f"key written to {args.out}")
    print(f"SUI_ADDRESS={key.address}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not read_dotenv():
        return EXIT_CONFIG
    if argv[:1] and argv[0] in UPSTREAM_COMMANDS:
        print(f"error: `silvana {argv[0]}` is upstream's; this coordinator has no such "
              f"command (see {MIGRATING})", file=sys.stderr)
        return EXIT_CONFIG
    # Each command's module is imported only when it runs: the daemon's
    # resident memory holds none of them (docs/benchmarks.md, rss).
    if argv[:1] == ["status"]:
        from coordinator import status_cli
        return status_cli.main(argv[1:])
    if argv[:1] == ["reset-cursor"]:
        from coordinator import cursor_cli
        return cursor_cli.main(argv[1:])
    if argv[:1] == ["keygen"]:
        return keygen(argv[1:])
    if argv[:1] == ["secrets"]:
        from coordinator import secrets_cli
        return secrets_cli.main(argv[1:])
    if argv[:1] == ["init"]:
        from coordinator import init_cli
        return init_cli.main(argv[1:])
    if argv[:1] == ["config-reference"]:
        from coordinator import config_reference
        return config_reference.main(argv[1:])
    if argv[:1] in (["backup"], ["restore"]):
        from coordinator import state_cli
        return state_cli.main(argv[0], argv[1:])
    args = build_parser().parse_args(start_argv(argv))
    try:
        settings = load_settings(args.config, cli=vars(args))
    except ConfigError as exc:
        print(exc.for_stderr(), file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(settings.log.level, format=settings.log.format)
    return run_daemon(settings, fresh_state=args.fresh_state)


def run_daemon(settings: Settings, *, fresh_state: bool = False) -> int:
    """Run the daemon with settings already loaded and logging set up (the
    enclave's entrypoint comes in here with the key its host handed over)."""
    if settings.enclave.logs_channel is not None:
        install_log_sink(Channel.parse(settings.enclave.logs_channel))
    try:
        if fresh_state:
            with StateLock.acquire(settings.state.dir):
                set_aside(settings.state.dir / DB_FILE)
        return trio.run(app.run, settings)
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        # A signal that arrived while the tree was already stopping (trio
        # re-raises what its receiver did not consume): exit at once.
        return app.EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
