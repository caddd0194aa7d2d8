"""The router: each new chain event goes to the state it concerns, and comes
back as the writes that make it durable in the dispatcher's transaction."""

from __future__ import annotations

from coordinator.dispatcher import DispatchStatus, Router
from coordinator.domain import AgentKey, AgentMethod, JobRef, JobState
from coordinator.events import JobCreatedEvent, JobStatus
from coordinator.events.models import BcsEvent, MethodAddedEvent
from coordinator.events.parser import CoordinationEvent, LedgerPosition
from coordinator.jobs import JobBook
from coordinator.registry import Registry
from coordinator.store import Ledger, Store

KEY = AgentKey("dev", "agent", "prove")
APP = "0x" + "a" * 64
AGENT_ID = "0x" + "b" * 64


def event(module: str, payload: BcsEvent) -> CoordinationEvent:
    return CoordinationEvent(LedgerPosition(3, "tx", 0, 0), module, type(payload).__name__,
                             "0x1", payload)


JOB_CREATED = event("jobs", JobCreatedEvent(
    job_id=1, description=None, developer=KEY.developer, agent=KEY.agent,
    agent_method=KEY.agent_method, app="app", app_instance=APP, app_instance_method="m",
    sequences=None, data=b"\x01", status=JobStatus(kind="pending"), created_at=1,
))
METHOD_ADDED = event("agent", MethodAddedEvent(
    agent_id=AGENT_ID, developer_name=KEY.developer, agent_name=KEY.agent,
    method_name=KEY.agent_method, docker_image="img:1", docker_sha256=None,
    min_memory_gb=1, min_cpu_cores=1, requires_tee=False, agent_version=1, added_at=2,
))


async def router_on(store: Store) -> Router:
    book = JobBook(store, max_attempts=3, lease_secs=60)
    return Router(store, Registry({}), book, DispatchStatus(cursor=2))


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
    assert (stored.ref, stored.state, stored.data) == (JobRef(APP, 1), JobState.PENDING, b"\x01")


async def test_an_agent_event_goes_to_the_registry_and_its_write_stores_the_method(
    store: Store,
) -> None:
    router = await router_on(store)
    await apply(store, router, METHOD_ADDED)
    method = AgentMethod("img:1", None, 1, 1, False, AGENT_ID)
    assert router.registry.cached(KEY) == method
    assert router.book.jobs == {}
    assert await store.run(Ledger.methods) == {KEY: method}


async def test_another_chain_drops_the_jobs_and_the_cursor(store: Store) -> None:
    router = await router_on(store)
    assert not await router.chain_changed("chain-a")  # the first chain binds the state
    await apply(store, router, JOB_CREATED)
    assert not await router.chain_changed("chain-a")
    assert router.book.jobs and router.status.cursor == 2

    assert await router.chain_changed("chain-b")
    assert router.book.jobs == {} and router.status.cursor is None
    assert await store.run(Ledger.jobs) == []
