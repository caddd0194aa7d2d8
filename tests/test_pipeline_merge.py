"""Upstream's merge rule (reference proof-pipeline.md §2.4): the split, which
proofs are available and active, the created-block and open-block rules, and
the check before a merge job is queued."""

from __future__ import annotations

import pytest

from coordinator.events.pipeline_objects import Proof, ProofCalculation
from coordinator.pipeline.merge import (
    CALCULATED,
    PROOF_TIMEOUT_MS,
    REJECTED,
    RESERVED,
    STARTED,
    USED,
    MergeCandidate,
    active,
    available,
    merge_candidates,
    span,
    split,
    still_mergeable,
)

NOW = 10_000_000
PROVER = "0x" + "1" * 64
OLD = NOW - PROOF_TIMEOUT_MS - 1  # timed out
EDGE = NOW - PROOF_TIMEOUT_MS  # exactly at the timeout: not yet timed out


def proof(status: int = CALCULATED, timestamp: int = NOW) -> Proof:
    return Proof(status=status, da_hash="cache:public:x", sequence1=None, sequence2=None,
                 rejected_count=0, timestamp=timestamp, prover=PROVER, user=None, job_id=None)


def calculation(proofs: dict[tuple[int, ...], Proof], start: int = 1, end: int | None = None,
                *, finished: bool = False, block: int = 1) -> ProofCalculation:
    return ProofCalculation(id=PROVER, block_number=block, start_sequence=start,
                            end_sequence=end, proofs=tuple(proofs.items()), block_proof=None,
                            is_finished=finished)


def pairs(found: list[MergeCandidate]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    return [(c.sequences1, c.sequences2) for c in found]


@pytest.mark.parametrize(("first", "last", "expected"), [
    (1, 2, 2), (1, 3, 3), (1, 4, 3), (1, 5, 5), (1, 8, 5), (1, 9, 9), (3, 4, 4),
    (3, 5, 5), (10, 16, 14), (0, 6, 4),
])
def test_split_puts_the_largest_power_of_two_on_the_left(first: int, last: int,
                                                         expected: int) -> None:
    assert split(first, last) == expected


def test_a_single_sequence_does_not_split() -> None:
    with pytest.raises(ValueError, match=r"cannot split 4\.\.4"):
        split(4, 4)


@pytest.mark.parametrize(("status", "timestamp", "is_available", "is_active"), [
    (CALCULATED, NOW, True, True),
    (CALCULATED, OLD, True, True),
    (RESERVED, NOW, False, True),
    (RESERVED, EDGE, False, True),
    (RESERVED, OLD, True, True),
    (USED, NOW, False, True),
    (USED, OLD, True, True),
    (STARTED, NOW, False, True),
    (STARTED, OLD, False, False),
    (REJECTED, NOW, False, False),
    (REJECTED, OLD, False, False),
])
def test_available_and_active(status: int, timestamp: int, is_available: bool,
                              is_active: bool) -> None:
    assert available(proof(status, timestamp), NOW) is is_available
    assert active(proof(status, timestamp), NOW) is is_active


def test_open_block_merges_neighbours_level_by_level() -> None:
    proofs = {(1,): proof(), (2,): proof(), (3,): proof(), (4,): proof(), (5,): proof()}
    assert pairs(merge_candidates(calculation(proofs), NOW)) == [((1,), (2,)), ((3,), (4,))]
    # 5 has no right neighbour yet; 2+3 is off the grid (it would cross the split).
    proofs |= {(1, 2): proof(), (3, 4): proof()}
    found = merge_candidates(calculation(proofs), NOW)
    # Level 1 pairs are already merged (their union is active); level 2 pairs up.
    assert pairs(found) == [((1, 2), (3, 4))]
    assert found[0].sequences == (1, 2, 3, 4)


def test_open_block_grid_counts_from_the_block_start() -> None:
    proofs = {(3,): proof(), (4,): proof(), (5,): proof(), (6,): proof()}
    assert pairs(merge_candidates(calculation(proofs, start=3), NOW)) == [((3,), (4,)),
                                                                        ((5,), (6,))]
    assert pairs(merge_candidates(calculation(proofs, start=4), NOW)) == [((4,), (5,))]


def test_open_block_waits_for_both_halves_and_redoes_a_stale_merge() -> None:
    proofs = {(1,): proof(), (2,): proof(STARTED)}
    assert merge_candidates(calculation(proofs), NOW) == []
    # A merge that started and timed out is not active: the pair is merged again.
    proofs = {(1,): proof(RESERVED, OLD), (2,): proof(RESERVED, OLD),
              (1, 2): proof(STARTED, OLD)}
    assert pairs(merge_candidates(calculation(proofs), NOW)) == [((1,), (2,))]
    proofs[(1, 2)] = proof(STARTED, NOW)
    assert merge_candidates(calculation(proofs), NOW) == []


def test_open_block_needs_consecutive_keys() -> None:
    proofs = {(1, 3): proof(), (5, 6): proof()}  # not spans: never merged by the grid rule
    assert merge_candidates(calculation(proofs), NOW) == []


def test_created_block_merges_down_the_split_tree() -> None:
    proofs = {(1,): proof(), (2,): proof(), (3,): proof()}
    # 1..3 splits as [1,2] + [3]: [1,2] first needs 1+2.
    assert pairs(merge_candidates(calculation(proofs, end=3), NOW)) == [((1,), (2,))]
    proofs[(1, 2)] = proof()
    assert pairs(merge_candidates(calculation(proofs, end=3), NOW)) == [((1, 2), (3,))]


def test_created_block_takes_used_halves_only_when_timed_out() -> None:
    proofs = {(1,): proof(USED), (2,): proof(USED), (3,): proof(), (4,): proof()}
    assert pairs(merge_candidates(calculation(proofs, end=4), NOW)) == [((3,), (4,))]
    proofs[(1,)] = proof(USED, OLD)
    proofs[(2,)] = proof(USED, OLD)
    assert pairs(merge_candidates(calculation(proofs, end=4), NOW)) == [((1,), (2,)),
                                                                      ((3,), (4,))]


def test_created_block_stops_below_a_range_that_has_a_proof() -> None:
    proofs = {(1,): proof(), (2,): proof(), (1, 2): proof(STARTED), (3,): proof(),
              (4,): proof()}
    assert pairs(merge_candidates(calculation(proofs, end=4), NOW)) == [((3,), (4,))]


def test_a_rejected_range_is_merged_again() -> None:
    proofs = {(1,): proof(), (2,): proof(), (1, 2): proof(REJECTED)}
    assert pairs(merge_candidates(calculation(proofs, end=2), NOW)) == [((1,), (2,))]


def test_nothing_to_merge_for_a_finished_or_proved_block() -> None:
    proofs = {(1,): proof(), (2,): proof()}
    assert merge_candidates(calculation(proofs, end=2, finished=True), NOW) == []
    proofs[(1, 2)] = proof(USED)
    assert merge_candidates(calculation(proofs, end=2), NOW) == []
    # A one-sequence block is its own block proof: no merge.
    assert merge_candidates(calculation({(1,): proof()}, end=1), NOW) == []


def test_the_open_block_rule_never_takes_the_end_as_known() -> None:
    """Upstream's is_block_proof computes `end.unwrap_or(0) - start + 1` for an
    open block (an underflow); here an open block has no block proof at all."""
    proofs = {(5,): proof(), (6,): proof()}
    found = merge_candidates(calculation(proofs, start=5), NOW)
    assert pairs(found) == [((5,), (6,))]
    assert still_mergeable(calculation(proofs, start=5), found[0], NOW)


def test_still_mergeable_on_a_fresh_read() -> None:
    candidate = MergeCandidate(1, (1,), (2,))
    fresh = {(1,): proof(), (2,): proof()}
    assert still_mergeable(calculation(fresh), candidate, NOW)
    # Another coordinator started it meanwhile.
    assert not still_mergeable(calculation(fresh | {(1, 2): proof(STARTED)}), candidate, NOW)
    assert still_mergeable(calculation(fresh | {(1, 2): proof(REJECTED)}), candidate, NOW)
    # A pending merge job of the same halves, in either order.
    assert not still_mergeable(calculation(fresh), candidate, NOW, [((2,), (1,))])
    assert still_mergeable(calculation(fresh), candidate, NOW, [((1,), (3,))])
    # A half gone or taken.
    assert not still_mergeable(calculation({(1,): proof()}), candidate, NOW)
    assert not still_mergeable(calculation({(1,): proof(), (2,): proof(USED)}), candidate, NOW)


def test_a_block_proof_may_take_used_and_reserved_halves() -> None:
    candidate = MergeCandidate(1, (1, 2), (3,))
    fresh = {(1, 2): proof(USED), (3,): proof(RESERVED)}
    assert still_mergeable(calculation(fresh, end=3), candidate, NOW)
    assert not still_mergeable(calculation(fresh, end=4), candidate, NOW)
    assert not still_mergeable(calculation({(1, 2): proof(STARTED), (3,): proof()}, end=3),
                               candidate, NOW)


def test_the_description_names_both_halves() -> None:
    assert MergeCandidate(7, (1, 2), (3,)).description() == (
        "Merge proof job for block 7 - merging sequences [1, 2] with [3]")
    assert span(3, 5) == (3, 4, 5)
