"""The enclave image's Debian lock against an archive (scripts/build-image
--check-lock, and the build's own check before mmdebstrap).

The archive here is a small local one (file: URIs, `trusted=yes`) with a
main and a security suite, so what is "newer" or "gone" does not depend on
the day the tests run. The last test builds against the real archive with a
lock that lacks one package: the result is still checked against the lock.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from tests.support import ROOT

BUILD_IMAGE = str(ROOT / "scripts" / "build-image")
COMMITTED_LOCK = ROOT / "config" / "enclave" / "debian-packages.lock"
EXIT_STALE_LOCK, EXIT_NEWER = 3, 4

# suite -> (package, version) it serves
ARCHIVE = {
    "bookworm": [("zlib1g", "1:1.2.13.dfsg-1"), ("tar", "1.34+dfsg-1.2"),
                 ("tar", "1.34+dfsg-1.2+deb12u1"), ("bash", "5.2.15-2+b7")],
    "bookworm-security": [("zlib1g", "1:1.2.13.dfsg-1+deb12u1")],
}


def make_archive(root: Path) -> Path:
    """A Debian archive of index files only (no .debs: the check reads indexes);
    the sources file that names it."""
    for suite, packages in ARCHIVE.items():
        index = root / "dists" / suite / "main" / "binary-amd64" / "Packages"
        index.parent.mkdir(parents=True)
        index.write_text("".join(
            f"Package: {name}\nVersion: {version}\nArchitecture: amd64\n"
            f"Filename: pool/{name}_{version}.deb\nSize: 1\nDescription: test\n\n"
            for name, version in packages
        ))
        data = index.read_bytes()
        (root / "dists" / suite / "Release").write_text(
            f"Suite: {suite}\nCodename: {suite}\nArchitectures: amd64\nComponents: main\n"
            f"SHA256:\n {hashlib.sha256(data).hexdigest()} {len(data)} "
            "main/binary-amd64/Packages\n"
        )
    sources = root / "archive.list"
    sources.write_text("".join(f"deb [trusted=yes] file:{root} {suite} main\n"
                               for suite in ARCHIVE))
    return sources


def check_lock(tmp_path: Path, lock_lines: list[str]) -> subprocess.CompletedProcess[str]:
    lock = tmp_path / "debian-packages.lock"
    lock.write_text("# SOURCE_DATE_EPOCH: 1700000000\n" + "\n".join(lock_lines) + "\n")
    env = {**os.environ, "SILVANA_DEBIAN_SOURCES": str(make_archive(tmp_path / "archive")),
           "SILVANA_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run([BUILD_IMAGE, "--check-lock", "--lock", str(lock)], env=env,
                          check=False, capture_output=True, text=True)


def test_a_lock_the_archive_serves_exactly_is_current(tmp_path: Path) -> None:
    result = check_lock(tmp_path, ["zlib1g=1:1.2.13.dfsg-1+deb12u1",
                                   "tar=1.34+dfsg-1.2+deb12u1", "bash=5.2.15-2+b7"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "current: the archive serves all 3 locked versions" in result.stdout


def test_newer_versions_are_listed_with_security_updates_marked(tmp_path: Path) -> None:
    result = check_lock(tmp_path, ["zlib1g=1:1.2.13.dfsg-1", "tar=1.34+dfsg-1.2",
                                   "bash=5.2.15-2+b7"])
    assert result.returncode == EXIT_NEWER, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert ("newer: zlib1g 1:1.2.13.dfsg-1 -> 1:1.2.13.dfsg-1+deb12u1 "
            "(bookworm-security/main) SECURITY") in lines
    assert "newer: tar 1.34+dfsg-1.2 -> 1.34+dfsg-1.2+deb12u1 (bookworm/main)" in lines
    assert not any("bash" in line for line in lines[:-1])
    assert lines[-1] == "2 locked packages have newer versions (1 security updates): tar zlib1g"


def test_a_lock_the_archive_no_longer_serves_exits_3_in_one_line(tmp_path: Path) -> None:
    result = check_lock(tmp_path, ["zlib1g=1:1.2.11-1", "tar=1.34+dfsg-1.2",
                                   "bash=5.2.15-2+b7"])
    assert result.returncode == EXIT_STALE_LOCK, result.stdout + result.stderr
    said = [line for line in result.stderr.splitlines() if line.startswith("==> the Debian")]
    assert len(said) == 1, result.stderr
    assert "zlib1g=1:1.2.11-1" in said[0] and "tar=" not in said[0]
    assert "scripts/build-image --update-lock" in said[0]
    assert "SILVANA_DEBIAN_SOURCES" in said[0]  # the snapshot option


@pytest.mark.docker
def test_the_build_stops_before_mmdebstrap_when_a_locked_version_is_gone(
    tmp_path: Path,
) -> None:
    """The real archive: exit 3, one line naming the package, nothing built."""
    lines = COMMITTED_LOCK.read_text().splitlines()
    stale = [("zlib1g=1:0.0.1-1" if line.startswith("zlib1g=") else line) for line in lines]
    lock = tmp_path / "stale.lock"
    lock.write_text("\n".join(stale) + "\n")
    env = {**os.environ, "SILVANA_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run([BUILD_IMAGE, "--force", "--lock", str(lock), "--tag",
                             "silvana-coordinator-stale"], env=env, check=False,
                            capture_output=True, text=True)
    assert result.returncode == EXIT_STALE_LOCK, result.stderr
    assert "no longer serves" in result.stderr and "zlib1g=1:0.0.1-1" in result.stderr
    assert "mmdebstrap" not in result.stderr


@pytest.mark.docker
def test_a_package_outside_the_lock_fails_the_build_naming_the_phase_and_log(
    tmp_path: Path,
) -> None:
    """tini is a dependency of docker.io: left out of the lock, apt installs it
    anyway, and the check of the result against the lock fails the build."""
    lines = [line for line in COMMITTED_LOCK.read_text().splitlines()
             if not line.startswith("tini=")]
    assert len(lines) < len(COMMITTED_LOCK.read_text().splitlines())
    lock = tmp_path / "partial.lock"
    lock.write_text("\n".join(lines) + "\n")
    cache = tmp_path / "cache"
    env = {**os.environ, "SILVANA_CACHE_DIR": str(cache)}
    result = subprocess.run([BUILD_IMAGE, "--force", "--no-cache", "--lock", str(lock),
                             "--tag", "silvana-coordinator-partial"], env=env, check=False,
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    failed = [line for line in result.stderr.splitlines() if "failed; log:" in line]
    assert len(failed) == 1, result.stderr
    log = cache / "logs" / "lock-diff.log"
    assert failed[0].endswith(f"log: {log}")
    assert "check of the installed packages" in failed[0]
    assert "+tini=" in log.read_text()
