"""The settler: the outbox of chain operations sent on chain (see `settler`)."""

from coordinator.settlement.operations import (
    CLAIM_TIMEOUT_SECS,
    Claim,
    batch_operation,
    job_status,
    still_needed,
)
from coordinator.settlement.settler import NO_KEY_WARNING, Settler, open_settler, settler_child
from coordinator.settlement.transport import SettleSettings
from coordinator.settlement.writes import WRITE_TIMEOUT_SECS, WriteAnswer

__all__ = [
    "CLAIM_TIMEOUT_SECS",
    "NO_KEY_WARNING",
    "WRITE_TIMEOUT_SECS",
    "Claim",
    "SettleSettings",
    "Settler",
    "WriteAnswer",
    "batch_operation",
    "job_status",
    "open_settler",
    "settler_child",
    "still_needed",
]
