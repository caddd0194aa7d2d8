"""The runner: ready jobs -> one container per key, settled by the outcome.

A fake container runtime stands at the Docker boundary (the real engine is in
the docker and end-to-end tests); the job book, the registry and the store
are real, and the tests read the state they leave.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import Settings
from coordinator.docker import (
    ContainerOutcome,
    ContainerSpec,
    DockerUnavailable,
    ImageError,
    PullProgress,
)
from coordinator.docker.images import ProgressCallback
from coordinator.domain import AgentKey, AgentMethod, JobRef, JobState
from coordinator.jobs import JobBook
from coordinator.jobs.sessions import EXITED_HOLDING_JOBS
from coordinator.logs import session_fingerprint
from coordinator.registry import Registry
from coordinator.runner import WAITING_TEE, WAITING_UNKNOWN_METHOD, Runner
from coordinator.store import Ledger, Store
from tests.support import ADD_KEY, AGENT, APP_INSTANCE, DEV, created, eventually

KEY = ADD_KEY
OTHER = AgentKey(DEV, AGENT, "verify")
APP = APP_INSTANCE
METHOD = AgentMethod("img:1", None, 2, 1)


def outcome(exit_code: int, reason: str = "") -> ContainerOutcome:
    return ContainerOutcome(
        container_id="c0ffee", exit_code=exit_code, duration_secs=1.5,
        reason=reason or f"exited with code {exit_code}", oom_killed=False, timed_out=False,
        logs=b"", logs_dropped_bytes=0, started_at=None, finished_at=None,
    )


@dataclass
class FakeRuntime:
    """Runs "containers" whose end the test decides: each waits for an outcome
    (or an exception) put on its job's channel."""

    orphans: int = 0
    specs: list[ContainerSpec] = field(default_factory=list)
    running: set[int] = field(default_factory=set)
    peak: int = 0
    closed: bool = False
    ends: dict[int, tuple[trio.MemorySendChannel[object], trio.MemoryReceiveChannel[object]]] = (
        field(default_factory=dict))

    def end(self, job_id: int, result: ContainerOutcome | Exception) -> None:
        self._channel(job_id)[0].send_nowait(result)

    def _channel(
        self, job_id: int
    ) -> tuple[trio.MemorySendChannel[object], trio.MemoryReceiveChannel[object]]:
        return self.ends.setdefault(job_id, trio.open_memory_channel[object](1))

    async def reap_orphans(self) -> int:
        return self.orphans

    async def run(
        self, spec: ContainerSpec, docker_sha256: str | None, progress: ProgressCallback
    ) -> ContainerOutcome:
        self.specs.append(spec)
        self.running.add(spec.job_id)
        self.peak = max(self.peak, len(self.running))
        progress(PullProgress(bytes_done=5, bytes_total=10, layers=1, layers_done=0))
        try:
            result = await self._channel(spec.job_id)[1].receive()
        finally:
            self.running.discard(spec.job_id)
        if isinstance(result, Exception):
            raise result
        assert isinstance(result, ContainerOutcome)
        return result

    async def aclose(self) -> None:
        self.closed = True


@dataclass
class Rig:
    runner: Runner
    runtime: FakeRuntime
    book: JobBook
    registry: Registry
    store: Store

    def job(self, job_id: int) -> tuple[JobState, int, str]:
        job = self.book.jobs[JobRef(APP, job_id)]
        return job.state, job.attempts, job.last_error

    async def stored(self, job_id: int) -> tuple[JobState, int]:
        jobs = {job.job_id: job for job in await self.store.run(Ledger.jobs)}
        return jobs[job_id].state, jobs[job_id].attempts

    async def until(self, done: Callable[[], bool], what: str) -> None:
        await eventually(done, 30, what)


@pytest.fixture
async def rig(store: Store, nursery: trio.Nursery) -> Rig:
    settings = Settings.model_validate(
        {"sui": {"package_id": "0x2"}, "docker": {"max_concurrent": 1}}
    )
    book = JobBook(store, max_attempts=3, lease_secs=60)
    book.retry.jitter = 0
    registry = Registry({KEY: METHOD})
    runtime = FakeRuntime()

    async def connect(exit_now: trio.Event) -> FakeRuntime:
        return runtime

    runner = Runner(settings, book, registry, "inst-1", connect)
    await nursery.start(runner.run)
    return Rig(runner, runtime, book, registry, store)


async def test_a_ready_job_runs_in_a_container_and_completes(rig: Rig) -> None:
    rig.book.on_chain_event(created(1))
    await rig.until(lambda: rig.runtime.running == {1}, "the container")
    [spec] = rig.runtime.specs
    assert (spec.job_id, spec.image, spec.job_data, spec.memory_gb) == (
        1, "img:1", bytes([1, 2, 1]), 2)
    assert (spec.developer, spec.agent, spec.agent_method, spec.app_instance) == (*KEY, APP)
    [running] = rig.runner.running.values()
    assert running.session.session_id == spec.session_id and running.pull is not None
    assert rig.job(1)[0] is JobState.RUNNING
    assert await rig.stored(1) == (JobState.RUNNING, 0)
    status = pb.GetStatusResponse()
    rig.runner.report(status, trio.current_time())
    [shown] = status.running
    assert (shown.job_id, shown.image, shown.pull_bytes_done, shown.pull_bytes_total) == (
        1, "img:1", 5, 10)
    # A credential: only its fingerprint is in the status.
    assert shown.session_fingerprint == session_fingerprint(spec.session_id)
    assert spec.session_id not in str(status)
    # The container's own socket directory exists while it runs, named by the fingerprint.
    assert spec.socket_dir is not None and spec.socket_dir.is_dir()
    assert spec.socket_dir.name == shown.session_fingerprint

    rig.book.complete(spec.session_id, 1)  # the agent's CompleteJob
    rig.runtime.end(1, outcome(0))
    await rig.until(lambda: not rig.runner.running, "the end")
    assert not spec.socket_dir.exists()
    assert rig.job(1)[:2] == (JobState.COMPLETED, 0)
    assert await rig.stored(1) == (JobState.COMPLETED, 0)
    assert rig.runner.idle.is_set() and rig.book.sessions == {}


async def test_exit_0_still_holding_the_job_fails_it_with_a_reason(rig: Rig) -> None:
    """The agent never said complete: upstream fails the job ("container
    terminated"), and so does this coordinator."""
    rig.book.on_chain_event(created(1))
    await rig.until(lambda: rig.runtime.running == {1}, "the container")
    rig.runtime.end(1, outcome(0))
    await rig.until(lambda: not rig.runner.running, "the end")
    assert rig.job(1) == (JobState.PENDING, 1, EXITED_HOLDING_JOBS)
    assert await rig.stored(1) == (JobState.PENDING, 1)
    [last] = rig.book.outcomes
    assert (last.exit_code, last.duration_secs) == (0, 1.5)


async def test_a_failed_container_fails_its_job_for_a_retry(rig: Rig) -> None:
    rig.book.on_chain_event(created(1))
    await rig.until(lambda: rig.runtime.running == {1}, "the container")
    rig.runtime.end(1, outcome(3))
    await rig.until(lambda: not rig.runner.running, "the end")
    assert rig.job(1) == (JobState.PENDING, 1, "exited with code 3")
    assert await rig.stored(1) == (JobState.PENDING, 1)


async def test_an_image_error_fails_the_job(rig: Rig) -> None:
    rig.book.on_chain_event(created(1))
    await rig.until(lambda: rig.runtime.running == {1}, "the container")
    rig.runtime.end(1, ImageError("digest mismatch"))
    await rig.until(lambda: not rig.runner.running, "the end")
    assert rig.job(1) == (JobState.PENDING, 1, "image img:1: digest mismatch")


async def test_docker_away_puts_the_job_back_without_spending_an_attempt(rig: Rig) -> None:
    rig.book.on_chain_event(created(1))
    await rig.until(lambda: rig.runtime.running == {1}, "the container")
    rig.runtime.end(1, DockerUnavailable("engine gone"))
    await rig.until(lambda: not rig.runner.running, "the end")
    state, attempts, _ = rig.job(1)
    assert (state, attempts) == (JobState.PENDING, 0)
    assert rig.runner.docker_state.startswith("unavailable (engine gone); retrying in")
    assert await rig.stored(1) == (JobState.PENDING, 0)


async def test_jobs_wait_for_an_unknown_method_and_run_once_it_is_known(rig: Rig) -> None:
    rig.book.on_chain_event(created(1, OTHER))
    await rig.until(lambda: OTHER in rig.runner.waiting, "waiting")
    assert rig.runner.waiting == {OTHER: WAITING_UNKNOWN_METHOD} and not rig.runtime.specs
    rig.registry.methods[OTHER] = METHOD
    rig.registry.changed.set()
    await rig.until(lambda: rig.runtime.running == {1}, "the container")
    assert rig.runner.waiting == {}


async def test_a_tee_method_waits_outside_tee_mode(rig: Rig) -> None:
    rig.registry.methods[OTHER] = AgentMethod("img:tee", requires_tee=True)
    rig.book.on_chain_event(created(1, OTHER))
    await rig.until(lambda: OTHER in rig.runner.waiting, "waiting")
    assert rig.runner.waiting == {OTHER: WAITING_TEE} and not rig.runtime.specs


async def test_at_most_max_concurrent_containers_run(rig: Rig) -> None:
    rig.registry.methods[OTHER] = METHOD
    rig.book.on_chain_event(created(1))
    rig.book.on_chain_event(created(2, OTHER))
    await rig.until(lambda: rig.runtime.running == {1}, "the first")
    await trio.sleep(1.5)  # a housekeeping round: still one
    assert rig.runtime.running == {1}
    rig.runtime.end(1, outcome(0))
    await rig.until(lambda: rig.runtime.running == {2}, "the second")
    assert rig.runtime.peak == 1


async def test_drain_waits_for_running_containers_and_starts_no_more(rig: Rig) -> None:
    rig.book.on_chain_event(created(1))
    await rig.until(lambda: rig.runtime.running == {1}, "the container")
    drained = trio.Event()

    async def drain() -> None:
        await rig.runner.drain()
        drained.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(drain)
        await trio.sleep(0.2)
        rig.book.on_chain_event(created(2))  # arrives during the drain: not started
        assert not drained.is_set()
        rig.runtime.end(1, outcome(0))
    assert drained.is_set()
    assert rig.job(1)[:2] == (JobState.PENDING, 1) and rig.job(2)[0] is JobState.PENDING
    assert [spec.job_id for spec in rig.runtime.specs] == [1]
    assert rig.runner.draining.is_set()


async def test_a_runner_cancelled_mid_run_leaves_the_job_pending(
    store: Store, nursery: trio.Nursery
) -> None:
    settings = Settings.model_validate({"sui": {"package_id": "0x2"}})
    book = JobBook(store, max_attempts=3, lease_secs=60)
    runtime = FakeRuntime(orphans=2)

    async def connect(exit_now: trio.Event) -> FakeRuntime:
        return runtime

    runner = Runner(settings, book, Registry({KEY: METHOD}), "inst-1", connect)
    book.on_chain_event(created(1))
    with trio.CancelScope() as scope:
        async with trio.open_nursery() as inner:
            await inner.start(runner.run)
            await eventually(lambda: runtime.running == {1}, 10, "the container")
            scope.cancel()
    job = book.jobs[JobRef(APP, 1)]
    assert (job.state, job.attempts, job.last_error) == (JobState.PENDING, 0, "")
    assert [j.state for j in await store.run(Ledger.jobs)] == [JobState.PENDING]
    assert runtime.closed and not runner.running
