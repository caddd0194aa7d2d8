"""What an agent container is asked to be (`ContainerSpec` from the job and its
method, `ContainerOptions` from the settings), how it ended (`ContainerOutcome`),
and the labels every container of ours carries, so `reap_orphans` finds what a
crash left behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import trio

from coordinator.docker.settings import DockerSettings
from coordinator.logs import session_fingerprint

__all__ = ["LABEL_COORDINATOR", "LABEL_JOB", "LABEL_SESSION", "ContainerOptions",
           "ContainerOutcome", "ContainerSpec", "container_labels", "outcome_kind"]

LABEL_COORDINATOR = "silvana.coordinator"


LABEL_JOB = "silvana.job"


LABEL_SESSION = "silvana.session"


@dataclass(frozen=True)
class ContainerSpec:
    """One agent container for one job: what the job and its agent method ask for."""

    job_id: int
    session_id: str
    # SESSION_PRIVATE_KEY, whose address is the session id.
    session_private_key: str = field(repr=False)
    developer: str
    agent: str
    agent_method: str
    app_instance: str
    job_data: bytes
    image: str  # an image id from prepare_image (prepare_and_run: the method's docker_image)
    memory_gb: int = 0  # the method's min_memory_gb; 0 = no limit
    cpu_cores: int = 0  # the method's min_cpu_cores; 0 = no limit
    # Replaces memory_gb when set; whole GiB are too coarse for some callers (tests).
    memory_limit_bytes: int | None = None
    command: tuple[str, ...] | None = None  # None: the image's own CMD (agents)
    # The session's own socket directory on the engine's host (coordinator.rpc's
    # AgentSockets), mounted at the directory of COORDINATOR_SOCKET; None: none.
    socket_dir: Path | None = None
    # SECRET_<NAME> -> value, from the secrets store (`coordinator.agent_secrets`).
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.developer, self.agent, self.agent_method)

    @property
    def memory_bytes(self) -> int:
        if self.memory_limit_bytes is not None:
            return self.memory_limit_bytes
        return self.memory_gb << 30


@dataclass(frozen=True)
class ContainerOptions:
    """How this coordinator runs every agent container."""

    instance_id: str  # the containers' label, which the reaper finds them by
    coordinator_id: str = ""  # the agents' COORDINATOR_ID; empty: `instance_id`
    chain: str = "testnet"  # the agents' CHAIN (`sui.chain`)
    coordinator_url: str | None = None  # the agents' COORDINATOR_URL (`rpc.listen`)
    container_socket_path: str = "/run/silvana/coordinator.sock"
    timeout_secs: float = 300.0
    stop_grace_secs: int = 10
    use_tee: bool = False
    tee_poll_interval_secs: float = 5.0
    network_mode: str = "bridge"  # standard mode only; TEE mode uses the host's
    pids_limit: int = 512
    cap_add: tuple[str, ...] = ()  # every other capability is dropped
    log_limit_bytes: int = 1 << 20
    extra_env: Mapping[str, str] = field(default_factory=dict)
    # Set when the coordinator must exit at once (a second SIGINT/SIGTERM): a
    # container cancelled from then on is killed and removed, with no stop grace.
    exit_now: trio.Event | None = None

    @classmethod
    def from_settings(
        cls,
        settings: DockerSettings,
        *,
        instance_id: str,
        coordinator_id: str = "",
        chain: str = "testnet",
        coordinator_url: str | None = None,
        exit_now: trio.Event | None = None,
    ) -> ContainerOptions:
        return cls(
            instance_id=instance_id,
            coordinator_id=coordinator_id,
            chain=chain,
            coordinator_url=coordinator_url,
            container_socket_path=settings.container_socket_path,
            timeout_secs=settings.container_timeout_secs,
            stop_grace_secs=settings.stop_grace_secs,
            use_tee=settings.use_tee,
            tee_poll_interval_secs=settings.tee_poll_interval_secs,
            network_mode=settings.network_mode,
            pids_limit=settings.pids_limit,
            cap_add=tuple(settings.cap_add),
            log_limit_bytes=settings.log_limit_bytes,
            extra_env=dict(settings.agent_env),
            exit_now=exit_now,
        )


@dataclass(frozen=True)
class ContainerOutcome:
    container_id: str
    exit_code: int | None
    duration_secs: float
    reason: str  # one line for the job record and the operator
    oom_killed: bool
    timed_out: bool
    logs: bytes  # the tail of stdout and stderr, interleaved as written
    logs_dropped_bytes: int  # output before that tail
    started_at: datetime | None  # as the engine recorded them
    finished_at: datetime | None

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.oom_killed


def outcome_kind(outcome: ContainerOutcome) -> str:
    """A bounded label for how a container ended (the reason text is free-form)."""
    if outcome.timed_out:
        return "timeout"
    if outcome.oom_killed:
        return "oom_killed"
    if outcome.exit_code == 0:
        return "succeeded"
    if outcome.exit_code is None:
        return "engine_error"
    return "exit_nonzero"



def container_labels(spec: ContainerSpec, instance_id: str) -> dict[str, str]:
    """The labels of the container of `spec`, by which `reap_orphans` finds it."""
    return {
        LABEL_COORDINATOR: instance_id,
        LABEL_JOB: str(spec.job_id),
        # The session's fingerprint, never its id: labels are shown to anyone who
        # may `docker inspect`, and the id is the agent's credential.
        LABEL_SESSION: session_fingerprint(spec.session_id),
    }
