"""The server of bench/submitproof.py, run as its own process:

    python -m bench.submitproof_server DIRECTORY JOBS

The daemon's `CoordinatorService` on two Unix sockets in DIRECTORY over one job
book: the sqlite file on disk (WAL, synchronous=FULL: one fsync per commit),
JOBS pending jobs of one key and one session of that key opened.
`getjob.sock` serves it without a key, as bench/getjob.py does (with a key a
GetJob waits for its claim on chain: the chain's latency, not ours);
`submit.sock` with a settler that is not running and an embedded proof store:
a SubmitProof answers once the proof is stored and its `submit_proof` is in
the outbox, which is all the agent waits for (the chain is written later, in
the batch). It prints `ready <session id>` once both accept calls.
"""

from __future__ import annotations

import sys
from pathlib import Path

import trio

from bench.getjob_server import connect, load_book
from coordinator.proofs.embedded import EmbeddedBackend
from coordinator.proofs.store import ProofStore
from coordinator.rpc import CoordinatorService, serve
from coordinator.rpc.settings import RpcSettings
from coordinator.settlement import Settler, SettleSettings
from coordinator.sui.client import connect as connect_sui
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.executor import Executor
from coordinator.sui.keys import SuiKey

NOWHERE = Endpoint("http", host="127.0.0.1", port=9)  # the settler never sends
PACKAGE = "0x" + "cd" * 32


async def serve_both(directory: Path, jobs: int) -> None:
    book, session = await load_book(connect("disk", directory), directory, jobs)
    store = book.store  # one Store per sqlite connection

    def reach() -> object:
        return connect_sui(NOWHERE, timeout=1)

    executor = Executor(SuiKey.generate(), reach, PACKAGE)  # type: ignore[arg-type]
    settler = Settler(store, book, executor, reach, SettleSettings())  # type: ignore[arg-type]
    proofs = ProofStore(EmbeddedBackend(directory / "proofs"), max_object_bytes=1 << 24,
                        expiry_secs=None)
    submitting = CoordinatorService(book, settler=settler, proofs=proofs)
    async with trio.open_nursery() as nursery:
        await nursery.start(serve, RpcSettings(socket_path=directory / "getjob.sock"),
                            CoordinatorService(book))
        await nursery.start(serve, RpcSettings(socket_path=directory / "submit.sock"),
                            submitting)
        print(f"ready {session}", flush=True)


def main(argv: list[str]) -> int:
    directory, jobs = argv
    trio.run(serve_both, Path(directory), int(jobs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
