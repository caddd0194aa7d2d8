"""`python -m coordinator init --network NAME`: write a starting config.

The file is the shipped config of that network (`coordinator/configs/`), so a
new operator starts from the values this release was tested with and edits
from there. An existing file is never overwritten: it may be someone's edited
config. The file's name names the instance (`coordinator.instance_paths`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from coordinator.shipped import SHIPPED, shipped_config, shipped_scenario

EXIT_REFUSED = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m coordinator init",
        description="Write a starting config for a network (never over an existing file). "
        "The file's name (without .toml) names the instance: its socket and state "
        "directory are its own.",
    )
    parser.add_argument("--network", required=True, choices=SHIPPED,
                        help="the network (local: the embedded Sui simulator)")
    parser.add_argument("--out", type=Path,
                        help="the file to write (default: ./NETWORK.toml)")
    return parser


def _write_new(path: Path, text: str) -> None:
    """Create `path` with `text`; FileExistsError when anything is there."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    out: Path = args.out or Path(f"{args.network}.toml")
    # The local config names its scenario beside it (simnet/demo.toml).
    files = [(out, shipped_config(args.network))]
    if args.network == "local":
        files.append((out.parent / "simnet" / "demo.toml", shipped_scenario()))
    for path, _ in files:
        if path.exists() or path.is_symlink():
            print(f"error: {path} exists; not overwritten (choose another --out)",
                  file=sys.stderr)
            return EXIT_REFUSED
    header = f"# Written by `python -m coordinator init --network {args.network}`.\n"
    try:
        for path, source in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_new(path, (header if path == out else "") + source.read_text())
    except OSError as exc:
        print(f"error: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"wrote {out}; start with: python -m coordinator --config {out}")
    return 0
