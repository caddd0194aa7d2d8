"""The daemon's supervision tree: every child task of the coordinator is here, and only wiring.

    run(settings)                 root: store, job book, registry, signals -> stop
    └── Supervisor("coordinator")   children start in this order, each once it is up
        ├── simnet      (permanent, optional)  the embedded Sui simulator
        ├── forwarder   (permanent, optional)  enclave: loopback TCP -> vsock to the fullnode
        ├── status      (permanent)  live view or plain summary lines
        ├── rpc         (permanent)  the operator's socket and each agent container's own
        ├── rpc-tcp     (permanent, unless rpc.listen is off)  the agent API on TCP (sessions only)
        ├── metrics     (permanent)  /metrics, /healthz, /readyz on metrics.listen (off: idle)
        ├── exposer     (permanent, optional)  enclave: host's vsock -> metrics, status socket
        ├── recovery    (transient, with sui.registry_id)  pending jobs read from chain
        ├── attribution (permanent)  the app instance of pipeline events naming none, asked of
                                     the chain (GetTransaction's changed objects)
        ├── ingest      (permanent)  Sui stream + backfill -> deliveries channel
        ├── dispatcher  (permanent)  deliveries -> router -> registry, job book (exactly once)
        ├── reconciler  (permanent, unless off)  the book compared with the chain every interval
        ├── settler     (permanent, with a key)  outbox -> batched transactions -> answers
        ├── blocks      (permanent, with a key, unless pipeline.enabled is off)  try_create_block
        ├── analysis    (permanent, likewise)  settle jobs, merge jobs, purge per app instance
        ├── runner      (permanent, drains within DRAIN_GRACE_SECS; not when observing only)
        │               ready jobs -> containers
        │   └── one task per agent container: image -> run -> settle jobs
        └── prepull     (permanent, unless docker.prepull is off; not when observing only)
                        announced methods' images pulled before their first job

Ingest and dispatcher meet at a bounded channel; the book and the registry
live on the Trio thread (their changes reach sqlite in the dispatcher's
transaction or the book's commits). A signal stops the tree last child first
(the runner drains while the socket and the settler still serve it): exit 0; a
second cancels at once: exit 130. See docs/architecture.md.

Every child is a `ChildSpec(name, factory, restart, shutdown_secs)`. A restart
builds the dispatcher and recovery anew; the owners others share outlive it on
purpose: the book and registry (changed in the store's transactions), the
runner (its containers run on), the settler (its waiters; its run reads the
outbox again), the reconciler (its status), the pipeline loops (the app
instances they know, the purges refused), the attribution (its queue, its
answers and counts), and ingest (its mark of what the
channel still holds: the durable cursor would deliver that twice).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable

import trio

from coordinator.agent_secrets import AgentSecrets, SecretsError
from coordinator.channel import Channel
from coordinator.config import Settings, signing_key
from coordinator.dispatcher import Dispatcher, DispatchStatus, Router
from coordinator.errors import SetupError
from coordinator.events.layouts import initial_layout
from coordinator.events.parser import EventParser
from coordinator.forwarder import Route, limits_from, run_exposer, run_forwarder
from coordinator.heap import drop_source_lines, return_free_memory
from coordinator.jobs import JobBook
from coordinator.metrics.endpoint import serve_metrics
from coordinator.metrics.observed import Observed
from coordinator.pipeline.loops import PipelineLoops
from coordinator.pipeline_attribution import PipelineAttribution
from coordinator.pipeline_tally import PIPELINE_MODULES, PipelineTally
from coordinator.preflight import started
from coordinator.prepull import Prepuller
from coordinator.proof_log import ProofLog
from coordinator.proofs.factory import open_proof_store
from coordinator.proofs.settings import ProofStoreConfigError
from coordinator.proofs.store import ProofStore
from coordinator.reconciler import reconciler_for
from coordinator.recovery import recover_pending_jobs
from coordinator.registry import ChainLookup, Registry
from coordinator.rpc import CoordinatorService, StatusService, clear_socket_path, serve, serve_tcp
from coordinator.runner import Runner
from coordinator.settlement import SETTLE_GRACE_SECS, open_settler
from coordinator.status import DaemonStatus, run_status
from coordinator.store import Ledger, Store
from coordinator.sui.chain_status import ChainStatus
from coordinator.sui.client import connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.ingest import Delivery, Ingest
from coordinator.supervisor import (
    Child,
    ChildSpec,
    Ended,
    Restart,
    Supervisor,
    run_until_signalled,
    task,
)

log = logging.getLogger("coordinator")

DRAIN_GRACE_SECS = 30.0
DELIVERY_BUFFER = 1024
EXIT_INTERRUPTED = 130
EXIT_CODES = {Ended.STOPPED: 0, Ended.GAVE_UP: 1, Ended.INTERRUPTED: EXIT_INTERRUPTED}


async def run(settings: Settings) -> int:
    """Run the daemon until a signal or a fatal error; the exit code (`SetupError`: exit 2)."""
    # Before anything reads the state: this daemon's lock on it, resources checked.
    async with started(settings) as (settings, store):
        return await _run_tree(settings, store)


def _proof_store(settings: Settings) -> ProofStore:
    try:
        return open_proof_store(settings.proofs, settings.state.dir)
    except ProofStoreConfigError as exc:
        raise SetupError(f"proofs: {exc}") from None


async def open_secrets(settings: Settings) -> AgentSecrets:
    """The agents' secrets store, read once (a wrong key or a damaged file: exit 2)."""
    try:
        secrets = await trio.to_thread.run_sync(AgentSecrets.open, settings.secrets,
                                                settings.state.dir)
    except SecretsError as exc:
        raise SetupError(str(exc)) from None
    if secrets.file is not None:
        log.info("secrets: %d in %s", secrets.count, secrets.file.path)
    return secrets


async def _run_tree(settings: Settings, store: Store) -> int:
    sui = settings.sui
    await clear_socket_path(str(settings.rpc.socket_path))
    if not await store.run(lambda ledger: ledger.bind_package(sui.package_id)):
        log.warning("the state in %s was for another package; starting afresh", store.path)
    instance_id = await store.run(Ledger.instance_id)
    handled = DispatchStatus(cursor=await store.run(Ledger.cursor))
    observe = settings.settle.observe_only
    key = None if observe else signing_key(settings)
    book = await JobBook.load(store, max_attempts=settings.jobs.max_attempts,
                              lease_secs=settings.docker.container_timeout_secs,
                              address=None if key is None else key.address)
    book.take_only(settings.jobs)
    book.share_with_peers(settings.shares)
    connect_sui = functools.partial(connect, Endpoint.parse(sui.rpc_url),
                                    timeout=sui.rpc_timeout_secs)
    lookup = None if sui.registry_id is None else ChainLookup(connect_sui, sui.registry_id)
    registry = await Registry.load(store, lookup)
    chain = ChainStatus(endpoint=sui.rpc_url)
    settler = None if observe else open_settler(key, settings.sui, settings.settle, store, book,
                                                connect_sui)
    secrets = await open_secrets(settings)
    runner = Runner(settings, book, registry, instance_id, settler=settler, secrets=secrets)
    # Watches the registry from here on: methods announced before it runs wait in its queue.
    prepuller = (Prepuller(settings.docker, book, registry)
                 if not observe and settings.docker.prepull
                 and settings.docker.pull_policy != "never" else None)
    # None when off:
    reconciler = reconciler_for(settings.reconcile, settings.docker, connect_sui, book)
    deliveries_in, deliveries_out = trio.open_memory_channel[Delivery](DELIVERY_BUFFER)
    stored_layout = await store.run(Ledger.layout)
    # The pipeline's modules too, for the live view and the metrics (`pipeline`).
    modules = list(dict.fromkeys([*sui.modules, *PIPELINE_MODULES]))
    parser = EventParser(sui.package_id, modules, initial_layout(sui.layout, stored_layout),
                         auto=sui.layout == "auto")
    pipeline = PipelineTally()
    attribution = PipelineAttribution(pipeline, connect_sui, sui.package_id, sui.rpc_timeout_secs)
    proof_log = await ProofLog.load(store)  # settlement proofs, proof events
    # What start-up read (every page, every job, the settings' source) is in
    # memory now: the caches of it dropped, the freed pages handed back
    # (docs/benchmarks.md, rss).
    await store.run(Ledger.release_cache)
    drop_source_lines()
    return_free_memory()
    service = CoordinatorService(book, settler=settler, chain=connect_sui,
                                 proofs=_proof_store(settings), proof_log=proof_log,
                                 max_concurrent_requests=settings.rpc.max_concurrent_requests)
    service.secrets = secrets
    parts = [chain.report, handled.report, parser.report, registry.report, book.report,
             runner.report, service.report, store.report, pipeline.report, attribution.report,
             proof_log.report,
             *[owner.report for owner in (reconciler, settler, prepuller) if owner]]
    status = DaemonStatus(parts, instance_id, "observe" if observe else "local" if key is None
                          else "chain")
    router = Router(store, registry, book, handled, parser, expected_chain=sui.chain_id,
                    local_chain=sui.chain == "localnet" or settings.simnet.enabled,
                    stored_layout=stored_layout, pipeline=pipeline)
    ingest = Ingest(sui, chain, parser, deliveries_in, handled.cursor, router.chain_changed)
    status_service = StatusService(status.snapshot, service.limiter)

    def dispatch() -> Awaitable[None]:
        return Dispatcher(store, deliveries_out, handled, router.route).run()

    children: list[ChildSpec] = []
    if settings.simnet.enabled:
        from coordinator.simnet.server import simnet_child  # the daemon's only when enabled

        children.append(simnet_child(settings.simnet, package_id=sui.package_id,
                                     registry_id=sui.registry_id, coordinator=book.address))
    if settings.enclave.vsock_proxy is not None:
        forwarder = functools.partial(run_forwarder, settings.enclave)
        children.append(ChildSpec("forwarder", lambda: Child(forwarder)))
    rpc = functools.partial(serve, settings.rpc, service, status_service, agents=runner.sockets)
    children += [ChildSpec("status", task(lambda: run_status(settings.status.mode, status))),
                 ChildSpec("rpc", lambda: Child(rpc))]
    if settings.rpc.listen:  # upstream's agents dial TCP; up once it listens
        tcp = functools.partial(serve_tcp, settings.rpc, service)
        children.append(ChildSpec("rpc-tcp", lambda: Child(tcp)))
    observed = Observed(status, chain, handled, book, registry, runner, store, settler)
    metrics = functools.partial(serve_metrics, settings, observed)
    children.append(ChildSpec("metrics", lambda: Child(metrics)))
    routes = _exposed(settings)
    if routes:  # an enclave's metrics and status, served to its host
        exposer = functools.partial(run_exposer, routes, limits_from(settings.enclave))
        children.append(ChildSpec("exposer", lambda: Child(exposer)))
    if lookup is not None:
        recovery = task(lambda: recover_pending_jobs(connect_sui, book))
        children.append(ChildSpec("recovery", recovery, Restart.TRANSIENT))
    children += [ChildSpec("attribution", task(attribution.run)),
                 ChildSpec("ingest", task(ingest.run)), ChildSpec("dispatcher", task(dispatch))]
    if reconciler is not None:
        children.append(ChildSpec("reconciler", lambda: Child(reconciler.run)))
    if settler is not None:
        children.append(ChildSpec("settler", lambda: Child(settler.run, settler.drain),
                                  shutdown_secs=SETTLE_GRACE_SECS))
        if settings.pipeline.enabled:
            loops = PipelineLoops(settings.pipeline, connect_sui, settler, book, store)
            children += [ChildSpec("blocks", task(loops.run_blocks)),
                         ChildSpec("analysis", task(loops.run_analysis))]
    if observe:
        log.info("observe only (settle.observe_only): the chain is followed; no job is "
                 "claimed, run or settled")
    else:
        children.append(ChildSpec("runner", lambda: Child(runner.run, runner.drain),
                                  shutdown_secs=DRAIN_GRACE_SECS))
    if prepuller is not None:  # last: the first a stop cancels, its pulls with it
        children.append(ChildSpec("prepull", lambda: Child(prepuller.run)))
    log.info("coordinator %s: package %s, modules %s, layout %s, state %s", instance_id,
             sui.package_id, ", ".join(sui.modules), parser.layout or "auto (not settled yet)",
             store.path)
    ended = await run_until_signalled(  # a second signal: containers killed, no grace
        Supervisor("coordinator", children), runner.exit_now.set)
    return EXIT_CODES[ended]


def _exposed(settings: Settings) -> list[Route]:
    """What an enclave serves its host over [enclave] metrics_channel and
    status_channel: the metrics endpoint and the operator's socket inside."""
    enclave, routes = settings.enclave, []
    address = settings.metrics.listen_address
    if enclave.metrics_channel is not None and address is not None:
        routes.append(Route(Channel.parse(enclave.metrics_channel),
                            f"metrics on {settings.metrics.listen}",
                            functools.partial(trio.open_tcp_stream, *address)))
    if enclave.status_channel is not None:
        path = str(settings.rpc.socket_path)
        routes.append(Route(Channel.parse(enclave.status_channel), f"status socket {path}",
                            functools.partial(trio.open_unix_socket, path)))
    return routes
