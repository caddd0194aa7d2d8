"""The enclave image's Debian lock held against a Debian archive (used by scripts/build-image).

    debian_lock.py prefs LOCK                  apt preferences pinning every locked name=version
    debian_lock.py check LOCK APT_DIR SOURCES  what the archive serves, compared with the lock

`prefs` exists because `mmdebstrap --include=name=version` pins only the
packages apt installs after the essential set: the essential set itself is
resolved to the newest version any suite serves, and a newer security upload
then makes apt downgrade (which it refuses). Preferences above priority 1000
are read from the first apt call on, so every package, essential or not, is
the locked one.

`check` builds a private apt index of SOURCES in APT_DIR (the host's apt state
is not touched; the lists are kept there between runs) and answers with its
exit status: 0 the archive serves every locked version and nothing newer,
3 some locked versions are no longer served, 4 newer versions are served
(security updates marked). Stdout: one line per finding; the last line sums
up. Stdlib only: it runs with the host's python3 before the project's venv
exists.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

EXIT_CURRENT = 0
EXIT_MISSING = 3  # the same number as build-image's stale-lock status
EXIT_NEWER = 4
ARCH = "amd64"


def read_lock(path: Path) -> dict[str, str]:
    """name -> version of every non-comment line `name=version`."""
    pins: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("=")
        if not sep or not name or not version:
            raise SystemExit(f"{path}:{number}: expected name=version, got {line!r}")
        pins[name] = version
    return pins


def preferences(pins: dict[str, str]) -> str:
    """apt_preferences(5) stanzas: priority 1001 wins over any suite, downgrades included."""
    return "\n".join(
        f"Package: {name}\nPin: version {version}\nPin-Priority: 1001\n"
        for name, version in sorted(pins.items())
    )


def apt_options(apt_dir: Path) -> list[str]:
    """A private apt: its own sources, lists, cache and empty dpkg status."""
    return [
        "-o", f"Dir::Etc::SourceList={apt_dir}/sources.list",
        "-o", f"Dir::Etc::SourceParts={apt_dir}/sources.list.d",
        "-o", f"Dir::Etc::Preferences={apt_dir}/preferences",
        "-o", f"Dir::Etc::PreferencesParts={apt_dir}/preferences.d",
        "-o", f"Dir::State={apt_dir}/state",
        "-o", f"Dir::State::status={apt_dir}/status",
        "-o", f"Dir::Cache={apt_dir}/cache",
        "-o", f"APT::Architecture={ARCH}",
        "-o", f"APT::Architectures={ARCH}",
        "-o", "Debug::NoLocking=1",
    ]


def prepare_apt_dir(apt_dir: Path, sources: list[Path]) -> None:
    parts = apt_dir / "sources.list.d"
    shutil.rmtree(parts, ignore_errors=True)
    for sub in ("sources.list.d", "preferences.d", "state/lists/partial",
                "cache/archives/partial"):
        (apt_dir / sub).mkdir(parents=True, exist_ok=True)
    (apt_dir / "sources.list").write_text("")
    (apt_dir / "status").write_text("")
    for n, source in enumerate(sources):
        # apt reads .sources (deb822) and .list (one-line) files by their ending.
        suffix = ".sources" if source.name.endswith(".sources") else ".list"
        shutil.copyfile(source, parts / f"{n:02d}-{source.stem}{suffix}")


def run_apt(args: list[str]) -> str:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:1])} failed: {done.stderr.strip().splitlines()[-1:]}")
    return done.stdout


def served_versions(apt_dir: Path, names: list[str]) -> dict[str, list[tuple[str, str]]]:
    """name -> (version, suite/component) pairs the archive serves, highest version first
    (`apt-cache madison` lists them as apt orders them)."""
    out = run_apt(["apt-cache", *apt_options(apt_dir), "madison", *names])
    served: dict[str, list[tuple[str, str]]] = {name: [] for name in names}
    for line in out.splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) != 3 or cells[0] not in served:
            continue
        where = cells[2].split()
        suite = where[1] if len(where) > 1 else where[0]
        if (cells[1], suite) not in served[cells[0]]:
            served[cells[0]].append((cells[1], suite))
    return served


def newer_than(version: str, than: str) -> bool:
    return subprocess.run(["dpkg", "--compare-versions", version, "gt", than],
                          check=False).returncode == 0


def check(lock: Path, apt_dir: Path, sources: list[Path]) -> int:
    pins = read_lock(lock)
    prepare_apt_dir(apt_dir, sources)
    run_apt(["apt-get", *apt_options(apt_dir), "-q", "update"])
    served = served_versions(apt_dir, sorted(pins))
    missing: list[str] = []
    newer: list[str] = []
    security = 0
    for name, locked in sorted(pins.items()):
        versions = served[name]
        if locked not in {version for version, _ in versions}:
            missing.append(f"{name}={locked}")
            print(f"not served: {name}={locked} (served: "
                  f"{', '.join(v for v, _ in versions) or 'nothing'})")
            continue
        for version, suite in versions:
            if version == locked:
                break  # apt lists the highest first: the rest are older
            if not newer_than(version, locked):
                continue
            is_security = "-security" in suite
            security += is_security
            newer.append(name)
            print(f"newer: {name} {locked} -> {version} ({suite})"
                  f"{' SECURITY' if is_security else ''}")
            break
    if missing:
        print(f"the archive no longer serves {len(missing)} locked packages: {' '.join(missing)}")
        return EXIT_MISSING
    if newer:
        print(f"{len(newer)} locked packages have newer versions ({security} security updates): "
              f"{' '.join(newer)}")
        return EXIT_NEWER
    print(f"current: the archive serves all {len(pins)} locked versions and nothing newer")
    return EXIT_CURRENT


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "prefs":
        sys.stdout.write(preferences(read_lock(Path(argv[1]))))
        return 0
    if len(argv) >= 4 and argv[0] == "check":
        return check(Path(argv[1]), Path(argv[2]), [Path(p) for p in argv[3:]])
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
