"""SUI gas coins on the simulated chain: `0x2::coin::Coin<0x2::sui::SUI>` objects.

A coin is an owned object: id, owner, balance, and a version and digest that
change whenever a transaction spends from it, so a transaction naming an old
version is refused as on Sui. Coins come into being only through the admin's
`Fund` (a faucet); transactions merge and spend them.
"""

from __future__ import annotations

from dataclasses import dataclass

from coordinator.events import normalize_address
from coordinator.simnet.chain import digest, hash_parts

SUI_COIN_TYPE = "0x2::sui::SUI"
GAS_COIN_TYPE = f"0x2::coin::Coin<{SUI_COIN_TYPE}>"
# Sui's object type strings name the framework in full.
SUI_COIN_TYPE_LONG = f"0x{'0' * 63}2::sui::SUI"
GAS_COIN_TYPE_LONG = f"0x{'0' * 63}2::coin::Coin<{SUI_COIN_TYPE_LONG}>"
MAX_BALANCE = 2**64 - 1


@dataclass
class GasCoin:
    id: str
    owner: str
    balance: int
    version: int

    @property
    def digest(self) -> str:
        return digest(b"coin", self.id, self.version, self.owner, self.balance)


class Coins:
    """The chain's SUI coins by id, and who holds which."""

    def __init__(self, seed: str) -> None:
        self._seed = seed
        self._count = 0
        self._coins: dict[str, GasCoin] = {}

    def mint(self, owner: str, balance: int, version: int) -> GasCoin:
        """A new coin of `balance` MIST for `owner` (a faucet's transfer)."""
        if not 0 < balance <= MAX_BALANCE:
            raise ValueError(f"a coin's balance must be 1..{MAX_BALANCE} MIST, not {balance}")
        self._count += 1
        coin = GasCoin(
            id="0x" + hash_parts(b"coin", self._seed, self._count).hex(),
            owner=normalize_address(owner),
            balance=balance,
            version=version,
        )
        self._coins[coin.id] = coin
        return coin

    def get(self, coin_id: str) -> GasCoin | None:
        return self._coins.get(coin_id)

    def delete(self, coin_id: str) -> None:
        self._coins.pop(coin_id, None)

    def owned_by(self, owner: str) -> list[GasCoin]:
        """`owner`'s coins ordered by id (a stable order for paging)."""
        owner = normalize_address(owner)
        return sorted((c for c in self._coins.values() if c.owner == owner), key=lambda c: c.id)

    def balance(self, owner: str) -> int:
        return sum(coin.balance for coin in self.owned_by(owner))
