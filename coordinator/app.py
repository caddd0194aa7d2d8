"""The daemon's supervision tree: every child task of the coordinator is here.

    run(settings)                 root: store, signals -> graceful drain
    └── supervise("coordinator")
        ├── simnet      (permanent, optional)  the embedded Sui simulator
        ├── ingest      (permanent)  Sui stream + backfill -> deliveries channel
        ├── dispatcher  (permanent)  deliveries -> store (exactly once) -> jobs
        ├── rpc         (permanent)  CoordinatorService on the Unix socket
        └── status      (permanent)  live view or plain summary lines

Ingest and dispatcher meet at a bounded channel: a slow dispatcher slows the
stream instead of growing memory.

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
from coordinator.dispatcher import Dispatcher, LedgerWrite
from coordinator.events.parser import CoordinationEvent, EventParser
from coordinator.simnet.server import run_simnet, simnet_from_settings
from coordinator.status import ChainStatus, DaemonStatus, run_status
from coordinator.store import Ledger, Store
from coordinator.sui.ingest import Delivery, Ingest
from coordinator.supervisor import ChildSpec, RestartIntensityExceeded, supervise

log = logging.getLogger("coordinator")

DRAIN_GRACE_SECS = 30.0
DELIVERY_BUFFER = 1024
EXIT_OK = 0
EXIT_GAVE_UP = 1
EXIT_INTERRUPTED = 130


@dataclass
class Lifecycle:
    """Shared by the children so they can see a drain begin and report its end."""

    draining: trio.Event = field(default_factory=trio.Event)
    drained: trio.Event = field(default_factory=trio.Event)


def record_only(event: CoordinationEvent) -> list[LedgerWrite]:
    """Events are recorded (seen, counted, logged) and nothing more, for now."""
    return []


async def run(settings: Settings) -> int:
    """Run the daemon until a signal or an unrecoverable error; return the exit code."""
    store = await Store.open(settings.state.dir)
    try:
        return await _run_tree(settings, store)
    finally:
        with trio.CancelScope(shield=True):
            await store.close()


async def _run_tree(settings: Settings, store: Store) -> int:
    package_id = settings.sui.package_id
    if not await store.run(lambda ledger: ledger.bind_package(package_id)):
        log.warning("the state in %s was for another package; starting afresh", store.path)
    cursor = await store.run(Ledger.cursor)
    status = DaemonStatus(chain=ChainStatus(endpoint=settings.sui.rpc_url), cursor=cursor)
    lifecycle = Lifecycle()
    deliveries_in, deliveries_out = trio.open_memory_channel[Delivery](DELIVERY_BUFFER)
    parser = EventParser(package_id, settings.sui.modules)
    ingest = Ingest(settings.sui, status.chain, parser, deliveries_in, cursor)
    dispatcher = Dispatcher(store, deliveries_out, status, record_only)

    async def drain_watch() -> None:
        # No containers yet: a drain is over as soon as it starts.
        await lifecycle.draining.wait()
        lifecycle.drained.set()
        await trio.sleep_forever()

    async def rpc() -> None:
        log.info("the socket service is not built yet; no socket at %s", settings.rpc.socket_path)
        await trio.sleep_forever()

    children = []
    if settings.simnet.enabled:
        simnet = simnet_from_settings(settings)
        children.append(ChildSpec("simnet", lambda: run_simnet(settings, simnet)))
    children += [
        ChildSpec("ingest", ingest.run),
        ChildSpec("dispatcher", dispatcher.run),
        ChildSpec("drain", drain_watch),
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
