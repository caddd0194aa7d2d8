"""Free locks are taken without a round of the loop; busy ones in trio's fair order."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from coordinator.promptly import PromptLimiter, promptly


@pytest.mark.parametrize("make", [trio.Lock, lambda: trio.CapacityLimiter(1)])
async def test_a_free_lock_is_taken_before_anyone_else_runs(make) -> None:  # type: ignore[no-untyped-def]
    lock = make()
    order: list[str] = []

    async def other() -> None:
        order.append("other task")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(other)  # runs at the first round of the loop
        async with promptly(lock):
            order.append("held")
    assert order == ["held", "other task"]
    assert lock.statistics().borrowed_tokens == 0 if isinstance(lock, trio.CapacityLimiter) \
        else not lock.locked()


async def test_a_busy_lock_is_served_in_order_and_nobody_overtakes() -> None:
    lock = trio.Lock()
    order: list[str] = []

    async def take(name: str) -> None:
        async with promptly(lock):
            order.append(name)
            await trio.sleep(0.01)

    async with trio.open_nursery() as nursery:
        await lock.acquire()
        nursery.start_soon(take, "first waiter")
        await trio.testing.wait_all_tasks_blocked()
        lock.release()  # ownership passes to the first waiter at once
        nursery.start_soon(take, "came later")  # finds it busy: waits its turn
    assert order == ["first waiter", "came later"]


async def test_the_prompt_limiter_runs_threads_one_at_a_time_in_order() -> None:
    limiter = PromptLimiter(1)
    running, most, order = 0, 0, []

    def work(name: str) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        order.append(name)
        running -= 1

    async with trio.open_nursery() as nursery:
        for n in range(5):
            nursery.start_soon(
                lambda n=n: trio.to_thread.run_sync(work, f"t{n}", limiter=limiter))
            await trio.testing.wait_all_tasks_blocked()
    assert most == 1 and order == [f"t{n}" for n in range(5)]
