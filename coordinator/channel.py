"""Where the enclave and its host meet: a vsock port, or a Unix socket in stand-in mode.

An AWS Nitro Enclave talks to its parent instance only over vsock. Its key
comes in that way at start, and its metrics, status and log lines go out
that way (see coordinator/forwarder.py, coordinator/log_sink.py,
coordinator/enclave/key_handover.py). Each such meeting point is a channel:

    vsock:CID:PORT   vsock (a listener binds any CID: `vsock:-1:9464` or the
                     enclave's own CID; a dialer names the peer, 3 the parent)
    unix:/PATH       a Unix socket: the stand-in for an enclave on an ordinary
                     machine (the image run with the host's Docker socket, the
                     path in a directory both sides mount), and the tests

Only this module knows the address families; the rest is trio streams.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass

import trio

VSOCK_ANY = 0xFFFF_FFFF  # VMADDR_CID_ANY
_VSOCK = re.compile(r"vsock:(-1|\d{1,10}):(\d{1,10})")
_MAX_UNIX_PATH = 107


@dataclass(frozen=True)
class Channel:
    """A parsed channel address; `text` is what the operator wrote."""

    text: str
    cid: int | None = None  # vsock only
    port: int | None = None
    path: str | None = None  # unix only

    @classmethod
    def parse(cls, text: str) -> Channel:
        """ValueError (one line, naming the accepted forms) for anything else."""
        match = _VSOCK.fullmatch(text)
        if match:
            cid = VSOCK_ANY if match[1] == "-1" else int(match[1])
            port = int(match[2])
            if not 0 < port < VSOCK_ANY or cid > VSOCK_ANY:
                raise ValueError(f"{text!r}: a vsock CID or port out of range")
            return cls(text, cid=cid, port=port)
        if text.startswith("unix:/") and len(text) - 5 <= _MAX_UNIX_PATH and "\0" not in text:
            return cls(text, path=text[5:])
        raise ValueError(f"{text!r} is not vsock:CID:PORT or unix:/absolute/path")

    def __str__(self) -> str:
        return self.text


async def open_channel_listener(channel: Channel) -> trio.SocketListener:
    """Listen on `channel` (a stale Unix socket is replaced), for the owner only."""
    if channel.path is not None:
        sock = trio.socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            stale = trio.Path(channel.path)
            if await stale.is_socket():  # a socket left by an earlier run; nothing else
                await stale.unlink()
            await sock.bind(channel.path)
            await stale.chmod(0o600)
            sock.listen(16)
        except BaseException:
            sock.close()
            raise
        return trio.SocketListener(sock)
    sock = trio.socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    try:
        await sock.bind((channel.cid, channel.port))
        sock.listen(16)
    except BaseException:
        sock.close()
        raise
    return trio.SocketListener(sock)


async def dial_channel(channel: Channel) -> trio.SocketStream:
    """Connect to `channel`; OSError when nothing answers."""
    if channel.path is not None:
        return await trio.open_unix_socket(channel.path)
    sock = trio.socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    try:
        await sock.connect((channel.cid, channel.port))
    except BaseException:
        sock.close()
        raise
    return trio.SocketStream(sock)


def dial_channel_blocking(channel: Channel, timeout: float) -> socket.socket:
    """The same, for a thread (the log sink's sender): a blocking socket."""
    if channel.path is not None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        address: str | tuple[int, int] = channel.path
    else:
        assert channel.cid is not None and channel.port is not None
        sock = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
        address = (channel.cid, channel.port)
    try:
        sock.settimeout(timeout)
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    return sock
