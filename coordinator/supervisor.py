"""The supervision-tree primitive: a Trio nursery that restarts its children.

Modelled on Erlang/OTP's `one_for_one` supervisor. Each child is a `ChildSpec`
whose restart policy is data:

- PERMANENT: always restarted, whether it returned or crashed;
- TRANSIENT: restarted only after a crash (an exception);
- TEMPORARY: never restarted; a crash is logged and the child is gone.

Between restarts a child waits an exponential backoff with jitter, reset once
it has run healthily for `Options.healthy_after_secs`. Restarts of all children
are counted in a sliding window: more than `max_restarts` in `max_seconds`
means something is badly wrong, so the supervisor stops every child and raises
`RestartIntensityExceeded` to its parent instead of looping forever.

Cancellation is never caught: `trio.Cancelled` is a BaseException, and only
`Exception` counts as a crash, so cancelling the supervisor's scope stops the
whole subtree at once.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum

import trio

from coordinator.backoff import Backoff
from coordinator.errors import describe
from coordinator.metrics.instruments import SUPERVISOR_CHILD_UP, SUPERVISOR_RESTARTS

log = logging.getLogger(__name__)


class Restart(Enum):
    PERMANENT = "permanent"
    TRANSIENT = "transient"
    TEMPORARY = "temporary"


@dataclass(frozen=True)
class ChildSpec:
    name: str
    run: Callable[[], Awaitable[None]]
    restart: Restart = Restart.PERMANENT


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


async def supervise(
    name: str,
    children: Sequence[ChildSpec],
    options: Options = Options(),
) -> None:
    """Run `children` until all have ended for good; restart them per their policy.

    Returns when no child is left to run (only possible when none is
    PERMANENT). Raises `RestartIntensityExceeded` when restarts come too fast.
    """
    intensity = _Intensity(options)
    try:
        async with trio.open_nursery() as nursery:
            for spec in children:
                nursery.start_soon(_keep_running, name, spec, options, intensity)
    except BaseExceptionGroup as group:
        # Give the parent the plain error rather than a one-item group, so
        # escalation reads the same at every level of the tree.
        gave_up, rest = group.split(RestartIntensityExceeded)
        if gave_up is not None and rest is None:
            raise _first_leaf(gave_up) from None
        raise


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


async def _keep_running(
    supervisor: str, spec: ChildSpec, options: Options, intensity: _Intensity
) -> None:
    # The child's up gauge (what /healthz reads) lives as long as its supervision.
    try:
        await _restart_loop(supervisor, spec, options, intensity)
    finally:
        with contextlib.suppress(KeyError):
            SUPERVISOR_CHILD_UP.remove(supervisor, spec.name)


async def _restart_loop(
    supervisor: str, spec: ChildSpec, options: Options, intensity: _Intensity
) -> None:
    backoff = Backoff(initial=options.backoff_initial, maximum=options.backoff_max)
    up = SUPERVISOR_CHILD_UP.labels(supervisor, spec.name)
    while True:
        started = trio.current_time()
        up.set(1)
        try:
            await spec.run()
        except Exception as exc:
            crashed, reason = True, describe(exc)
            log.error("%s: child %s crashed: %s", supervisor, spec.name, reason)
            log.debug("%s: child %s traceback", supervisor, spec.name, exc_info=exc)
        else:
            crashed, reason = False, "returned"

        if spec.restart is Restart.TEMPORARY or (
            spec.restart is Restart.TRANSIENT and not crashed
        ):
            log.info("%s: child %s ended (%s), not restarted", supervisor, spec.name, reason)
            return
        if not intensity.allow():
            raise RestartIntensityExceeded(
                supervisor, spec.name, reason, options.max_restarts, options.max_seconds
            )
        if trio.current_time() - started >= options.healthy_after_secs:
            backoff.reset()
        delay = backoff.next_delay()
        SUPERVISOR_RESTARTS.labels(supervisor, spec.name).inc()
        up.set(0)
        log.warning(
            "%s: restarting child %s in %.1f s (%s)", supervisor, spec.name, delay, reason
        )
        await trio.sleep(delay)
