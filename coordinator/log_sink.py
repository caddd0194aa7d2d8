"""Log lines out of an enclave: a handler that sends each line to a channel.

An enclave in production has no console: its log lines go to the host over
`[enclave] logs_channel` (vsock to the parent, where e.g. `socat
VSOCK-LISTEN:PORT,fork STDOUT` hands them to the journal). Logging must never
wait on that: `emit` only puts the formatted line on a bounded queue; one
sender thread writes the queue to the channel, reconnecting with a capped
backoff while nobody listens. When the queue is full, new lines are dropped
and counted, and the next line that gets through says how many were lost.
Lines are the same as on stderr (text or JSON, escaped by the formatters), so
what is kept out of logs stays out here too.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time

from coordinator.channel import Channel, dial_channel_blocking

CAPACITY = 10_000  # lines waiting for the channel; beyond them, drop
CONNECT_TIMEOUT_SECS = 5.0
SEND_TIMEOUT_SECS = 10.0
MAX_BACKOFF_SECS = 5.0


class ChannelLogHandler(logging.Handler):
    def __init__(self, channel: Channel, capacity: int = CAPACITY) -> None:
        super().__init__()
        self.channel = channel
        self.lines: queue.Queue[str] = queue.Queue(maxsize=capacity)
        self.dropped = 0  # written by emit, read and reset by the sender
        self.sent = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._sender = threading.Thread(target=self._send_all, name="log-sink", daemon=True)
        self._sender.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        try:
            self.lines.put_nowait(line + "\n")
        except queue.Full:
            with self._lock:
                self.dropped += 1

    def close(self) -> None:
        """Send what is queued (for up to a few seconds), then stop."""
        self._closing.set()
        self._sender.join(SEND_TIMEOUT_SECS)
        super().close()

    def _take_dropped(self) -> int:
        with self._lock:
            dropped, self.dropped = self.dropped, 0
        return dropped

    def _send_all(self) -> None:
        sock: socket.socket | None = None
        backoff = 0.1
        pending: str | None = None
        while True:
            if pending is None:
                try:
                    pending = self.lines.get(timeout=0.2)
                except queue.Empty:
                    if self._closing.is_set():
                        break
                    continue
            try:
                if sock is None:
                    sock = dial_channel_blocking(self.channel, CONNECT_TIMEOUT_SECS)
                    sock.settimeout(SEND_TIMEOUT_SECS)
                    backoff = 0.1
                dropped = self._take_dropped()
                if dropped:
                    sock.sendall(f"log sink: {dropped} line(s) dropped (the channel was "
                                 f"slow or away)\n".encode())
                sock.sendall(pending.encode("utf-8", "replace"))
                self.sent += 1
                pending = None
            except OSError:
                if sock is not None:
                    sock.close()
                    sock = None
                if self._closing.is_set():
                    break
                time.sleep(backoff)  # the queue fills meanwhile; emit never waits
                backoff = min(backoff * 2, MAX_BACKOFF_SECS)
        if sock is not None:
            sock.close()


def install_log_sink(channel: Channel) -> ChannelLogHandler:
    """Add a sink to the root logger with the formatter of its first handler
    (the one `setup_logging` made), so the lines match stderr's."""
    root = logging.getLogger()
    handler = ChannelLogHandler(channel)
    if root.handlers and root.handlers[0].formatter is not None:
        handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    return handler
