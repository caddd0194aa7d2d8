"""Agents' writes to their app instance (issue 13): the Move calls' bytes, the
simulator's app_instance.move semantics through the real executor over loopback,
the outbox entries, and the settler: each write alone in its transaction, an
abort failing only itself, and what a restart sends again."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
import trio

from coordinator.agent_writes import outbox_entry, still_needed, write_of
from coordinator.backoff import Backoff
from coordinator.config import SettleSettings
from coordinator.domain import ChainOperation, OperationKind
from coordinator.events.models import KVDeletedEvent, KVSetEvent, MetadataAddedEvent
from coordinator.events.models_2025_11 import JobCreatedEvent, OperationFailedEvent
from coordinator.jobs import JobBook
from coordinator.settlement import Settler
from coordinator.simnet import Simnet, serve
from coordinator.store import DB_FILE, Ledger, Store
from coordinator.sui.app_instance import AppInstanceObject, read_app_instance
from coordinator.sui.client import SuiRejected, connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.executor import Executor
from coordinator.sui.keys import SuiKey
from coordinator.sui.transactions import (
    CLOCK,
    AddMetadata,
    Argument,
    CreateAppJob,
    DeleteKV,
    GasData,
    ObjectRef,
    Pure,
    SetKV,
    SharedObject,
    StartJob,
    build_transaction,
    decode_operation,
)
from tests.e2e_support import free_port
from tests.support import AGENT, DEV, METHOD, SUI, eventually, job_chain

APP_ID = "0x" + "a1" * 32
GAS = GasData((ObjectRef("0x" + "c" * 64, 7, "11111111111111111111111111111111"),),
              "0x" + "b" * 64, 1000, 10_000_000)
SHARED = SharedObject(APP_ID, 3, True)


def built(*operations: Any) -> Any:
    return build_transaction(package="0x" + "5" * 64, app_instance=SHARED,
                             operations=operations, sender=GAS.owner, gas=GAS)


# --- the Move calls' bytes ---------------------------------------------------------------


def test_kv_and_metadata_calls_take_strings_and_no_clock() -> None:
    tx = built(SetKV("k", "vé"))
    # No Clock input: set_kv takes (AppInstance, String, String, &TxContext).
    assert tx.kind.inputs == (SHARED, Pure(bytes.fromhex("016b")), Pure(bytes.fromhex("0376c3a9")))
    (call,) = tx.kind.commands
    assert (call.module, call.function) == ("app_instance", "set_kv")
    assert call.arguments == (Argument("input", 0), Argument("input", 1), Argument("input", 2))
    assert built(DeleteKV("key")).kind.inputs[1:] == (Pure(bytes.fromhex("036b6579")),)
    assert built(AddMetadata("", "x")).kind.inputs[1:] == (Pure(b"\x00"), Pure(b"\x01x"))
    for write in (SetKV("k", "vé"), DeleteKV("key"), AddMetadata("", "x")):
        again = type(built(write)).from_bytes(built(write).to_bytes())
        assert decode_operation(again, 0).operation == write


def test_create_app_job_encodes_options_vectors_and_bytes_and_takes_the_clock() -> None:
    write = CreateAppJob("prove", description="d", block_number=None, sequences=(1, 2),
                         sequences1=(), sequences2=None, data=b"\x01\x02", interval_ms=60_000,
                         next_scheduled_at=None, settlement_chain=None)
    tx = built(write)
    assert tx.kind.inputs[:2] == (SHARED, CLOCK)

    def u64(n: int) -> bytes:
        return n.to_bytes(8, "little")

    assert [p.value for p in tx.kind.inputs[2:]] == [
        b"\x05prove",                                # String
        b"\x01\x01d",                                # Option<String>: Some("d")
        b"\x00",                                     # Option<u64>: None
        b"\x01\x02" + u64(1) + u64(2),               # Option<vector<u64>>: Some([1, 2])
        b"\x01\x00",                                 # Some([])
        b"\x00",                                     # None
        b"\x02\x01\x02",                             # vector<u8>
        b"\x01" + u64(60_000),                       # Option<u64>: Some(60000)
        b"\x00",
        b"\x00",                                     # Option<String>: None
    ]
    (call,) = tx.kind.commands
    assert call.function == "create_app_job"
    assert call.arguments[0] == Argument("input", 0) and call.arguments[-1] == Argument("input", 1)
    again = type(tx).from_bytes(tx.to_bytes())
    assert decode_operation(again, 0).operation == write


def test_a_clock_is_shared_by_a_job_call_next_to_a_kv_call() -> None:
    tx = built(SetKV("a", "b"), StartJob(4))
    assert tx.kind.inputs[:2] == (SHARED, CLOCK)
    assert [decode_operation(tx, i).operation for i in range(2)] == [SetKV("a", "b"), StartJob(4)]


# --- outbox entries ------------------------------------------------------------------------


async def test_writes_survive_the_outbox_and_an_old_outbox_gains_their_column(
    tmp_path: Path,
) -> None:
    # A state file of the previous release: its outbox has no `args`.
    tmp_path.joinpath("old").mkdir()
    with sqlite3.connect(tmp_path / "old" / DB_FILE) as db:
        db.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,"
                   " app_instance TEXT NOT NULL, job_sequence INTEGER NOT NULL, error TEXT NOT "
                   "NULL, created_at REAL NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT "
                   "NULL, next_try_at REAL NOT NULL, last_error TEXT NOT NULL)")
        db.execute("INSERT INTO outbox (kind, app_instance, job_sequence, error, created_at, "
                   "state, attempts, next_try_at, last_error) VALUES ('complete', 'x', 1, '', 0,"
                   " 'due', 0, 0, '')")
    writes = [SetKV("k", "v"), DeleteKV("k"), AddMetadata("m", "é"),
              CreateAppJob("prove", "d", 3, (1,), None, (), b"\x00\xff", None, 9, "chain")]
    store = await Store.open(tmp_path / "old")
    ops = [outbox_entry(write, "ab" * 32, 4, 1.5) for write in writes]
    await store.run(lambda ledger: ledger.add_operations(ops))
    await store.close()
    store = await Store.open(tmp_path / "old")
    left = await store.run(Ledger.operations)
    await store.close()
    assert left[0].kind is OperationKind.COMPLETE and left[0].args == ""
    assert [op.kind for op in left[1:]] == [OperationKind.SET_KV, OperationKind.DELETE_KV,
                                            OperationKind.ADD_METADATA,
                                            OperationKind.CREATE_APP_JOB]
    assert [write_of(op) for op in left[1:]] == writes
    assert all(op.kind.agent_write and op.job_sequence == 4 for op in left[1:])
    with pytest.raises(ValueError, match="unreadable arguments"):
        write_of(ChainOperation(OperationKind.SET_KV, "x", 1, args="{not json"))


def instance(kv: dict[str, str], metadata: dict[str, str]) -> AppInstanceObject:
    sim = Simnet(layout="2025-11")
    app = sim.create_app_instance("app")
    app.kv, app.metadata = kv, metadata
    return AppInstanceObject.model_validate(app.json())


@pytest.mark.parametrize(("write", "state", "needed"), [
    (SetKV("k", "v"), "sent", False),   # the chain holds it
    (SetKV("k", "w"), "sent", True),
    (DeleteKV("k"), "sent", True),
    (DeleteKV("gone"), "sent", False),
    (AddMetadata("m", "x"), "sent", False),
    (AddMetadata("new", "x"), "sent", True),
    (CreateAppJob("prove"), "due", True),  # never sent
    (CreateAppJob("prove"), "sent", False),  # may have landed: at most once
])
def test_a_left_over_write_is_sent_again_only_while_the_chain_lacks_it(
    write: Any, state: str, needed: bool
) -> None:
    op = outbox_entry(write, "ab" * 32, 1, 0.0)
    op.state = state
    assert still_needed(op, write, instance({"k": "v"}, {"m": "x"})) is needed
    assert still_needed(op, write, None) is False


# --- the simulator through the real executor -------------------------------------------


class Chain:
    def __init__(self, sim: Simnet, endpoint: Endpoint) -> None:
        self.sim, self.endpoint = sim, endpoint
        self.app = sim.app_instance("app")
        self.key = SuiKey.generate()
        sim.fund(self.key.address, 10 * SUI)
        sim.seal()

    def connect(self) -> Any:
        return connect(self.endpoint, timeout=5)

    def executor(self, **kw: Any) -> Executor:
        return Executor(self.key, self.connect, self.sim.package_id,
                        backoff=Backoff(initial=0.01, maximum=0.05), **kw)

    async def execute(self, *operations: Any) -> Any:
        shared = SharedObject(self.app.id, self.app.initial_shared_version, True)
        with trio.fail_after(20):
            return await self.executor().execute(shared, operations)

    async def events(self, digest: str) -> list[tuple[str, bytes]]:
        async with self.connect() as sui:
            tx = await sui.get_transaction(digest, read_mask=("events",))
        return [(e.event_type.rsplit("::", 1)[1], e.contents.value) for e in tx.events.events]


@pytest.fixture
async def chain(nursery: trio.Nursery) -> Chain:
    sim = job_chain()
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    return Chain(sim, Endpoint("http", host="127.0.0.1", port=int(target.rsplit(":", 1)[1])))


async def test_set_kv_replaces_and_delete_kv_of_a_missing_key_emits_nothing(
    chain: Chain,
) -> None:
    first = await chain.execute(SetKV("a", "1"))
    await chain.execute(SetKV("b", "2"))
    replaced = await chain.execute(SetKV("a", "3"))
    assert first.success and replaced.success
    assert chain.app.kv == {"b": "2", "a": "3"}  # remove + insert: the key moves to the end
    [(name, raw)] = await chain.events(replaced.digest)
    assert name == "KVSetEvent"
    assert KVSetEvent.from_bcs(raw) == KVSetEvent(app_instance_address=chain.app.id,
                                                  key="a", value="3")
    deleted = await chain.execute(DeleteKV("b"))
    missing = await chain.execute(DeleteKV("nope"))
    assert deleted.success and missing.success
    [(name, raw)] = await chain.events(deleted.digest)
    assert KVDeletedEvent.from_bcs(raw).key == "b"
    assert await chain.events(missing.digest) == []
    # The fullnode's rendering, as the coordinator reads it.
    read = await read_app_instance(chain.connect, chain.app.app_instance)
    assert read.kv == {"a": "3"} and read.methods["add"].agent_method == "prove"
    assert chain.app.json()["kv"] == {"contents": [{"key": "a", "value": "3"}]}


async def test_add_metadata_aborts_on_an_existing_key_and_changes_nothing(
    chain: Chain,
) -> None:
    added = await chain.execute(AddMetadata("m", "x"))
    [(name, raw)] = await chain.events(added.digest)
    assert name == "MetadataAddedEvent"
    assert MetadataAddedEvent.from_bcs(raw).value == "x"
    version = chain.app.object_version
    with pytest.raises(SuiRejected) as info:
        await chain.execute(AddMetadata("m", "y"))
    assert info.value.code == "FAILED_DRY_RUN"
    assert "MoveAbort" in info.value.message and "vec_map" in info.value.message
    assert chain.app.metadata == {"m": "x"} and chain.app.object_version == version


async def test_create_app_job_makes_a_pending_job_of_the_method_or_refuses(
    chain: Chain,
) -> None:
    outcome = await chain.execute(CreateAppJob("add", "made by an agent", sequences=(5,),
                                               sequences1=(), sequences2=(), data=b"\x09"))
    assert outcome.success and outcome.created_jobs == (2,)
    job = chain.app.jobs[2]
    assert (job.developer, job.agent, job.agent_method, job.app_instance_method) == (
        DEV, AGENT, METHOD, "add")
    assert job.status.kind == "pending" and 2 in chain.app.pending_jobs
    assert chain.sim.objects.get(job.id) is job
    [(name, raw)] = await chain.events(outcome.digest)
    created = JobCreatedEvent.from_bcs(raw)
    assert (created.job_sequence, created.data, created.sequences) == (2, b"\x09", (5,))
    refused = await chain.execute(CreateAppJob("nope"))
    assert refused.success and refused.created_jobs == ()
    assert refused.refusals == ("Method not found in app instance",)
    [(name, raw)] = await chain.events(refused.digest)
    assert name == "OperationFailedEvent"
    assert OperationFailedEvent.from_bcs(raw).operation == "create_job"
    assert sorted(chain.app.jobs) == [1, 2]


# --- the settler ---------------------------------------------------------------------------


def settler(chain: Chain, store: Store) -> Settler:
    book = JobBook(store, max_attempts=3, lease_secs=60, address=chain.key.address)
    return Settler(store, book, chain.executor(max_attempts=2), chain.connect,
                   SettleSettings(batch_ms=50), retry=Backoff(initial=30.0, maximum=60.0))


async def test_an_aborting_write_fails_alone_and_claims_beside_it_land(
    chain: Chain, store: Store, nursery: trio.Nursery,
) -> None:
    chain.app.metadata["m"] = "taken"
    chain.sim.create_job("app", developer=DEV, agent=AGENT, method=METHOD)
    chain.sim.seal()
    ours = settler(chain, store)
    app = chain.app.app_instance
    claims = [ours.expect_claim(ChainOperation(OperationKind.START, app, n).ref) for n in (1, 2)]
    now = time.time()
    await store.run(lambda ledger: ledger.add_operations(
        [ChainOperation(OperationKind.START, app, 1, created_at=now)]))
    await nursery.start(ours.run)
    with trio.fail_after(20):
        aborted = await ours.write(outbox_entry(AddMetadata("m", "mine"), app, 1, now))
        await store.run(lambda ledger: ledger.add_operations(
            [ChainOperation(OperationKind.START, app, 2, created_at=time.time())]))
        ours._wake()
        set_ = await ours.write(outbox_entry(SetKV("k", "v"), app, 1, time.time()))
        won = [await claim.answer() for claim in claims]
    assert not aborted.success and "MoveAbort" in aborted.message and not aborted.digest
    assert set_.success and set_.digest and chain.app.kv == {"k": "v"}
    assert won == [True, True]
    assert chain.app.metadata == {"m": "taken"}
    assert await store.run(Ledger.operations) == []


async def test_after_a_restart_a_write_goes_again_only_if_still_needed(
    chain: Chain, store: Store, nursery: trio.Nursery,
) -> None:
    app = chain.app.app_instance
    chain.app.kv["done"] = "1"
    chain.sim.seal()
    left = [outbox_entry(SetKV("done", "1"), app, 1, 0.0),      # already on chain
            outbox_entry(SetKV("todo", "2"), app, 1, 0.0),
            outbox_entry(CreateAppJob("add"), app, 1, 0.0),     # sent: fate unknown
            outbox_entry(CreateAppJob("add", "never sent"), app, 1, 0.0)]
    left[2].state = "sent"
    await store.run(lambda ledger: ledger.add_operations(left))
    versions = chain.app.object_version
    ours = settler(chain, store)
    await nursery.start(ours.run)
    await eventually(lambda: ours.transactions_ok == 2, 20, "two writes sent")
    await eventually(lambda: not ours.outbox and not ours._sending, 20, "the outbox emptied")
    assert await store.run(Ledger.operations) == []
    assert chain.app.kv == {"done": "1", "todo": "2"}
    made = [job.description for job in chain.app.jobs.values()]
    assert made.count("never sent") == 1 and len(made) == 2
    assert chain.app.object_version > versions


async def test_a_write_the_chain_does_not_answer_stays_but_a_job_is_not_created_twice(
    chain: Chain, store: Store, nursery: trio.Nursery,
) -> None:
    def unreachable() -> Any:
        return connect(Endpoint("http", host="127.0.0.1", port=free_port()), timeout=1)

    book = JobBook(store, max_attempts=3, lease_secs=60, address=chain.key.address)
    executor = Executor(chain.key, unreachable, chain.sim.package_id, max_attempts=1)
    ours = Settler(store, book, executor, unreachable, SettleSettings(batch_ms=0),
                   retry=Backoff(initial=30.0, maximum=60.0))
    await nursery.start(ours.run)
    app = chain.app.app_instance
    with trio.fail_after(20):
        made = await ours.write(outbox_entry(CreateAppJob("add"), app, 1, time.time()))
    assert not made.success and "may or may not have been created" in made.message
    assert await store.run(Ledger.operations) == []

    async def set_kv() -> None:
        await ours.write(outbox_entry(SetKV("k", "v"), app, 1, time.time()))

    nursery.start_soon(set_kv)

    await eventually(lambda: any(op.attempts == 1 for op in ours.outbox), 20,
                     "the unanswered write kept for a retry")
    left = await store.run(Ledger.operations)
    [op] = left
    assert op.kind is OperationKind.SET_KV and op.state == "due" and op.last_error
    assert chain.app.kv == {} and sorted(chain.app.jobs) == [1]
