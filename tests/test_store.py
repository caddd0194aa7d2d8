"""The sqlite store: instance id, cursor, seen events, pruning, durability."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordinator.domain import EventId, JobState
from coordinator.store import Ledger, Store
from tests.support import job

PKG = "0x" + "11" * 32


async def test_instance_id_is_made_once_and_kept(tmp_path: Path) -> None:
    store = await Store.open(tmp_path)
    first = await store.run(Ledger.instance_id)
    assert first == await store.run(Ledger.instance_id)
    await store.close()
    reopened = await Store.open(tmp_path)
    assert await reopened.run(Ledger.instance_id) == first
    await reopened.close()


async def test_cursor_only_moves_forward_and_prunes_seen(tmp_path: Path) -> None:
    store = await Store.open(tmp_path)
    await store.run(lambda ledger: ledger.bind_package(PKG))
    assert await store.run(Ledger.cursor) is None

    def handle(ledger: Ledger) -> list[bool]:
        return [ledger.mark_seen(EventId("A", 0), 5), ledger.mark_seen(EventId("A", 0), 5),
                ledger.mark_seen(EventId("B", 1), 7)]

    assert await store.run(handle) == [True, False, True]
    await store.run(lambda ledger: ledger.set_cursor(6))
    await store.run(lambda ledger: ledger.set_cursor(3))  # never backwards
    assert await store.run(Ledger.cursor) == 6
    assert await store.run(Ledger.seen_count) == 1  # A#0 at checkpoint 5 was pruned
    assert await store.run(lambda ledger: ledger.seen(EventId("B", 1)))
    await store.close()


async def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    store = await Store.open(tmp_path)

    def half_done(ledger: Ledger) -> None:
        ledger.mark_seen(EventId("C", 2), 9)
        raise RuntimeError("crash in the middle")

    with pytest.raises(RuntimeError):
        await store.run(half_done)
    assert not await store.run(lambda ledger: ledger.seen(EventId("C", 2)))
    await store.close()


async def test_another_package_starts_afresh(tmp_path: Path) -> None:
    store = await Store.open(tmp_path)
    assert await store.run(lambda ledger: ledger.bind_package(PKG)) is True
    await store.run(lambda ledger: ledger.set_cursor(100))
    assert await store.run(lambda ledger: ledger.bind_package(PKG)) is True
    assert await store.run(Ledger.cursor) == 100
    other = "0x" + "22" * 32
    assert await store.run(lambda ledger: ledger.bind_package(other)) is False
    assert await store.run(Ledger.cursor) is None
    await store.close()


async def test_another_chain_changes_nothing_until_reset_and_never_drops_unsent_operations(
    tmp_path: Path,
) -> None:
    from coordinator.domain import ChainOperation, OperationKind

    store = await Store.open(tmp_path)
    assert await store.run(lambda ledger: ledger.bind_chain("chain-A")) is None

    def fill(ledger: Ledger) -> None:
        ledger.set_cursor(10)
        ledger.mark_seen(EventId("T", 0), 11)
        ledger.save_jobs([job(1)], now=0.0)
        ledger.add_operations([ChainOperation(OperationKind.COMPLETE, "app", 1)])

    await store.run(fill)
    assert await store.run(lambda ledger: ledger.bind_chain("chain-A")) is None
    # Another chain: the chain the state was made on, and nothing changed.
    assert await store.run(lambda ledger: ledger.bind_chain("chain-B")) == "chain-A"
    assert await store.run(Ledger.chain_id) == "chain-A"
    assert await store.run(Ledger.cursor) == 10
    # A reset refuses while an operation waits to be sent, and changes nothing.
    assert await store.run(lambda ledger: ledger.reset_chain("chain-B")) == 1
    assert len(await store.run(Ledger.operations)) == 1
    assert await store.run(Ledger.cursor) == 10 and len(await store.run(Ledger.jobs)) == 1

    [op] = await store.run(Ledger.operations)
    await store.run(lambda ledger: ledger.remove_operations([op.op_id]))  # the chain answered
    assert await store.run(lambda ledger: ledger.reset_chain("chain-B")) == 0
    assert await store.run(Ledger.chain_id) == "chain-B"
    assert await store.run(Ledger.cursor) is None
    assert await store.run(Ledger.seen_count) == 0
    assert await store.run(Ledger.jobs) == []
    # None: the next node's chain binds the state.
    assert await store.run(lambda ledger: ledger.reset_chain(None)) == 0
    assert await store.run(Ledger.chain_id) is None
    await store.close()


async def test_a_job_reads_back_as_it_was_saved_every_field(tmp_path: Path) -> None:
    # Every field set to a value of its own: a column read into the wrong field shows.
    saved = job(7, app="app", app_instance_method="prove", description="seventh",
                block_number=3, sequences=(4, 5), sequences1=(4,), sequences2=(5,),
                data=b"\x00\x01", created_at=11, updated_at=12, state=JobState.DEAD,
                attempts=2, last_error="boom", not_before=13.5, lease_until=14.5)
    twin = job(8, app="app", app_instance_method="prove")
    store = await Store.open(tmp_path / "state")
    try:
        await store.run(lambda ledger: ledger.save_jobs([saved, twin], 1.0))
        second, loaded = await store.run(Ledger.jobs)  # oldest (created_at) first
    finally:
        await store.close()
    assert loaded == saved and second == twin
    # The names thousands of pending jobs share are one copy, not one per job.
    assert loaded.app_instance is second.app_instance and loaded.developer is second.developer


async def test_the_store_reads_and_writes_as_before_once_its_cache_is_released(
        tmp_path: Path) -> None:
    # Once started, the daemon frees sqlite's page cache (and hands free heap pages back).
    store = await Store.open(tmp_path)
    saved = [job(n) for n in range(1, 201)]
    await store.run(lambda ledger: ledger.save_jobs(saved, 0.0))
    before = await store.run(Ledger.jobs)
    await store.run(Ledger.release_cache)
    assert await store.run(Ledger.jobs) == before
    await store.run(lambda ledger: ledger.mark_seen(EventId("A", 0), 5))
    assert await store.run(lambda ledger: ledger.seen(EventId("A", 0)))
    await store.close()
