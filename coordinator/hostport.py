"""`host:port`, as settings write listen addresses (`[v6]:port` too)."""

from __future__ import annotations


def split_host_port(value: str) -> tuple[str, int]:
    """(host, port); ValueError when `value` is not host:port (port 0 means any free one)."""
    host, _, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{value!r} is not host:port")
    return host, int(port)


def listen_host_port(value: str) -> tuple[str, int]:
    """`split_host_port` for a settings validator: the error says what to write."""
    try:
        return split_host_port(value)
    except ValueError:
        raise ValueError("must be host:port, e.g. 127.0.0.1:443") from None
