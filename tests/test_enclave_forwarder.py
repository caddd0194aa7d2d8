"""The TCP-to-vsock forwarder, against TCP upstreams on loopback.

Everything but `open_vsock` is generic over the dial function, so these tests
dial a local TCP server instead of the parent's vsock-proxy. `open_vsock`
itself is checked as far as this machine allows: a real AF_VSOCK socket whose
connect reaches the kernel (and, where a vsock loopback transport exists, a
real round trip)."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Awaitable, Callable
from functools import partial

import pytest
import trio
import trio.testing

from coordinator.config import ConfigError, EnclaveSettings, load_settings
from coordinator.forwarder import (
    Dial,
    ForwarderStats,
    Limits,
    open_vsock,
    run_forwarder,
    serve_forwarder,
)

Handler = Callable[[trio.SocketStream], Awaitable[None]]


async def start_upstream(nursery: trio.Nursery, handler: Handler) -> int:
    """A TCP server on 127.0.0.1 running `handler` per connection; its port."""
    listeners = await nursery.start(partial(trio.serve_tcp, handler, 0, host="127.0.0.1"))
    return int(listeners[0].socket.getsockname()[1])


def tcp_dial(port: int) -> Dial:
    async def dial() -> trio.abc.HalfCloseableStream:
        return await trio.open_tcp_stream("127.0.0.1", port)
    return dial


async def start_forwarder(
    nursery: trio.Nursery, dial: Dial, limits: Limits | None = None,
    stats: ForwarderStats | None = None,
) -> int:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = int(listeners[0].socket.getsockname()[1])
    nursery.start_soon(serve_forwarder, listeners, dial, limits or Limits(), stats)
    return port


async def echo(stream: trio.SocketStream) -> None:
    async for chunk in stream:
        await stream.send_all(chunk)
    await stream.send_eof()


async def read_all(stream: trio.abc.ReceiveStream) -> bytes:
    data = bytearray()
    async for chunk in stream:
        data += chunk
    return bytes(data)


async def wait_until(condition: Callable[[], bool]) -> None:
    """Poll `condition` for up to 5 s (counters the forwarder updates as it goes)."""
    for _ in range(500):
        if condition():
            return
        await trio.sleep(0.01)
    raise AssertionError("condition not met within 5 s")


async def test_echo_round_trip() -> None:
    async with trio.open_nursery() as nursery:
        upstream = await start_upstream(nursery, echo)
        port = await start_forwarder(nursery, tcp_dial(upstream))
        async with await trio.open_tcp_stream("127.0.0.1", port) as client:
            await client.send_all(b"hello through the forwarder")
            await client.send_eof()
            assert await read_all(client) == b"hello through the forwarder"
        nursery.cancel_scope.cancel()


async def test_large_transfer_both_ways_at_once() -> None:
    """8 MiB each way, written while the other way is read: only works if
    neither direction waits for the other (and nothing is lost or reordered)."""
    size = 8 << 20
    up = os.urandom(size)
    down = os.urandom(size)
    received_up = bytearray()

    async def upstream_side(stream: trio.SocketStream) -> None:
        async def send() -> None:
            for i in range(0, size, 100_000):
                await stream.send_all(down[i:i + 100_000])
            await stream.send_eof()

        async def receive() -> None:
            async for chunk in stream:
                received_up.extend(chunk)

        async with trio.open_nursery() as inner:
            inner.start_soon(send)
            inner.start_soon(receive)

    stats = ForwarderStats()
    async with trio.open_nursery() as nursery:
        upstream = await start_upstream(nursery, upstream_side)
        port = await start_forwarder(nursery, tcp_dial(upstream), stats=stats)
        async with await trio.open_tcp_stream("127.0.0.1", port) as client:
            received_down = bytearray()

            async def send() -> None:
                for i in range(0, size, 70_000):
                    await client.send_all(up[i:i + 70_000])
                await client.send_eof()

            async def receive() -> None:
                received_down.extend(await read_all(client))

            with trio.fail_after(30):
                async with trio.open_nursery() as inner:
                    inner.start_soon(send)
                    inner.start_soon(receive)
        assert bytes(received_down) == down
        await wait_until(lambda: len(received_up) == size)
        assert bytes(received_up) == up
        await wait_until(lambda: stats.active == 0)
        assert (stats.bytes_up, stats.bytes_down) == (size, size)
        nursery.cancel_scope.cancel()


async def test_backpressure_bounds_what_is_buffered() -> None:
    """An upstream that never reads: the client's writes stall once the socket
    buffers are full, instead of the forwarder reading (and holding) it all."""
    stalled = trio.Event()

    async def never_reads(stream: trio.SocketStream) -> None:
        await stalled.wait()

    stats = ForwarderStats()
    async with trio.open_nursery() as nursery:
        upstream = await start_upstream(nursery, never_reads)
        port = await start_forwarder(nursery, tcp_dial(upstream), stats=stats)
        async with await trio.open_tcp_stream("127.0.0.1", port) as client:
            sent = 0
            with trio.move_on_after(2):
                while True:
                    await client.send_all(b"x" * 65536)
                    sent += 65536
            # Bounded by kernel buffers (a few MiB on loopback), not by 2 s of loopback speed.
            assert sent < 64 << 20
            assert stats.bytes_up < 64 << 20
        stalled.set()
        nursery.cancel_scope.cancel()


async def test_half_close_keeps_the_other_direction_open() -> None:
    """The client sends, then EOF; the upstream answers only after it saw the
    EOF, and the client still receives the answer on its half-open socket."""

    async def answer_after_eof(stream: trio.SocketStream) -> None:
        request = await read_all(stream)
        await trio.sleep(0.2)
        await stream.send_all(b"got " + request)
        await stream.send_eof()

    async with trio.open_nursery() as nursery:
        upstream = await start_upstream(nursery, answer_after_eof)
        port = await start_forwarder(nursery, tcp_dial(upstream))
        async with await trio.open_tcp_stream("127.0.0.1", port) as client:
            await client.send_all(b"request")
            await client.send_eof()
            assert await read_all(client) == b"got request"
        nursery.cancel_scope.cancel()


async def test_upstream_half_close_reaches_the_client() -> None:
    """The upstream says its piece and shuts its side; the client reads EOF yet
    can still send, and the upstream gets that."""
    got = trio.Event()
    received = bytearray()

    async def speak_then_listen(stream: trio.SocketStream) -> None:
        await stream.send_all(b"banner")
        await stream.send_eof()
        received.extend(await read_all(stream))
        got.set()

    async with trio.open_nursery() as nursery:
        upstream = await start_upstream(nursery, speak_then_listen)
        port = await start_forwarder(nursery, tcp_dial(upstream))
        async with await trio.open_tcp_stream("127.0.0.1", port) as client:
            assert await read_all(client) == b"banner"
            await client.send_all(b"after eof")
            await client.send_eof()
            with trio.fail_after(5):
                await got.wait()
        assert bytes(received) == b"after eof"
        nursery.cancel_scope.cancel()


async def test_upstream_refusing_closes_the_client() -> None:
    # A port nothing listens on: bind, note the port, close.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    dead_port = probe.getsockname()[1]
    probe.close()
    stats = ForwarderStats()
    async with trio.open_nursery() as nursery:
        port = await start_forwarder(nursery, tcp_dial(dead_port), stats=stats)
        for _ in range(3):
            async with await trio.open_tcp_stream("127.0.0.1", port) as client:
                with trio.fail_after(5):
                    try:
                        assert await client.receive_some(100) == b""
                    except trio.BrokenResourceError:
                        pass  # a reset is as good as an EOF here
        await wait_until(lambda: stats.active == 0)
        assert stats.dial_failures == 3
        # The forwarder itself is still there.
        assert stats.accepted == 3
        nursery.cancel_scope.cancel()


async def test_dial_timeout() -> None:
    async def hangs() -> trio.abc.HalfCloseableStream:
        await trio.sleep_forever()
        raise AssertionError

    stats = ForwarderStats()
    async with trio.open_nursery() as nursery:
        port = await start_forwarder(nursery, hangs, Limits(connect_timeout_secs=0.2), stats)
        async with await trio.open_tcp_stream("127.0.0.1", port) as client:
            with trio.fail_after(5):
                try:
                    await client.receive_some(100)
                except trio.BrokenResourceError:
                    pass
        assert stats.dial_failures == 1
        nursery.cancel_scope.cancel()


async def test_idle_connection_is_closed() -> None:
    stats = ForwarderStats()

    async def silent(stream: trio.SocketStream) -> None:
        await read_all(stream)

    async with trio.open_nursery() as nursery:
        upstream = await start_upstream(nursery, silent)
        port = await start_forwarder(
            nursery, tcp_dial(upstream), Limits(idle_timeout_secs=0.3), stats
        )
        async with await trio.open_tcp_stream("127.0.0.1", port) as client:
            await client.send_all(b"one")
            with trio.fail_after(5):
                try:
                    assert await client.receive_some(100) == b""
                except trio.BrokenResourceError:
                    pass
        assert stats.idle_closed == 1
        nursery.cancel_scope.cancel()


async def test_many_connections_and_the_limit() -> None:
    """50 clients through a limit of 8: all are served (the rest wait in the
    backlog), and never more than 8 upstream connections at once."""
    open_now = 0
    most = 0

    async def counting_echo(stream: trio.SocketStream) -> None:
        nonlocal open_now, most
        open_now += 1
        most = max(most, open_now)
        try:
            await trio.sleep(0.05)
            await echo(stream)
        finally:
            open_now -= 1

    stats = ForwarderStats()
    results: dict[int, bytes] = {}

    async def client(port: int, i: int) -> None:
        async with await trio.open_tcp_stream("127.0.0.1", port) as stream:
            message = f"client {i} ".encode() * 100
            await stream.send_all(message)
            await stream.send_eof()
            results[i] = await read_all(stream)
            assert results[i] == message

    async with trio.open_nursery() as nursery:
        upstream = await start_upstream(nursery, counting_echo)
        port = await start_forwarder(nursery, tcp_dial(upstream), Limits(max_connections=8), stats)
        with trio.fail_after(30):
            async with trio.open_nursery() as clients:
                for i in range(50):
                    clients.start_soon(client, port, i)
        assert len(results) == 50
        assert most <= 8
        await wait_until(lambda: stats.active == 0)
        assert stats.accepted == 50
        nursery.cancel_scope.cancel()


async def test_cancellation_closes_every_connection() -> None:
    """Cancelling the forwarder closes both sides of open connections and its
    listener: clients see EOF or a reset, upstream handlers see EOF."""
    upstream_ended = 0

    async def hold(stream: trio.SocketStream) -> None:
        nonlocal upstream_ended
        try:
            await read_all(stream)
        except trio.BrokenResourceError:
            pass
        upstream_ended += 1

    stats = ForwarderStats()
    async with trio.open_nursery() as outer:
        upstream = await start_upstream(outer, hold)
        with trio.CancelScope() as forwarder_scope:
            async with trio.open_nursery() as nursery:
                port = await start_forwarder(nursery, tcp_dial(upstream), stats=stats)
                clients = [await trio.open_tcp_stream("127.0.0.1", port) for _ in range(5)]
                for c in clients:
                    await c.send_all(b"ping")
                await wait_until(lambda: stats.active == 5)
                forwarder_scope.cancel()
        assert stats.active == 0
        for c in clients:
            with trio.fail_after(5):
                try:
                    assert await c.receive_some(100) == b""
                except trio.BrokenResourceError:
                    pass
            await c.aclose()
        await wait_until(lambda: upstream_ended == 5)
        with pytest.raises(OSError):
            await trio.open_tcp_stream("127.0.0.1", port)
        outer.cancel_scope.cancel()


async def test_run_forwarder_from_settings_with_a_test_dial() -> None:
    settings = EnclaveSettings(vsock_proxy="3:8443", listen="127.0.0.1:0")
    async with trio.open_nursery() as nursery:
        upstream = await start_upstream(nursery, echo)
        host, port = await nursery.start(run_forwarder, settings, tcp_dial(upstream))
        assert host == "127.0.0.1" and port > 0
        async with await trio.open_tcp_stream(host, port) as client:
            await client.send_all(b"settings")
            await client.send_eof()
            assert await read_all(client) == b"settings"
        nursery.cancel_scope.cancel()


def _local_cid() -> int | None:
    import fcntl
    import struct
    try:
        with open("/dev/vsock", "rb") as f:
            raw = fcntl.ioctl(f, 0x7B9, b"\0\0\0\0")  # IOCTL_VM_SOCKETS_GET_LOCAL_CID
    except OSError:
        return None
    return int(struct.unpack("I", raw)[0])


async def test_open_vsock_reaches_the_kernel() -> None:
    """open_vsock on this machine: with a vsock loopback transport (CID 1 or our
    own CID answering), a real round trip through a vsock listener; without
    one, the kernel's refusal comes back as a plain OSError (which the
    forwarder counts as an unreachable upstream), not a crash."""
    try:
        probe = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    except OSError:
        # No vsock in this kernel: the refusal is still a plain OSError.
        with pytest.raises(OSError):
            await open_vsock(1, 9)
        return
    probe.close()
    listener = trio.socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    try:
        await listener.bind((socket.VMADDR_CID_ANY, socket.VMADDR_PORT_ANY))
        listener.listen()
        port = listener.getsockname()[1]
        for cid in {1, _local_cid() or 1}:
            try:
                with trio.fail_after(5):
                    stream = await open_vsock(cid, port)
            except OSError as exc:
                # Here (no loopback transport): ENODEV for our own CID, a
                # timeout for CID 1. The forwarder treats any OSError alike.
                assert exc.errno is not None
                continue
            async with stream:
                server, _ = await listener.accept()
                with server:
                    await stream.send_all(b"over vsock")
                    assert await server.recv(100) == b"over vsock"
                    await stream.send_eof()  # shutdown(SHUT_WR) works on vsock too
                    assert await server.recv(100) == b""
    finally:
        listener.close()


def test_enclave_settings_are_validated(tmp_path: os.PathLike[str]) -> None:
    from pathlib import Path

    def load(text: str) -> object:
        path = Path(tmp_path) / "c.toml"
        path.write_text('[sui]\npackage_id = "0x5"\nrpc_url = "https://fullnode.example:443"\n'
                        + text)
        return load_settings(path, env={})

    settings = load('[enclave]\nvsock_proxy = "3:8443"\nlisten = "127.0.0.1:443"\n')
    assert settings.enclave.vsock_address == (3, 8443)  # type: ignore[attr-defined]
    for bad, needle in [
        ('vsock_proxy = "3"', 'enclave.vsock_proxy: must be "CID:PORT"'),
        ('vsock_proxy = "x:1"', "enclave.vsock_proxy"),
        ('vsock_proxy = "4294967295:1"', "enclave.vsock_proxy"),
        ('vsock_proxy = "3:8443"\nlisten = "0.0.0.0:443"', "enclave.listen: must be a loopback"),
        ('vsock_proxy = "3:8443"\nlisten = "127.0.0.1:8443"', "port of enclave.listen"),
    ]:
        with pytest.raises(ConfigError, match=re.escape(needle)):
            load(f"[enclave]\n{bad}\n")
    # No forwarder: [enclave] listen is not tied to the URL.
    assert load('[enclave]\nlisten = "127.0.0.1:9"\n').enclave.vsock_proxy is None  # type: ignore[attr-defined]


def test_host_agent_socket_dir_defaults_to_the_agent_socket_dir(
    tmp_path: os.PathLike[str],
) -> None:
    from pathlib import Path
    path = Path(tmp_path) / "c.toml"
    path.write_text('[sui]\npackage_id = "0x5"\n[rpc]\nsocket_path = "/run/s/c.sock"\n')
    assert load_settings(path, env={}).host_agent_socket_dir == Path("/run/s/c.sock.agents")
    path.write_text('[sui]\npackage_id = "0x5"\n[rpc]\nagent_socket_dir = "/run/a"\n'
                    '[docker]\nhost_agent_socket_dir = "/srv/x/a"\n')
    settings = load_settings(path, env={})
    assert (settings.rpc.agent_dir, settings.host_agent_socket_dir) == (
        Path("/run/a"), Path("/srv/x/a"))
    path.write_text('[sui]\npackage_id = "0x5"\n[docker]\nhost_agent_socket_dir = "rel/a"\n')
    absolute = re.escape("docker.host_agent_socket_dir: must be an absolute path")
    with pytest.raises(ConfigError, match=absolute):
        load_settings(path, env={})
