"""`python -m coordinator status`: ask a running daemon how it is doing.

It calls GetStatus on the daemon's Unix socket and renders the answer with
the same code as the daemon's own view (`coordinator.console`): the live view
on a terminal, the summary line otherwise; `--watch` repeats until Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import trio
from rich.console import Console
from rich.live import Live

from coordinator import grpc
from coordinator._pb.silvana.coordinator.v1 import coordinator_grpc
from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import CONFIG_ENV, ConfigError, config_file, place_paths, read_toml
from coordinator.console import live_view
from coordinator.rpc.settings import RpcSettings
from coordinator.status_text import EventRate, summary_line

CALL_TIMEOUT_SECS = 5.0
WATCH_INTERVAL_SECS = 1.0
EXIT_UNREACHABLE = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m coordinator status",
        description="Show the status of a running coordinator (GetStatus on its socket).",
    )
    parser.add_argument("--socket", type=Path,
                        help="the daemon's socket (default: rpc.socket_path of --config or "
                             "$COORDINATOR_CONFIG, else the default instance's)")
    parser.add_argument("--config", type=Path,
                        help="take the socket path from this TOML file (or a shipped config)")
    parser.add_argument("--watch", action="store_true", help="refresh every second until Ctrl-C")
    return parser


def socket_path(args: argparse.Namespace) -> Path:
    if args.socket is not None:
        return Path(args.socket)
    given = args.config or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV)
                            else None)
    # Only [rpc] is read: the socket, wherever the daemon's config puts it.
    config = None if given is None else config_file(given)
    tree = {} if config is None else read_toml(config)
    place_paths(tree, config, os.environ)
    return RpcSettings.model_validate(tree["rpc"]).socket_path


async def fetch(path: Path) -> pb.GetStatusResponse:
    with trio.fail_after(CALL_TIMEOUT_SECS):
        async with grpc.unix_channel(path) as channel:
            stub = coordinator_grpc.CoordinatorStatusServiceStub(channel)
            response: pb.GetStatusResponse = await stub.GetStatus(pb.GetStatusRequest())
            return response


async def show(path: Path, watch: bool) -> None:
    console = Console()
    rate = EventRate()
    snapshot = await fetch(path)
    if not watch:
        if console.is_terminal:
            console.print(live_view(snapshot, rate.update(snapshot)))
        else:
            print(summary_line(snapshot, rate.update(snapshot)))
        return
    with Live(console=console, auto_refresh=False) as live:
        while True:
            live.update(live_view(snapshot, rate.update(snapshot)), refresh=True)
            await trio.sleep(WATCH_INTERVAL_SECS)
            snapshot = await fetch(path)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        path = socket_path(args)
    except (ConfigError, ValueError) as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return EXIT_USAGE
    try:
        trio.run(show, path, args.watch)
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # refused, missing, timed out, or an RPC error: all say "not there"
        print(f"error: no coordinator answered on {path}: {exc or type(exc).__name__}",
              file=sys.stderr)
        return EXIT_UNREACHABLE
    return 0
