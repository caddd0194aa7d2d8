"""The enclave's ways to its host (issue 27): channels, the key handover, the
log sink and the exposer, over Unix sockets (the stand-in's channels; this
machine has no vsock transport to round-trip on, but opens a vsock listener).
The whole of it in the image: tests/test_enclave_operable.py."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import trio

from coordinator.channel import VSOCK_ANY, Channel, open_channel_listener
from coordinator.config import ConfigError, load_settings
from coordinator.enclave.key_handover import KeyHandoverError, hand_over, receive_key
from coordinator.forwarder import Limits, Route, run_exposer
from coordinator.log_sink import ChannelLogHandler
from coordinator.sui.keys import SuiKey
from tests.support import ROOT


@pytest.fixture(name="short_dir")
def short_dir_fixture(sock_dir: Path) -> Path:
    return sock_dir


def test_channels_are_parsed_and_bad_ones_named() -> None:
    assert Channel.parse("vsock:3:9466").cid == 3
    assert Channel.parse("vsock:-1:7000").cid == VSOCK_ANY
    assert Channel.parse("unix:/run/silvana/key.sock").path == "/run/silvana/key.sock"
    for bad in ("vsock:3", "vsock:3:0", "tcp:127.0.0.1:1", "unix:relative", "3:9466",
                "unix:/" + "x" * 120):
        with pytest.raises(ValueError, match=r"vsock:CID:PORT or unix:|out of range"):
            Channel.parse(bad)


def test_enclave_channel_settings_are_validated(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    base = '[sui]\npackage_id = "0x2"\n'
    path.write_text(base + '[enclave]\nlogs_channel = "tcp:1.2.3.4:5"\n')
    with pytest.raises(ConfigError, match=r"enclave\.logs_channel.*vsock:CID:PORT"):
        load_settings(path, env={})
    path.write_text(base + '[enclave]\nmetrics_channel = "vsock:-1:9464"\n'
                    '[metrics]\nlisten = "127.0.0.1:0"\n')
    with pytest.raises(ConfigError, match=r"metrics\.listen must be a fixed host:port"):
        load_settings(path, env={})
    key = tmp_path / "k"
    key.write_text(SuiKey.generate().export())
    key.chmod(0o600)
    path.write_text(f'[sui]\npackage_id = "0x2"\nkey_file = "{key}"\n'
                    '[enclave]\nkey_channel = "vsock:-1:7000"\n')
    with pytest.raises(ConfigError, match="host hands the key over at start"):
        load_settings(path, env={})


async def test_a_vsock_channel_listens_on_this_kernel() -> None:
    try:
        socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM).close()
    except OSError:
        pytest.skip("no AF_VSOCK in this kernel")
    listener = await open_channel_listener(Channel.parse("vsock:-1:41999"))
    async with listener:
        assert listener.socket.getsockname()[1] == 41999


async def test_the_key_is_handed_over_once_valid_and_never_logged(
    short_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    channel = Channel.parse(f"unix:{short_dir}/key.sock")
    key = SuiKey.generate()
    caplog.set_level(logging.DEBUG)
    async with trio.open_nursery() as nursery:
        received: list[str] = []

        async def enclave() -> None:
            received.append(await receive_key(channel, within=30))

        nursery.start_soon(enclave)
        # The host dials before the enclave listens, then sends a wrong key first.
        with pytest.raises(KeyHandoverError, match=r"refused the key: error: .*suiprivkey"):
            await hand_over(channel, "not a key", within=30)
        address = await hand_over(channel, key.export(), within=30)
    assert address == key.address
    assert received == [key.export()]
    assert key.export() not in caplog.text and "not a key" not in caplog.text
    assert f"handed over the key of {key.address}" in caplog.text


async def test_no_key_in_time_is_one_line(short_dir: Path) -> None:
    channel = Channel.parse(f"unix:{short_dir}/key.sock")
    with pytest.raises(KeyHandoverError, match=r"no key was handed over on unix:.* within 1 s"):
        await receive_key(channel, within=1)
    with pytest.raises(KeyHandoverError, match="nothing listened"):
        await hand_over(channel, "x", within=1)


async def test_the_host_side_command_reads_the_key_from_stdin(short_dir: Path) -> None:
    channel = Channel.parse(f"unix:{short_dir}/key.sock")
    key = SuiKey.generate()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(receive_key, channel, 30)
        result = await trio.to_thread.run_sync(partial(
            subprocess.run, [sys.executable, "-m", "coordinator.enclave.key_handover",
                             "--to", str(channel), "--wait", "30"],
            input=key.export() + "\n", capture_output=True, text=True, timeout=60, cwd=ROOT))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"handed over: the enclave runs with the key of {key.address}"


class LineServer:
    """A Unix socket on the host side that keeps every line sent to it."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen()
        self.sock.settimeout(10)
        self.connection: socket.socket | None = None
        self.data = b""

    def read(self, until: bytes, within: float = 10) -> str:
        if self.connection is None:
            self.connection, _ = self.sock.accept()
            self.connection.settimeout(within)
        deadline = time.monotonic() + within
        while until not in self.data and time.monotonic() < deadline:
            chunk = self.connection.recv(65536)
            if not chunk:
                break
            self.data += chunk
        return self.data.decode()

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
        self.sock.close()


@pytest.fixture(name="sink")
def sink_fixture(short_dir: Path) -> Iterator[tuple[logging.Logger, Path]]:
    logger = logging.getLogger("test.log_sink")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger, short_dir / "logs.sock"
    for handler in logger.handlers[:]:
        handler.close()
        logger.removeHandler(handler)


def test_log_lines_reach_the_host_even_when_it_listens_late(
    sink: tuple[logging.Logger, Path],
) -> None:
    logger, path = sink
    handler = ChannelLogHandler(Channel.parse(f"unix:{path}"), capacity=3)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    # Nobody listens yet: 3 lines queued, perhaps 1 more in the sender's hand,
    # the rest dropped (emit never waits).
    for n in range(6):
        logger.info("line %d", n)
    time.sleep(0.3)
    server = LineServer(path)
    try:
        server.read(until=b"line 2\n")
        logger.info("after")
        lines = server.read(until=b"after\n").splitlines()
    finally:
        server.close()
    dropped = int(lines[0].split()[2])
    assert lines[0] == f"log sink: {dropped} line(s) dropped (the channel was slow or away)"
    assert dropped in (2, 3)
    assert lines[1:] == [f"INFO line {n}" for n in range(6 - dropped)] + ["INFO after"], lines


async def test_the_exposer_forwards_the_host_to_what_only_the_inside_reaches(
    short_dir: Path,
) -> None:
    async def inside(stream: trio.SocketStream) -> None:
        async with stream:
            await stream.send_all(b"inside: " + await stream.receive_some(100))

    async with trio.open_nursery() as nursery:
        [listener] = await nursery.start(partial(trio.serve_tcp, inside, 0, host="127.0.0.1"))
        port = listener.socket.getsockname()[1]
        channel = Channel.parse(f"unix:{short_dir}/metrics.sock")
        route = Route(channel, "a test server", partial(trio.open_tcp_stream, "127.0.0.1", port))
        await nursery.start(run_exposer, [route], Limits())
        stream = await trio.open_unix_socket(str(short_dir / "metrics.sock"))
        async with stream:
            await stream.send_all(b"hello")
            assert await stream.receive_some(100) == b"inside: hello"
        assert (short_dir / "metrics.sock").stat().st_mode & 0o077 == 0
        nursery.cancel_scope.cancel()
