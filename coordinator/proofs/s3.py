"""The S3 backend: objects in an S3-compatible bucket, through `obstore`.

For coordinators that share an app across machines: a proof one stores, any
other configured with the same bucket reads. Objects are `proofs/<hash>`, so
a bucket lifecycle rule can target them. Every request has a connect timeout,
a per-request timeout and a bounded retry budget (`S3Timeouts`), so a hung
endpoint fails the call instead of holding a worker thread for ever.
Credentials go to the client only: no message or log line carries them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import obstore
from obstore.exceptions import BaseError
from obstore.store import S3Store

if TYPE_CHECKING:
    from obstore.store import S3Config

from coordinator.proofs.backend import Entry
from coordinator.proofs.descriptor import S3
from coordinator.proofs.errors import ObjectMissing, ObjectTooLarge, StoreUnavailable

PREFIX = "proofs/"


@dataclass(frozen=True)
class S3Timeouts:
    connect_secs: float = 5.0
    request_secs: float = 60.0
    # Retries of one call (5xx, connection resets) stop after this long.
    retry_secs: float = 30.0
    max_retries: int = 3


@dataclass(frozen=True)
class S3Location:
    """Where the bucket is and who we are to it (credentials: never printed)."""

    bucket: str
    region: str
    endpoint: str | None  # None: AWS itself
    access_key_id: str
    secret_access_key: str

    def __repr__(self) -> str:
        return f"S3Location(bucket={self.bucket!r}, endpoint={self.endpoint!r})"


def _short(exc: BaseException) -> str:
    """obstore's message without its multi-line debug dump."""
    return str(exc).split("\n", 1)[0][:300]


class S3Backend:
    """An S3-compatible bucket; descriptors `s3:<bucket>:<hash>`."""

    def __init__(self, location: S3Location, timeouts: S3Timeouts | None = None) -> None:
        timeouts = timeouts or S3Timeouts()
        self.bucket = location.bucket
        endpoint = location.endpoint
        config: S3Config = {
            "region": location.region,
            "access_key_id": location.access_key_id,
            "secret_access_key": location.secret_access_key,
            # Path-style (http://host/bucket/key): what S3-compatible servers accept.
            "virtual_hosted_style_request": False,
        }
        if endpoint:
            config["endpoint"] = endpoint
        self._store = S3Store(
            location.bucket,
            config=config,
            client_options={
                "allow_http": bool(endpoint and endpoint.startswith("http://")),
                "connect_timeout": timedelta(seconds=timeouts.connect_secs),
                "timeout": timedelta(seconds=timeouts.request_secs),
            },
            retry_config={
                "max_retries": timeouts.max_retries,
                "retry_timeout": timedelta(seconds=timeouts.retry_secs),
                "backoff": {"init_backoff": timedelta(milliseconds=100),
                            "max_backoff": timedelta(seconds=5), "base": 2},
            },
        )

    @property
    def name(self) -> str:
        return S3

    @property
    def network(self) -> str:
        return self.bucket

    def _fail(self, what: str, hash_: str, exc: BaseException) -> StoreUnavailable:
        return StoreUnavailable(f"proof store: s3 {what} of {S3}:{self.bucket}:{hash_} failed: "
                                f"{_short(exc)}")

    def put(self, hash_: str, data: bytes) -> None:
        # A PUT returns once S3 has the object durably; the same key again
        # replaces it with the same bytes and a fresh date (expiry's clock).
        try:
            obstore.put(self._store, PREFIX + hash_, data)
        except (BaseError, OSError, ValueError) as exc:
            raise self._fail("write", hash_, exc) from None

    def get(self, hash_: str, max_bytes: int) -> bytes:
        try:
            result = obstore.get(self._store, PREFIX + hash_)
            size = result.meta["size"]
            if size > max_bytes:
                # The body is never read: dropping the result closes the response.
                raise ObjectTooLarge(f"proof store: {S3}:{self.bucket}:{hash_} is {size} bytes, "
                                     f"over the cap of {max_bytes}")
            return bytes(result.bytes())
        except FileNotFoundError:
            raise ObjectMissing(f"proof store: no object {S3}:{self.bucket}:{hash_} "
                                "(never stored, or expired)") from None
        except (BaseError, OSError, ValueError) as exc:
            raise self._fail("read", hash_, exc) from None

    def entries(self) -> Iterator[Entry]:
        try:
            for batch in obstore.list(self._store, prefix=PREFIX, chunk_size=1000):
                for meta in batch:
                    hash_ = meta["path"].removeprefix(PREFIX)
                    yield Entry(hash_, meta["last_modified"].timestamp())
        except (BaseError, OSError, ValueError) as exc:
            raise self._fail("list", "*", exc) from None

    def delete(self, hash_: str) -> None:
        try:
            obstore.delete(self._store, PREFIX + hash_)
        except FileNotFoundError:
            pass
        except (BaseError, OSError, ValueError) as exc:
            raise self._fail("delete", hash_, exc) from None

    def purge_unfinished(self, older_than: float) -> int:
        # An S3 PUT is all or nothing, and obstore aborts a failed multipart
        # upload; parts orphaned by a killed process are the bucket's
        # lifecycle rule's job (docs/proof-store.md).
        return 0
