"""The supervision-tree primitive: a Trio nursery that restarts its children.

Modelled on Erlang/OTP's `one_for_one` supervisor. Each child is a `ChildSpec`
(name, factory, restart policy, shutdown budget) whose restart policy is data:

- PERMANENT: always restarted, whether it returned or crashed;
- TRANSIENT: restarted only after a crash (an exception);
- TEMPORARY: never restarted; a crash is logged and the child is gone.

Between restarts a child waits an exponential backoff with jitter, reset once
it has run healthily for `Options.healthy_after_secs`. Restarts of all children
are counted in a sliding window: more than `max_restarts` in `max_seconds`
means something is badly wrong, so the supervisor stops every child and raises
`RestartIntensityExceeded` to its parent instead of looping forever. A child
that raises `SetupError` (the configuration names something unusable, found
only once running, e.g. a node of another chain) is not restarted either: the
tree stops and the error reaches the caller, for exit 2.

Cancellation is never caught: `trio.Cancelled` is a BaseException, and only
`Exception` counts as a crash, so cancelling the supervisor's scope stops the
whole subtree at once.
"""

from __future__ import annotations

import contextlib
import logging
import signal
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

import trio

from coordinator.backoff import Backoff
from coordinator.errors import SetupError, describe
from coordinator.instruments import SUPERVISOR_CHILD_UP, SUPERVISOR_RESTARTS

log = logging.getLogger(__name__)


class Restart(Enum):
    PERMANENT = "permanent"
    TRANSIENT = "transient"
    TEMPORARY = "temporary"


class ChildRun(Protocol):
    """A child's body. It calls `task_status.started()` once it is up (its
    socket bound, its first connection made): the next child starts only then."""

    def __call__(self, *, task_status: trio.TaskStatus[Any]) -> Awaitable[None]: ...


@dataclass(frozen=True)
class Child:
    """One incarnation of a child: its body and, if it can stop gracefully, how."""

    run: ChildRun
    # Asked on a graceful stop, within the spec's `shutdown_secs`, before the
    # child is cancelled (the runner lets its containers finish here).
    drain: Callable[[], Awaitable[None]] | None = None


@dataclass(frozen=True)
class ChildSpec:
    """The one way to declare a child: its name, the factory of each run, its
    restart policy and its shutdown budget.

    `factory` is called at every (re)start and returns that run's `Child`.
    What it builds is fresh for the run; what it only refers to survives a
    failed run. So a restart starts from fresh state exactly as far as the
    factory builds it: a child whose state others share (the daemon's owners:
    the job book, the settler, the runner) keeps that state, and its `run`
    reads what is durable (the outbox, the cursor) again at start. The
    daemon's tree (`coordinator.app`) says child by child what survives and why.
    """

    name: str
    factory: Callable[[], Child]
    restart: Restart = Restart.PERMANENT
    shutdown_secs: float = 0.0  # how long `Child.drain` may take on a graceful stop


def task(body: Callable[[], Awaitable[None]], drain: Callable[[], Awaitable[None]] | None = None
         ) -> Callable[[], Child]:
    """The factory of a child that is up as soon as it runs (no readiness of its own)."""

    async def run(*, task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        await body()

    return lambda: Child(run, drain)


@dataclass(frozen=True)
class Options:
    max_restarts: int = 5
    max_seconds: float = 60.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    healthy_after_secs: float = 30.0


@dataclass
class RestartIntensityExceeded(Exception):
    """Too many restarts in the window: the supervisor gave up."""

    supervisor: str
    child: str
    reason: str
    restarts: int
    window: float

    def __str__(self) -> str:
        return (
            f"supervisor {self.supervisor!r} gave up: more than {self.restarts} restarts "
            f"in {self.window:g} s; last was child {self.child!r}: {self.reason}"
        )


@dataclass
class _Intensity:
    """Sliding window of restart times shared by all children of one supervisor."""

    options: Options
    times: deque[float] = field(default_factory=deque)

    def allow(self) -> bool:
        now = trio.current_time()
        self.times.append(now)
        while self.times and self.times[0] < now - self.options.max_seconds:
            self.times.popleft()
        return len(self.times) <= self.options.max_restarts


class _Up:
    """The task status a child's body reports to: the first `started()` of its
    first run tells the supervisor it is up; a restarted child's is not awaited."""

    def __init__(self, outer: trio.TaskStatus[None] | None) -> None:
        self._outer = outer

    def started(self, value: object = None) -> None:
        if self._outer is not None:
            outer, self._outer = self._outer, None
            outer.started()

    @property
    def pending(self) -> bool:
        return self._outer is not None


@dataclass
class _Slot:
    spec: ChildSpec
    scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    ended: trio.Event = field(default_factory=trio.Event)
    entered: bool = False
    current: Child | None = None


class Supervisor:
    """Starts its children in the order given, each once the one before is up,
    keeps them running per their policy, and stops them in reverse order."""

    def __init__(
        self, name: str, children: Sequence[ChildSpec], options: Options = Options()
    ) -> None:
        self.name = name
        self.options = options
        self._slots = [_Slot(spec) for spec in children]
        self._intensity = _Intensity(options)
        self._stopping = False

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Run the children until all have ended for good (only possible when
        none is PERMANENT) or `stop` stopped them. Up once every child is up.
        Raises `RestartIntensityExceeded` when restarts come too fast."""
        try:
            async with trio.open_nursery() as nursery:
                for slot in self._slots:
                    if self._stopping:
                        break
                    await nursery.start(self._keep_running, slot)
                task_status.started()
        except BaseExceptionGroup as group:
            # Give the parent the plain error rather than a one-item group, so
            # escalation reads the same at every level of the tree.
            gave_up, rest = group.split((RestartIntensityExceeded, SetupError))
            if gave_up is not None and rest is None:
                raise _first_leaf(gave_up) from None
            raise

    async def stop(self) -> None:
        """Graceful stop, last started first: each child drains within its
        budget, then is cancelled, and is gone before the one before it is asked."""
        self._stopping = True
        for slot in reversed(self._slots):
            child, spec = slot.current, slot.spec
            if child is not None and child.drain is not None and spec.shutdown_secs > 0:
                with trio.move_on_after(spec.shutdown_secs) as grace:
                    await child.drain()
                if grace.cancelled_caught:
                    log.warning("%s: %s did not drain within %.0f s; stopping it anyway",
                                self.name, spec.name, spec.shutdown_secs)
            slot.scope.cancel()
            if slot.entered:
                await slot.ended.wait()

    async def _keep_running(
        self, slot: _Slot, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        up = _Up(task_status)
        slot.entered = True
        try:
            with slot.scope:
                await self._restart_loop(slot, up)
        finally:
            slot.current = None
            slot.ended.set()
            # The child's up gauge (what /healthz reads) lives as long as its supervision.
            with contextlib.suppress(KeyError):
                SUPERVISOR_CHILD_UP.remove(self.name, slot.spec.name)
        # A child that ended for good, or was stopped, before saying so holds up no one.
        up.started()

    async def _restart_loop(self, slot: _Slot, up: _Up) -> None:
        spec, options, supervisor = slot.spec, self.options, self.name
        backoff = Backoff(initial=options.backoff_initial, maximum=options.backoff_max)
        child_up = SUPERVISOR_CHILD_UP.labels(supervisor, spec.name)
        while True:
            started = trio.current_time()
            child_up.set(1)
            try:
                slot.current = spec.factory()
                await slot.current.run(task_status=up)
            except SetupError:
                raise  # the configuration is wrong: no restart can mend that
            except Exception as exc:
                crashed, reason = True, describe(exc)
                log.error("%s: child %s crashed: %s", supervisor, spec.name, reason)
                log.debug("%s: child %s traceback", supervisor, spec.name, exc_info=exc)
            else:
                crashed, reason = False, "returned"
            slot.current = None

            if spec.restart is Restart.TEMPORARY or (
                spec.restart is Restart.TRANSIENT and not crashed
            ):
                log.info("%s: child %s ended (%s), not restarted", supervisor, spec.name, reason)
                return
            if not self._intensity.allow():
                raise RestartIntensityExceeded(
                    supervisor, spec.name, reason, options.max_restarts, options.max_seconds
                )
            if trio.current_time() - started >= options.healthy_after_secs:
                backoff.reset()
            delay = backoff.next_delay()
            SUPERVISOR_RESTARTS.labels(supervisor, spec.name).inc()
            child_up.set(0)
            log.warning(
                "%s: restarting child %s in %.1f s (%s)", supervisor, spec.name, delay, reason
            )
            await trio.sleep(delay)


async def supervise(
    name: str,
    children: Sequence[ChildSpec],
    options: Options = Options(),
    *,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """`Supervisor(name, children, options).run()`, for a tree that is only ever cancelled."""
    await Supervisor(name, children, options).run(task_status=task_status)


class Ended(Enum):
    STOPPED = "stopped"  # a signal, then a graceful stop
    GAVE_UP = "gave up"  # RestartIntensityExceeded (logged)
    INTERRUPTED = "interrupted"  # a second signal cut the graceful stop short


async def run_until_signalled(supervisor: Supervisor, on_interrupt: Callable[[], None]) -> Ended:
    """The root of a daemon: run `supervisor` until the first SIGINT, SIGTERM or
    SIGHUP, then stop it gracefully (`Supervisor.stop`); a second signal calls
    `on_interrupt` and cancels the tree at once."""
    root_log = logging.getLogger(supervisor.name)  # the tree's own lines: signals, stopped
    ended = Ended.STOPPED
    stopping = False
    fatal: SetupError | None = None
    # SIGHUP too: a closed terminal must not leave containers behind.
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM, signal.SIGHUP) as signals:
        async with trio.open_nursery() as root:

            async def on_signals() -> None:
                nonlocal ended, stopping
                async for signum in signals:
                    name = signal.Signals(signum).name
                    if not stopping:
                        root_log.info("%s: draining (a second signal exits at once)", name)
                        stopping = True
                        root.start_soon(stop)
                    else:
                        root_log.warning("%s again: exiting now", name)
                        ended = Ended.INTERRUPTED
                        on_interrupt()
                        root.cancel_scope.cancel()

            async def stop() -> None:
                await supervisor.stop()
                root_log.info("stopped")
                root.cancel_scope.cancel()

            async def tree() -> None:
                nonlocal ended, fatal
                try:
                    await supervisor.run()
                except RestartIntensityExceeded as exc:
                    root_log.error("%s", exc)
                    ended = Ended.GAVE_UP
                except SetupError as exc:
                    fatal = exc
                if not stopping:  # else `stop` ends the root once it is done
                    root.cancel_scope.cancel()

            root.start_soon(on_signals)
            root.start_soon(tree)
    if fatal is not None:
        raise fatal
    return ended


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first
