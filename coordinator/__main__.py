"""Command line: arguments -> Settings -> `app.run`.

Exit codes: 0 after a clean shutdown, 1 when the supervision tree gave up,
2 for a configuration error (one line on stderr, no traceback), 130 when a
second signal cut the drain short.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import trio

from coordinator import __version__, app, cursor_cli, state_cli, status_cli
from coordinator.config import ConfigError, load_settings
from coordinator.errors import SetupError
from coordinator.logs import setup_logging
from coordinator.state_integrity import set_aside
from coordinator.statelock import StateLock
from coordinator.store import DB_FILE
from coordinator.sui.keys import SuiKey

EXIT_CONFIG = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m coordinator",
        description="Silvana coordinator: runs agent containers for jobs on a Sui chain. "
        "`python -m coordinator status --help`: ask a running daemon for its status; "
        "`python -m coordinator reset-cursor --help`: start over on the chain; "
        "`python -m coordinator keygen --help`: make a Sui key for the coordinator; "
        "`python -m coordinator backup|restore --help`: a copy of the state, and back.",
        epilog="Environment: SUI_RPC_URL, COORDINATION_PACKAGE_ID, COORDINATION_MODULE, "
        "DOCKER_USE_TEE, CONTAINER_TIMEOUT_SECS, LOG_LEVEL, SUI_SECRET_KEY, SUI_ADDRESS "
        "(see README).",
    )
    parser.add_argument("--config", type=Path, help="TOML file (e.g. config/testnet.toml)")
    parser.add_argument("--rpc-url", help="Sui gRPC endpoint: http://, https:// or unix:")
    parser.add_argument("--package-id", help="the coordination package id (0x...)")
    parser.add_argument("--module", help="watch this one Move module")
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
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


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
    if argv[:1] == ["status"]:
        return status_cli.main(argv[1:])
    if argv[:1] == ["reset-cursor"]:
        return cursor_cli.main(argv[1:])
    if argv[:1] == ["keygen"]:
        return keygen(argv[1:])
    if argv[:1] in (["backup"], ["restore"]):
        return state_cli.main(argv[0], argv[1:])
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config, cli=vars(args))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(settings.log.level, format=settings.log.format)
    try:
        if args.fresh_state:
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
