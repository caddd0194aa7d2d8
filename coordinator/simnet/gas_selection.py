"""SimulateTransaction's `do_gas_selection`: the gas a client left to the node.

As a fullnode does: the price is the reference gas price; the budget comes
from a dry run paid by all of the owner's coins (computation plus net
storage, with a safety overhead of 1000 gas units, never under the
computation cost); the payment is the owner's largest coins that cover that
budget. A client that gave a part keeps it.
"""

from __future__ import annotations

from dataclasses import replace

from coordinator.simnet import checks, execution
from coordinator.simnet.engine import Engine
from coordinator.simnet.gas import BASE_UNITS, MAX_GAS_BUDGET
from coordinator.simnet.structured import Unresolved
from coordinator.sui.codec import GasData, ObjectRef, TransactionData

# Sui caps a transaction's gas coins at 256.
MAX_GAS_OBJECTS = 256
# The overhead a fullnode adds to a dry run's cost, in gas units.
SAFE_OVERHEAD_UNITS = 1000


def _coins_by_size(sim: Engine, owner: str) -> list[ObjectRef]:
    coins = sorted(sim.coins.owned_by(owner), key=lambda coin: -coin.balance)
    return [ObjectRef(c.id, c.version, c.digest) for c in coins[:MAX_GAS_OBJECTS]]


def _total(sim: Engine, payment: tuple[ObjectRef, ...]) -> int:
    coins = (sim.coins.get(ref.object_id) for ref in payment)
    return sum(coin.balance for coin in coins if coin is not None)


def _estimate(sim: Engine, tx: TransactionData) -> int:
    """The budget a dry run of `tx` (its budget as large as its coins allow) asks for."""
    trial = replace(tx, gas=replace(tx.gas, budget=max(
        min(MAX_GAS_BUDGET, _total(sim, tx.gas.payment)), BASE_UNITS * tx.gas.price
    )))  # fmt: skip
    tx_bytes = trial.to_bytes()
    effects = execution.simulate(sim, checks.prepare(sim, trial, tx_bytes)).transaction.effects
    cost = effects.gas_used
    overhead = SAFE_OVERHEAD_UNITS * tx.gas.price
    net = cost.computation_cost + cost.storage_cost - cost.storage_rebate + overhead
    return max(cost.computation_cost + overhead, net, BASE_UNITS * tx.gas.price)


def _cover(candidates: list[ObjectRef], sim: Engine, budget: int) -> tuple[ObjectRef, ...]:
    """The largest coins first, as few as cover `budget` (all of them if none do)."""
    chosen: list[ObjectRef] = []
    for ref in candidates:
        chosen.append(ref)
        if _total(sim, tuple(chosen)) >= budget:
            break
    return tuple(chosen)


def select(sim: Engine, unresolved: Unresolved) -> TransactionData:
    """The transaction with the gas the client left out filled in. Raises
    `checks.Refused` when the dry run cannot be made (e.g. the owner has no coins)."""
    tx = unresolved.tx
    price = unresolved.price if unresolved.price is not None else sim.reference_gas_price
    candidates = _coins_by_size(sim, tx.gas.owner)
    payment = unresolved.payment or tuple(candidates)
    if not payment:
        raise checks.input_error(
            f"Cannot find gas coin for signer address {tx.gas.owner} with amount sufficient "
            "for the required gas budget"
        )
    tx = replace(tx, gas=GasData(payment, tx.gas.owner, price, unresolved.budget or 0))
    budget = unresolved.budget if unresolved.budget is not None else _estimate(sim, tx)
    if unresolved.payment is None:
        payment = _cover(candidates, sim, budget)
    return replace(tx, gas=GasData(payment, tx.gas.owner, price, budget))
