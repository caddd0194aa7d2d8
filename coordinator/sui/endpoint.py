"""A Sui RPC endpoint as configured: `http://`, `https://` or `unix:`."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Endpoint:
    scheme: Literal["http", "https", "unix"]
    host: str = ""
    port: int = 0
    path: str = ""  # the socket path for unix:

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        """Parse a URL already checked by `config`; the default ports are 80 and 443."""
        if url.startswith("unix:"):
            return cls("unix", path=url.removeprefix("unix:").removeprefix("//"))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"unsupported Sui RPC URL {url!r}")
        default = 443 if parts.scheme == "https" else 80
        scheme: Literal["http", "https"] = "https" if parts.scheme == "https" else "http"
        return cls(scheme, host=parts.hostname, port=parts.port or default)

    def __str__(self) -> str:
        if self.scheme == "unix":
            return f"unix:{self.path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def client_ssl_context() -> ssl.SSLContext:
    """System trust store, host name checked, HTTP/2 negotiated by ALPN."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(["h2"])
    return context

