"""The TCP-to-vsock forwarder: the enclave's only way to the Sui fullnode.

An AWS Nitro Enclave has no network, only vsock to its parent instance, where
`vsock-proxy` relays to the fullnode's TCP port. The coordinator inside keeps
its normal `sui.rpc_url` (e.g. `https://fullnode.mainnet.sui.io:443`): the
entrypoint maps that host name to 127.0.0.1 in /etc/hosts, and this forwarder
listens on `[enclave] listen` (127.0.0.1:443) and copies every connection's
bytes to and from a vsock connection to `[enclave] vsock_proxy` (CID:PORT).
TLS runs end to end through it, so the client still verifies the fullnode's
certificate against its real host name; the forwarder only sees ciphertext.

Only `open_vsock` knows about vsock. Everything else (accept loop, copying
with backpressure, half-close, per-connection cancellation and clean-up, the
connection limit, timeouts, logging) is generic over a `Dial` function, so the
tests run it against a TCP upstream on loopback.

- Backpressure: each direction reads one chunk and sends it before reading
  the next, so a slow side slows the other instead of growing a buffer.
- Half-close: end of stream one way becomes `send_eof` (shutdown SHUT_WR) the
  other way; the reverse direction keeps flowing until it ends too.
- The connection limit is taken before `accept`: more clients wait in the
  kernel's listen backlog instead of being refused.
- Timeouts: dialing has `connect_timeout_secs`; a connection with no bytes
  either way for `idle_timeout_secs` is closed. An error on either side
  closes both.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import trio
from pydantic import Field, field_validator

from coordinator.channel import Channel, open_channel_listener
from coordinator.hostport import listen_host_port
from coordinator.section import Section

log = logging.getLogger("coordinator.forwarder")

# A fresh connection to the upstream, or OSError.
Dial = Callable[[], Awaitable[trio.abc.HalfCloseableStream]]

CHUNK_BYTES = 64 * 1024


async def open_vsock(cid: int, port: int) -> trio.SocketStream:
    """Connect to vsock CID:PORT (the parent's vsock-proxy). The only vsock code."""
    sock = trio.socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    try:
        await sock.connect((cid, port))
    except BaseException:
        sock.close()
        raise
    return trio.SocketStream(sock)


_VSOCK_U32 = 0xFFFF_FFFF  # VMADDR_CID_ANY / VMADDR_PORT_ANY: not an address


class EnclaveSettings(Section):
    """`[enclave]`: the TCP-to-vsock forwarder to the parent's vsock-proxy, in a
    Nitro Enclave (docs/enclave-image.md)."""

    vsock_proxy: str | None = None
    """`"CID:PORT"` of the parent's `vsock-proxy` (CID 3 is the parent instance); when set, the
    `forwarder` child runs (docs/enclave-image.md)."""
    listen: str = "127.0.0.1:443"
    """Loopback address the forwarder listens on; its port must be the port of `sui.rpc_url`."""
    max_connections: int = Field(default=64, ge=1, le=4096)
    """Forwarded connections at once (more wait in the listen backlog)."""
    connect_timeout_secs: float = Field(default=10.0, gt=0, le=600)
    """Deadline of each vsock connect."""
    idle_timeout_secs: float = Field(default=600.0, gt=0, le=24 * 3600)
    """A forwarded connection with no bytes either way this long is closed."""
    key_channel: str | None = None
    """Where the entrypoint waits at start for the host to hand the Sui key over (kept in
    memory only; docs/enclave.md): `vsock:CID:PORT` (`-1`: any CID) or, in stand-in mode,
    `unix:/path`. Not together with `sui.key_file` or `sui.key_credential`."""
    key_wait_secs: float = Field(default=600.0, gt=0, le=24 * 3600)
    """How long the entrypoint waits for the key on `key_channel` before it gives up (exit 1)."""
    metrics_channel: str | None = None
    """Where the enclave serves `/metrics`, `/healthz` and `/readyz` to its host (the `exposer`
    child forwards each connection to `metrics.listen`, which must then be a fixed port)."""
    status_channel: str | None = None
    """Where the enclave serves its operator's socket (GetStatus) to its host."""
    logs_channel: str | None = None
    """Where the daemon sends its log lines (the host listens; `vsock:3:PORT` is the parent):
    bounded, never waiting, dropped lines counted."""

    @field_validator("key_channel", "metrics_channel", "status_channel", "logs_channel",
                     mode="before")
    @classmethod
    def _check_channel(cls, value: object) -> object:
        if value == "":
            return None
        if isinstance(value, str):
            Channel.parse(value)
        return value

    @field_validator("vsock_proxy", mode="before")
    @classmethod
    def _check_vsock_proxy(cls, value: object) -> object:
        if value == "":
            return None
        if isinstance(value, str):
            match = re.fullmatch(r"(\d{1,10}):(\d{1,10})", value)
            if not match or not all(0 < int(part) < _VSOCK_U32 for part in match.groups()):
                raise ValueError('must be "CID:PORT" (decimal, e.g. "3:8443")')
        return value

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        host, _ = listen_host_port(value)
        if not (host == "::1" or re.fullmatch(r"127\.\d{1,3}\.\d{1,3}\.\d{1,3}", host)):
            raise ValueError("must be a loopback address and port, e.g. 127.0.0.1:443")
        return value

    @property
    def vsock_address(self) -> tuple[int, int] | None:
        """(cid, port) of `vsock_proxy`, or None."""
        if self.vsock_proxy is None:
            return None
        cid, _, port = self.vsock_proxy.partition(":")
        return int(cid), int(port)

    @property
    def listen_address(self) -> tuple[str, int]:
        return listen_host_port(self.listen)



@dataclass(frozen=True)
class Limits:
    max_connections: int = 64
    connect_timeout_secs: float = 10.0
    idle_timeout_secs: float = 600.0
    chunk_bytes: int = CHUNK_BYTES


@dataclass
class ForwarderStats:
    """Counters, for logs and tests."""

    active: int = 0
    accepted: int = 0
    dial_failures: int = 0
    idle_closed: int = 0
    bytes_up: int = 0  # client -> upstream
    bytes_down: int = 0  # upstream -> client


class _Connection:
    """One client and its upstream: two pumps under one cancel scope whose
    deadline every chunk pushes forward (the idle timeout)."""

    def __init__(self, number: int, limits: Limits, stats: ForwarderStats) -> None:
        self.number = number
        self.limits = limits
        self.stats = stats
        self.scope = trio.CancelScope()
        self.broken = False  # a side failed (else a cancelled scope means idle)

    def touch(self) -> None:
        self.scope.deadline = trio.current_time() + self.limits.idle_timeout_secs

    async def pump(
        self, source: trio.abc.ReceiveStream, sink: trio.abc.HalfCloseableStream, up: bool
    ) -> None:
        try:
            while chunk := await source.receive_some(self.limits.chunk_bytes):
                self.touch()
                await sink.send_all(chunk)
                if up:
                    self.stats.bytes_up += len(chunk)
                else:
                    self.stats.bytes_down += len(chunk)
            await sink.send_eof()  # half-close: the other way may go on
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            log.debug("forwarder: connection %d: %s side: %s", self.number,
                      "client" if up else "upstream", exc or type(exc).__name__)
            self.broken = True
            self.scope.cancel()  # one side broke: close both


async def serve_forwarder(
    listeners: list[trio.SocketListener],
    dial: Dial,
    limits: Limits = Limits(),
    stats: ForwarderStats | None = None,
) -> None:
    """Accept on `listeners` forever; forward each connection to a fresh `dial()`.
    Cancelling this cancels and closes every connection."""
    stats = stats if stats is not None else ForwarderStats()
    slots = trio.CapacityLimiter(limits.max_connections)
    async with trio.open_nursery() as nursery:
        for listener in listeners:
            nursery.start_soon(_accept_loop, listener, dial, limits, stats, slots, nursery)


async def _accept_loop(
    listener: trio.SocketListener,
    dial: Dial,
    limits: Limits,
    stats: ForwarderStats,
    slots: trio.CapacityLimiter,
    nursery: trio.Nursery,
) -> None:
    async with listener:
        full = False
        while True:
            if slots.available_tokens == 0 and not full:
                log.warning("forwarder: %d connections open (the limit); new ones wait",
                            limits.max_connections)
            full = slots.available_tokens == 0
            slot = object()
            await slots.acquire_on_behalf_of(slot)
            try:
                client = await listener.accept()
            except BaseException:
                slots.release_on_behalf_of(slot)
                raise
            stats.accepted += 1
            nursery.start_soon(_forward, client, dial, limits, stats, slots, slot, stats.accepted)


async def _forward(
    client: trio.SocketStream,
    dial: Dial,
    limits: Limits,
    stats: ForwarderStats,
    slots: trio.CapacityLimiter,
    slot: object,
    number: int,
) -> None:
    stats.active += 1
    started = trio.current_time()
    up0, down0 = stats.bytes_up, stats.bytes_down
    connection = _Connection(number, limits, stats)
    try:
        async with client:
            try:
                with trio.fail_after(limits.connect_timeout_secs):
                    upstream = await dial()
            except (OSError, trio.TooSlowError) as exc:
                stats.dial_failures += 1
                reason = "timed out" if isinstance(exc, trio.TooSlowError) else str(exc)
                log.warning("forwarder: connection %d: upstream unreachable: %s", number, reason)
                await trio.aclose_forcefully(client)  # the client sees the connection drop
                return
            async with upstream:
                with connection.scope:
                    connection.touch()
                    async with trio.open_nursery() as pumps:
                        pumps.start_soon(connection.pump, client, upstream, True)
                        pumps.start_soon(connection.pump, upstream, client, False)
                if connection.scope.cancelled_caught and not connection.broken:
                    stats.idle_closed += 1
                    log.info("forwarder: connection %d idle for %.0f s: closed",
                             number, limits.idle_timeout_secs)
                    await trio.aclose_forcefully(upstream)
                    await trio.aclose_forcefully(client)
    finally:
        stats.active -= 1
        slots.release_on_behalf_of(slot)
        log.debug("forwarder: connection %d closed after %.1f s (%d bytes up, %d down)",
                  number, trio.current_time() - started,
                  stats.bytes_up - up0, stats.bytes_down - down0)


def limits_from(settings: EnclaveSettings) -> Limits:
    return Limits(
        max_connections=settings.max_connections,
        connect_timeout_secs=settings.connect_timeout_secs,
        idle_timeout_secs=settings.idle_timeout_secs,
    )


async def run_forwarder(
    settings: EnclaveSettings,
    dial: Dial | None = None,
    *,
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """The daemon's `forwarder` child: `[enclave] listen` -> vsock `vsock_proxy`
    (or `dial`, in tests). Reports the bound (host, port)."""
    if dial is None:
        address = settings.vsock_address
        if address is None:
            raise ValueError("[enclave] vsock_proxy is not set")
        dial = partial(open_vsock, *address)
        target = f"vsock {settings.vsock_proxy}"
    else:
        target = getattr(dial, "__name__", "a test upstream")
    host, port = settings.listen_address
    listeners = await trio.open_tcp_listeners(port, host=host)
    bound = listeners[0].socket.getsockname()
    log.info("forwarder: %s:%d -> %s (at most %d connections)",
             host, bound[1], target, settings.max_connections)
    task_status.started((host, int(bound[1])))
    await serve_forwarder(listeners, dial, limits_from(settings))


@dataclass(frozen=True)
class Route:
    """One way in from the host: its channel, and what it reaches inside."""

    channel: Channel
    target: str  # for the log line
    dial: Dial


async def run_exposer(
    routes: list[Route],
    limits: Limits = Limits(),
    *,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """The daemon's `exposer` child in an enclave: the reverse of the forwarder.
    The host connects to each route's channel (vsock) and is forwarded to what
    only the enclave reaches (the metrics endpoint on loopback, the status
    socket), with the same limits, timeouts and backpressure."""
    listeners: list[trio.SocketListener] = []
    try:
        for route in routes:
            listeners.append(await open_channel_listener(route.channel))
    except BaseException:
        for listener in listeners:
            await trio.aclose_forcefully(listener)
        raise
    for route in routes:
        log.info("exposer: %s -> %s", route.channel, route.target)
    task_status.started()
    async with trio.open_nursery() as nursery:
        for listener, route in zip(listeners, routes, strict=True):
            nursery.start_soon(serve_forwarder, [listener], route.dial, limits)
