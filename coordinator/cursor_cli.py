"""`python -m coordinator reset-cursor --config FILE`: start over on the chain.

What the operator runs when ingest reports a stored cursor ahead of the node's
tip (a reset chain, a cursor from a bogus `sui.start_checkpoint`): the cursor
and the handled-event identities are forgotten, so the next start begins at
`sui.start_checkpoint` or, unset, at the chain tip. Jobs and agent methods are
kept. It takes the state dir's lock, so it refuses while a daemon runs there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import trio

from coordinator.config import ConfigError, load_settings
from coordinator.errors import SetupError
from coordinator.logs import escape
from coordinator.statelock import StateLock
from coordinator.store import DB_FILE, Ledger, Store

EXIT_CONFIG = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m coordinator reset-cursor",
        description="Forget the stored cursor (stop the daemon first): the next start "
                    "begins at sui.start_checkpoint, or at the chain tip when unset.",
    )
    parser.add_argument("--config", type=Path, required=True,
                        help="the daemon's TOML file (its state.dir is reset)")
    return parser


async def _forget(state_dir: Path) -> int | None:
    store = await Store.open(state_dir)
    try:
        cursor = await store.run(Ledger.cursor)
        await store.run(Ledger.forget_cursor)
        return cursor
    finally:
        await store.close()


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(exc.for_stderr(), file=sys.stderr)
        return EXIT_CONFIG
    state_dir = settings.state.dir
    shown = escape(str(state_dir))
    if not (state_dir / DB_FILE).is_file():
        print(f"error: state.dir: there is no state in {shown}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        with StateLock.acquire(state_dir):
            cursor = trio.run(_forget, state_dir)
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    start = settings.sui.start_checkpoint
    where = "the chain tip" if start is None else f"checkpoint {start} (sui.start_checkpoint)"
    was = "no cursor was stored" if cursor is None else f"cursor {cursor} forgotten"
    print(f"{shown}: {was}; the next start begins at {where}")
    return 0
