"""What the executor knows about paying for its transactions between them, so
that a transaction in steady state costs one call (`ExecuteTransaction`).

- the reference gas price, read once and kept for the epoch: a transaction's
  effects name their epoch, and a new one makes the price read again;
- our own gas coins, read once (`ListOwnedObjects`); after each transaction the
  coin that paid is taken from its effects (new version and digest; the other
  coins it paid with were merged into it), its balance less the gas charged;
- the gas budget per shape of transaction (its Move calls and job operations
  by kind), sized from the gas a transaction of that shape used, with room
  (`BUDGET_ROOM`): only an unknown shape is dry-run first.

Nothing is re-read before a transaction; everything is after an error that a
stale view may explain (`forget`). A coin is lent to one transaction at a time
(`checkout` .. `give_back`): two transactions in flight never name the same
coin version, which Sui would lock until the epoch ends.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import trio

from coordinator._pb.sui.rpc.v2 import effects_pb2, object_pb2
from coordinator.events.models import normalize_address
from coordinator.sui.client import SuiClient
from coordinator.sui.transactions import ObjectRef

__all__ = ["BUDGET_ROOM", "Coin", "GasError", "GasState", "Shape", "coins_of",
           "select_gas_coins"]

log = logging.getLogger("coordinator.sui.executor")

# A learned budget is this many times the gas its shape used (computation and
# storage vary with the size of the job's data); Sui charges only what is used.
BUDGET_ROOM = 2
# Shapes remembered (the oldest forgotten first): bounded whatever the batches.
MAX_SHAPES = 256
# Sui's limit of gas coins in one transaction.
MAX_GAS_COINS = 256
# How long a transaction waits for a coin another one holds.
CHECKOUT_TIMEOUT_SECS = 60.0

# A transaction's shape: (name, count) pairs, sorted.
Shape = tuple[tuple[str, int], ...]


class GasError(Exception):
    """The key's address cannot pay for the transaction (one line, with numbers)."""


@dataclass
class Coin:
    ref: ObjectRef
    balance: int


def coins_of(objects: Sequence[object_pb2.Object]) -> list[Coin]:
    """The usable coins of a `ListOwnedObjects` answer."""
    return [Coin(ObjectRef(normalize_address(c.object_id), c.version, c.digest), c.balance)
            for c in objects
            if c.balance > 0 and c.object_id and c.digest and c.HasField("version")]


def select_gas_coins(coins: Sequence[Coin], budget: int, owner: str) -> list[Coin]:
    """Largest coins first until they cover `budget` (Sui merges them into the first)."""
    usable = sorted(coins, key=lambda c: c.balance, reverse=True)[:MAX_GAS_COINS]
    chosen: list[Coin] = []
    total = 0
    for coin in usable:
        chosen.append(coin)
        total += coin.balance
        if total >= budget:
            return chosen
    raise GasError(
        f"address {owner} has {total} MIST in {len(usable)} SUI coin(s); "
        f"a gas budget of {budget} MIST is needed"
    )


@dataclass
class GasState:
    """The price, coins and budgets of one address (see the module doc)."""

    owner: str
    price: int | None = None
    epoch: int | None = None
    coins: list[Coin] | None = None
    _held: set[str] = field(default_factory=set)  # coin ids lent to a transaction
    _budgets: OrderedDict[Shape, int] = field(default_factory=OrderedDict)
    _returned: trio.Event = field(default_factory=trio.Event)
    _generation: int = 0  # bumped by `forget`: a coin lent before comes back stale

    async def gas_price(self, sui: SuiClient) -> int:
        if self.price is None:
            self.price = await sui.reference_gas_price()
        return self.price

    async def all_coins(self, sui: SuiClient) -> list[Coin]:
        """Every SUI coin of the address (read when not known)."""
        if self.coins is None:
            self.coins = coins_of(await sui.gas_coins(self.owner))
            self._held.clear()
        return self.coins

    def budget(self, shape: Shape) -> int | None:
        """The budget learned for `shape`; None: dry-run it."""
        return self._budgets.get(shape)

    def learn_budget(self, shape: Shape, need: int, ceiling: int) -> None:
        self._budgets[shape] = min(ceiling, need * BUDGET_ROOM)
        self._budgets.move_to_end(shape)
        while len(self._budgets) > MAX_SHAPES:
            self._budgets.popitem(last=False)

    def unlearn_budget(self, shape: Shape) -> None:
        self._budgets.pop(shape, None)

    async def checkout(self, sui: SuiClient, budget: int) -> tuple[list[Coin], int]:
        """Free coins covering `budget`, largest first, lent until `give_back`;
        with the generation to give back. Waits while coins lent to others would
        cover it; `GasError` when even all of them would not."""
        with trio.fail_after(CHECKOUT_TIMEOUT_SECS):
            while True:
                coins = await self.all_coins(sui)
                free = [c for c in coins if c.ref.object_id not in self._held]
                try:
                    chosen = select_gas_coins(free, budget, self.owner)
                except GasError:
                    if not self._held:
                        raise
                    await self._returned.wait()
                    continue
                self._held.update(c.ref.object_id for c in chosen)
                return chosen, self._generation

    def give_back(self, coins: Sequence[Coin], generation: int,
                  effects: effects_pb2.TransactionEffects | None) -> None:
        """The coins lent to a transaction, as its effects left them (merged into
        the first, less the gas charged); without effects they are as they were
        (the transaction was not executed)."""
        ids = {c.ref.object_id for c in coins}
        self._held -= ids
        self._returned.set()
        self._returned = trio.Event()
        if generation != self._generation or self.coins is None:
            return  # forgotten meanwhile: read again anyway
        if effects is None:
            return
        if self.epoch is not None and effects.epoch != self.epoch:
            self.price = None  # a new epoch: its price is read before the next transaction
        self.epoch = effects.epoch
        gas = effects.gas_used
        charged = gas.computation_cost + gas.storage_cost - gas.storage_rebate
        paid = effects.gas_object
        if not (paid.object_id and paid.HasField("output_version") and paid.output_digest):
            self.forget()  # a node that does not say: read the coins again
            return
        merged = Coin(ObjectRef(normalize_address(paid.object_id), paid.output_version,
                                paid.output_digest),
                      sum(c.balance for c in coins) - charged)
        self.coins = [c for c in self.coins if c.ref.object_id not in ids]
        if merged.balance > 0:
            self.coins.append(merged)

    def forget(self) -> None:
        """An error a stale view may explain: price and coins are read again
        before the next transaction (budgets stay: an error says nothing of them)."""
        self.price = None
        self.coins = None
        self._held.clear()
        self._generation += 1
        self._returned.set()
        self._returned = trio.Event()

    @property
    def balance(self) -> int | None:
        """What the known coins hold, or None when they are not known."""
        return None if self.coins is None else sum(c.balance for c in self.coins)
