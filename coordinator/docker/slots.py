"""How many agent containers may run: at most `max_concurrent` in all, and at
most one per (developer, agent, agent_method), whose container then takes the
key's further jobs over the socket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio

Key = tuple[str, str, str]  # (developer, agent, agent_method)


class ContainerSlots:
    def __init__(self, max_concurrent: int) -> None:
        self.max_concurrent = max_concurrent
        self._slots = trio.Semaphore(max_concurrent)  # FIFO: waiters start in order
        self._busy: set[Key] = set()
        self._key_freed = trio.lowlevel.ParkingLot()

    @property
    def in_use(self) -> int:
        return self.max_concurrent - self._slots.value

    def busy(self, key: Key) -> bool:
        """A container for `key` is running or waiting for a slot."""
        return key in self._busy

    @asynccontextmanager
    async def hold(self, key: Key) -> AsyncIterator[None]:
        """Wait until `key` is free and a slot is open; hold both for the block."""
        while key in self._busy:
            await self._key_freed.park()
        # Claim the key first: a second job of the key must not take a slot
        # only to wait for the first.
        self._busy.add(key)
        try:
            async with self._slots:
                yield
        finally:
            self._busy.discard(key)
            self._key_freed.unpark_all()
