"""Upstream's merge rule: which proofs of a block the coordinator merges next.

A block's proofs live in its `ProofCalculation`, keyed by their sorted
sequences. Agents prove one sequence each; the coordinator pairs proofs into
`merge` jobs until one proof spans the whole block (the block proof). Which
pairs, and when, is decided here from one read of the ProofCalculation and the
chain's time, as pure functions, so every branch of the rule has its test:

- a proof is *available* to be merged when it is CALCULATED, or RESERVED /
  USED by a merge that timed out; *active* while it stands for work done or
  under way (a STARTED one only within the timeout);
- a block whose end is known (the block was created) is split at the largest
  power of two below its length, recursively, and both halves of a range are
  merged once they are available;
- an open block (end unknown) merges neighbours level by level (1+1, 2+2, ...)
  on the same power-of-two grid, so the pieces fit the split once the end is
  known;
- before a candidate is queued, a fresh read must still allow it
  (`still_mergeable`).

Times are the chain's (ms), never this host's: the Move code decides timeouts
with its own clock (docs/proof-pipeline.md, ambiguity 7).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from coordinator.events.pipeline_objects import Proof, ProofCalculation

__all__ = [
    "CALCULATED",
    "MAX_LEVEL",
    "PROOF_TIMEOUT_MS",
    "REJECTED",
    "RESERVED",
    "STARTED",
    "USED",
    "MergeCandidate",
    "active",
    "available",
    "merge_candidates",
    "span",
    "split",
    "still_mergeable",
]

# prover::Proof statuses (M/prover.move:122-126).
STARTED, CALCULATED, REJECTED, RESERVED, USED = 1, 2, 3, 4, 5
# A proof's status times out this long after its last change (M/prover.move:130).
PROOF_TIMEOUT_MS = 300_000
# The widest pieces an open block merges (upstream's levels 1, 2, 4 ... 256).
MAX_LEVEL = 256

Sequences = tuple[int, ...]


@dataclass(frozen=True)
class MergeCandidate:
    """Two proofs of a block to merge: `sequences1` the left, `sequences2` the right."""

    block_number: int
    sequences1: Sequences
    sequences2: Sequences

    @property
    def sequences(self) -> Sequences:
        """The merged proof's key: the sorted union of both halves."""
        return tuple(sorted({*self.sequences1, *self.sequences2}))

    def description(self) -> str:
        return (f"Merge proof job for block {self.block_number} - merging sequences "
                f"{list(self.sequences1)} with {list(self.sequences2)}")


def span(first: int, last: int) -> Sequences:
    """The key of a proof covering `first..last`."""
    return tuple(range(first, last + 1))


def timed_out(proof: Proof, now_ms: int) -> bool:
    return now_ms > proof.timestamp + PROOF_TIMEOUT_MS


def available(proof: Proof, now_ms: int) -> bool:
    """May be a half of a new merge: calculated, or held by a merge that timed out."""
    if proof.status == CALCULATED:
        return True
    return proof.status in (RESERVED, USED) and timed_out(proof, now_ms)


def active(proof: Proof, now_ms: int) -> bool:
    """Stands for a proof that exists or is being made (a merge of it is not needed)."""
    if proof.status in (CALCULATED, USED, RESERVED):
        return True
    return proof.status == STARTED and not timed_out(proof, now_ms)


def split(first: int, last: int) -> int:
    """Where `first..last` (first < last) splits: the right half starts here.

    The left half is the largest power of two below the length (half the
    length when the length is a power of two itself)."""
    if first >= last:
        raise ValueError(f"cannot split {first}..{last}")
    length = last - first + 1
    if length & (length - 1) == 0:
        return first + length // 2
    return first + (1 << (length.bit_length() - 1))


def _proofs(calculation: ProofCalculation) -> dict[Sequences, Proof]:
    return {tuple(key): proof for key, proof in calculation.proofs}


def merge_candidates(calculation: ProofCalculation, now_ms: int) -> list[MergeCandidate]:
    """The merges the block needs now, in the order upstream finds them."""
    if calculation.is_finished:
        return []
    proofs = _proofs(calculation)
    start, end = calculation.start_sequence, calculation.end_sequence
    if end is not None:
        if _has_proof(proofs, span(start, end)):
            return []  # the block proof exists or is being made
        found = _created_block(proofs, calculation.block_number, start, end, now_ms)
    else:
        found = _open_block(proofs, calculation.block_number, start, now_ms)
    return list(dict.fromkeys(found))  # each pair once, first place kept


def _has_proof(proofs: Mapping[Sequences, Proof], key: Sequences) -> bool:
    """A proof stands under `key`; a REJECTED one does not (it is made again)."""
    proof = proofs.get(key)
    return proof is not None and proof.status != REJECTED


def _created_block(proofs: Mapping[Sequences, Proof], block: int, first: int, last: int,
                   now_ms: int) -> Iterator[MergeCandidate]:
    """Top down over the split tree of `first..last`: a range without a proof
    whose two halves are available is merged; below a range with a proof
    nothing is needed."""
    if first >= last or _has_proof(proofs, span(first, last)):
        return
    middle = split(first, last)
    left, right = span(first, middle - 1), span(middle, last)
    if all(key in proofs and available(proofs[key], now_ms) for key in (left, right)):
        yield MergeCandidate(block, left, right)
    yield from _created_block(proofs, block, first, middle - 1, now_ms)
    yield from _created_block(proofs, block, middle, last, now_ms)


def _open_block(proofs: Mapping[Sequences, Proof], block: int, start: int,
                now_ms: int) -> Iterator[MergeCandidate]:
    """Neighbours of one width on the grid `start + k * 2 * width`, widths 1 to
    MAX_LEVEL: the pieces a created block will split into."""
    level = 1
    while level <= MAX_LEVEL:
        for key, proof in proofs.items():
            if not _on_grid(key, start, level) or not available(proof, now_ms):
                continue
            right = span(key[-1] + 1, key[-1] + level)
            union = key + right
            if right not in proofs or not available(proofs[right], now_ms):
                continue
            if union in proofs and active(proofs[union], now_ms):
                continue
            yield MergeCandidate(block, key, right)
        level *= 2


def _on_grid(key: Sequences, start: int, level: int) -> bool:
    """`key` is `level` consecutive sequences starting on the level's grid."""
    return (len(key) == level and key == span(key[0], key[-1])
            and (key[0] - start) % (2 * level) == 0)


def still_mergeable(calculation: ProofCalculation, candidate: MergeCandidate, now_ms: int,
                    pending: Iterable[tuple[Sequences, Sequences]] = ()) -> bool:
    """The check right before queueing: on a fresh read of the block's
    ProofCalculation, the merged proof is absent (or rejected), no pending
    merge job of the block has the same halves (either order), and both halves
    can be reserved by `start_proving`."""
    proofs = _proofs(calculation)
    merged = proofs.get(candidate.sequences)
    if merged is not None and merged.status != REJECTED:
        return False
    halves = {candidate.sequences1, candidate.sequences2}
    if any({first, second} == halves for first, second in pending):
        return False
    whole = calculation.end_sequence is not None and candidate.sequences == span(
        calculation.start_sequence, calculation.end_sequence)
    for key in (candidate.sequences1, candidate.sequences2):
        proof = proofs.get(key)
        if proof is None:
            return False
        if not (available(proof, now_ms)
                or (whole and proof.status in (CALCULATED, USED, RESERVED))):
            return False
    return True

