"""Docker as the runner uses it: one engine and what every agent container gets.

The runner asks three things of Docker: remove the containers an earlier run
left, run one agent container to its end (image prepared and verified
first), and let go of the engine. `ContainerRuntime` is that boundary;
`DockerRuntime` is the real one, and the runner's unit tests put a fake there
(the real engine is exercised by the docker and end-to-end tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import trio

from coordinator.docker.container import prepare_and_run
from coordinator.docker.engine import DockerEngine, retrying
from coordinator.docker.images import ImagePolicy, ProgressCallback
from coordinator.docker.reaper import reap_orphans
from coordinator.docker.settings import DockerSettings
from coordinator.docker.spec import ContainerOptions, ContainerOutcome, ContainerSpec


class ContainerRuntime(Protocol):
    async def reap_orphans(self) -> int:
        """Remove this coordinator's containers of an earlier run; how many."""
        ...

    async def run(
        self, spec: ContainerSpec, docker_sha256: str | None, progress: ProgressCallback
    ) -> ContainerOutcome:
        """Prepare the image, run the container to its end, remove it. Raises
        `ImageError`, `DockerUnavailable` (the engine is away) or `DockerError`."""
        ...

    async def aclose(self) -> None: ...


@dataclass
class DockerRuntime:
    engine: DockerEngine
    options: ContainerOptions
    policy: ImagePolicy
    stop_grace_secs: int

    @classmethod
    async def connect(
        cls, settings: DockerSettings, exit_now: trio.Event, *, instance_id: str, chain: str,
        coordinator_id: str = "", coordinator_url: str | None = None,
    ) -> DockerRuntime:
        """Waits (with backoff) for an engine that does not answer yet. Once
        `exit_now` is set, containers are killed instead of given a stop grace."""
        engine = await retrying(
            lambda: DockerEngine.connect(max_containers=settings.max_concurrent),
            what="connecting to the Docker engine",
        )
        options = ContainerOptions.from_settings(
            settings, instance_id=instance_id, coordinator_id=coordinator_id, chain=chain,
            coordinator_url=coordinator_url,
            exit_now=exit_now,
        )
        return cls(engine, options, ImagePolicy.from_settings(settings), settings.stop_grace_secs)

    async def reap_orphans(self) -> int:
        reaped = await reap_orphans(
            self.engine, self.options.instance_id, stop_grace_secs=self.stop_grace_secs
        )
        return len(reaped)

    async def run(
        self, spec: ContainerSpec, docker_sha256: str | None, progress: ProgressCallback
    ) -> ContainerOutcome:
        return await prepare_and_run(
            self.engine, spec, self.options, self.policy, docker_sha256, progress
        )

    async def aclose(self) -> None:
        await self.engine.aclose()
