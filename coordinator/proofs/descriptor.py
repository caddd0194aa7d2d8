"""Descriptors `backend:network:hash`, upstream's format for where a proof lives.

The hash is upstream's cache key: SHA-256 of the data, base64url without
padding (43 characters). Since the data is content-addressed, the descriptor
is known before the write and a repeated store of the same bytes yields the
same descriptor, which is what makes a retry after a crash harmless.

Descriptors come from outside (agents' requests, chain data), so `parse` is
strict: anything but a known backend, that backend's network spelling and a
canonical 43-character hash is refused. The hash alphabet has no `/` or `.`,
so a parsed descriptor can never name a path outside the store.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from coordinator.proofs.errors import DescriptorError

EMBEDDED = "embedded"
S3 = "s3"
# The network of an embedded descriptor: the object is on this machine only.
EMBEDDED_NETWORK = "local"
BACKENDS = (EMBEDDED, S3)
# Upstream's backends: well-formed there, not served by this coordinator.
UPSTREAM_ONLY = ("cache", "walrus", "ipfs")

MAX_DESCRIPTOR_CHARS = 128  # s3 (2) + bucket (<= 63) + hash (43) + 2 separators
HASH_CHARS = 43
_HASH_RE = re.compile(r"[A-Za-z0-9_-]{43}")
# S3 bucket names as AWS defines them: 3-63 lowercase letters, digits, '.', '-'.
BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def content_hash(data: bytes) -> str:
    """Upstream's cache hash of `data`: base64url(SHA-256), no padding. For a
    string, hash its UTF-8 bytes to get upstream's value."""
    digest = hashlib.sha256(data).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Descriptor:
    backend: str
    network: str
    hash: str

    def __str__(self) -> str:
        return f"{self.backend}:{self.network}:{self.hash}"


def _shown(text: str) -> str:
    """The input as quoted in an error: bounded, so a huge or hostile string
    cannot flood a log line or an agent's answer."""
    return repr(text if len(text) <= 80 else text[:80] + "...")


def _check_hash(text: str, value: str) -> None:
    if not _HASH_RE.fullmatch(value):
        raise DescriptorError(
            f"bad descriptor {_shown(text)}: the hash must be {HASH_CHARS} base64url characters "
            "(SHA-256 of the data)")
    # 43 characters carry 258 bits: the last 2 must be zero, else two
    # spellings would name one object.
    try:
        raw = base64.urlsafe_b64decode(value + "=")
    except binascii.Error:
        raw = b""
    if len(raw) != 32 or base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != value:
        raise DescriptorError(f"bad descriptor {_shown(text)}: the hash is not a canonical "
                              "base64url SHA-256")


def parse(text: str) -> Descriptor:
    """A descriptor from outside, checked; DescriptorError says what is wrong."""
    if len(text) > MAX_DESCRIPTOR_CHARS:
        raise DescriptorError(f"bad descriptor {_shown(text)}: longer than "
                              f"{MAX_DESCRIPTOR_CHARS} characters")
    parts = text.split(":")
    if len(parts) != 3:
        raise DescriptorError(f"bad descriptor {_shown(text)}: expected backend:network:hash, "
                              f"got {len(parts)} part(s)")
    backend, network, hash_ = parts
    if backend in UPSTREAM_ONLY:
        raise DescriptorError(f"bad descriptor {_shown(text)}: backend {backend!r} is upstream's "
                              f"and not served by this coordinator (known: {', '.join(BACKENDS)})")
    if backend not in BACKENDS:
        raise DescriptorError(f"bad descriptor {_shown(text)}: unknown backend {backend!r} "
                              f"(known: {', '.join(BACKENDS)})")
    if backend == EMBEDDED and network != EMBEDDED_NETWORK:
        raise DescriptorError(f"bad descriptor {_shown(text)}: the network of an embedded "
                              f"descriptor must be {EMBEDDED_NETWORK!r}")
    if backend == S3 and not BUCKET_RE.fullmatch(network):
        raise DescriptorError(f"bad descriptor {_shown(text)}: the network of an s3 descriptor "
                              "must be a bucket name (3-63 of a-z, 0-9, '.', '-')")
    _check_hash(text, hash_)
    return Descriptor(backend, network, hash_)
