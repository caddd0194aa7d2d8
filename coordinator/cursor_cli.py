"""`python -m coordinator reset-cursor --config FILE`: start over on the chain.

What the operator runs when ingest reports a stored cursor ahead of the node's
tip (a reset chain, a cursor from a bogus `sui.start_checkpoint`): the cursor
and the handled-event identities are forgotten, so the next start begins at
`sui.start_checkpoint` or, unset, at the chain tip. Jobs and agent methods are
kept. It takes the state dir's lock, so it refuses while a daemon runs there.

With `--chain` it is also the operator's explicit way onto another chain, when
the daemon refused to start because the node serves another chain than the
state was made on: the stored chain and the jobs go too (job ids restart
with a chain), and the next start binds the node's chain. Chain operations
not yet sent are never dropped: while any wait, it refuses (exit 2) and
changes nothing.
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
from coordinator.sui.chain_id import shown_chain_id

EXIT_CONFIG = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m coordinator reset-cursor",
        description="Forget the stored cursor (stop the daemon first): the next start "
                    "begins at sui.start_checkpoint, or at the chain tip when unset.",
    )
    parser.add_argument("--config", type=Path, required=True,
                        help="the daemon's TOML file (its state.dir is reset)")
    parser.add_argument("--chain", action="store_true",
                        help="also forget the chain the state was made on and its jobs (to "
                             "start over on another chain); refused while chain operations "
                             "wait to be sent")
    return parser


async def _forget(state_dir: Path, chain: bool) -> tuple[int | None, str | None]:
    """The cursor forgotten and, with `chain`, the chain it was made on (shown)."""
    store = await Store.open(state_dir)
    try:
        cursor, made_on = await store.run(Ledger.cursor), await store.run(Ledger.chain_id)
        if not chain:
            await store.run(Ledger.forget_cursor)
            return cursor, None
        shown = "(none bound)" if made_on is None else shown_chain_id(made_on)
        unsent = await store.run(lambda ledger: ledger.reset_chain(None))
        if unsent:
            raise SetupError(f"state.dir: {unsent} chain operation(s) not yet sent wait in "
                             f"{escape(str(state_dir))}: they are never dropped; send them "
                             f"from a node of chain {shown}, or set the whole state aside "
                             f"with `--fresh-state`")
        return cursor, shown
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
            cursor, made_on = trio.run(_forget, state_dir, args.chain)
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    start = settings.sui.start_checkpoint
    where = "the chain tip" if start is None else f"checkpoint {start} (sui.start_checkpoint)"
    was = "no cursor was stored" if cursor is None else f"cursor {cursor} forgotten"
    if made_on is not None:
        was += f", chain {made_on} and its jobs forgotten (the next start binds the node's)"
    print(f"{shown}: {was}; the next start begins at {where}")
    return 0
