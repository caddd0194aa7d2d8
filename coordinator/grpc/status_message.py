"""The `grpc-message` trailer percent-encoded as the gRPC spec says, no more.

The spec (PROTOCOL-HTTP2, Status-Message) encodes the UTF-8 bytes outside
printable ASCII (0x20-0x7E) and `%` itself; everything else goes as it is.
purerpc 0.8 encodes every reserved character too (`urllib.parse.quote(...,
safe='')`), and gRPC clients of other languages show such a message still
encoded ("Invalid%20user%20signature%3A ..."): a decoder need only undo what the
spec encodes. `install()` gives purerpc's connection module a `quote` that
encodes as the spec does; its two trailer writers (`RELIES_ON`, fingerprinted)
are what call it.
"""

from __future__ import annotations

import types

import purerpc.grpclib.connection

from coordinator.grpc.patches import _fingerprint

_connection = purerpc.grpclib.connection.GRPCConnection

# What the patch relies on: the trailer writers of purerpc 0.8.0 that call
# `urllib.parse.quote` for grpc-message, by their source's sha256 (16 hex digits).
RELIES_ON = {
    "GRPCConnection.respond_status": (_connection.respond_status, "f1c98f22111f4fe6"),
    "GRPCConnection.end_response": (_connection.end_response, "ad4fd950904c3342"),
}


def encode(message: str) -> str:
    """`message` as the grpc-message trailer carries it."""
    return "".join(
        chr(byte) if 0x20 <= byte <= 0x7E and byte != 0x25 else f"%{byte:02X}"
        for byte in message.encode("utf-8")
    )


def _quote(text: str, safe: str = "") -> str:
    return encode(text)


def install() -> None:
    """Make purerpc write grpc-message as the spec says. Idempotent."""
    purerpc.grpclib.connection.urllib = types.SimpleNamespace(
        parse=types.SimpleNamespace(quote=_quote)
    )


def changed() -> list[str]:
    """The writers whose source differs from the one the patch was made for."""
    return [name for name, (target, digest) in RELIES_ON.items() if _fingerprint(target) != digest]
