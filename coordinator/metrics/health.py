"""The verdicts of /healthz (alive) and /readyz (doing its work).

Liveness is about the process: every child of the supervision tree is
running, none is waiting out a restart backoff. A failing liveness probe
restarts the daemon, so it says nothing about the chain or Docker: a restart
cannot fix those.

Readiness is about the work: the chain stream delivered something within
`sui.idle_timeout_secs` (a routine stream reset that recovers at once does not
count against it), the runner's last contact with the Docker engine worked
(observing only, Docker is not used),
the daemon is not draining, and, with a key, the settlement outbox is not stuck
(its oldest operation is younger than `OUTBOX_STUCK_SECS`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import trio

from coordinator.instruments import SUPERVISOR_CHILD_UP
from coordinator.metrics.observed import Observed


@dataclass(frozen=True)
class Verdict:
    ok: bool
    lines: list[str]  # one per check, each "name: ok|why not"

    @property
    def text(self) -> str:
        return "\n".join(["ok" if self.ok else "not ok", *self.lines]) + "\n"


def liveness() -> Verdict:
    restarting = []
    running = 0
    for family in SUPERVISOR_CHILD_UP.collect():
        for sample in family.samples:
            name = f"{sample.labels['supervisor']}/{sample.labels['child']}"
            if sample.value:
                running += 1
            else:
                restarting.append(name)
    if restarting:
        return Verdict(False, [f"supervision: restarting {', '.join(sorted(restarting))}"])
    if not running:
        return Verdict(False, ["supervision: no child is running"])
    return Verdict(True, [f"supervision: {running} children running"])


# An operation this old in the outbox: the chain has not taken our claims or
# settlements for minutes (node down, address out of gas): not ready.
OUTBOX_STUCK_SECS = 300.0


def readiness(observed: Observed, idle_timeout_secs: float) -> Verdict:
    checks = [_chain(observed, idle_timeout_secs), _docker(observed), _state(observed)]
    if observed.settler is not None:
        checks.append(_outbox(observed))
    if observed.runner.draining.is_set():
        checks.append((False, "draining: shutting down"))
    return Verdict(all(ok for ok, _ in checks), [line for _, line in checks])


def _chain(observed: Observed, idle_timeout_secs: float) -> tuple[bool, str]:
    chain = observed.chain
    if chain.heard_at is None:
        detail = f"; {chain.last_error}" if chain.last_error else ""
        return False, f"chain: nothing received yet ({chain.state}{detail})"
    silent = trio.current_time() - chain.heard_at
    if silent > idle_timeout_secs:
        detail = f"; {chain.last_error}" if chain.last_error else ""
        return False, (
            f"chain: nothing received for {silent:.0f} s (sui.idle_timeout_secs is "
            f"{idle_timeout_secs:g}); {chain.state}{detail}"
        )
    return True, f"chain: ok ({chain.state}, last frame {silent:.1f} s ago)"


def _state(observed: Observed) -> tuple[bool, str]:
    since = observed.store.full_since
    if since is not None:
        return False, f"state: the disk is full for {time.time() - since:.0f} s; no new work"
    return True, "state: ok"


def _docker(observed: Observed) -> tuple[bool, str]:
    runner = observed.runner
    if observed.status.mode == "observe":
        return True, "docker: not used (observe only)"
    if runner.docker_state != "connected":
        return False, f"docker: {runner.docker_state}"
    return True, "docker: ok"


def _outbox(observed: Observed) -> tuple[bool, str]:
    settler = observed.settler
    assert settler is not None
    age = settler.oldest_age(time.time())
    depth = len(settler.outbox)
    if age > OUTBOX_STUCK_SECS:
        detail = f"; {settler.last_error}" if settler.last_error else ""
        return False, (f"outbox: stuck, oldest of {depth} operation(s) waits {age:.0f} s "
                       f"(over {OUTBOX_STUCK_SECS:g} s){detail}")
    return True, f"outbox: ok ({depth} operation(s))"
