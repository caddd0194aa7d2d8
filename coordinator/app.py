"""The daemon's supervision tree: every child task of the coordinator is here.

    run(settings)                 root: store, job book, registry, signals -> drain
    └── supervise("coordinator")
        ├── simnet      (permanent, optional)  the embedded Sui simulator
        ├── forwarder   (permanent, optional)  enclave: loopback TCP -> vsock to the fullnode
        ├── recovery    (transient, with sui.registry_id)  pending jobs read from chain
        ├── ingest      (permanent)  Sui stream + backfill -> deliveries channel
        ├── dispatcher  (permanent)  deliveries -> registry, job book, store (exactly once)
        ├── runner      (permanent)  ready jobs -> containers nursery
        │   └── one task per agent container (temporary): image -> run -> settle jobs
        ├── rpc         (permanent)  CoordinatorService on the Unix socket
        └── status      (permanent)  live view or plain summary lines

Ingest and dispatcher meet at a bounded channel: a slow dispatcher slows the
stream instead of growing memory. The job book and the registry are shared
state on the Trio thread; the store makes them durable.

Shutdown: the first SIGINT/SIGTERM/SIGHUP starts a drain (no new containers; running
ones get `DRAIN_GRACE_SECS` to finish), then the tree is cancelled (containers
still running are stopped and removed, their jobs kept pending) and `run`
returns 0. A second signal cancels the tree at once: running containers are
killed and removed on the way out (no stop grace), and `run` returns 130.
"""

from __future__ import annotations

import logging
import signal
import time
from contextlib import AbstractAsyncContextManager

import trio

from coordinator.config import Settings
from coordinator.dispatcher import Dispatcher, LedgerWrite
from coordinator.enclave.forwarder import run_forwarder
from coordinator.events.parser import CoordinationEvent, EventParser
from coordinator.jobs import JobBook
from coordinator.recovery import recover_pending_jobs
from coordinator.registry import ChainLookup, Registry
from coordinator.rpc import CoordinatorService, StatusService, clear_socket_path, serve
from coordinator.runner import Runner
from coordinator.simnet.server import run_simnet, simnet_from_settings
from coordinator.status import ChainStatus, DaemonStatus, run_status
from coordinator.store import Ledger, Store
from coordinator.sui.client import SuiClient, connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.ingest import Delivery, Ingest
from coordinator.supervisor import ChildSpec, Restart, RestartIntensityExceeded, supervise

log = logging.getLogger("coordinator")

DRAIN_GRACE_SECS = 30.0
DELIVERY_BUFFER = 1024
EXIT_OK = 0
EXIT_GAVE_UP = 1
EXIT_INTERRUPTED = 130


async def run(settings: Settings) -> int:
    """Run the daemon until a signal or an unrecoverable error; return the exit code."""
    store = await Store.open(settings.state.dir)
    try:
        return await _run_tree(settings, store)
    finally:
        with trio.CancelScope(shield=True):
            await store.close()


async def _run_tree(settings: Settings, store: Store) -> int:
    sui = settings.sui
    await clear_socket_path(str(settings.rpc.socket_path))
    if not await store.run(lambda ledger: ledger.bind_package(sui.package_id)):
        log.warning("the state in %s was for another package; starting afresh", store.path)
    cursor = await store.run(Ledger.cursor)
    instance_id = await store.run(Ledger.instance_id)
    book = await JobBook.load(
        store, max_attempts=settings.jobs.max_attempts,
        lease_secs=settings.docker.container_timeout_secs,
    )
    endpoint = Endpoint.parse(sui.rpc_url)

    def connect_sui() -> AbstractAsyncContextManager[SuiClient]:
        return connect(endpoint, timeout=sui.rpc_timeout_secs)

    lookup = None if sui.registry_id is None else ChainLookup(connect_sui, sui.registry_id)
    registry = await Registry.load(store, lookup)

    draining = trio.Event()
    status = DaemonStatus(ChainStatus(endpoint=sui.rpc_url), instance_id=instance_id,
                          cursor=cursor, book=book, registry=registry)
    deliveries_in, deliveries_out = trio.open_memory_channel[Delivery](DELIVERY_BUFFER)
    parser = EventParser(sui.package_id, sui.modules)

    async def chain_changed(chain_id: str) -> bool:
        if await store.run(lambda ledger: ledger.bind_chain(chain_id)):
            return False
        book.forget_chain()
        status.cursor = None
        return True

    ingest = Ingest(sui, status.chain, parser, deliveries_in, cursor, chain_changed)

    def handle(event: CoordinationEvent) -> list[LedgerWrite]:
        writes = registry.on_chain_event(event)
        changed = book.on_chain_event(event)
        if changed:
            now = time.time()
            writes.append(lambda ledger: ledger.save_jobs(changed, now))
        return writes

    dispatcher = Dispatcher(store, deliveries_out, status, handle)
    runner = Runner(settings, book, registry, instance_id, draining)
    status.runner = runner
    service = CoordinatorService(book, max_concurrent_requests=settings.rpc.max_concurrent_requests)
    status_service = StatusService(status.snapshot, service.limiter)

    children = []
    # Ingest waits for the embedded chain, so its first connect finds it.
    chain_ready = trio.Event()
    if settings.simnet.enabled:
        simnet = simnet_from_settings(settings)

        async def simnet_child() -> None:
            async with trio.open_nursery() as nursery:
                await nursery.start(run_simnet, settings, simnet)
                chain_ready.set()

        children.append(ChildSpec("simnet", simnet_child))
    else:
        chain_ready.set()

    async def ingest_child() -> None:
        await chain_ready.wait()
        await ingest.run()

    async def recovery_child() -> None:
        await chain_ready.wait()
        await recover_pending_jobs(connect_sui, book)

    if settings.enclave.vsock_proxy is not None:
        children.append(ChildSpec("forwarder", lambda: run_forwarder(settings.enclave)))
    if lookup is not None:
        children.append(ChildSpec("recovery", recovery_child, Restart.TRANSIENT))
    children += [
        ChildSpec("ingest", ingest_child),
        ChildSpec("dispatcher", dispatcher.run),
        ChildSpec("runner", runner.run),
        ChildSpec("rpc", lambda: serve(settings.rpc, service, status_service)),
        ChildSpec("status", lambda: run_status(settings.status.mode, status)),
    ]
    log.info("coordinator %s: package %s, modules %s, state %s", instance_id, sui.package_id,
             ", ".join(sui.modules), store.path)

    exit_code = EXIT_OK
    # SIGHUP too: a closed terminal must not leave containers behind.
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM, signal.SIGHUP) as signals:
        async with trio.open_nursery() as root:

            async def on_signals() -> None:
                nonlocal exit_code
                async for signum in signals:
                    name = signal.Signals(signum).name
                    if not draining.is_set():
                        log.info("%s: draining (a second signal exits at once)", name)
                        status.draining = True
                        draining.set()
                        root.start_soon(finish_drain)
                    else:
                        log.warning("%s again: exiting now", name)
                        exit_code = EXIT_INTERRUPTED
                        runner.exit_now.set()  # containers: killed, not given a grace
                        root.cancel_scope.cancel()

            async def finish_drain() -> None:
                with trio.move_on_after(DRAIN_GRACE_SECS) as grace:
                    await runner.idle.wait()
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
