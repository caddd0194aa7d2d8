"""The daemon's supervision tree: every child task of the coordinator is here.

    run(settings)                 root: signals -> graceful drain
    └── supervise("coordinator")
        ├── ingest      (permanent)  Sui connection -> events
        ├── dispatcher  (permanent)  events -> jobs -> container supervisors
        ├── rpc         (permanent)  CoordinatorService on the Unix socket
        └── status      (permanent)  live view or plain summary lines

Shutdown: the first SIGINT/SIGTERM starts a drain (no new work; running
containers get `DRAIN_GRACE_SECS` to finish), then the tree is cancelled and
`run` returns 0. A second signal cancels the tree at once.
"""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass, field

import trio

from coordinator.config import Settings
from coordinator.status import ChainStatus, DaemonStatus, run_status
from coordinator.sui.ingest import run_ingest
from coordinator.supervisor import ChildSpec, RestartIntensityExceeded, supervise

log = logging.getLogger("coordinator")

DRAIN_GRACE_SECS = 30.0
EXIT_OK = 0
EXIT_GAVE_UP = 1
EXIT_INTERRUPTED = 130


class SimulatorNotBuilt(Exception):
    """config asked for the embedded simulator, which this build lacks."""


@dataclass
class Lifecycle:
    """Shared by the children so they can see a drain begin and report its end."""

    draining: trio.Event = field(default_factory=trio.Event)
    drained: trio.Event = field(default_factory=trio.Event)


async def run(settings: Settings) -> int:
    """Run the daemon until a signal or an unrecoverable error; return the exit code."""
    if settings.simnet.enabled:
        raise SimulatorNotBuilt(
            "[simnet] is enabled, but the embedded Sui simulator is not built yet; "
            "use config/testnet.toml or a local fullnode for now"
        )
    status = DaemonStatus(chain=ChainStatus(endpoint=settings.sui.rpc_url))
    lifecycle = Lifecycle()

    async def dispatcher() -> None:
        # Job dispatch and container supervisors come next; with no containers
        # to wait for, a drain is over as soon as it starts.
        await lifecycle.draining.wait()
        lifecycle.drained.set()
        await trio.sleep_forever()

    async def rpc() -> None:
        log.info("the socket service is not built yet; no socket at %s", settings.rpc.socket_path)
        await trio.sleep_forever()

    children = [
        ChildSpec("ingest", lambda: run_ingest(settings.sui, status.chain)),
        ChildSpec("dispatcher", dispatcher),
        ChildSpec("rpc", rpc),
        ChildSpec("status", lambda: run_status(settings.status.mode, status)),
    ]

    exit_code = EXIT_OK
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as root:

            async def on_signals() -> None:
                nonlocal exit_code
                async for signum in signals:
                    name = signal.Signals(signum).name
                    if not lifecycle.draining.is_set():
                        log.info("%s: draining (a second signal exits at once)", name)
                        status.draining = True
                        lifecycle.draining.set()
                        root.start_soon(finish_drain)
                    else:
                        log.warning("%s again: exiting now", name)
                        exit_code = EXIT_INTERRUPTED
                        root.cancel_scope.cancel()

            async def finish_drain() -> None:
                with trio.move_on_after(DRAIN_GRACE_SECS) as grace:
                    await lifecycle.drained.wait()
                if grace.cancelled_caught:
                    log.warning("drain grace of %.0f s is over; stopping anyway", DRAIN_GRACE_SECS)
                log.info("stopped")
                root.cancel_scope.cancel()

            async def tree() -> None:
                nonlocal exit_code
                try:
                    await supervise("coordinator", children)
                except RestartIntensityExceeded as exc:
                    log.error("%s", exc)
                    exit_code = EXIT_GAVE_UP
                root.cancel_scope.cancel()

            root.start_soon(on_signals)
            root.start_soon(tree)
    return exit_code
