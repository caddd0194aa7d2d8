"""The proof store, embedded backend: bytes in == bytes out through the
descriptor, upstream's hash, durability, caps, strict descriptors, expiry."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from coordinator.proofs.backend import Entry
from coordinator.proofs.descriptor import Descriptor, content_hash, parse
from coordinator.proofs.embedded import EmbeddedBackend
from coordinator.proofs.errors import (
    BackendNotConfigured,
    DescriptorError,
    ObjectCorrupt,
    ObjectMissing,
    ObjectTooLarge,
    StoreUnavailable,
)
from coordinator.proofs.factory import open_proof_store
from coordinator.proofs.settings import ProofStoreSettings
from coordinator.proofs.store import ProofStore
from tests.support import ROOT

# base64url(SHA-256("hello")) without padding, as upstream's cache names it.
HELLO_HASH = "LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ"
DAY = 86400.0


def embedded(tmp_path: Path, max_bytes: int = 1 << 20, expiry_days: float = 7) -> ProofStore:
    settings = ProofStoreSettings(max_object_bytes=max_bytes, expiry_days=expiry_days)
    return open_proof_store(settings, tmp_path / "state", env={})


async def test_round_trip_through_the_descriptor(tmp_path: Path) -> None:
    store = embedded(tmp_path)
    proof = '{"proof": "' + "x" * 5000 + '", "publicInput": ["1", "2"]}'
    descriptor = await store.store(proof.encode())
    text = str(descriptor)
    assert text.startswith("embedded:local:")
    assert await store.read(text) == proof.encode()
    # A fresh store over the same directory (a restarted coordinator) reads it too.
    assert await embedded(tmp_path).read(text) == proof.encode()


async def test_hash_is_upstreams_cache_hash_and_stores_are_idempotent(tmp_path: Path) -> None:
    assert content_hash(b"hello") == HELLO_HASH
    store = embedded(tmp_path)
    first = await store.store(b"hello")
    assert first == Descriptor("embedded", "local", HELLO_HASH)
    assert await store.store(b"hello") == first
    assert await store.read(first) == b"hello"
    assert await store.store(b"") == Descriptor("embedded", "local", content_hash(b""))
    assert await store.read(f"embedded:local:{content_hash(b'')}") == b""


def test_data_is_durable_once_the_descriptor_is_returned(tmp_path: Path) -> None:
    """A coordinator that dies right after the store (before any chain write)
    has lost nothing: a new process reads the bytes by the descriptor."""
    script = (
        "import os, sys, trio\n"
        "from pathlib import Path\n"
        "from coordinator.proofs.factory import open_proof_store\n"
        "from coordinator.proofs.settings import ProofStoreSettings\n"
        "store = open_proof_store(ProofStoreSettings(), Path(sys.argv[1]), env={})\n"
        "d = trio.run(store.store, b'proof bytes' * 1000)\n"
        "print(d, flush=True)\n"
        "os._exit(0)  # no clean-up of any kind\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "state")], cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=60)
    descriptor = out.stdout.strip()
    assert trio.run(embedded(tmp_path).read, descriptor) == b"proof bytes" * 1000


async def test_a_failed_write_leaves_nothing_visible_and_a_retry_stores(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = embedded(tmp_path)
    real_replace = os.replace

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StoreUnavailable, match="No space left on device"):
        await store.store(b"state data")
    monkeypatch.setattr(os, "replace", real_replace)
    descriptor = f"embedded:local:{content_hash(b'state data')}"
    with pytest.raises(ObjectMissing):
        await store.read(descriptor)
    leftovers = [p for p in (tmp_path / "state" / "proofs").rglob("*") if p.is_file()]
    assert leftovers == []
    assert str(await store.store(b"state data")) == descriptor
    assert await store.read(descriptor) == b"state data"


async def test_caps_on_store_and_on_read(tmp_path: Path) -> None:
    store = embedded(tmp_path, max_bytes=1000)
    with pytest.raises(ObjectTooLarge, match="1001 bytes, over the cap of 1000"):
        await store.store(b"x" * 1001)
    big = await embedded(tmp_path, max_bytes=5000).store(b"y" * 4000)
    # A coordinator with a smaller cap refuses before reading it whole.
    with pytest.raises(ObjectTooLarge, match="4000 bytes, over the cap of 1000"):
        await store.read(big)


async def test_missing_and_corrupt_objects_are_clear_errors(tmp_path: Path) -> None:
    store = embedded(tmp_path)
    absent = f"embedded:local:{content_hash(b'never stored')}"
    with pytest.raises(ObjectMissing, match="no object embedded:local:"):
        await store.read(absent)
    descriptor = await store.store(b"genuine")
    path = tmp_path / "state" / "proofs" / descriptor.hash[:2] / descriptor.hash
    path.write_bytes(b"tampere")  # same size, other bytes
    with pytest.raises(ObjectCorrupt, match="does not hold the data it names"):
        await store.read(descriptor)
    # The agent's retry repairs it.
    assert await store.store(b"genuine") == descriptor
    assert await store.read(descriptor) == b"genuine"


@pytest.mark.parametrize(("text", "why"), [
    ("", "expected backend:network:hash, got 1 part"),
    ("embedded:local", "got 2 part"),
    (f"embedded:local:{HELLO_HASH}:x", "got 4 part"),
    (f"foo:local:{HELLO_HASH}", "unknown backend 'foo'"),
    (f"walrus:testnet:{HELLO_HASH}", "backend 'walrus' is upstream's"),
    (f"cache:public:{HELLO_HASH}", "backend 'cache' is upstream's"),
    (f"embedded:public:{HELLO_HASH}", "network of an embedded descriptor must be 'local'"),
    (f"s3:Bad_Bucket:{HELLO_HASH}", "must be a bucket name"),
    ("embedded:local:../../../etc/passwd", "must be 43 base64url"),
    ("embedded:local:" + "A" * 42 + "/", "must be 43 base64url"),
    ("embedded:local:" + HELLO_HASH[:-1] + "D", "not a canonical base64url"),
    ("embedded:local:" + "a" * 500, "longer than 128"),
])
async def test_descriptors_from_outside_are_parsed_strictly(
        tmp_path: Path, text: str, why: str) -> None:
    with pytest.raises(DescriptorError, match=why):
        parse(text)
    with pytest.raises(DescriptorError):
        await embedded(tmp_path).read(text)


async def test_a_descriptor_for_another_store_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BackendNotConfigured, match="backend 's3', which this coordinator"):
        await embedded(tmp_path).read(f"s3:some-bucket:{HELLO_HASH}")


async def test_purge_removes_only_expired_unreferenced_objects(tmp_path: Path) -> None:
    store = embedded(tmp_path, expiry_days=2)
    old = await store.store(b"settled long ago")
    referenced = await store.store(b"old but its block is not settled")
    fresh = await store.store(b"stored today")
    root = tmp_path / "state" / "proofs"
    now = time.time()
    for d in (old, referenced):
        os.utime(root / d.hash[:2] / d.hash, (now - 3 * DAY, now - 3 * DAY))
    crashed = root / fresh.hash[:2] / f".{fresh.hash}.dead.tmp"
    crashed.write_bytes(b"half a write")
    os.utime(crashed, (now - 2 * 3600, now - 2 * 3600))

    report = await store.purge(now=now, keep=[referenced])
    assert (report.removed, report.kept_referenced, report.unfinished_removed) == (1, 1, 1)
    with pytest.raises(ObjectMissing):
        await store.read(old)
    assert await store.read(referenced) == b"old but its block is not settled"
    assert await store.read(fresh) == b"stored today"
    assert not crashed.exists()


async def test_storing_again_renews_an_objects_life(tmp_path: Path) -> None:
    """The retry after a crash between store and chain write refreshes the
    object, so the purge cannot take what the chain is about to name."""
    store = embedded(tmp_path, expiry_days=1)
    descriptor = await store.store(b"proof")
    path = tmp_path / "state" / "proofs" / descriptor.hash[:2] / descriptor.hash
    os.utime(path, (time.time() - 2 * DAY, time.time() - 2 * DAY))
    await store.store(b"proof")
    assert (await store.purge()).removed == 0
    assert await store.read(descriptor) == b"proof"


async def test_a_proof_stored_again_during_a_purge_survives_it(tmp_path: Path) -> None:
    """The purge lists an old object; before it deletes, an agent's retry
    stores the same bytes (and the chain is about to name them)."""
    old_bytes = b"listed as old, then stored again"

    class Racing(EmbeddedBackend):
        def entries(self) -> Iterator[Entry]:
            listed = list(super().entries())
            trio.from_thread.run(store.store, old_bytes)
            return iter(listed)

    store = ProofStore(Racing(tmp_path), max_object_bytes=1 << 20, expiry_secs=DAY)
    descriptor = await store.store(old_bytes)
    other = await store.store(b"old and not stored again")
    report = await store.purge(now=time.time() + 2 * DAY)
    assert report.removed == 1
    assert await store.read(descriptor) == old_bytes
    with pytest.raises(ObjectMissing):
        await store.read(other)


async def test_expiry_zero_keeps_everything(tmp_path: Path) -> None:
    store = embedded(tmp_path, expiry_days=0)
    descriptor = await store.store(b"kept forever")
    report = await store.purge(now=time.time() + 3650 * DAY)
    assert report.removed == 0
    assert await store.read(descriptor) == b"kept forever"


def test_backend_lists_no_unfinished_writes(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path)
    backend.put(HELLO_HASH, b"hello")
    (tmp_path / HELLO_HASH[:2] / f".{HELLO_HASH}.ab.tmp").write_bytes(b"hel")
    assert [e.hash for e in backend.entries()] == [HELLO_HASH]
