"""Exponential backoff with jitter, shared by the supervisor and the Sui ingest.

Jitter spreads reconnects of many coordinators (or many children) so they do
not hammer a recovering fullnode in lock step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.2  # +/- this fraction of the delay
    rng: random.Random = field(default_factory=random.Random, repr=False)
    attempts: int = 0

    def delay(self, attempt: int) -> float:
        """The delay after failure number `attempt` (0 = the first)."""
        # The exponent is capped so a long outage cannot overflow the float.
        base = min(self.maximum, self.initial * self.factor ** min(attempt, 64))
        spread = base * self.jitter
        return max(0.0, base + self.rng.uniform(-spread, spread))

    def next_delay(self) -> float:
        """The delay before the next attempt; each call counts one failure."""
        self.attempts += 1
        return self.delay(self.attempts - 1)

    def reset(self) -> None:
        self.attempts = 0
