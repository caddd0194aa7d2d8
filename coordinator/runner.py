"""The runner child: ready jobs -> one supervised agent container per key.

It owns the containers nursery. Whenever the job book or the registry says
something changed (a new job, a container ended, a method appeared), and at
least once a second for retry times and leases, it starts a container for
every key that has a ready job, a known agent method and a free slot (at most
`docker.max_concurrent` in all, one per key). Each container's task, with a
key, first waits for the chain's answer to the job's claim (the settler's):
a claim lost never starts a container. Then it prepares the image (pull/load,
digest check), runs the container to its end and settles the session's jobs
by the outcome.

`drain` (the runner's graceful stop, within its spec's shutdown budget:
first SIGINT/SIGTERM) stops new starts and waits for running containers; when
the budget is over the nursery is cancelled, every container is stopped and
removed, and its jobs go back to pending with no attempt spent.
After `exit_now` is set (a second signal) the containers are killed instead
of stopped with `docker.stop_grace_secs`.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.agent_secrets import AgentSecrets, Scope
from coordinator.backoff import Backoff
from coordinator.config import Settings
from coordinator.docker import (
    ContainerSlots,
    ContainerSpec,
    DockerError,
    DockerUnavailable,
    ImageError,
    PullProgress,
)
from coordinator.docker.runtime import ContainerRuntime, DockerRuntime
from coordinator.domain import AgentKey, AgentMethod, Job, Session
from coordinator.errors import describe
from coordinator.jobs import JobBook
from coordinator.logs import escape, session_fingerprint
from coordinator.registry import Registry
from coordinator.rpc.agent_sockets import AgentSockets
from coordinator.settlement import CLAIM_TIMEOUT_SECS, Claim, Settler

log = logging.getLogger("coordinator.runner")

HOUSEKEEPING_SECS = 1.0
OUTPUT_LINES = 20  # of an agent's output tail, logged when its container fails
WAITING_UNKNOWN_METHOD = "unknown agent method"
WAITING_TEE = "the method requires TEE; this coordinator is not in TEE mode"


@dataclass
class RunningContainer:
    """What the status view shows of one running agent container."""

    session: Session
    trigger: Job
    method: AgentMethod
    started_at: float  # trio clock
    timeout_secs: float
    tee: bool
    pull: PullProgress | None = None


RuntimeFactory = Callable[[trio.Event], Awaitable[ContainerRuntime]]
"""Connects to the container runtime; given the runner's `exit_now`."""


class Runner:
    def __init__(
        self,
        settings: Settings,
        book: JobBook,
        registry: Registry,
        instance_id: str,
        connect: RuntimeFactory | None = None,
        sockets: AgentSockets | None = None,
        settler: Settler | None = None,
        secrets: AgentSecrets | None = None,
    ) -> None:
        self.settings = settings
        self.secrets = secrets  # the containers' SECRET_* (None: none)
        self.settler = settler  # None: no key, jobs run unclaimed
        self.book = book
        self.registry = registry
        self.instance_id = instance_id
        self.draining = trio.Event()  # set by `drain`: no new containers
        self.slots = ContainerSlots(settings.docker.max_concurrent)
        # Set by the root on a second signal: containers are killed on the way out.
        self.exit_now = trio.Event()
        self._connect = connect or functools.partial(
            DockerRuntime.connect, settings.docker, instance_id=instance_id,
            coordinator_id=book.address or "", chain=settings.sui.chain,
            coordinator_url=settings.agent_coordinator_url,
        )
        # Each container's own socket directory (the rpc child serves them).
        self.sockets = sockets or AgentSockets.from_settings(
            settings.rpc, settings.host_agent_socket_dir, settings.docker.container_socket_path)
        self.running: dict[str, RunningContainer] = {}
        self.waiting: dict[AgentKey, str] = {}  # keys with ready jobs that cannot start, why
        self._told_unknown: set[AgentKey] = set()  # keys logged as waiting for their method
        self.docker_state = ("not used (observe only)" if settings.settle.observe_only
                             else "connecting")
        # After the engine failed a start: no new starts before this (trio clock).
        self.docker_retry_at = 0.0
        self._docker_backoff = Backoff(initial=1.0, maximum=30.0)
        self.idle = trio.Event()  # set while no container runs (the drain waits on it)
        self.idle.set()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Up once the engine answered and orphans of an earlier run are gone."""
        runtime = await self._connect(self.exit_now)
        try:
            self.docker_state = "connected"
            reaped = await runtime.reap_orphans()
            if reaped:
                # The job book already failed their jobs ("coordinator restarted").
                log.info("%d container(s) of an earlier run removed", reaped)
            task_status.started()
            async with trio.open_nursery() as containers:
                await self._schedule(runtime, containers)
            # Drained: nothing more to run in this process; the root stops us.
            await trio.sleep_forever()
        finally:
            with trio.CancelScope(shield=True):
                await runtime.aclose()

    async def _schedule(self, runtime: ContainerRuntime, containers: trio.Nursery) -> None:
        while not self.draining.is_set():
            self.book.expire_leases()
            await self.book.commit()
            self.book.forget_finished()
            if trio.current_time() >= self.docker_retry_at:
                await self._start_ready(runtime, containers)
            with trio.move_on_after(self._next_wake()):
                async with trio.open_nursery() as wake:
                    for event in (self.book.changed, self.registry.changed, self.draining):
                        wake.start_soon(_set_then_cancel, event, wake.cancel_scope)
        if self.running:
            log.info("draining: waiting for %d running container(s)", len(self.running))

    def _next_wake(self) -> float:
        retry_at = self.book.next_retry_at()
        if retry_at is None:
            return HOUSEKEEPING_SECS
        return max(0.0, min(HOUSEKEEPING_SECS, retry_at - time.time()))

    async def _start_ready(self, runtime: ContainerRuntime, containers: trio.Nursery) -> None:
        self.waiting = {}
        if self.book.store.full_since is not None:
            return  # no new work on a full disk: its start could not be recorded
        for key in self.book.ready_keys():
            if self.slots.in_use >= self.slots.max_concurrent:
                return
            if self.slots.busy(key) or any(r.session.key == key for r in self.running.values()):
                continue
            # An empty method name resolves to the agent's default method.
            method = await self.registry.resolve(key)
            if method is None:
                self.waiting[key] = WAITING_UNKNOWN_METHOD
                self._tell_unknown(key)
                continue
            self._told_unknown.discard(key)
            if method.requires_tee and not self.settings.docker.use_tee:
                self.waiting[key] = WAITING_TEE
                continue
            opened = self.book.open_session(key)
            if opened is None:
                continue
            session, trigger = opened
            claim = None if self.settler is None else self.settler.expect_claim(trigger.ref)
            await self.book.commit()
            self.running[session.session_id] = RunningContainer(
                session, trigger, method, trio.current_time(),
                self.settings.docker.container_timeout_secs, self.settings.docker.use_tee,
            )
            self.idle = trio.Event()
            containers.start_soon(self._supervise, runtime, session, trigger, method, claim)

    async def _claimed(self, session: Session, trigger: Job, claim: Claim) -> bool:
        """Whether the chain gave us the trigger job; if not, the session ends
        with no container and the job leaves the book (or goes back, on a timeout)."""
        won = await claim.answer()
        if won:
            return True
        if won is False:
            self.book.lose_claim(trigger.ref)
            self.book.close_session(session.session_id, None)
        else:
            assert self.settler is not None
            self.settler.forget_claim(trigger.ref)
            self.book.abandon_session(
                session.session_id, f"claim not answered within {CLAIM_TIMEOUT_SECS:g} s")
        with trio.CancelScope(shield=True):
            await self.book.commit()
        self._finished(session)
        return False

    def _tell_unknown(self, key: AgentKey) -> None:
        """Say once per key, until its method is found, which jobs wait for it and
        what would help (on a first start the stream never shows old methods)."""
        if key in self._told_unknown:
            return
        self._told_unknown.add(key)
        oldest, more = self.book.next_pending(key), self.book.pending_count(key) - 1
        log.warning("job %s%s of %s waits: %s; %s", oldest.ref if oldest else "?",
                    f" and {more} more" if more > 0 else "", key, WAITING_UNKNOWN_METHOD,
                    self.registry.unknown_hint())

    async def _secrets_of(self, job: Job) -> dict[str, str]:
        """The SECRET_* of `job`'s container, upstream's scope fallback."""
        if self.secrets is None:
            return {}
        return await self.secrets.for_container(
            Scope.of_job(job.developer, job.agent, job.app, job.app_instance))

    async def _supervise(
        self, runtime: ContainerRuntime, session: Session, trigger: Job, method: AgentMethod,
        claim: Claim | None = None,
    ) -> None:
        spec = ContainerSpec(
            job_id=trigger.job_id, session_id=session.session_id,
            session_private_key=session.private_key,
            developer=trigger.developer, agent=trigger.agent,
            agent_method=trigger.agent_method, app_instance=trigger.app_instance,
            job_data=trigger.data, image=method.docker_image,
            memory_gb=method.min_memory_gb, cpu_cores=method.min_cpu_cores,
        )
        entry = self.running[session.session_id]

        def progress(pull: PullProgress) -> None:
            entry.pull = pull

        failure: str | None
        exit_code: int | None = None
        duration = 0.0
        try:
            if claim is not None and not await self._claimed(session, trigger, claim):
                return
            async with (self.slots.hold(session.key),
                        self.sockets.session(session.session_id) as socket_dir):
                spec = replace(spec, socket_dir=socket_dir,
                               secrets=await self._secrets_of(trigger))
                outcome = await runtime.run(spec, method.docker_sha256, progress)
            failure = None if outcome.succeeded else outcome.reason
            exit_code, duration = outcome.exit_code, outcome.duration_secs
            self._docker_backoff.reset()
            self.docker_state = "connected"
            log.info("container for %s (job %s) ended: %s", session.key, trigger.ref,
                     outcome.reason)
            _log_output(outcome.logs, outcome.logs_dropped_bytes,
                        logging.DEBUG if failure is None else logging.WARNING)
        except ImageError as exc:
            failure = f"image {method.docker_image}: {exc}"
        except DockerUnavailable as exc:
            # Not the job's fault: back to pending, no attempt spent; the
            # runner waits before starting anything again.
            delay = self._docker_backoff.next_delay()
            self.docker_state = f"unavailable ({exc}); retrying in {delay:.0f} s"
            self.docker_retry_at = trio.current_time() + delay
            log.warning("docker: %s; job %s goes back to pending", self.docker_state, trigger.ref)
            self.book.abandon_session(session.session_id, "docker unavailable")
            with trio.CancelScope(shield=True):
                await self.book.commit()
            self._finished(session)
            return
        except DockerError as exc:
            failure = f"docker: {exc}"
        except OSError as exc:  # the session's socket directory could not be made
            failure = f"agent socket: {describe(exc)}"
        except BaseException:
            # Shutdown: the container was stopped and removed on the way out;
            # its jobs were not at fault, so they wait for the next run.
            if self.settler is not None:
                self.settler.forget_claim(trigger.ref)
            self.book.abandon_session(session.session_id, "coordinator shutting down")
            with trio.CancelScope(shield=True):
                await self.book.commit()
                self._finished(session)
            raise
        self.book.close_session(
            session.session_id, failure, exit_code=exit_code, duration_secs=duration
        )
        with trio.CancelScope(shield=True):
            await self.book.commit()
        self._finished(session)

    async def drain(self) -> None:
        """No new containers; return once the running ones have ended."""
        self.draining.set()
        while self.running:
            await self.idle.wait()

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        """The runner's part of the status: the engine, running containers,
        keys that wait and why, and whether it is draining."""
        message.draining = self.draining.is_set()
        message.docker_state = self.docker_state
        for running in self.running.values():
            key = running.session.key
            message.running.append(pb.RunningContainer(
                job_id=running.trigger.job_id, developer=key.developer, agent=key.agent,
                # A fingerprint, never the id: the id is the container's credential.
                session_fingerprint=session_fingerprint(running.session.session_id),
                agent_method=key.agent_method, image=running.method.docker_image,
                elapsed_secs=now - running.started_at, timeout_secs=running.timeout_secs,
                memory_gb=running.method.min_memory_gb,
                cpu_cores=running.method.min_cpu_cores, tee=running.tee,
                pull_bytes_done=running.pull.bytes_done if running.pull else 0,
                pull_bytes_total=running.pull.bytes_total if running.pull else 0,
            ))
        for key, reason in self.waiting.items():
            message.waiting.append(pb.WaitingKey(
                developer=key.developer, agent=key.agent, agent_method=key.agent_method,
                reason=reason, pending=self.book.pending_count(key),
                hint=self.registry.unknown_hint() if reason == WAITING_UNKNOWN_METHOD else "",
            ))

    def _finished(self, session: Session) -> None:
        self.running.pop(session.session_id, None)
        if not self.running:
            self.idle.set()


def _log_output(output: bytes, dropped: int, level: int) -> None:
    """The tail of an agent's output: the operator's first clue when it failed."""
    if not log.isEnabledFor(level):
        return
    lines = output.decode("utf-8", "replace").splitlines()[-OUTPUT_LINES:]
    printable = [escape(line) for line in lines]
    note = f" ({dropped} earlier bytes dropped)" if dropped else ""
    # One record: the text formats indent each line under the header.
    log.log(level, "agent output, last %d lines%s:\n%s", len(printable), note,
            "\n".join(printable))


async def _set_then_cancel(event: trio.Event, scope: trio.CancelScope) -> None:
    await event.wait()
    scope.cancel()
