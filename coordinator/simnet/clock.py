"""A simulator clock that can be moved forward: wall time plus an offset.

The pipeline's Move code waits on the chain's clock (a block needs more than
`min_time_between_blocks`, at least 60 s, since the previous one; a proof
times out after 5 minutes). A test or an app developer running the
simulator moves this clock forward instead of waiting; the coordinator
follows it, since it reads the chain's time from the checkpoints.

    clock = SimClock()
    sim = Simnet(clock_ms=clock)
    clock.advance(61_000)  # the next checkpoint is 61 s later than the wall clock
"""

from __future__ import annotations

import time

__all__ = ["SimClock"]


class SimClock:
    """Milliseconds of wall time plus what `advance` added (never backwards)."""

    def __init__(self) -> None:
        self.offset_ms = 0

    def __call__(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms

    def advance(self, ms: int) -> None:
        if ms < 0:
            raise ValueError(f"the simulator's clock only moves forward (asked {ms} ms)")
        self.offset_ms += ms
