"""`python -m coordinator backup|restore --config FILE`: a copy of the state, and back.

`backup` copies the database with sqlite's online backup, so it is consistent
while the daemon runs (a plain `cp` of a WAL database may not be); the copy is
checked and made mode 0600 (it holds the jobs' sessions and the outbox).
`restore` needs the daemon stopped (it takes the state dir's lock), checks the
copy, keeps the current database aside and puts the copy in its place.

What a restore means: the chain is the system of record, so jobs are read
again and reconciled at the next start; what is lost is what happened after
the copy was made: chain operations then in the outbox (the jobs they were
for time out on chain and are retried) and the cursor's progress (events
after it are read again and recognised by their identity).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
from pathlib import Path

from coordinator.config import ConfigError, load_settings
from coordinator.errors import SetupError
from coordinator.logs import escape
from coordinator.schema import SCHEMA_VERSION, file_version
from coordinator.state_integrity import DamagedState, check_not_empty, quick_check, set_aside
from coordinator.statelock import StateLock
from coordinator.store import DB_FILE

EXIT_CONFIG = 2


def build_parser(command: str) -> argparse.ArgumentParser:
    if command == "backup":
        parser = argparse.ArgumentParser(
            prog="python -m coordinator backup",
            description="Copy the state database to a new file (safe while the daemon runs).")
        parser.add_argument("--to", type=Path, required=True, help="the new file (mode 0600)")
    else:
        parser = argparse.ArgumentParser(
            prog="python -m coordinator restore",
            description="Put a backup in place of the state database (stop the daemon "
                        "first); the current one is kept aside.")
        parser.add_argument("--from", dest="source", type=Path, required=True,
                            help="a file made by `backup`")
    parser.add_argument("--config", type=Path, required=True, help="the daemon's TOML file")
    return parser


def check_copy(path: Path) -> None:
    """A copy fit to run on: a sqlite database that passes quick_check, of a schema
    version this coordinator knows."""
    if not path.is_file():
        raise SetupError(f"{escape(str(path))}: no such file")
    try:
        check_not_empty(path)
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            quick_check(db, path)
            version = file_version(db)
        finally:
            db.close()
    except DamagedState as exc:
        raise SetupError(f"{escape(str(path))} is not a state database: it {exc.found}") from None
    except sqlite3.DatabaseError as exc:
        raise SetupError(f"{escape(str(path))} is not a state database ({exc})") from None
    if version is None or version > SCHEMA_VERSION:
        raise SetupError(f"{escape(str(path))} holds no state this coordinator can use "
                         f"(schema version {version}, known up to {SCHEMA_VERSION})")


def backup(database: Path, target: Path) -> None:
    if not database.is_file():
        raise SetupError(f"state.dir: there is no state in {escape(str(database.parent))}")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise SetupError(f"cannot create {escape(str(target))}: {exc.strerror}") from None
    os.close(fd)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    except sqlite3.DatabaseError as exc:
        target.unlink()
        raise SetupError(f"the backup of {escape(str(database))} failed: {exc}") from None
    finally:
        copy.close()
        source.close()
    check_copy(target)


def restore(database: Path, source: Path) -> Path | None:
    """The copy in place of `database`; where the old one was set aside."""
    check_copy(source)
    with StateLock.acquire(database.parent):
        aside = set_aside(database)
        partial = database.with_name(f"{database.name}.restoring")
        shutil.copyfile(source, partial)
        os.chmod(partial, 0o600)
        os.replace(partial, database)
    return aside


def main(command: str, argv: list[str]) -> int:
    args = build_parser(command).parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(exc.for_stderr(), file=sys.stderr)
        return EXIT_CONFIG
    database = settings.state.dir / DB_FILE
    try:
        if command == "backup":
            backup(database, args.to)
            print(f"{escape(str(database))} copied to {escape(str(args.to))}")
        else:
            aside = restore(database, args.source)
            kept = f"; the old one is kept as {escape(str(aside))}" if aside else ""
            print(f"{escape(str(args.source))} restored to {escape(str(database))}{kept}")
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    return 0
