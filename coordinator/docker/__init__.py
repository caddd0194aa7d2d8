"""Docker: the engine behind Trio, images (pull, load, verify), the
per-container supervisor, the concurrency slots and orphan reaping.

What the job layer calls:

    engine = await retrying(
        lambda: DockerEngine.connect(max_containers=settings.docker.max_concurrent),
        what="connecting to docker",
    )
    # Once, at start: containers of an earlier run; fail their jobs (REAP_REASON).
    grace = settings.docker.stop_grace_secs
    reaped = await reap_orphans(engine, instance_id, stop_grace_secs=grace)
    slots = ContainerSlots(settings.docker.max_concurrent)
    policy = ImagePolicy.from_settings(settings.docker)
    options = ContainerOptions.from_settings(settings.docker, instance_id=...)
    # Per job, in the containers nursery; spec.image is the method's docker_image,
    # spec.socket_dir the session's socket directory (coordinator.rpc.AgentSockets).
    async with slots.hold(spec.key):
        outcome = await prepare_and_run(engine, spec, options, policy, method.docker_sha256)

`prepare_image` and `run_container` are the two halves, for callers that want
the image ready before a slot is free. `runtime.DockerRuntime` packs the
engine, the options and the policy as the runner uses them.
"""

# isort: off
from coordinator.docker import http_client  # noqa: F401  (first: before docker-py loads)

# isort: on
from coordinator.docker.container import prepare_and_run, run_container
from coordinator.docker.engine import (
    DockerEngine,
    DockerError,
    DockerNotFound,
    DockerTimeout,
    DockerUnavailable,
    retrying,
)
from coordinator.docker.images import (
    DigestMismatch,
    ImageError,
    ImagePolicy,
    ImageRef,
    PreparedImage,
    PullProgress,
    normalize_sha256,
    parse_reference,
    prepare_image,
    registry_auth,
)
from coordinator.docker.reaper import REAP_REASON, ReapedContainer, reap_orphans
from coordinator.docker.removal import stop_and_remove
from coordinator.docker.slots import ContainerSlots
from coordinator.docker.spec import (
    LABEL_COORDINATOR,
    LABEL_JOB,
    LABEL_SESSION,
    ContainerOptions,
    ContainerOutcome,
    ContainerSpec,
)

__all__ = [
    "LABEL_COORDINATOR",
    "LABEL_JOB",
    "LABEL_SESSION",
    "REAP_REASON",
    "ContainerOptions",
    "ContainerOutcome",
    "ContainerSlots",
    "ContainerSpec",
    "DigestMismatch",
    "DockerEngine",
    "DockerError",
    "DockerNotFound",
    "DockerTimeout",
    "DockerUnavailable",
    "ImageError",
    "ImagePolicy",
    "ImageRef",
    "PreparedImage",
    "PullProgress",
    "ReapedContainer",
    "normalize_sha256",
    "parse_reference",
    "prepare_and_run",
    "prepare_image",
    "reap_orphans",
    "registry_auth",
    "retrying",
    "run_container",
    "stop_and_remove",
]
