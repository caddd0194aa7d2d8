"""A full disk under the state database: writes wait for space, nothing is
lost, and work resumes by itself.

The disk is real: a 2 MiB tmpfs mounted for the test (root only, like the
image tests; under CI=true a machine that cannot mount fails the test),
filled with a file until no byte is left, then emptied.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from coordinator.domain import ChainOperation, OperationKind
from coordinator.store import Ledger, Store
from tests.support import eventually, need


@pytest.fixture(name="small_disk")
def small_disk_fixture(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        need(f"a tmpfs cannot be mounted here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write until the disk refuses another byte."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as f:
        for size in (65536, 1):
            with contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * size)
    probe = disk / "probe"
    with pytest.raises(OSError) as refused:
        probe.write_bytes(b"x" * 4096)
    assert refused.value.errno == errno.ENOSPC
    with contextlib.suppress(FileNotFoundError):
        os.unlink(probe)
    return filler


def operation(n: int) -> ChainOperation:
    # An error text of some size, so each write needs new pages.
    return ChainOperation(OperationKind.FAIL, "0xapp", n, uuid.uuid4().hex * 64, 1.0, "due")


async def test_a_write_on_a_full_disk_waits_for_space_and_loses_nothing(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Store, "FULL_RETRY_SECS", 0.1)
    store = await Store.open(small_disk / "state")
    try:
        await store.run(lambda ledger: ledger.add_operations([operation(0)]))
        filler = await trio.to_thread.run_sync(fill, small_disk)
        written = trio.Event()

        async def write_many() -> None:
            for n in range(1, 30):
                await store.run(lambda ledger, n=n: ledger.add_operations([operation(n)]))
            written.set()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(write_many)
            await eventually(lambda: store.full_since is not None, 10, "the disk seen full")
            await trio.sleep(0.5)
            assert not written.is_set()  # waiting, not failed, not crashed
            os.unlink(filler)  # space again
            with trio.fail_after(10):
                await written.wait()
        assert store.full_since is None
        operations = await store.run(Ledger.operations)
        assert [op.job_sequence for op in operations] == list(range(30))
    finally:
        await store.close()
