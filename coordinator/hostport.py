"""`host:port`, as settings write listen addresses (`[v6]:port` too)."""

from __future__ import annotations

import ipaddress


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


def listen_ip(value: str, example: str, *, localhost: bool = False) -> tuple[str, int]:
    """(host, port) of a settings listen address that names an IP address (or
    `localhost`, when allowed); the error shows `example`."""
    host, port = listen_host_port(value)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not (localhost and host == "localhost"):
            raise ValueError(f"must be an IP address and port (e.g. {example}), "
                             "or empty for off") from None
    return host, port
