"""A real S3-protocol server on 127.0.0.1 for the proof store's tests and bench:
moto's standalone server (`moto[server]`, a test extra) in its own process."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# moto accepts any credentials; these only have to be well-formed.
ACCESS_KEY_ID = "AKIDPROOFSTORETEST"
SECRET_ACCESS_KEY = "proof-store-test-secret-never-logged"
REGION = "us-east-1"


class S3ServerMissing(Exception):
    """moto[server] (or boto3, which it brings) is not installed."""


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen[bytes]

    def client(self) -> Any:
        """A boto3 client, for what the store itself never does (make buckets,
        tamper with objects)."""
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY_ID,
                            aws_secret_access_key=SECRET_ACCESS_KEY)

    def new_bucket(self) -> str:
        name = f"proofs-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def run_s3_server(log_path: Path) -> Iterator[S3Server]:
    """Start moto's server on a free loopback port; stop it on exit."""
    try:
        import boto3  # noqa: F401
        import moto.server  # noqa: F401
    except ImportError as exc:
        raise S3ServerMissing(f"moto[server] is not installed ({exc}); "
                              "scripts/test installs the test extras") from None
    port = _free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = S3Server(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"moto server exited: {log_path.read_text()[-2000:]}")
            try:
                server.client().list_buckets()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
