"""The simulator's gas model (simple, fixed, documented in docs/simulator.md).

- computation: `BASE_UNITS` per transaction, `CALL_UNITS` per Move call and
  `OPERATION_UNITS` per job operation (each of a multicall's), times the
  transaction's gas price;
- storage: every object the transaction writes costs its size (a fixed
  `OBJECT_OVERHEAD` plus its JSON rendering; a coin `COIN_BYTES`) x
  `STORAGE_UNITS_PER_BYTE` x `STORAGE_PRICE`; every object it rewrites or
  deletes gives back 99% of what its previous contents cost (`REBATE_PERCENT`);
- the gas coins are merged into the first, which pays computation + storage -
  rebate. A run that needs more than the budget fails with `InsufficientGas`:
  the budget's worth of computation is charged and nothing else changes except
  the versions of the gas coin and the mutable shared inputs, as on Sui.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from coordinator.simnet.move_object import MoveObject
from coordinator.sui.calls import Multicall, Operation

REFERENCE_GAS_PRICE = 1000  # MIST per gas unit
MAX_GAS_BUDGET = 50_000_000_000  # Sui's protocol maximum (50 SUI)
BASE_UNITS = 1000
CALL_UNITS = 1000
OPERATION_UNITS = 500
STORAGE_PRICE = 76  # MIST per storage unit, Sui's
STORAGE_UNITS_PER_BYTE = 100
REBATE_PERCENT = 99
OBJECT_OVERHEAD = 100  # id, version, digest, owner, type
COIN_BYTES = OBJECT_OVERHEAD + 40  # UID + u64 balance


def object_size(obj: MoveObject) -> int:
    rendered = json.dumps(obj.json(), sort_keys=True, separators=(",", ":"))
    return OBJECT_OVERHEAD + len(rendered)


def storage_fee(size: int) -> int:
    return size * STORAGE_UNITS_PER_BYTE * STORAGE_PRICE


def rebate(size: int) -> int:
    return storage_fee(size) * REBATE_PERCENT // 100


def computation_units(operations: Sequence[Operation]) -> int:
    count = 0
    for operation in operations:
        if isinstance(operation, Multicall):
            count += (
                len(operation.complete) + len(operation.fail)
                + len(operation.terminate) + len(operation.start)
            )  # fmt: skip
        else:
            count += 1
    return BASE_UNITS + CALL_UNITS * len(operations) + OPERATION_UNITS * count
