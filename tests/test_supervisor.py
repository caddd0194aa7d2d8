"""The supervision primitive: policies, backoff, intensity, cancellation.

Time is trio's autojump clock, so backoff delays of many seconds take none.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable

import pytest
import trio
import trio.testing

from coordinator.errors import SetupError
from coordinator.supervisor import (
    Child,
    ChildSpec,
    Options,
    Restart,
    RestartIntensityExceeded,
    Supervisor,
    run_until_signalled,
    supervise,
    task,
)

FAST = Options(max_restarts=100, max_seconds=1000, backoff_initial=1.0, backoff_max=8.0)


class Boom(Exception):
    pass


def counting(
    runs: list[float], *, crash: bool, stop_after: int | None = None
) -> Callable[[], Awaitable[None]]:
    """A child that records the time of each run, then crashes or returns."""

    async def child() -> None:
        runs.append(trio.current_time())
        if stop_after is not None and len(runs) >= stop_after:
            await trio.sleep_forever()
        if crash:
            raise Boom(f"run {len(runs)} failed")

    return child


async def test_permanent_child_restarts_after_return_and_crash(
    autojump_clock: trio.testing.MockClock,
) -> None:
    returned: list[float] = []
    crashed: list[float] = []
    with trio.move_on_after(100):
        await supervise("t", [
            ChildSpec("returns", task(counting(returned, crash=False, stop_after=3))),
            ChildSpec("crashes", task(counting(crashed, crash=True, stop_after=3))),
        ], FAST)
    assert len(returned) == 3
    assert len(crashed) == 3


async def test_transient_restarts_only_after_crash(autojump_clock: trio.testing.MockClock) -> None:
    crashed: list[float] = []
    returned: list[float] = []
    with trio.move_on_after(100) as scope:
        await supervise("t", [
            ChildSpec("crashes", task(counting(crashed, crash=True, stop_after=3)),
                      Restart.TRANSIENT),
            ChildSpec("returns", task(counting(returned, crash=False)), Restart.TRANSIENT),
        ], FAST)
    assert scope.cancelled_caught  # the crashing child ends up running forever
    assert len(crashed) == 3
    assert len(returned) == 1


async def test_temporary_never_restarts_and_supervisor_returns(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    crashed: list[float] = []
    returned: list[float] = []
    with trio.fail_after(100):
        await supervise("tree", [
            ChildSpec("crashes", task(counting(crashed, crash=True)), Restart.TEMPORARY),
            ChildSpec("returns", task(counting(returned, crash=False)), Restart.TEMPORARY),
        ], FAST)
    assert (len(crashed), len(returned)) == (1, 1)
    assert "tree: child crashes crashed: Boom: run 1 failed" in caplog.text


async def test_backoff_grows_exponentially_with_jitter_and_caps(
    autojump_clock: trio.testing.MockClock,
) -> None:
    runs: list[float] = []
    with trio.move_on_after(1000):
        await supervise("t", [ChildSpec("c", task(counting(runs, crash=True, stop_after=8)))], FAST)
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    expected = [1, 2, 4, 8, 8, 8, 8]  # initial 1 s, doubling, capped at 8 s
    assert len(gaps) == len(expected)
    for gap, base in zip(gaps, expected, strict=True):
        assert base * 0.8 <= gap <= base * 1.2, (gaps, expected)
    assert len({round(g, 6) for g in gaps[3:]}) > 1, "jitter makes capped delays differ"


async def test_backoff_resets_after_healthy_run(autojump_clock: trio.testing.MockClock) -> None:
    runs: list[float] = []

    async def child() -> None:
        runs.append(trio.current_time())
        if len(runs) == 4:
            await trio.sleep(60)  # a healthy run, longer than healthy_after_secs
        if len(runs) >= 6:
            await trio.sleep_forever()
        raise Boom("again")

    options = Options(max_restarts=100, max_seconds=1000, backoff_initial=1.0,
                      backoff_max=100, healthy_after_secs=30)
    with trio.move_on_after(1000):
        await supervise("t", [ChildSpec("c", task(child))], options)
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    # 1, 2, then 4 s; run 4 lasted 60 s, so the next delay is back to ~1 s.
    assert 0.8 <= gaps[0] <= 1.2 and 3.2 <= gaps[2] <= 4.8
    assert 60.8 <= gaps[3] <= 61.2
    assert 1.6 <= gaps[4] <= 2.4


async def test_intensity_limit_escalates_and_stops_siblings(
    autojump_clock: trio.testing.MockClock,
) -> None:
    sibling_stopped = trio.Event()

    async def sibling() -> None:
        try:
            await trio.sleep_forever()
        finally:
            sibling_stopped.set()

    runs: list[float] = []
    options = Options(max_restarts=3, max_seconds=60, backoff_initial=1, backoff_max=1)
    with pytest.raises(RestartIntensityExceeded) as caught:
        await supervise("tree", [
            ChildSpec("sibling", task(sibling)),
            ChildSpec("looper", task(counting(runs, crash=True))),
        ], options)
    assert len(runs) == 4  # the first run and 3 restarts; the 4th crash gives up
    assert sibling_stopped.is_set()
    assert caught.value.child == "looper"
    assert "more than 3 restarts in 60 s" in str(caught.value)
    assert "Boom: run 4 failed" in str(caught.value)


async def test_restarts_spread_out_stay_under_intensity(
    autojump_clock: trio.testing.MockClock,
) -> None:
    runs: list[float] = []
    # 2 restarts allowed per 5 s, but backoff of ~10 s between them: never exceeded.
    options = Options(max_restarts=2, max_seconds=5, backoff_initial=10, backoff_max=10)
    with trio.move_on_after(200):
        await supervise("t", [ChildSpec("c", task(counting(runs, crash=True)))], options)
    assert len(runs) >= 15


async def test_escalation_through_nested_supervisors(
    autojump_clock: trio.testing.MockClock,
) -> None:
    inner_runs: list[float] = []
    inner_options = Options(max_restarts=1, max_seconds=60, backoff_initial=1, backoff_max=1)
    outer_options = Options(max_restarts=2, max_seconds=600, backoff_initial=1, backoff_max=1)

    async def inner() -> None:
        await supervise("inner", [ChildSpec("c", task(counting(inner_runs, crash=True)))],
                        inner_options)

    with pytest.raises(RestartIntensityExceeded) as caught:
        await supervise("outer", [ChildSpec("inner", task(inner))], outer_options)
    # Outer restarted "inner" twice; each inner run gave up after 2 runs.
    assert len(inner_runs) == 6
    assert caught.value.supervisor == "outer"
    assert "supervisor 'inner' gave up" in caught.value.reason


async def test_cancellation_propagates_through_the_tree(
    autojump_clock: trio.testing.MockClock,
) -> None:
    started: list[str] = []
    stopped: list[str] = []

    def leaf(name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            started.append(name)
            try:
                await trio.sleep_forever()
            finally:
                stopped.append(name)
        return run

    async def subtree() -> None:
        await supervise("sub", [ChildSpec("a", task(leaf("a"))), ChildSpec("b", task(leaf("b")))])

    with trio.move_on_after(5) as scope:
        await supervise("root", [ChildSpec("sub", task(subtree)), ChildSpec("c", task(leaf("c")))])
    assert scope.cancelled_caught
    assert sorted(started) == ["a", "b", "c"]
    assert sorted(stopped) == ["a", "b", "c"]  # each stopped once, none restarted


async def test_cancelled_child_is_not_counted_as_a_crash(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with trio.move_on_after(1):
        await supervise("t", [ChildSpec("c", task(trio.sleep_forever))])
    assert "crashed" not in caplog.text
    assert "restarting" not in caplog.text


async def test_children_start_in_order_each_once_the_one_before_is_up(
    autojump_clock: trio.testing.MockClock,
) -> None:
    events: list[str] = []

    def slow(name: str, delay: float) -> Callable[[], Child]:
        async def run(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
            events.append(f"{name} starting")
            await trio.sleep(delay)
            events.append(f"{name} up")
            task_status.started()
            await trio.sleep_forever()
        return lambda: Child(run)

    async with trio.open_nursery() as nursery:
        await nursery.start(supervise, "t", [
            ChildSpec("a", slow("a", 5)), ChildSpec("b", slow("b", 1)),
            ChildSpec("c", slow("c", 0)),
        ])
        events.append("tree up")
        nursery.cancel_scope.cancel()
    assert events == ["a starting", "a up", "b starting", "b up", "c starting", "c up", "tree up"]


async def test_a_restart_calls_the_factory_again(autojump_clock: trio.testing.MockClock) -> None:
    built: list[list[str]] = []

    def factory() -> Child:
        state: list[str] = []  # each incarnation's own state
        built.append(state)

        async def run(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
            state.append("ran")
            task_status.started()
            if len(built) < 3:
                raise Boom("once more")
            await trio.sleep_forever()
        return Child(run)

    with trio.move_on_after(100):
        await supervise("t", [ChildSpec("c", factory)], FAST)
    assert built == [["ran"], ["ran"], ["ran"]]


async def test_stop_drains_in_reverse_order_within_each_budget(
    autojump_clock: trio.testing.MockClock,
) -> None:
    events: list[str] = []

    def child(name: str, drain_takes: float | None) -> Callable[[], Child]:
        async def body() -> None:
            try:
                await trio.sleep_forever()
            finally:
                events.append(f"{name} stopped at {trio.current_time():.0f}")

        async def drain() -> None:
            events.append(f"{name} draining")
            await trio.sleep(drain_takes or 0)
            events.append(f"{name} drained")

        return task(body, drain if drain_takes is not None else None)

    supervisor = Supervisor("t", [
        ChildSpec("first", child("first", None)),
        ChildSpec("quick", child("quick", 2), shutdown_secs=10),
        ChildSpec("stuck", child("stuck", 1000), shutdown_secs=30),
    ])
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        await supervisor.stop()
    assert events == [
        "stuck draining", "stuck stopped at 30",  # the budget is over: cancelled
        "quick draining", "quick drained", "quick stopped at 32",
        "first stopped at 32",
    ]


async def test_a_setup_error_is_not_restarted_and_reaches_the_caller(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """A wrong configuration found while running (a node of another chain):
    no restart mends it, so the tree stops and the caller exits 2."""
    runs: list[float] = []
    sibling_cancelled = trio.Event()

    async def misconfigured() -> None:
        runs.append(trio.current_time())
        raise SetupError("sui.chain_id: the node serves another chain")

    async def sibling() -> None:
        try:
            await trio.sleep_forever()
        finally:
            sibling_cancelled.set()

    supervisor = Supervisor("t", [ChildSpec("sibling", task(sibling)),
                                  ChildSpec("ingest", task(misconfigured))], FAST)
    with pytest.raises(SetupError, match="another chain"):
        await run_until_signalled(supervisor, lambda: None)
    assert len(runs) == 1 and sibling_cancelled.is_set()


async def test_a_restart_runs_what_the_factory_builds_anew(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """The spec's factory is called at every (re)start: state it builds is the
    run's own, so a crashed run's state is not what the next run starts with."""

    class Counter:
        def __init__(self) -> None:
            self.seen = 0

        async def run(self) -> None:
            self.seen += 1
            seen.append(self.seen)
            if len(seen) >= 3:
                await trio.sleep_forever()
            raise Boom("crash")

    seen: list[int] = []
    with trio.move_on_after(100):
        await supervise("t", [ChildSpec("c", lambda: task(Counter().run)())], FAST)
    assert seen == [1, 1, 1]
