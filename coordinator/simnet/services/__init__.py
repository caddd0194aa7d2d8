"""The Sui v2 subset as purerpc servicers over a `Simnet`, one module per service.

Semantics imitate upstream (MystenLabs/sui-apis, proto/sui/rpc/v2):
- subscriptions start at the tip: SubscribeEvents' first frame is progress
  only (watermark: tip fully covered), SubscribeCheckpoints' first frame is
  the tip checkpoint; then frames per sealed checkpoint, progress frames
  included, so a sparse filter still sees the chain advance;
- ListEvents: start inclusive, end exclusive, ascending, `limit` (default 50,
  max 1000, coerced) and `after`/`before` cursors; a watermark on every frame;
  `end` on exactly one frame, the last (ITEM_LIMIT on the last item's frame,
  else CHECKPOINT_BOUND, CURSOR_BOUND or LEDGER_TIP without an item);
- read masks with upstream's defaults when unset; bad input is
  INVALID_ARGUMENT; unknown or pruned checkpoints, transactions and objects
  are NOT_FOUND (in BatchGetObjects, per item);
- SimulateTransaction takes BCS or a structured, unresolved transaction (as
  Mysten's SDK builds one) and selects gas when asked; ExecuteTransaction and
  GetTransaction give the transaction, signatures, effects, events and
  balance changes; MovePackageService describes the hosted package only.
"""

from __future__ import annotations

from coordinator.simnet.services.ledger import LedgerService
from coordinator.simnet.services.packages import MovePackageService
from coordinator.simnet.services.state import StateService
from coordinator.simnet.services.subscriptions import SubscriptionService
from coordinator.simnet.services.transactions import TransactionExecutionService

__all__ = [
    "LedgerService",
    "MovePackageService",
    "StateService",
    "SubscriptionService",
    "TransactionExecutionService",
]
