"""The daemon under the socket abuse of issue 15 (finding 2), measured as an
operator would: the RSS of the `python -m coordinator` process.

Before the caps, 8 streams x 30 MiB of unfinished FailJob messages, three times,
took a daemon from 265 MB to 1,095 MB, and silent connections stayed open for
good. Now the peak stays within 100 MB of the idle size, other clients are
served meanwhile, and silent connections are closed after the handshake timeout.
"""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import trio

from coordinator.simnet import Simnet, serve
from tests.e2e_support import Daemon, DaemonProcess, get_status, status_when, write_config
from tests.support import RawH2

FAIL_JOB = "/silvana.coordinator.v1.CoordinatorService/FailJob"
MiB = 1 << 20
HANDSHAKE_TIMEOUT_SECS = 10  # rpc.handshake_timeout_secs' default


def memory_kib(pid: int, field: str) -> int:
    """`VmRSS` (now) or `VmHWM` (the peak) of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for process {pid}")


def unfinished(path: str, declared: int) -> tuple[RawH2, int]:
    """A connection of 8 streams, each with a message of `declared` bytes that
    never ends, left open; and the bytes sent."""
    client = RawH2(path)
    streams = [client.start_call(FAIL_JOB) for _ in range(8)]
    return client, client.send_unfinished(streams, declared, within=30)


def silent(path: str) -> socket.socket:
    """A connection that sends nothing at all."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    return sock


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server closes it within `within` s (what it sends, its
    SETTINGS, is read and dropped)."""
    sock.settimeout(within)
    try:
        while sock.recv(1 << 16):
            pass
    except TimeoutError:
        return False
    except ConnectionError:
        pass
    return True


async def test_abuse_leaves_the_daemons_memory_and_service_intact(
    tmp_path: Path, sock_dir: Path, daemons: list[Daemon],
) -> None:
    sim = Simnet(checkpoint_interval_secs=0.2)
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        daemon = write_config(tmp_path, sock_dir, f"http://{target}")
        daemons.append(daemon)
        process = DaemonProcess(daemon, tmp_path / "daemon.log")
        pid, path = process.process.pid, str(daemon.socket)
        held: list[RawH2] = []
        quiet: list[socket.socket] = []
        try:
            await status_when(daemon.socket, lambda s: True, 60, "the daemon answering")
            await trio.sleep(1)
            idle = memory_kib(pid, "VmRSS")
            quiet = [silent(path) for _ in range(10)]
            sent = []
            for declared in (30 * MiB, 4 * MiB - 64):  # over the cap, and just under it
                for _ in range(3):
                    client, size = await trio.to_thread.run_sync(unfinished, path, declared)
                    held.append(client)
                    sent.append(size)
            # Everything above is held open together: others are served meanwhile.
            status = await trio.to_thread.run_sync(get_status, daemon.socket)
            assert status.instance_id
            peak = memory_kib(pid, "VmHWM")
            assert peak - idle < 100 * 1024, (idle, peak, process.log())
            # Over the cap every byte is sent (and dropped); under it, the window's worth.
            assert sent[:3] == [8 * (30 * MiB - 1)] * 3, sent
            assert all(4 * MiB < size <= 2 * (4 * MiB + 5) for size in sent[3:]), sent
            closed = [await trio.to_thread.run_sync(closed_by_server, sock,
                                                    HANDSHAKE_TIMEOUT_SECS + 5)
                      for sock in quiet]
            assert closed == [True] * 10
            process.signal(signal.SIGTERM)
            assert await process.wait(60) == 0, process.log()
        finally:
            for client in held:
                client.close()
            for sock in quiet:
                sock.close()
            process.kill()
        nursery.cancel_scope.cancel()
