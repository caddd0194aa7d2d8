"""Taking a free trio lock or limiter at once, without a round of the loop.

Trio's `acquire` always yields to the scheduler, taken or not, so that every
await is a checkpoint. On a path that runs once per agent call (the
service's call limiter, the book's commit lock, the store's one worker
thread) an uncontended lock then costs a whole round of the event loop each,
which added up to a third of a call's rounds. Taken with `acquire_nowait`
when free, a call yields where it really waits (its worker-thread hop, its
socket writes) and nowhere else. A busy lock is waited for in trio's fair
order: `acquire_nowait` refuses while others wait, so nobody is overtaken.

- `async with promptly(lock):` for a `trio.Lock` or `trio.CapacityLimiter`;
- `PromptLimiter(total)`: a limiter for `trio.to_thread.run_sync(limiter=...)`,
  taken the same way.
"""

from __future__ import annotations

from types import TracebackType

import trio

__all__ = ["PromptLimiter", "promptly"]


class promptly:  # a lower-case name: it reads as the adverb it is at the call site
    __slots__ = ("_lock",)

    def __init__(self, lock: trio.Lock | trio.CapacityLimiter) -> None:
        self._lock = lock

    async def __aenter__(self) -> None:
        try:
            self._lock.acquire_nowait()
        except trio.WouldBlock:
            await self._lock.acquire()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()


class PromptLimiter:
    """A `trio.CapacityLimiter` of `total` tokens (trio's own, which cannot be
    subclassed) as `trio.to_thread.run_sync` uses it, taken at once when free."""

    __slots__ = ("_tokens",)

    def __init__(self, total: int) -> None:
        self._tokens = trio.CapacityLimiter(total)

    async def acquire_on_behalf_of(self, borrower: object) -> None:
        try:
            self._tokens.acquire_on_behalf_of_nowait(borrower)
        except trio.WouldBlock:
            await self._tokens.acquire_on_behalf_of(borrower)

    def release_on_behalf_of(self, borrower: object) -> None:
        self._tokens.release_on_behalf_of(borrower)
