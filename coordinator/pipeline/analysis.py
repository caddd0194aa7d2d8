"""What one proof analysis of an app instance decides, from what it read.

Upstream's analysis (every 300 s per app instance) does four things: skip an
idle instance, keep one `settle` job per settlement chain that has a proved
block to settle (and end the ones with nothing to do), queue merge jobs for
the next blocks, and purge settled sequence states. Here each of them is a
pure function of the instance's counters (`Progress`) and the objects read
for it, so the loop (`coordinator.pipeline.loops`) only reads, calls these
and sends. Where we part from upstream is said at the function and in
docs/proof-pipeline.md (the ambiguities).
"""

from __future__ import annotations

import struct
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from coordinator.domain import MERGE_METHOD, SETTLE_METHOD
from coordinator.events.pipeline_objects import BlockSettlement
from coordinator.sui.calls.app_instance import CreateAppJob
from coordinator.sui.pipeline_reads import PipelineState

__all__ = [
    "MAX_BLOCK_LOOKAHEAD",
    "SETTLE_INTERVAL_MS",
    "ChainProgress",
    "EndSettleJob",
    "Progress",
    "ProvedBlock",
    "StartSettleJob",
    "block_due",
    "chains_to_settle",
    "idle",
    "merge_blocks",
    "purge_due",
    "settle_blocks",
    "settle_jobs",
]

# Blocks ahead of the last proved one that get merge jobs (upstream MAX_BLOCK_LOOKAHEAD).
MAX_BLOCK_LOOKAHEAD = 4
# A settle job is periodic: completed, it runs again this much later (the chain's minimum).
SETTLE_INTERVAL_MS = 60_000


@dataclass(frozen=True)
class ChainProgress:
    """One settlement chain of the instance: its last settled block, its settle job."""

    last_settled_block_number: int
    settlement_job: int | None


@dataclass(frozen=True)
class Progress:
    """The instance's pipeline counters, as one read of the AppInstance says."""

    block_number: int  # the open block
    sequence: int  # the next sequence
    previous_block_last_sequence: int
    previous_block_timestamp: int  # chain ms
    min_time_between_blocks: int  # ms
    last_proved: int
    last_settled: int
    last_settled_sequence: int
    last_purged_sequence: int
    settlements: Mapping[str, ChainProgress] = field(default_factory=dict)
    methods: frozenset[str] = frozenset()

    @classmethod
    def of(cls, state: PipelineState, methods: Collection[str] = ()) -> Progress:
        """From one read of the instance's pipeline; `methods` its app methods' names."""
        return cls(
            block_number=state.block_number,
            sequence=state.sequence,
            previous_block_last_sequence=state.previous_block_last_sequence,
            previous_block_timestamp=state.previous_block_timestamp,
            min_time_between_blocks=state.min_time_between_blocks,
            last_proved=state.last_proved_block_number,
            last_settled=state.last_settled_block_number,
            last_settled_sequence=state.last_settled_sequence,
            last_purged_sequence=state.last_purged_sequence,
            settlements={chain: ChainProgress(s.last_settled_block_number, s.settlement_job)
                         for chain, s in state.settlements.items()},
            methods=frozenset(methods),
        )

    @property
    def has_new_sequences(self) -> bool:
        """Sequences were added since the last block was created."""
        return self.sequence != self.previous_block_last_sequence + 1


def block_due(progress: Progress, now_ms: int) -> bool:
    """`try_create_block` would create a block now (chain time).

    As the Move code: new sequences and strictly more than the minimum time
    since the previous block. An instance still at sequence 0 never: the Move
    call would abort on it (ambiguity 11)."""
    return (progress.sequence > 0 and progress.has_new_sequences
            and now_ms - progress.previous_block_timestamp > progress.min_time_between_blocks)


def idle(progress: Progress) -> bool:
    """Nothing to merge: every created block is proved and no sequence is new.

    Upstream skips the whole analysis then; we skip only the merge part, so an
    idle, settled instance still gets its settle jobs ended and its states
    purged (ambiguity 13)."""
    return (progress.last_proved + 1 == progress.block_number
            and not progress.has_new_sequences)


def merge_blocks(progress: Progress) -> range:
    """The blocks whose proofs are merged: the open and created ones after the
    last proved block, MAX_BLOCK_LOOKAHEAD at the most."""
    if idle(progress) or MERGE_METHOD not in progress.methods:
        return range(0)
    last = min(progress.block_number, progress.last_proved + MAX_BLOCK_LOOKAHEAD)
    return range(progress.last_proved + 1, last + 1)


def settle_blocks(progress: Progress) -> range:
    """The proved blocks not yet settled on every chain."""
    if progress.last_proved == 0 or progress.last_proved <= progress.last_settled:
        return range(0)
    return range(max(1, progress.last_settled + 1), progress.last_proved + 1)


@dataclass(frozen=True)
class ProvedBlock:
    """What settling a block needs read: whether it has its proof, and its
    settlement record per chain (None: none yet)."""

    proved: bool
    settlements: Mapping[str, BlockSettlement | None] = field(default_factory=dict)


def chains_to_settle(progress: Progress, blocks: Mapping[int, ProvedBlock]) -> set[str]:
    """The chains with a proved block of `settle_blocks` to settle: its record
    has no transaction or is not included, or there is no record and the
    chain has not settled past the block. A block not in `blocks` (deleted,
    or not read) counts for nothing."""
    needing: set[str] = set()
    for number in settle_blocks(progress):
        block = blocks.get(number)
        if block is None or not block.proved:
            continue
        for chain, chain_progress in progress.settlements.items():
            record = block.settlements.get(chain)
            if record is None:
                if number > chain_progress.last_settled_block_number:
                    needing.add(chain)
            elif record.settlement_tx_hash is None or not record.settlement_tx_included_in_block:
                needing.add(chain)
    return needing


@dataclass(frozen=True)
class StartSettleJob:
    """A periodic `settle` job for `chain` (upstream's: block None, 16 bytes of data)."""

    chain: str

    def operation(self, now_ms: int) -> CreateAppJob:
        return CreateAppJob(
            SETTLE_METHOD, f"Periodic settlement check for {self.chain}",
            data=struct.pack("<QQ", SETTLE_INTERVAL_MS, now_ms),
            interval_ms=SETTLE_INTERVAL_MS, next_scheduled_at=now_ms,
            settlement_chain=self.chain,
        )


@dataclass(frozen=True)
class EndSettleJob:
    """Terminate the settle job of `chain`: it has nothing left to settle."""

    chain: str
    job_sequence: int


def settle_jobs(progress: Progress, needing: Collection[str],
                running: Collection[int] = ()) -> list[StartSettleJob | EndSettleJob]:
    """One settle job per chain that needs settling, none for the others.

    A job the book knows running (`running`, job sequences) is left to finish
    and ended by a later analysis: terminating it under its agent would fail
    the agent's next call. No job is started for an app without a `settle`
    method (create_app_job would refuse it at every analysis)."""
    actions: list[StartSettleJob | EndSettleJob] = []
    for chain in sorted(progress.settlements):
        job = progress.settlements[chain].settlement_job
        if chain in needing:
            if job is None and SETTLE_METHOD in progress.methods:
                actions.append(StartSettleJob(chain))
        elif job is not None and job not in running:
            actions.append(EndSettleJob(chain, job))
    return actions


def purge_due(progress: Progress) -> bool:
    """Settled sequence states are left to purge."""
    return progress.last_purged_sequence < progress.last_settled_sequence
