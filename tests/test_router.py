"""The router: each new chain event goes to the state it concerns, and comes
back as the writes that make it durable in the dispatcher's transaction."""

from __future__ import annotations

from typing import Any

import pytest

from coordinator.dispatcher import DispatchStatus, Router, WrongChain
from coordinator.domain import (
    AgentMethod,
    ChainOperation,
    JobRef,
    JobState,
    OperationKind,
)
from coordinator.events.layouts import Layout, neutral
from coordinator.events.models import BcsEvent, MethodAddedEvent
from coordinator.events.parser import CoordinationEvent, EventParser, LedgerPosition
from coordinator.jobs import JobBook
from coordinator.registry import Registry
from coordinator.store import Ledger, Store
from tests.support import ADD_KEY, APP_INSTANCE, job_created

KEY = ADD_KEY
APP = APP_INSTANCE
AGENT_ID = "0x" + "b" * 64


def event(module: str, payload: BcsEvent, layout: Layout | None = None) -> CoordinationEvent:
    """As the parser hands it on: a job event in its layout-neutral form."""
    return CoordinationEvent(LedgerPosition(3, "tx", 0, 0), module, type(payload).__name__,
                             "0x1", neutral(payload), layout)


JOB_CREATED = event("jobs", job_created(1), "2025-08")
METHOD_ADDED = event("agent", MethodAddedEvent(
    agent_id=AGENT_ID, developer_name=KEY.developer, agent_name=KEY.agent,
    method_name=KEY.agent_method, docker_image="img:1", docker_sha256=None,
    min_memory_gb=1, min_cpu_cores=1, requires_tee=False, agent_version=1, added_at=2,
))


async def router_on(store: Store, *, auto_layout: bool = False, **options: Any) -> Router:
    book = JobBook(store, max_attempts=3, lease_secs=60)
    parser = EventParser("0x1", ["agent", "jobs"], None if auto_layout else "2025-08",
                         auto=auto_layout)
    return Router(store, Registry({}), book, DispatchStatus(cursor=2), parser, **options)


async def apply(store: Store, router: Router, *events: CoordinationEvent) -> None:
    writes = [write for item in events for write in router.route(item)]

    def commit(ledger: Ledger) -> None:
        for write in writes:
            write(ledger)

    await store.run(commit)


async def test_a_job_event_goes_to_the_book_and_its_write_stores_the_job(store: Store) -> None:
    router = await router_on(store)
    await apply(store, router, JOB_CREATED)
    assert router.book.jobs[JobRef(APP, 1)].state is JobState.PENDING
    assert router.registry.cached(KEY) is None
    [stored] = await store.run(Ledger.jobs)
    assert (stored.ref, stored.state, stored.data) == (JobRef(APP, 1), JobState.PENDING,
                                                       bytes([1, 2, 1]))


async def test_an_agent_event_goes_to_the_registry_and_its_write_stores_the_method(
    store: Store,
) -> None:
    router = await router_on(store)
    await apply(store, router, METHOD_ADDED)
    method = AgentMethod("img:1", None, 1, 1, False, AGENT_ID)
    assert router.registry.cached(KEY) == method
    assert router.book.jobs == {}
    assert await store.run(Ledger.methods) == {KEY: method}


async def test_another_chain_stops_the_daemon_and_keeps_the_state(store: Store) -> None:
    router = await router_on(store)
    assert not await router.chain_changed("chain-a")  # the first chain binds the state
    await apply(store, router, JOB_CREATED)
    assert not await router.chain_changed("chain-a")
    with pytest.raises(WrongChain, match=r"^state\.dir: the state in .* was made on chain "
                       r"'chain-a', the node serves chain 'chain-b'; .*reset-cursor --chain"):
        await router.chain_changed("chain-b")
    assert router.book.jobs and router.status.cursor == 2
    assert len(await store.run(Ledger.jobs)) == 1


async def test_a_local_chain_starts_over_but_not_while_operations_wait(store: Store) -> None:
    router = await router_on(store, local_chain=True)
    assert not await router.chain_changed("chain-a")
    await apply(store, router, JOB_CREATED)
    operation = ChainOperation(OperationKind.COMPLETE, APP, 1)
    await store.run(lambda ledger: ledger.add_operations([operation]))
    with pytest.raises(WrongChain, match=r"1 chain operation.* not yet sent are kept"):
        await router.chain_changed("chain-b")
    assert router.book.jobs and len(await store.run(Ledger.operations)) == 1

    await store.run(lambda ledger: ledger.remove_operations([operation.op_id]))
    assert await router.chain_changed("chain-b")
    assert router.book.jobs == {} and router.status.cursor is None
    assert await store.run(Ledger.jobs) == []


async def test_auto_layout_is_stored_with_the_event_that_settled_it_and_forgotten_with_the_chain(
    store: Store,
) -> None:
    router = await router_on(store, auto_layout=True, local_chain=True)
    assert not await router.chain_changed("chain-a")
    router.parser.layout = "2025-08"  # as the parser settles it on decoding JOB_CREATED
    await apply(store, router, JOB_CREATED)
    assert await store.run(Ledger.layout) == "2025-08"
    assert await router.chain_changed("chain-b")
    assert router.parser.layout is None and await store.run(Ledger.layout) is None


async def test_a_node_of_another_chain_than_sui_chain_id_is_refused(store: Store) -> None:
    # 4c78adac is the short form of testnet's genesis digest.
    testnet = "69WiPg3DAQiwdxfncX6wYQ2siKwAe6L9BZthQea3JNMD"
    router = await router_on(store, expected_chain="4c78adac")
    assert not await router.chain_changed(testnet)
    with pytest.raises(WrongChain, match="serves chain 35834a8a, not 4c78adac"):
        await router.chain_changed("4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S")  # mainnet
