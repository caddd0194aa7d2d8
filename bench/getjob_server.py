"""The two GetJob servers compared by bench/getjob.py, each run as its own process.

    python -m bench.getjob_server ours|grpcio ADDRESS DIRECTORY JOBS memory|disk

ADDRESS is a Unix socket path or `127.0.0.1:PORT` (TCP); DIRECTORY holds the
sqlite file (disk). Both answer
`silvana.coordinator.v1.CoordinatorService/GetJob` for a `JobBook` loaded with
JOBS pending jobs of one key, and one session of that key opened (as for a
running container; TCP calls need it), with the same work per call:

- validate the request with the service's own checks (names, session id);
- `JobBook.take(key, session)`: the session's next job, now running;
- write that job's row with `Ledger.save_jobs` in one sqlite transaction, on a
  connection made the same way for both (`memory`: an in-memory database, so
  the comparison is the RPC stacks; `disk`: a file in WAL mode with
  synchronous=FULL, as `Store.open` makes it: one fsync per call);
- answer with `job_message(job)`.

`ours` is the daemon's code unchanged: `CoordinatorService` served by
`coordinator.rpc.serve` (Unix socket) or `coordinator.rpc.serve_tcp` (purerpc
on Trio); the sqlite write runs in a worker thread through `Store.run`.
`grpcio` is `grpc.server` with a generic handler calling the same functions
from its thread pool, the book and the sqlite connection behind one lock (the
book is not thread-safe).

It prints `ready <session id>` once it accepts calls and serves until killed.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
import time
from concurrent import futures
from pathlib import Path

import grpc
import purerpc
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import RpcSettings
from coordinator.domain import AgentKey, Job
from coordinator.jobs import JobBook
from coordinator.rpc import CoordinatorService, job_message, serve, serve_tcp
from coordinator.rpc.checks import check_name, optional_session
from coordinator.schema import ensure_schema
from coordinator.store import DB_FILE, Ledger, Store

SERVICE = "silvana.coordinator.v1.CoordinatorService"
KEY = AgentKey("BenchDeveloper", "BenchAgent", "prove")
APP_INSTANCE = "0x" + "ab" * 32


def make_jobs(count: int) -> list[Job]:
    """Pending jobs shaped like the demo's: a few hundred bytes each."""
    now = int(time.time() * 1000)
    return [
        Job(
            app_instance=APP_INSTANCE, job_id=n, developer=KEY.developer, agent=KEY.agent,
            agent_method=KEY.agent_method, app="bench", app_instance_method="prove",
            description=f"bench job {n}", sequences=(n, n + 1), data=bytes(range(256)),
            created_at=now + n, updated_at=now + n,
        )
        for n in range(1, count + 1)
    ]


def connect(kind: str, directory: Path) -> sqlite3.Connection:
    """The same connection settings for both servers (disk: those of `Store.open`)."""
    if kind == "memory":
        db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    else:
        db = sqlite3.connect(directory / DB_FILE, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA busy_timeout = 5000")
    ensure_schema(db)
    return db


async def load_book(db: sqlite3.Connection, directory: Path, jobs: int) -> tuple[JobBook, str]:
    """The book with its jobs stored, and the session the calls give."""
    store = Store(db, directory / DB_FILE)
    pending = make_jobs(jobs)
    await store.run(lambda ledger: ledger.save_jobs(pending, time.time()))
    book = await JobBook.load(store, max_attempts=3, lease_secs=3600)
    opened = book.open_session(KEY)
    assert opened is not None
    await book.commit()
    return book, opened[0].session_id


def is_tcp(address: str) -> bool:
    return "/" not in address


async def serve_ours(address: str, directory: Path, jobs: int, kind: str) -> None:
    book, session = await load_book(connect(kind, directory), directory, jobs)
    service = CoordinatorService(book)
    async with trio.open_nursery() as nursery:
        if is_tcp(address):
            await nursery.start(serve_tcp, RpcSettings(listen=address), service)
        else:
            await nursery.start(serve, RpcSettings(socket_path=Path(address)), service)
        print(f"ready {session}", flush=True)


def serve_grpcio(address: str, directory: Path, jobs: int, kind: str) -> None:
    db = connect(kind, directory)
    book, session = trio.run(load_book, db, directory, jobs)
    lock = threading.Lock()

    def get_job(request: pb.GetJobRequest, context: grpc.ServicerContext) -> pb.GetJobResponse:
        try:
            key = AgentKey(
                check_name("developer", request.developer),
                check_name("agent", request.agent),
                check_name("agent_method", request.agent_method, may_be_empty=True),
            )
            session_id = optional_session(request.session_id)
        except purerpc.RpcFailedError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        with lock:
            job = book.take(key, session_id)
            if job is None:
                return pb.GetJobResponse(success=True, message=f"no pending job for {key}")
            now = time.time()
            db.execute("BEGIN IMMEDIATE")
            try:
                Ledger(db).save_jobs([job], now)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return pb.GetJobResponse(success=True, message=f"job {job.job_id}",
                                 job=job_message(job))

    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "GetJob": grpc.unary_unary_rpc_method_handler(
            get_job,
            request_deserializer=pb.GetJobRequest.FromString,
            response_serializer=pb.GetJobResponse.SerializeToString,
        ),
    })
    # As many handler threads as our service serves calls at once.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64))
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(address if is_tcp(address) else f"unix:{address}")
    server.start()
    print(f"ready {session}", flush=True)
    server.wait_for_termination()


def main(argv: list[str]) -> int:
    impl, address, directory, jobs, kind = argv
    if kind not in ("memory", "disk"):
        raise SystemExit("store must be memory or disk")
    if impl == "ours":
        trio.run(serve_ours, address, Path(directory), int(jobs), kind)
    elif impl == "grpcio":
        serve_grpcio(address, Path(directory), int(jobs), kind)
    else:
        raise SystemExit("impl must be ours or grpcio")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
