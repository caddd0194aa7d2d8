"""Image pre-pull (issue 25): an agent method's image is pulled when the chain
announces the method, before its first job; bounded, cancellable, shown.

The daemon's tests run it in-process on the embedded simulator and pull from
the local registry (`scripts/registry`); the cancellation tests drive the
pre-puller on the real engine against a registry that never answers (a
listener on 127.0.0.1 that accepts and stays silent), so its pulls stay in
flight until cancelled.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import docker
import pytest
import trio
from docker.errors import ImageNotFound

from coordinator.docker import DockerEngine
from coordinator.docker.settings import DockerSettings
from coordinator.domain import AgentKey, AgentMethod
from coordinator.instruments import IMAGE_PREPULLS
from coordinator.jobs import JobBook
from coordinator.prepull import Prepuller, PrepullState
from coordinator.registry import Registry
from coordinator.simnet import Simnet
from coordinator.store import Store
from tests.e2e_support import Daemon, status_when
from tests.support import AGENT, DEV, METHOD, job, register_app
from tests.test_docker_images import pushed as pushed  # the fixture, shared
from tests.test_e2e_jobs import start

pytestmark = pytest.mark.docker

KEY = AgentKey(DEV, AGENT, METHOD)
OTHER = AgentKey(DEV, AGENT, "other")


def prepulls(result: str) -> float:
    return float(IMAGE_PREPULLS.labels(result)._value.get())


@pytest.fixture
def image(docker_client: docker.DockerClient, pushed: tuple[str, str, str]) -> str:
    """The shared image of the local registry (busybox and 1 MB of its own), absent
    from the engine: each test pulls it."""
    reference = f"{pushed[0]}:v1"
    try:
        docker_client.images.remove(reference, force=True)
    except ImageNotFound:
        pass
    return reference


async def test_an_announced_methods_image_is_present_before_any_job(
    docker_client: docker.DockerClient, image: str, tmp_path: Path,
    sock_dir: Path, daemons: list[Daemon], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="coordinator")
    sim = register_app(Simnet(checkpoint_interval_secs=0.2), None)
    ok = prepulls("ok")
    async with trio.open_nursery() as nursery:
        daemon = await start(nursery, sim, tmp_path, sock_dir)
        daemons.append(daemon)
        await status_when(daemon.socket, lambda s: s.connection.state == "connected",
                          within=30, what="the daemon connected")
        with pytest.raises(ImageNotFound):
            docker_client.images.get(image)
        sim.add_method(DEV, AGENT, METHOD, docker_image=image)
        status = await status_when(
            daemon.socket, lambda s: [p.state for p in s.prepulls] == ["present"],
            within=60, what="the announced method's image pre-pulled")
        nursery.cancel_scope.cancel()

    assert docker_client.images.get(image)  # in the engine, and no job ever ran
    assert not status.jobs_by_state and not status.recent_outcomes
    [entry] = status.prepulls
    assert entry.image == image and list(entry.methods) == [str(KEY)]
    assert entry.bytes_done == entry.bytes_total > 0
    assert prepulls("ok") == ok + 1
    assert f"pre-pulled {image} for {KEY}" in caplog.text


async def test_a_failing_pull_and_a_bad_reference_are_one_warning_each(
    registry: str, tmp_path: Path, sock_dir: Path, daemons: list[Daemon],
    caplog: pytest.LogCaptureFixture,
) -> None:
    absent = f"{registry}/silvana-test/absent-{uuid.uuid4().hex[:8]}:v1"
    bad = "Not/A Reference"
    sim = register_app(Simnet(checkpoint_interval_secs=0.2), None)
    failed, invalid = prepulls("failed"), prepulls("invalid")
    async with trio.open_nursery() as nursery:
        daemon = await start(nursery, sim, tmp_path, sock_dir)
        daemons.append(daemon)
        await status_when(daemon.socket, lambda s: s.connection.state == "connected",
                          within=30, what="the daemon connected")
        sim.add_method(DEV, AGENT, METHOD, docker_image=absent)
        sim.add_method(DEV, AGENT, "other", docker_image=bad)
        status = await status_when(
            daemon.socket,
            lambda s: len(s.prepulls) == 2 and {p.state for p in s.prepulls} == {"failed"},
            within=60, what="both pre-pulls failed")
        nursery.cancel_scope.cancel()

    errors = {p.image: p.error for p in status.prepulls}
    assert f"pulling {absent}" in errors[absent]
    assert "image reference 'Not/A Reference' is invalid" in errors[bad]
    assert (prepulls("failed"), prepulls("invalid")) == (failed + 1, invalid + 1)
    warnings = [r.getMessage() for r in caplog.records
                if r.name == "coordinator.prepull" and r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all("\n" not in w for w in warnings)
    assert any(absent in w for w in warnings) and any(bad in w for w in warnings)


@pytest.fixture
async def silent_registry() -> AsyncIterator[str]:
    """host:port of a registry that accepts connections and never answers."""
    async with trio.open_nursery() as nursery:
        held: list[trio.SocketStream] = []

        async def hold(stream: trio.SocketStream) -> None:
            held.append(stream)
            await trio.sleep_forever()

        serve = functools.partial(trio.serve_tcp, hold, 0, host="127.0.0.1")
        [listener] = await nursery.start(serve)
        yield f"127.0.0.1:{listener.socket.getsockname()[1]}"
        nursery.cancel_scope.cancel()  # the engine's pulls end with a closed connection


@pytest.fixture
async def prepuller(store: Store, docker_client: docker.DockerClient) -> Prepuller:
    book = await JobBook.load(store, max_attempts=3, lease_secs=60)
    return Prepuller(DockerSettings(prepull_concurrency=1), book, Registry({}))


async def until(check: Callable[[], bool]) -> None:
    with trio.fail_after(30):  # a bound on a wait, not a figure
        while True:
            if check():
                return
            await trio.sleep(0.05)


def states(prepuller: Prepuller) -> list[PrepullState]:
    return [entry.state for entry in prepuller.images.values()]


async def test_at_start_the_images_of_the_pending_jobs_methods_are_pulled(
    store: Store, docker_client: docker.DockerClient, image: str,
) -> None:
    pending = job(1)
    await store.run(lambda ledger: ledger.save_jobs([pending], time.time()))
    book = await JobBook.load(store, max_attempts=3, lease_secs=60)
    # A method the registry kept from an earlier run; no event announces it again.
    registry = Registry({pending.key: AgentMethod(image), OTHER: AgentMethod("unused:1")})
    prepuller = Prepuller(DockerSettings(), book, registry)
    async with trio.open_nursery() as nursery:
        await nursery.start(prepuller.run)
        assert list(prepuller.images) == [(image, None)]  # not OTHER's: no job waits for it
        await until(lambda: states(prepuller) == [PrepullState.PRESENT])
        nursery.cancel_scope.cancel()
    assert docker_client.images.get(image)


async def test_a_removed_method_cancels_its_pull_queued_or_in_flight(
    prepuller: Prepuller, silent_registry: str,
) -> None:
    first, second = (f"{silent_registry}/silvana-test/{n}:v1" for n in ("first", "second"))
    cancelled = prepulls("cancelled")
    async with trio.open_nursery() as nursery:
        await nursery.start(prepuller.run)
        prepuller.method_changed(KEY, AgentMethod(first))
        prepuller.method_changed(OTHER, AgentMethod(second))
        await until(lambda: states(prepuller) == [PrepullState.PULLING, PrepullState.QUEUED])
        prepuller.method_changed(OTHER, None)  # queued: dropped at once
        assert list(prepuller.images) == [(first, None)]
        prepuller.method_changed(KEY, None)  # in flight: its pull is cancelled
        await until(lambda: not prepuller.images)
        nursery.cancel_scope.cancel()
    assert prepulls("cancelled") == cancelled + 2


async def test_a_stop_cancels_the_pulls_in_flight(
    prepuller: Prepuller, silent_registry: str,
) -> None:
    image = f"{silent_registry}/silvana-test/stopped:v1"
    cancelled = prepulls("cancelled")
    with trio.fail_after(30):  # the stop does not wait for the silent registry
        async with trio.open_nursery() as nursery:
            await nursery.start(prepuller.run)
            prepuller.method_changed(KEY, AgentMethod(image))
            await until(lambda: states(prepuller) == [PrepullState.PULLING])
            nursery.cancel_scope.cancel()
    assert not prepuller.images and prepulls("cancelled") == cancelled + 1


async def test_a_pull_past_its_timeout_fails_with_one_line(
    store: Store, docker_client: docker.DockerClient, silent_registry: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    book = await JobBook.load(store, max_attempts=3, lease_secs=60)
    prepuller = Prepuller(DockerSettings(prepull_timeout_secs=0.5), book, Registry({}))
    image = f"{silent_registry}/silvana-test/slow:v1"
    async with trio.open_nursery() as nursery:
        await nursery.start(prepuller.run)
        prepuller.method_changed(KEY, AgentMethod(image))
        await until(lambda: states(prepuller) == [PrepullState.FAILED])
        nursery.cancel_scope.cancel()
    [entry] = prepuller.images.values()
    assert entry.error == f"pulling {image}: not done within 0.5 s"
    assert f"pre-pull of {image} failed (its first job pulls it again): " in caplog.text


async def test_the_queue_and_the_cap_bound_what_is_pre_pulled(
    store: Store, caplog: pytest.LogCaptureFixture,
) -> None:
    book = await JobBook.load(store, max_attempts=3, lease_secs=60)

    async def no_engine() -> DockerEngine:
        raise AssertionError("nothing is pulled in this test")

    def image(n: int) -> AgentMethod:
        return AgentMethod(f"silvana-test/image-{n}:v1")

    skipped = prepulls("skipped")
    capped = Prepuller(DockerSettings(prepull_max_images=1), book, Registry({}), no_engine)
    capped.method_changed(KEY, image(0))
    capped.method_changed(OTHER, image(1))
    assert states(capped) == [PrepullState.QUEUED] and prepulls("skipped") == skipped + 1
    assert "docker.prepull_max_images" in caplog.text

    queue = Prepuller(DockerSettings(prepull_queue=1), book, Registry({}), no_engine)
    queue.method_changed(KEY, image(0))
    queue.method_changed(OTHER, image(1))
    assert states(queue) == [PrepullState.QUEUED] and prepulls("skipped") == skipped + 2
    assert "docker.prepull_queue" in caplog.text
    # The same image for another method is the same pre-pull, not another.
    queue.method_changed(OTHER, image(0))
    [entry] = queue.images.values()
    assert entry.keys == {KEY, OTHER}
    queue.method_changed(KEY, image(3))  # KEY moved on; OTHER still wants it
    assert entry.keys == {OTHER} and entry.state is PrepullState.QUEUED


async def test_a_failed_image_is_tried_again_when_announced_again(
    prepuller: Prepuller, caplog: pytest.LogCaptureFixture,
) -> None:
    bad = AgentMethod("Bad:Ref")
    for _ in range(2):
        prepuller.method_changed(KEY, bad)
        assert states(prepuller) == [PrepullState.FAILED]
    assert caplog.text.count("pre-pull of Bad:Ref failed") == 2
    prepuller.method_changed(OTHER, bad)
    [entry] = prepuller.images.values()
    assert entry.keys == {KEY, OTHER}
