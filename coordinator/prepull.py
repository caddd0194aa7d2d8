"""Image pre-pull: an agent method's image is pulled when the chain announces
the method (MethodAddedEvent, MethodUpdatedEvent, DefaultMethodSetEvent), and
at start for the methods the book's pending jobs need, so the first job of a
method does not wait for its pull.

Best effort and bounded: at most `docker.prepull_queue` images wait,
`docker.prepull_concurrency` are pulled at once, each within
`docker.prepull_timeout_secs`, and at most `docker.prepull_max_images` per
run. A pre-pull that cannot be done (a bad reference, a full queue, a failed
pull) is one warning line naming the image; nothing else changes: the job's
own path (`docker.images.prepare_image` in the runner) pulls on demand as
before, and the method announced again tries again. Cancellable: a stop
cancels the pulls in flight, and a method removed (or moved to another image)
cancels its image's pull unless another method still wants that image. The
same `prepare_image` does the work, so the reference is validated, the digest
verified and `docker.pull_policy` followed as for a job.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.docker import (
    DockerEngine,
    DockerError,
    ImageError,
    ImagePolicy,
    PullProgress,
    normalize_sha256,
    parse_reference,
    prepare_image,
    retrying,
)
from coordinator.docker.images import tar_path
from coordinator.docker.settings import DockerSettings
from coordinator.domain import AgentKey, AgentMethod, JobState
from coordinator.instruments import IMAGE_PREPULLS, IMAGE_PREPULLS_ACTIVE
from coordinator.jobs import JobBook
from coordinator.registry import Registry

log = logging.getLogger("coordinator.prepull")

EngineFactory = Callable[[], Awaitable[DockerEngine]]


class PrepullState(StrEnum):
    QUEUED = "queued"
    PULLING = "pulling"
    PRESENT = "present"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(eq=False)
class Prepull:
    """One image pre-pulled for the methods in `keys`."""

    image: str  # `docker_image` as the method gives it
    sha256: str | None
    keys: set[AgentKey] = field(default_factory=set)
    state: PrepullState = PrepullState.QUEUED
    progress: PullProgress | None = None
    error: str = ""
    scope: trio.CancelScope | None = None  # while pulling


class Prepuller:
    def __init__(self, settings: DockerSettings, book: JobBook, registry: Registry,
                 connect: EngineFactory | None = None) -> None:
        self.settings = settings
        self.book = book
        self.registry = registry
        self.policy = replace(ImagePolicy.from_settings(settings), pull_timeout_secs=min(
            settings.prepull_timeout_secs, settings.pull_timeout_secs))
        self._connect = connect or (lambda: DockerEngine.connect(
            max_containers=settings.prepull_concurrency))
        # Every image taken this run (the cap counts them; a cancelled one leaves).
        self.images: dict[tuple[str, str | None], Prepull] = {}
        self._send, self._receive = trio.open_memory_channel[Prepull](settings.prepull_queue)
        self._told_cap = False
        registry.watch(self.method_changed)

    def method_changed(self, key: AgentKey, method: AgentMethod | None) -> None:
        """The registry's watcher: a method set (pull its image) or removed."""
        wanted = None if method is None else (method.docker_image, method.docker_sha256)
        for ident, entry in list(self.images.items()):
            if key in entry.keys and ident != wanted:
                entry.keys.discard(key)
                if not entry.keys:
                    self._cancel(entry)
        if method is not None:
            self.want(key, method)

    def want_pending(self) -> None:
        """The images of the methods the book's pending jobs need (at start)."""
        keys = {job.key for job in self.book.jobs.values() if job.state is JobState.PENDING}
        for key in sorted(keys):
            method = self.registry.cached(key)
            if method is not None:
                self.want(key, method)

    def want(self, key: AgentKey, method: AgentMethod) -> None:
        """Queue `method`'s image unless it is taken already or cannot be."""
        if method.requires_tee and not self.settings.use_tee:
            return  # its jobs never run here
        ident = (method.docker_image, method.docker_sha256)
        entry = self.images.get(ident)
        keys = {key}
        if entry is not None and entry.state is not PrepullState.FAILED:
            entry.keys.add(key)
            return
        if entry is not None:  # announced again: the image may be there by now
            keys |= self.images.pop(ident).keys
        image = method.docker_image
        if len(self.images) >= self.settings.prepull_max_images:
            if not self._told_cap:
                log.warning("pre-pull of %s skipped: %d images pre-pulled already "
                            "(docker.prepull_max_images); it is pulled with its first job",
                            image, len(self.images))
                self._told_cap = True
            IMAGE_PREPULLS.labels("skipped").inc()
            return
        entry = Prepull(image, method.docker_sha256, keys)
        try:
            if tar_path(image) is None:
                parse_reference(image)
            if method.docker_sha256:
                normalize_sha256(method.docker_sha256)
        except ImageError as exc:
            self._fail(entry, str(exc), "invalid")
            self.images[ident] = entry  # shown in the status; never tried again
            return
        try:
            self._send.send_nowait(entry)
        except trio.WouldBlock:
            log.warning("pre-pull of %s for %s skipped: %d images wait already "
                        "(docker.prepull_queue); it is pulled with its first job",
                        image, key, self.settings.prepull_queue)
            IMAGE_PREPULLS.labels("skipped").inc()
            return
        self.images[ident] = entry
        self._count()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
                  ) -> None:
        """Up at once; pulls once the engine answers, until cancelled."""
        self.want_pending()
        task_status.started()
        engine = await retrying(self._connect, what="pre-pull: connecting to the Docker engine")
        try:
            async with trio.open_nursery() as workers:
                for _ in range(self.settings.prepull_concurrency):
                    workers.start_soon(self._work, engine)
        finally:
            with trio.CancelScope(shield=True):
                await engine.aclose()

    async def _work(self, engine: DockerEngine) -> None:
        async for entry in self._receive:
            if entry.state is PrepullState.QUEUED:  # else cancelled while it waited
                await self._pull(engine, entry)

    async def _pull(self, engine: DockerEngine, entry: Prepull) -> None:
        entry.state, entry.scope = PrepullState.PULLING, trio.CancelScope()
        self._count()
        started = trio.current_time()

        def progress(pulled: PullProgress) -> None:
            entry.progress = pulled

        try:
            with entry.scope:
                await prepare_image(engine, entry.image, entry.sha256, self.policy, progress)
                entry.state = PrepullState.PRESENT
                IMAGE_PREPULLS.labels("ok").inc()
                log.info("pre-pulled %s for %s in %.1f s", entry.image,
                         ", ".join(map(str, sorted(entry.keys))), trio.current_time() - started)
        except (ImageError, DockerError) as exc:
            self._fail(entry, str(exc), "failed")
        finally:
            entry.scope = None
            if entry.state is PrepullState.PULLING:  # cancelled: method removed, or a stop
                entry.state = PrepullState.CANCELLED
                IMAGE_PREPULLS.labels("cancelled").inc()
                self.images.pop((entry.image, entry.sha256), None)
            self._count()

    def _cancel(self, entry: Prepull) -> None:
        if entry.state is PrepullState.QUEUED:
            entry.state = PrepullState.CANCELLED
            IMAGE_PREPULLS.labels("cancelled").inc()
            self.images.pop((entry.image, entry.sha256), None)
            self._count()
        elif entry.scope is not None:
            entry.scope.cancel()  # `_pull` records it
        else:
            return  # done already: present or failed
        log.info("pre-pull of %s cancelled: no method wants it any more", entry.image)

    def _fail(self, entry: Prepull, error: str, result: str) -> None:
        entry.state, entry.error = PrepullState.FAILED, error
        IMAGE_PREPULLS.labels(result).inc()
        log.warning("pre-pull of %s failed (its first job pulls it again): %s",
                    entry.image, error)

    def _count(self) -> None:
        for state in (PrepullState.QUEUED, PrepullState.PULLING):
            IMAGE_PREPULLS_ACTIVE.labels(state.value).set(
                sum(1 for entry in self.images.values() if entry.state is state))

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        """The pre-puller's part of the status: every image taken this run."""
        for entry in self.images.values():
            message.prepulls.append(pb.ImagePrepull(
                image=entry.image, state=entry.state.value, error=entry.error,
                bytes_done=entry.progress.bytes_done if entry.progress else 0,
                bytes_total=entry.progress.bytes_total if entry.progress else 0,
                methods=[str(key) for key in sorted(entry.keys)],
            ))
