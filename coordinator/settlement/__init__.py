"""The settler: the outbox of chain operations sent on chain (see `settler`)."""

from coordinator.settlement.operations import (
    CLAIM_TIMEOUT_SECS,
    Claim,
    batch_calls,
    batch_operation,
    job_status,
    still_needed,
)
from coordinator.settlement.pipeline import MAX_REFUSALS_ALONE
from coordinator.settlement.settler import (
    NO_KEY_WARNING,
    SETTLE_GRACE_SECS,
    Settler,
    open_settler,
)
from coordinator.settlement.transport import SettleSettings
from coordinator.settlement.writes import WRITE_TIMEOUT_SECS, WriteAnswer

__all__ = [
    "CLAIM_TIMEOUT_SECS",
    "MAX_REFUSALS_ALONE",
    "NO_KEY_WARNING",
    "SETTLE_GRACE_SECS",
    "WRITE_TIMEOUT_SECS",
    "Claim",
    "SettleSettings",
    "Settler",
    "WriteAnswer",
    "batch_calls",
    "batch_operation",
    "job_status",
    "open_settler",
    "still_needed",
]
