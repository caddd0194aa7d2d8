"""Build the `ProofStore` the settings describe (the daemon calls this once at start)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from coordinator.proofs.embedded import EmbeddedBackend
from coordinator.proofs.settings import ProofStoreSettings
from coordinator.proofs.store import ProofStore

if TYPE_CHECKING:
    from coordinator.proofs.s3 import S3Backend


def open_proof_store(settings: ProofStoreSettings, state_dir: Path,
                     env: Mapping[str, str] | None = None) -> ProofStore:
    """The store: writes to the configured backend; the embedded one always
    reads too, so objects stored before a switch to S3 stay readable.
    ProofStoreConfigError (one line) when S3 credentials are missing."""
    embedded = EmbeddedBackend(settings.embedded_dir(state_dir))
    writer: EmbeddedBackend | S3Backend = embedded
    if settings.backend == "s3":
        # Only here: its S3 client (a native library) costs ~5 MiB of every
        # daemon's memory, and most keep their proofs in the state dir.
        from coordinator.proofs.s3 import S3Backend, S3Location, S3Timeouts

        s3 = settings.s3
        assert s3 is not None  # the settings' own check
        key_id, secret = s3.credentials(os.environ if env is None else env)
        writer = S3Backend(
            S3Location(s3.bucket, s3.region, s3.endpoint, key_id, secret),
            S3Timeouts(connect_secs=s3.connect_timeout_secs,
                       request_secs=s3.request_timeout_secs),
        )
    return ProofStore(writer, [embedded], max_object_bytes=settings.max_object_bytes,
                      expiry_secs=settings.expiry_secs, max_parallel=settings.max_parallel)
