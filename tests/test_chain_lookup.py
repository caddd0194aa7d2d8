"""Lookups on chain, against the simulator's objects: agent methods by names
(registry -> developer -> agent) and pending jobs of app instances."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
import trio

from coordinator.domain import AgentKey, AgentMethod, JobRef, JobState
from coordinator.events.layouts import Layout
from coordinator.jobs import JobBook
from coordinator.recovery import read_pending_jobs, recover_pending_jobs
from coordinator.registry import ChainLookup, Registry
from coordinator.simnet import Simnet, serve
from coordinator.store import Store
from coordinator.sui.client import SuiClient, connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.objects import Connect

IMAGE = "silvana-demo/agent:latest"


@pytest.fixture(params=["2025-11", "2025-08"])
async def chain(
    nursery: trio.Nursery, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[Simnet, Connect]]:
    """The same lookups must work on a chain of either package layout."""
    yield await serve_chain(nursery, request.param)


async def serve_chain(nursery: trio.Nursery, layout: Layout) -> tuple[Simnet, Connect]:
    sim = Simnet(checkpoint_interval_secs=0, layout=layout)
    sim.register_developer("Dev", github="dev")
    sim.register_agent("Dev", "Agent")
    sim.add_method("Dev", "Agent", "prove", docker_image=IMAGE, docker_sha256="ab" * 32,
                   min_memory_gb=2, min_cpu_cores=3)
    sim.add_method("Dev", "Agent", "verify", docker_image="other:1")
    sim.set_default_method("Dev", "Agent", "verify")
    sim.seal()
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    endpoint = Endpoint.parse(f"http://{target}")

    def connect_sui() -> AbstractAsyncContextManager[SuiClient]:
        return connect(endpoint, timeout=10)

    return sim, connect_sui


async def test_agent_method_found_by_names(chain: tuple[Simnet, Connect]) -> None:
    sim, connect_sui = chain
    lookup = ChainLookup(connect_sui, sim.registry.id)
    method = await lookup.method(AgentKey("Dev", "Agent", "prove"))
    assert method == AgentMethod(IMAGE, "ab" * 32, 2, 3, False, sim.agent("Dev", "Agent").id)
    default = await lookup.method(AgentKey("Dev", "Agent", ""))
    assert default is not None and default.docker_image == "other:1"
    for key in [AgentKey("Dev", "Agent", "nope"), AgentKey("Dev", "Nobody", "prove"),
                AgentKey("Nobody", "Agent", "prove")]:
        assert await lookup.method(key) is None, key


async def test_registry_asks_the_chain_on_a_miss_and_remembers(
    chain: tuple[Simnet, Connect],
) -> None:
    sim, connect_sui = chain
    registry = Registry({}, ChainLookup(connect_sui, sim.registry.id))
    key = AgentKey("Dev", "Agent", "prove")
    method = await registry.resolve(key)
    assert method is not None and method.docker_image == IMAGE
    calls = sim.rpc_counts["GetObject"]
    assert await registry.resolve(key) == method  # cached: no more calls
    assert await registry.resolve(AgentKey("Dev", "Agent", "nope")) is None
    misses = sim.rpc_counts["GetObject"]
    assert misses > calls
    assert await registry.resolve(AgentKey("Dev", "Agent", "nope")) is None
    assert sim.rpc_counts["GetObject"] == misses  # a miss is remembered for a while


async def test_pending_jobs_are_read_back_from_app_instances(
    chain: tuple[Simnet, Connect], tmp_path: Path
) -> None:
    sim, connect_sui = chain
    app = sim.create_app_instance("add", max_attempts=5)
    for n in range(1, 5):
        sim.create_job("add", developer="Dev", agent="Agent", method="prove", data=bytes([n]),
                       description=f"job {n}", sequences=[n, n + 1])
    sim.complete_job("add", 2)
    sim.seal()
    jobs = await read_pending_jobs(connect_sui, [app.app_instance])
    assert [(j.job_id, j.data, j.sequences, j.description) for j in jobs] == [
        (1, b"\x01", (1, 2), "job 1"), (3, b"\x03", (3, 4), "job 3"),
        (4, b"\x04", (4, 5), "job 4")]
    assert {j.key for j in jobs} == {AgentKey("Dev", "Agent", "prove")}

    # The book knows the app instance from an earlier job; recovery adds the rest.
    store = await Store.open(tmp_path)
    book = JobBook(store, max_attempts=3, lease_secs=60)
    known = jobs[0]
    book.add_recovered(known)
    with trio.fail_after(20):
        await recover_pending_jobs(connect_sui, book)
    assert sorted(ref.job_id for ref in book.jobs) == [1, 3, 4]
    assert all(job.state is JobState.PENDING for job in book.jobs.values())
    # The chain's max attempts of the instance, not the configured 3, rule its jobs.
    assert book.attempts_allowed(app.app_instance) == 5
    stored = await store.run(lambda ledger: ledger.jobs())
    # persisted, with the job the book had (the book owns its persistence)
    assert sorted(job.job_id for job in stored) == [1, 3, 4]
    assert book.next_pending(AgentKey("Dev", "Agent", "prove")) == book.jobs[
        JobRef(app.app_instance, 1)]


async def test_a_2025_11_job_failed_on_chain_is_recovered_with_its_retry_time(
    nursery: trio.Nursery,
) -> None:
    sim, connect_sui = await serve_chain(nursery, "2025-11")
    app = sim.create_app_instance("add")
    sim.create_job("add", developer="Dev", agent="Agent", method="prove")
    sim.fail_job("add", 1, "boom")  # started, failed, pending again in 60 s
    sim.seal()
    [job] = await read_pending_jobs(connect_sui, [app.app_instance])
    chain_job = sim.job("add", 1)
    assert chain_job.next_scheduled_at is not None
    assert (job.attempts, job.not_before) == (1, chain_job.next_scheduled_at / 1000)
