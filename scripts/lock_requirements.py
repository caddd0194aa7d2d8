"""Write the hash-locked requirements of the coordinator image (scripts/lock-requirements).

    config/enclave/requirements.lock   the runtime dependencies of pyproject.toml's
                                       [project] (not the test extras), resolved
    config/enclave/pip.lock            the pip that installs them inside the image

Both are resolved by `pip install --dry-run --report` for the image's interpreter,
not this one: CPython 3.11 on Linux x86_64 with glibc 2.36 (Debian bookworm),
wheels only (building an sdist is not reproducible). Each line pins one version
and the sha256 of the one wheel pip chose, so `pip install --require-hashes`
refuses anything else. Index URLs are never written: the files name packages,
versions and hashes only.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "config" / "enclave"

# The interpreter and platforms of the image (Debian bookworm's python3.11,
# glibc 2.36): a manylinux wheel for any glibc up to 2.36 runs there.
TARGET = [
    "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
    "--platform", "manylinux_2_36_x86_64", "--platform", "manylinux_2_28_x86_64",
    "--platform", "manylinux2014_x86_64",
]

HEADER = """\
# {what}
# Made by scripts/lock-requirements for CPython 3.11 on Linux x86_64 (Debian
# bookworm, glibc 2.36), wheels only, one sha256 per line. Do not edit by hand:
# change pyproject.toml and run scripts/lock-requirements.
"""


def resolve(requirements: list[str]) -> list[tuple[str, str, str]]:
    """(name, version, sha256) of every wheel pip would install, sorted by name."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run(
            [
                sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                "--only-binary=:all:", "--quiet", "--disable-pip-version-check",
                "--target", str(Path(tmp) / "target"), "--report", str(report),
                *TARGET, *requirements,
            ],
            check=True,
        )
        data = json.loads(report.read_text())
    pins = []
    for item in data["install"]:
        name = item["metadata"]["name"].lower().replace("_", "-")
        hashes = item["download_info"].get("archive_info", {}).get("hashes", {})
        if "sha256" not in hashes:
            raise SystemExit(f"lock-requirements: pip gave no sha256 for {name}")
        pins.append((name, item["metadata"]["version"], hashes["sha256"]))
    return sorted(pins)


def render(what: str, pins: list[tuple[str, str, str]]) -> str:
    lines = [HEADER.format(what=what)]
    for name, version, sha256 in pins:
        lines.append(f"{name}=={version} \\\n    --hash=sha256:{sha256}\n")
    return "".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when the lock files are not what pyproject.toml resolves to "
                        "now (they go stale as new versions appear; that alone is no error "
                        "for a build, which uses the lock files as they are)")
    args = parser.parse_args()
    with (ROOT / "pyproject.toml").open("rb") as f:
        dependencies = tomllib.load(f)["project"]["dependencies"]
    outputs = {
        OUT_DIR / "requirements.lock": render(
            "Runtime dependencies of the coordinator image (scripts/build-image).",
            resolve(dependencies),
        ),
        OUT_DIR / "pip.lock": render(
            "The pip that installs requirements.lock inside the image (scripts/build-image).",
            resolve(["pip"]),
        ),
    }
    stale = [path for path, text in outputs.items()
             if not path.exists() or path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"lock-requirements: {path.relative_to(ROOT)} is not current", file=sys.stderr)
        return 1 if stale else 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for path, text in outputs.items():
        path.write_text(text)
        print(f"lock-requirements: wrote {path.relative_to(ROOT)}"
              f"{'' if path in stale else ' (unchanged)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
