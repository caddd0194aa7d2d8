"""The proof store's S3 backend against a real S3-protocol server (moto's, on
127.0.0.1, started here): round trips between two coordinators, caps,
errors, expiry, and a hung endpoint that must not hang the coordinator."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from coordinator.proofs.descriptor import content_hash
from coordinator.proofs.errors import (
    BackendNotConfigured,
    ObjectCorrupt,
    ObjectMissing,
    ObjectTooLarge,
    StoreUnavailable,
)
from coordinator.proofs.factory import open_proof_store
from coordinator.proofs.s3 import PREFIX, S3Backend, S3Location, S3Timeouts
from coordinator.proofs.settings import ProofStoreSettings, S3Settings
from coordinator.proofs.store import ProofStore
from tests.s3_server import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    S3Server,
    S3ServerMissing,
    run_s3_server,
)
from tests.support import need

ENV = {"AWS_ACCESS_KEY_ID": ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY}
DAY = 86400.0


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    log = tmp_path_factory.mktemp("s3") / "moto.log"
    try:
        with run_s3_server(log) as server:
            yield server
    except S3ServerMissing as exc:
        need(str(exc))


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


def s3_store(server: S3Server, bucket: str, state: Path, max_bytes: int = 16 << 20,
             expiry_days: float = 7) -> ProofStore:
    settings = ProofStoreSettings(
        backend="s3", max_object_bytes=max_bytes, expiry_days=expiry_days,
        s3=S3Settings(bucket=bucket, endpoint=server.endpoint, region=REGION))
    return open_proof_store(settings, state, env=ENV)


async def test_two_coordinators_share_proofs_through_the_bucket(
        s3_server: S3Server, bucket: str, tmp_path: Path) -> None:
    first = s3_store(s3_server, bucket, tmp_path / "a")
    second = s3_store(s3_server, bucket, tmp_path / "b")
    proof = b'{"proof": "' + b"p" * 100_000 + b'"}'
    descriptor = await first.store(proof)
    assert str(descriptor) == f"s3:{bucket}:{content_hash(proof)}"
    assert await second.read(str(descriptor)) == proof
    assert await first.store(proof) == descriptor  # idempotent
    # Past obstore's 5 MB multipart threshold: still one object, same bytes.
    big = bytes(range(256)) * (8 << 12)  # 8 MiB
    big_descriptor = await first.store(big)
    assert await second.read(big_descriptor) == big


async def test_embedded_objects_stay_readable_after_switching_to_s3(
        s3_server: S3Server, bucket: str, tmp_path: Path) -> None:
    old = await open_proof_store(ProofStoreSettings(), tmp_path, env={}).store(b"from before")
    store = s3_store(s3_server, bucket, tmp_path)
    assert await store.read(old) == b"from before"
    assert (await store.store(b"from now on")).backend == "s3"


async def test_caps_missing_wrong_bucket_and_corrupt_objects(
        s3_server: S3Server, bucket: str, tmp_path: Path) -> None:
    store = s3_store(s3_server, bucket, tmp_path, max_bytes=5000)
    with pytest.raises(ObjectTooLarge, match="over the cap of 5000"):
        await store.store(b"x" * 5001)
    large = await store.store(b"y" * 4000)
    small_cap = s3_store(s3_server, bucket, tmp_path, max_bytes=1000)
    with pytest.raises(ObjectTooLarge, match="is 4000 bytes, over the cap of 1000"):
        await small_cap.read(large)
    with pytest.raises(ObjectMissing, match=f"no object s3:{bucket}:"):
        await store.read(f"s3:{bucket}:{content_hash(b'never stored')}")
    with pytest.raises(BackendNotConfigured, match="this coordinator's s3 store is"):
        await store.read(f"s3:other-bucket:{large.hash}")
    s3_server.client().put_object(Bucket=bucket, Key=PREFIX + large.hash, Body=b"z" * 4000)
    with pytest.raises(ObjectCorrupt):
        await store.read(large)


async def test_purge_removes_expired_unreferenced_objects(
        s3_server: S3Server, bucket: str, tmp_path: Path) -> None:
    store = s3_store(s3_server, bucket, tmp_path, expiry_days=2)
    expired = await store.store(b"settled")
    referenced = await store.store(b"still named by an unsettled block")
    assert (await store.purge()).removed == 0  # nothing is old yet
    report = await store.purge(now=time.time() + 3 * DAY, keep=[referenced])
    assert (report.removed, report.kept_referenced) == (1, 1)
    with pytest.raises(ObjectMissing):
        await store.read(expired)
    assert await store.read(referenced) == b"still named by an unsettled block"


async def test_a_hung_endpoint_fails_within_the_timeout_and_the_loop_runs_on() -> None:
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        location = S3Location("hung-bucket", REGION, f"http://127.0.0.1:{port}",
                              ACCESS_KEY_ID, SECRET_ACCESS_KEY)
        backend = S3Backend(location, S3Timeouts(connect_secs=1, request_secs=1,
                                                 retry_secs=2, max_retries=1))
        store = ProofStore(backend, max_object_bytes=1 << 20, expiry_secs=None)
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await trio.sleep(0.05)
                ticks += 1

        started = time.monotonic()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(tick)
            with pytest.raises(StoreUnavailable, match="s3 write of s3:hung-bucket:") as caught:
                await store.store(b"proof")
            nursery.cancel_scope.cancel()
        elapsed = time.monotonic() - started
    assert elapsed < 15, f"took {elapsed:.1f} s"
    assert ticks >= elapsed / 0.05 / 2  # the Trio loop was never blocked
    assert SECRET_ACCESS_KEY not in str(caught.value)
