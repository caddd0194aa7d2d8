"""Command line: arguments -> Settings -> `app.run`.

Exit codes: 0 after a clean shutdown, 1 when the supervision tree gave up,
2 for a configuration error (one line on stderr, no traceback), 130 when a
second signal cut the drain short.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import trio

from coordinator import __version__, app, status_cli
from coordinator.config import ConfigError, load_settings
from coordinator.logs import setup_logging
from coordinator.rpc import SocketPathError
from coordinator.simnet.scenario import ScenarioError

EXIT_CONFIG = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m coordinator",
        description="Silvana coordinator: runs agent containers for jobs on a Sui chain. "
        "`python -m coordinator status --help`: ask a running daemon for its status.",
        epilog="Environment: SUI_RPC_URL, COORDINATION_PACKAGE_ID, COORDINATION_MODULE, "
        "DOCKER_USE_TEE, CONTAINER_TIMEOUT_SECS, LOG_LEVEL (see README).",
    )
    parser.add_argument("--config", type=Path, help="TOML file (e.g. config/testnet.toml)")
    parser.add_argument("--rpc-url", help="Sui gRPC endpoint: http://, https:// or unix:")
    parser.add_argument("--package-id", help="the coordination package id (0x...)")
    parser.add_argument("--module", help="watch this one Move module")
    parser.add_argument(
        "--container-timeout", type=int, metavar="SECS", help="agent container timeout"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["status"]:
        return status_cli.main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config, cli=vars(args))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(settings.log.level, format=settings.log.format)
    try:
        return trio.run(app.run, settings)
    except (SocketPathError, ScenarioError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        # A signal that arrived while the tree was already stopping (trio
        # re-raises what its receiver did not consume): exit at once.
        return app.EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
