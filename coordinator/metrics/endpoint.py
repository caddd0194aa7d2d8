"""The daemon's `metrics` child: /metrics, /healthz and /readyz over HTTP/1.1.

A deliberately tiny server on Trio (no thread, no framework): one GET or HEAD
per connection, answered and closed. Every connection is bounded: a request
head of at most `MAX_HEAD_BYTES` within `HEAD_TIMEOUT_SECS`, and
`REQUEST_TIMEOUT_SECS` for the whole exchange, so a slow or hostile client
costs little and never the daemon's work.

At most `MAX_CONNECTIONS` at once; when they are all taken, a new connection
takes the place of the one that has waited longest for its request head (the
agent API's rule on TCP, `coordinator.grpc.admission`, a whole head being the
proof here). A probe sends its head at once, so a crowd of clients that
connect and never finish their head (slowloris) keeps pushing itself out,
never the probes.

A port that cannot be bound (in use, not permitted) is logged and retried:
monitoring must not take the job work down with it.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable

import trio
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from coordinator.config import Settings
from coordinator.grpc.admission import Admission, Admitted
from coordinator.instruments import REGISTRY
from coordinator.metrics.collector import DaemonCollector
from coordinator.metrics.health import Verdict, liveness, readiness
from coordinator.metrics.observed import Observed

log = logging.getLogger("coordinator.metrics")

MAX_CONNECTIONS = 64
MAX_HEAD_BYTES = 8192
HEAD_TIMEOUT_SECS = 3.0
REQUEST_TIMEOUT_SECS = 10.0
BIND_RETRY_SECS = 30.0

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            431: "Request Header Fields Too Large", 503: "Service Unavailable"}


class _BadRequest(Exception):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code


async def serve_metrics(
    settings: Settings,
    observed: Observed,
    *,
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve on `metrics.listen` until cancelled; `task_status.started` gets
    the bound "host:port". With `metrics.listen` empty, do nothing."""
    address = settings.metrics.listen_address
    if address is None:
        task_status.started("")
        await trio.sleep_forever()
    host, port = address
    collector = DaemonCollector(observed)
    REGISTRY.register(collector)
    reported = False

    def up_without_port() -> None:
        # The daemon's work does not wait for its metrics: up now, serving later.
        nonlocal reported
        reported = True
        task_status.started("")

    try:
        listeners = await _bind(host, port, up_without_port)
        bound = listeners[0].socket.getsockname()[1]
        where = f"[{host}]:{bound}" if ":" in host else f"{host}:{bound}"
        log.info("metrics on http://%s/metrics (and /healthz, /readyz)", where)
        server = _Server(observed, settings.sui.idle_timeout_secs)
        async with trio.open_nursery() as nursery:
            await nursery.start(trio.serve_listeners, server.handle, listeners)
            if not reported:
                task_status.started(where)
    finally:
        REGISTRY.unregister(collector)


async def _bind(
    host: str, port: int, on_first_failure: Callable[[], None]
) -> list[trio.SocketListener]:
    """Listen on host:port, retrying every BIND_RETRY_SECS while it cannot
    (logged once, and `on_first_failure` told)."""
    failed = False
    while True:
        try:
            return await trio.open_tcp_listeners(port, host=host)
        except OSError as exc:
            if not failed:
                why = "address in use" if exc.errno == errno.EADDRINUSE else exc.strerror
                log.error("metrics.listen %s:%d: cannot listen (%s); retrying every %g s",
                          host, port, why, BIND_RETRY_SECS)
                failed = True
                on_first_failure()
            await trio.sleep(BIND_RETRY_SECS)


class _Server:
    def __init__(self, observed: Observed, idle_timeout_secs: float) -> None:
        self.observed = observed
        self.idle_timeout_secs = idle_timeout_secs
        self.admission = Admission(MAX_CONNECTIONS, max_pending=MAX_CONNECTIONS)

    async def handle(self, stream: trio.SocketStream) -> None:
        async with stream:
            admitted = self.admission.enter()
            if admitted is None:
                return  # all busy answering: closed unanswered
            try:
                with admitted.scope, trio.move_on_after(REQUEST_TIMEOUT_SECS):
                    await self._exchange(stream, admitted)
            except trio.BrokenResourceError:
                pass  # the client left
            finally:
                self.admission.leave(admitted)

    async def _exchange(self, stream: trio.SocketStream, admitted: Admitted) -> None:
        try:
            head = None
            with trio.move_on_after(HEAD_TIMEOUT_SECS):
                head = await _read_head(stream)
            if head is None:
                return  # its head took too long
            admitted.proven.set()  # no newer connection may push it out now
            method, path = _parse_head(head)
            code, content_type, body = self._route(method, path)
        except _BadRequest as exc:
            method, code, content_type = "GET", exc.code, "text/plain; charset=utf-8"
            body = f"{exc}\n".encode()
        head = (
            f"HTTP/1.1 {code} {_REASONS[code]}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Cache-Control: no-store\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        await stream.send_all(head if method == "HEAD" else head + body)

    def _route(self, method: str, path: str) -> tuple[int, str, bytes]:
        if method not in ("GET", "HEAD"):
            raise _BadRequest(405, "only GET and HEAD")
        path = path.partition("?")[0]
        if path == "/metrics":
            return 200, CONTENT_TYPE_LATEST, generate_latest(REGISTRY)
        if path == "/healthz":
            return _verdict(liveness())
        if path == "/readyz":
            return _verdict(readiness(self.observed, self.idle_timeout_secs))
        raise _BadRequest(404, "not found; try /metrics, /healthz or /readyz")


def _verdict(verdict: Verdict) -> tuple[int, str, bytes]:
    return 200 if verdict.ok else 503, "text/plain; charset=utf-8", verdict.text.encode()


async def _read_head(stream: trio.SocketStream) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_HEAD_BYTES:
            raise _BadRequest(431, f"request head over {MAX_HEAD_BYTES} bytes")
        chunk = await stream.receive_some(MAX_HEAD_BYTES)
        if not chunk:
            raise _BadRequest(400, "request head incomplete")
        data += chunk
    return data.partition(b"\r\n\r\n")[0]


def _parse_head(head: bytes) -> tuple[str, str]:
    """(method, path) of the request line; the headers are not needed."""
    line = head.partition(b"\r\n")[0].decode("latin-1")
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[1].startswith("/"):
        raise _BadRequest(400, "not an HTTP/1.x request line")
    return parts[0], parts[1]
