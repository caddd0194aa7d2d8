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
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from coordinator.domain import ChainOperation, OperationKind
from coordinator.simnet import Simnet, serve
from coordinator.store import Ledger, Store
from tests.e2e_support import (
    DaemonProcess,
    get_status,
    status_command,
    status_when,
    write_config,
)
from tests.support import ADD_KEY, eventually, need


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


async def test_the_daemon_on_a_full_disk_takes_no_new_work_says_so_and_resumes(
    small_disk: Path, tmp_path: Path, sock_dir: Path,
) -> None:
    """The daemon as a process, its state on the small disk: while the disk is
    full a new job's event waits (the status says DISK FULL, the daemon does
    not exit); once there is space the job is taken, and nothing was lost."""
    DEV, AGENT, METHOD = ADD_KEY
    sim = Simnet(checkpoint_interval_secs=0.2)
    sim.register_developer(DEV)
    sim.register_agent(DEV, AGENT)
    # A pull of it fails on loopback: the job is recorded, never run.
    sim.add_method(DEV, AGENT, METHOD, docker_image="127.0.0.1:9/absent:1")
    sim.create_app_instance("app")
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        daemon = write_config(tmp_path, sock_dir, f"http://{target}")
        text = daemon.config.read_text().replace(f'dir = "{daemon.state}"',
                                                 f'dir = "{small_disk / "state"}"')
        daemon.config.write_text(text + "\n[jobs]\nmax_attempts = 1\n")
        process = DaemonProcess(daemon, tmp_path / "daemon.log")
        try:
            await status_when(daemon.socket, lambda s: s.has_cursor, 30, "the daemon up")
            filler = await trio.to_thread.run_sync(fill, small_disk)
            sim.create_job("app", developer=DEV, agent=AGENT, method=METHOD, data=b"\1")
            await status_when(daemon.socket, lambda s: s.state_disk_full, 30,
                              "the status saying the disk is full")
            await trio.sleep(2)
            assert process.process.poll() is None  # still running
            waiting = await trio.to_thread.run_sync(get_status, daemon.socket)
            assert not waiting.running and waiting.state_disk_full  # no new work
            assert not waiting.recent_outcomes
            assert "DISK FULL" in status_command(daemon.socket, terminal=False)
            os.unlink(filler)
            resumed = await status_when(
                daemon.socket,
                lambda s: not s.state_disk_full and len(s.recent_outcomes) == 1,
                60, "the job tried once there is space")
            assert "absent" in resumed.recent_outcomes[0].reason  # its image, as expected
        finally:
            process.signal(signal.SIGTERM)
            await process.wait(30)
            process.kill()
        nursery.cancel_scope.cancel()
    log = process.log()
    assert "the disk of" in log and "is full" in log and "has space again" in log, log
    assert "Traceback" not in log, log
