"""What a proof analysis decides from an app instance's counters: the idle
check, block creation, the look-ahead, settle jobs per chain and purge."""

from __future__ import annotations

import struct
from dataclasses import replace

from coordinator.events.pipeline_objects import BlockSettlement
from coordinator.pipeline.analysis import (
    ChainProgress,
    EndSettleJob,
    Progress,
    ProvedBlock,
    StartSettleJob,
    block_due,
    chains_to_settle,
    idle,
    merge_blocks,
    purge_due,
    settle_blocks,
    settle_jobs,
)

ID = "0x" + "2" * 64
METHODS = frozenset({"add", "merge", "settle"})

# Two blocks created, none proved, three sequences after them.
BUSY = Progress(block_number=3, sequence=8, previous_block_last_sequence=5,
                previous_block_timestamp=1_000_000, min_time_between_blocks=60_000,
                last_proved=0, last_settled=0, last_settled_sequence=0,
                last_purged_sequence=0, settlements={"test:local": ChainProgress(0, None)},
                methods=METHODS)
# Everything proved and settled, nothing new.
SETTLED = replace(BUSY, block_number=3, sequence=6, last_proved=2, last_settled=2,
                  last_settled_sequence=5, last_purged_sequence=5)


def record(block: int, tx_hash: str | None, included: bool) -> BlockSettlement:
    return BlockSettlement(id=ID, block_number=block, settlement_tx_hash=tx_hash,
                           settlement_tx_included_in_block=included,
                           sent_to_settlement_at=None, settled_at=None)


def test_a_block_is_due_after_strictly_more_than_the_minimum_time() -> None:
    assert not block_due(BUSY, 1_060_000)
    assert block_due(BUSY, 1_060_001)
    assert not block_due(replace(BUSY, sequence=6), 2_000_000)  # nothing new


def test_no_block_at_sequence_zero() -> None:
    """try_create_block aborts (u64 underflow) on an instance still at sequence 0."""
    fresh = replace(BUSY, sequence=0, previous_block_last_sequence=0)
    assert fresh.has_new_sequences and not block_due(fresh, 9_000_000)


def test_idle_is_all_proved_and_nothing_new() -> None:
    assert not idle(BUSY)
    assert idle(SETTLED)
    assert idle(replace(SETTLED, last_settled=1))  # settling is not merging
    assert not idle(replace(SETTLED, sequence=7))


def test_merge_looks_ahead_four_blocks() -> None:
    assert merge_blocks(BUSY) == range(1, 4)
    assert merge_blocks(replace(BUSY, block_number=9, last_proved=2)) == range(3, 7)
    assert merge_blocks(SETTLED) == range(0)
    assert merge_blocks(replace(BUSY, methods=frozenset({"add"}))) == range(0)


def test_settle_blocks_are_the_proved_unsettled_ones() -> None:
    assert settle_blocks(BUSY) == range(0)
    assert settle_blocks(replace(BUSY, last_proved=2)) == range(1, 3)
    assert settle_blocks(replace(BUSY, last_proved=4, last_settled=2)) == range(3, 5)
    assert settle_blocks(SETTLED) == range(0)


def test_a_chain_needs_settling_until_its_record_is_included() -> None:
    progress = replace(BUSY, last_proved=2, settlements={
        "a": ChainProgress(0, None), "b": ChainProgress(2, None), "c": ChainProgress(1, None)})
    proved = ProvedBlock(True, {"b": record(1, "h", True), "c": record(1, "h", True)})
    assert chains_to_settle(progress, {1: proved}) == {"a"}
    # Block 2: c has no record and has not settled past it; b is past it.
    assert chains_to_settle(progress, {1: proved, 2: ProvedBlock(True)}) == {"a", "c"}
    sent = ProvedBlock(True, {"a": record(1, "h", False), "b": record(1, None, True),
                              "c": record(1, "h", True)})
    assert chains_to_settle(progress, {1: sent}) == {"a", "b"}
    # A block without its proof, or not read, is nothing to settle yet.
    assert chains_to_settle(progress, {1: ProvedBlock(False)}) == set()
    assert chains_to_settle(progress, {}) == set()


def test_one_settle_job_per_chain_that_needs_one() -> None:
    progress = replace(BUSY, last_proved=2, settlements={
        "a": ChainProgress(0, None), "b": ChainProgress(0, 7), "c": ChainProgress(2, 9),
        "d": ChainProgress(2, None)})
    assert settle_jobs(progress, {"a", "b"}) == [StartSettleJob("a"), EndSettleJob("c", 9)]
    # A running job is left to finish; the next analysis ends it.
    assert settle_jobs(progress, {"a", "b"}, running={9}) == [StartSettleJob("a")]
    # No settle method: create_app_job would refuse it every time.
    assert settle_jobs(replace(progress, methods=frozenset({"add"})), {"a", "b"}) == [
        EndSettleJob("c", 9)]


def test_an_idle_settled_instance_ends_its_settle_job() -> None:
    """Upstream skips an idle instance entirely, so its periodic settle job
    runs every minute for ever; here nothing to settle ends it."""
    progress = replace(SETTLED, settlements={"test:local": ChainProgress(2, 4)})
    assert idle(progress)
    needing = chains_to_settle(progress, {})
    assert settle_jobs(progress, needing) == [EndSettleJob("test:local", 4)]


def test_the_settle_job_as_upstream_creates_it() -> None:
    operation = StartSettleJob("test:local").operation(1_234)
    assert operation.method_name == "settle"
    assert operation.description == "Periodic settlement check for test:local"
    assert operation.block_number is None and operation.sequences is None
    assert operation.data == struct.pack("<QQ", 60_000, 1_234) and len(operation.data) == 16
    assert (operation.interval_ms, operation.next_scheduled_at) == (60_000, 1_234)
    assert operation.settlement_chain == "test:local"


def test_purge_is_due_while_settled_states_are_left() -> None:
    assert not purge_due(BUSY)
    assert purge_due(replace(BUSY, last_settled_sequence=2))
    assert not purge_due(SETTLED)
    # Idle does not stop a purge.
    assert purge_due(replace(SETTLED, last_purged_sequence=3))
