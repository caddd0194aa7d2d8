"""The per-container supervisor: one Trio task per agent container.

    create -> attach -> start -> wait inside a cancel scope of timeout_secs
    (standard: Docker's wait call; TEE: poll inspect) -> on timeout stop
    (SIGTERM, grace, SIGKILL) -> outcome from inspect -> remove

Output is read through `attach`, opened before the start, so every byte passes
through a bounded tail buffer and the dropped count is exact; Docker's own
json-file log (kept for `docker logs` while it runs) is rotated, so the
daemon's disk is bounded too. Clean-up is shielded and has its own deadline:
a cancelled supervisor (shutdown, job cancelled) still stops and removes its
container (SIGTERM and `stop_grace_secs`; at once when `ContainerOptions.exit_now`
is set). Whatever a crash leaves behind, the labels let `reap_orphans` find.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

import trio
from docker.types import LogConfig, Mount

from coordinator.agent_env import AgentEnv, layer_id
from coordinator.docker.engine import (
    DockerEngine,
    DockerError,
    DockerUnavailable,
    retrying,
)
from coordinator.docker.images import ImageError, ImagePolicy, ProgressCallback, prepare_image
from coordinator.docker.removal import clean_up, stop
from coordinator.docker.spec import (
    ContainerOptions,
    ContainerOutcome,
    ContainerSpec,
    container_labels,
    outcome_kind,
)
from coordinator.instruments import CONTAINER_OUTCOMES

log = logging.getLogger(__name__)

# After the container exits, how long its remaining output may take to arrive.
LOG_DRAIN_SECS = 10.0


class LogTail:
    """The last `limit` bytes of a stream, and how many bytes before them were dropped."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.dropped = 0
        self._buffer = bytearray()
        self._lock = threading.Lock()  # fed by a worker thread, read by Trio

    def feed(self, chunk: bytes) -> None:
        with self._lock:
            self._buffer += chunk
            excess = len(self._buffer) - self.limit
            if excess > 0:
                # CPython drops a bytearray's head by moving its start, not by copying.
                del self._buffer[:excess]
                self.dropped += excess

    def snapshot(self) -> tuple[bytes, int]:
        with self._lock:
            return bytes(self._buffer), self.dropped


async def run_container(
    engine: DockerEngine, spec: ContainerSpec, options: ContainerOptions
) -> ContainerOutcome:
    """Run one agent container to its end and return what happened.

    Raises `DockerError` when the container cannot be created or started
    (`DockerUnavailable`: the engine is away; retry later). The container is
    removed on every path, cancellation included.
    """
    # Shielded (it has its own deadline) so a cancellation cannot lose the id
    # of a container the engine has already made.
    with trio.CancelScope(shield=True):
        container_id = await _create(engine, spec, options)
    log.info("job %d: container %s created from %s", spec.job_id, container_id[:12], spec.image)
    try:
        return await _supervise(engine, container_id, spec, options)
    finally:
        with trio.CancelScope(shield=True):
            await clean_up(engine, container_id, options)


async def prepare_and_run(
    engine: DockerEngine,
    spec: ContainerSpec,
    options: ContainerOptions,
    policy: ImagePolicy,
    docker_sha256: str | None,
    progress: ProgressCallback | None = None,
) -> ContainerOutcome:
    """`prepare_image(spec.image)`, then `run_container` from the verified image
    id: an image that fails verification never gets a container. Counts the
    outcome (`container_outcomes_total`) whichever way it ends."""
    kind = "error"  # a bug of ours, not the engine's nor the agent's
    try:
        image = await prepare_image(engine, spec.image, docker_sha256, policy, progress)
        outcome = await run_container(engine, replace(spec, image=image.id), options)
        kind = outcome_kind(outcome)
        return outcome
    except ImageError:
        kind = "image_error"
        raise
    except DockerUnavailable:
        kind = "docker_unavailable"
        raise
    except DockerError:
        kind = "docker_error"
        raise
    except trio.Cancelled:
        kind = "cancelled"
        raise
    finally:
        CONTAINER_OUTCOMES.labels(kind).inc()


def _extra_hosts(network_mode: str) -> dict[str, str] | None:
    """`host.docker.internal`, the host upstream's agents dial, as the host: the
    engine's gateway on a bridge, loopback when the container shares the host's
    network (TEE mode); a container with no network has no host to reach."""
    if network_mode == "none":
        return None
    return {"host.docker.internal": "127.0.0.1" if network_mode == "host" else "host-gateway"}


async def _create(engine: DockerEngine, spec: ContainerSpec, options: ContainerOptions) -> str:
    api = engine.client.api
    cpus = spec.cpu_cores
    if engine.cpus and cpus > engine.cpus:
        log.warning(
            "job %d: the method asks for %d CPU cores, the engine has %d; limiting to %d",
            spec.job_id, cpus, engine.cpus, engine.cpus,
        )
        cpus = engine.cpus
    memory = spec.memory_bytes
    # The session's directory, not a socket file: a socket bound anew in it (the
    # rpc child restarted) is seen by the container; a mounted file would not be.
    mounts = [] if spec.socket_dir is None else [
        Mount(target=os.path.dirname(options.container_socket_path),
              source=str(spec.socket_dir), type="bind")
    ]
    network_mode = "host" if options.use_tee else options.network_mode
    host_config = api.create_host_config(
        mounts=mounts,
        mem_limit=memory or None,
        memswap_limit=memory or None,  # equal to the limit: no swap on top of it
        nano_cpus=cpus * 1_000_000_000 or None,
        pids_limit=options.pids_limit,
        cap_drop=["ALL"],
        cap_add=list(options.cap_add) or None,
        security_opt=["no-new-privileges"],
        privileged=False,
        network_mode=network_mode,
        extra_hosts=_extra_hosts(network_mode),
        # For `docker logs` while it runs; our record comes from attach. Two
        # files of twice our tail hold at least that tail in json-file form.
        log_config=LogConfig(
            type="json-file",
            config={"max-size": str(2 * options.log_limit_bytes), "max-file": "2"},
        ),
    )
    contract = AgentEnv(
        session_id=spec.session_id,
        session_private_key=spec.session_private_key,
        developer=spec.developer,
        agent=spec.agent,
        agent_method=spec.agent_method,
        chain=options.chain,
        coordinator_id=options.coordinator_id or options.instance_id,
        coordination_layer_id=layer_id(options.chain),
        job_id=str(spec.job_id),
        job_data="0x" + spec.job_data.hex(),
        app_instance=spec.app_instance,
        coordinator_socket=options.container_socket_path,
        coordinator_url=options.coordinator_url,
    )
    # The config refuses contract names in extra_env; the contract wins regardless.
    # The secrets are in the container's environment, so `docker inspect` shows
    # them to whoever may use the engine (docs/secrets.md).
    environment = {**options.extra_env, **spec.secrets, **contract.as_env()}
    created = await engine.call(
        api.create_container,
        spec.image,
        command=list(spec.command) if spec.command is not None else None,
        environment=environment,
        labels=container_labels(spec, options.instance_id),
        host_config=host_config,
    )
    return str(created["Id"])


async def _supervise(
    engine: DockerEngine, container_id: str, spec: ContainerSpec, options: ContainerOptions
) -> ContainerOutcome:
    api = engine.client.api
    tail = LogTail(options.log_limit_bytes)
    logs_done = trio.Event()
    stream = await engine.call(
        api.attach, container_id, stdout=True, stderr=True, stream=True, logs=False
    )

    async def pump_logs() -> None:
        budget = options.timeout_secs + options.stop_grace_secs + 2 * engine.call_timeout
        try:
            await engine.call(_feed, stream, tail, timeout=budget + LOG_DRAIN_SECS, long=True)
        except DockerError as exc:
            log.warning("job %d: reading the container's output failed: %s", spec.job_id, exc)
        finally:
            logs_done.set()

    failure: Exception | None = None
    timed_out = False
    started = trio.current_time()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(pump_logs)
        try:
            await engine.call(api.start, container_id)
            started = trio.current_time()
            with trio.move_on_after(options.timeout_secs) as deadline:
                if options.use_tee:
                    await _poll_until_exit(engine, container_id, options.tee_poll_interval_secs)
                else:
                    await _wait_until_exit(engine, container_id, options.timeout_secs)
            if deadline.cancelled_caught:
                timed_out = True
                log.warning(
                    "job %d: container %s timed out after %g s; stopping it (grace %g s)",
                    spec.job_id, container_id[:12], options.timeout_secs, options.stop_grace_secs,
                )
                await stop(engine, container_id, options.stop_grace_secs)
            with trio.move_on_after(LOG_DRAIN_SECS):
                await logs_done.wait()
            if not logs_done.is_set():
                log.warning("job %d: output still arriving after exit; cut short", spec.job_id)
        except Exception as exc:
            failure = exc  # raised below as itself, not inside an exception group
        finally:
            # Unblocks the reading thread whether or not the output has ended.
            with contextlib.suppress(OSError):
                stream.close()
            nursery.cancel_scope.cancel()
    if failure is not None:
        raise failure
    ended = trio.current_time()

    state = (await engine.call(api.inspect_container, container_id))["State"]
    logs, dropped = tail.snapshot()
    started_at = _timestamp(state.get("StartedAt"))
    finished_at = _timestamp(state.get("FinishedAt"))
    duration = (
        (finished_at - started_at).total_seconds()
        if started_at and finished_at
        else ended - started
    )
    outcome = ContainerOutcome(
        container_id=container_id,
        exit_code=state.get("ExitCode"),
        duration_secs=duration,
        reason=_reason(state, timed_out, spec, options),
        oom_killed=bool(state.get("OOMKilled")),
        timed_out=timed_out,
        logs=logs,
        logs_dropped_bytes=dropped,
        started_at=started_at,
        finished_at=finished_at,
    )
    log.info(
        "job %d: container %s: %s (%.1f s, %d bytes of output kept, %d dropped)",
        spec.job_id, container_id[:12], outcome.reason, duration, len(logs), dropped,
    )
    return outcome


def _feed(stream: Iterable[bytes], tail: LogTail) -> None:
    for chunk in stream:
        tail.feed(chunk)


async def _wait_until_exit(engine: DockerEngine, container_id: str, limit_secs: float) -> None:
    # The caller's cancel scope is the real deadline; docker-py's own timeout
    # (a little longer) only makes sure an abandoned thread ends.
    budget = limit_secs + engine.call_timeout
    wait = partial(engine.client.api.wait, container_id, timeout=budget)
    await retrying(
        lambda: engine.call(wait, timeout=budget, long=True),
        what=f"waiting for container {container_id[:12]}",
    )


async def _poll_until_exit(engine: DockerEngine, container_id: str, interval: float) -> None:
    inspect = engine.client.api.inspect_container
    while True:
        attrs = await retrying(
            lambda: engine.call(inspect, container_id),
            what=f"polling container {container_id[:12]}",
        )
        if attrs["State"].get("Status") in ("exited", "dead"):
            return
        await trio.sleep(interval)


def _reason(
    state: Mapping[str, Any], timed_out: bool, spec: ContainerSpec, options: ContainerOptions
) -> str:
    code = state.get("ExitCode")
    if timed_out:
        how = (
            f"killed after the {options.stop_grace_secs:g} s grace"
            if code == 137
            else f"stopped by SIGTERM, exit code {code}"
        )
        return f"timed out after {options.timeout_secs:g} s; {how}"
    if state.get("OOMKilled"):
        return f"out of memory (limit {spec.memory_bytes >> 20} MiB); exit code {code}"
    if state.get("Error"):
        return f"failed: {state['Error']}"
    return f"exited with code {code}"


def _timestamp(value: str | None) -> datetime | None:
    """Docker's RFC 3339 times carry nanoseconds; Python parses up to micro."""
    if not value or value.startswith("0001-"):
        return None
    main, dot, rest = value.rstrip("Z").partition(".")
    fraction = rest[:6] if dot else ""
    return datetime.fromisoformat(f"{main}{'.' + fraction if fraction else ''}+00:00")

