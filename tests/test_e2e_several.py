"""Several coordinators on one package (issue 12, "Sui as the distributed
engine"): two daemon processes, each with its own key, state dir and socket,
against one simulator, the real demo agent in real containers. The chain
arbitrates the claims; when one daemon is SIGKILLed holding jobs, the
survivor's reconciliation fails them on chain (the stale limit) and runs them.

What is checked is what the chain and the Docker engine recorded: the jobs'
events (who started, failed, completed each), the containers' labels and times.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
import pytest
import trio

from coordinator.docker import LABEL_COORDINATOR, LABEL_JOB
from coordinator.events.models_2025_11 import (
    JobCompletedEvent,
    JobFailedEvent,
    JobStartedEvent,
)
from coordinator.simnet import Simnet, serve
from coordinator.sui.keys import SuiKey
from tests.e2e_support import Daemon, DaemonProcess, instance_id_of, status_when, write_config
from tests.support import AGENT, DEV, METHOD, SUI, containers_of, register_app

pytestmark = pytest.mark.docker

FAST, SLOW = METHOD, "slow"
APP = "several-demo"
JOBS = 100
SLOW_JOBS = 4
SLOW_WORK_SECS = 5  # an orphaned container (its daemon killed) ends by itself in this
TIMEOUT_SECS = 45  # container timeout = stale limit: a container serves many jobs (GetJob)
Event = JobStartedEvent | JobFailedEvent | JobCompletedEvent
EVENTS: dict[str, type[Event]] = {"JobStartedEvent": JobStartedEvent,
                                  "JobFailedEvent": JobFailedEvent,
                                  "JobCompletedEvent": JobCompletedEvent}


class ContainerEvents:
    """The agent containers' start and die events, recorded as they happen: the
    engine keeps only its latest 256 events, which this test's containers (and
    any other work on the engine) outrun, so reading them afterwards loses some."""

    def __init__(self, client: docker.DockerClient, since: int) -> None:
        self._stream = client.events(since=since, decode=True, filters={
            "type": "container", "event": ["start", "die"], "label": LABEL_JOB})
        self._events: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with contextlib.suppress(Exception):  # the stream closed by `stop`
            for event in self._stream:
                self._events.append(event)

    def stop(self, within: float = 20.0) -> list[dict[str, Any]]:
        """Every event so far, once each container that started has died (or
        `within` s passed): a die event can trail the status by a moment."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            seen = Counter(event["id"] for event in list(self._events))
            if all(count >= 2 for count in seen.values()):
                break
            time.sleep(0.2)
        self._stream.close()
        self._reader.join(5)
        return list(self._events)


def job_events(sim: Simnet) -> dict[int, list[Event]]:
    """Per job, its start/fail/complete events in chain order."""
    found: dict[int, list[Event]] = {}
    for checkpoint in sim.chain.checkpoints:
        for _, _, record in checkpoint.events():
            name = record.event_type.rsplit("::", 1)[-1]
            if name in EVENTS:
                event = EVENTS[name].from_bcs(record.contents)
                found.setdefault(event.job_sequence, []).append(event)
    return found


def finished_at(container: Any) -> float:
    """A container's exit time (wall clock), from Docker's nanosecond timestamp."""
    stamp = re.sub(r"(\.\d{6})\d*", r"\1", container.attrs["State"]["FinishedAt"])
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def start_daemon(tmp_path: Path, sock_dir: Path, name: str, rpc_url: str,
                 key: SuiKey) -> tuple[Daemon, DaemonProcess]:
    (tmp_path / name).mkdir()
    (sock_dir / name).mkdir()
    daemon = write_config(
        tmp_path / name, sock_dir / name, rpc_url, key=key, max_concurrent=3,
        container_timeout_secs=TIMEOUT_SECS,
        extra=f"[reconcile]\ninterval_secs = 2\nstale_running_secs = {TIMEOUT_SECS}\n",
    )
    return daemon, DaemonProcess(daemon, tmp_path / f"{name}.log")


async def test_two_daemons_share_the_jobs_and_the_survivor_takes_over_a_killed_ones(
    agent_variant: Any, docker_client: docker.DockerClient, tmp_path: Path, sock_dir: Path,
    daemons: list[Daemon],
) -> None:
    sim = register_app(Simnet(checkpoint_interval_secs=0.2, layout="2025-11"), {
        FAST: agent_variant("work:0.1"), SLOW: agent_variant(f"work:{SLOW_WORK_SECS}"),
    }, APP)
    keys = {"a": SuiKey.generate(), "b": SuiKey.generate()}
    for key in keys.values():
        sim.fund(key.address, 100 * SUI)
    processes: list[DaemonProcess] = []
    recorder: ContainerEvents | None = None
    try:
        async with trio.open_nursery() as nursery:
            target = await nursery.start(serve, sim, "127.0.0.1", 0)
            recorder = ContainerEvents(docker_client, since=int(time.time()) - 1)
            started = {}
            for name, key in keys.items():
                daemon, process = start_daemon(tmp_path, sock_dir, name, f"http://{target}", key)
                daemons.append(daemon)
                processes.append(process)
                started[name] = daemon
            for daemon in started.values():
                await status_when(daemon.socket, lambda s: s.settlement.enabled, within=60,
                                  what="the daemon up, settling on chain")

            # 1. A burst both see: each job is claimed by one of them, run, completed.
            fast = [sim.create_job(APP, developer=DEV, agent=AGENT, method=FAST,
                                   data=bytes([n % 256, 7])).job_id for n in range(JOBS)]
            with trio.fail_after(120):
                while any(job_id in sim.app_instance(APP).jobs  # noqa: ASYNC110
                          for job_id in fast):
                    await trio.sleep(0.5)

            # 2. Slow jobs; daemon a is killed while it runs some it claimed.
            slow = [sim.create_job(APP, developer=DEV, agent=AGENT, method=SLOW,
                                   data=bytes([n, 9])).job_id for n in range(SLOW_JOBS)]
            a_address = keys["a"].address

            def held_by_a() -> list[int]:
                jobs = sim.app_instance(APP).jobs
                events = job_events(sim)
                return [job_id for job_id in slow if job_id in jobs
                        and jobs[job_id].status.kind == "running"
                        and events.get(job_id)
                        and isinstance(events[job_id][-1], JobStartedEvent)
                        and events[job_id][-1].coordinator == a_address]

            await status_when(started["a"].socket,
                              lambda s: len(s.running) >= 1 and len(held_by_a()) >= 1,
                              within=60, what="daemon a runs a slow job it claimed")
            processes[0].kill()
            killed_at = trio.current_time()
            held = held_by_a()
            a_instance = instance_id_of(started["a"])
            assert a_instance is not None and held

            # Its containers live on (no daemon to stop them) until the agent gives up.
            def a_containers() -> list[Any]:
                return containers_of(docker_client, a_instance)

            with trio.fail_after(SLOW_WORK_SECS + 30):
                while any(c.status == "running"  # noqa: ASYNC110
                          for c in await trio.to_thread.run_sync(a_containers)):
                    await trio.sleep(0.5)
            orphans_done = max(finished_at(c) for c in await trio.to_thread.run_sync(a_containers))

            # The survivor fails them (stale limit) and, after the chain's retry
            # interval, runs them: every job ends completed.
            with trio.fail_after(170):
                while any(job_id in sim.app_instance(APP).jobs  # noqa: ASYNC110
                          for job_id in slow):
                    await trio.sleep(0.5)
            took_over_in = trio.current_time() - killed_at
            b_status = await status_when(started["b"].socket, lambda s: not s.running,
                                         within=30, what="daemon b idle")
            nursery.cancel_scope.cancel()
    finally:
        for process in processes:
            process.kill()
    assert recorder is not None

    # The loops above watch the AppInstance, which changes when a transaction
    # executes; its events come with the next checkpoint: seal what is queued.
    sim.seal()
    events = job_events(sim)
    a, b = keys["a"].address, keys["b"].address
    # Every job: completed on chain exactly once, its object gone.
    for job_id in fast + slow:
        kinds = [type(event).__name__ for event in events[job_id]]
        assert kinds.count("JobCompletedEvent") == 1, (job_id, kinds)
        assert job_id not in sim.app_instance(APP).jobs
    # The burst: each job started once (one claim, one run), both daemons did a share.
    starters = Counter()
    for job_id in fast:
        starts = [e for e in events[job_id] if isinstance(e, JobStartedEvent)]
        assert len(starts) == 1, (job_id, events[job_id])
        starters[starts[0].coordinator] += 1
    assert set(starters) == {a, b} and min(starters.values()) >= 5, starters
    # A job never started while another start of it was open (chain order).
    for job_id in fast + slow:
        open_start = False
        for event in events[job_id]:
            if isinstance(event, JobStartedEvent):
                assert not open_start, (job_id, events[job_id])
                open_start = True
            else:
                open_start = False
    # The jobs a held when killed: failed on chain by b, then started and
    # completed by b, after a's orphaned containers had ended.
    for job_id in held:
        history = [(type(e).__name__, e.coordinator) for e in events[job_id]]
        assert history == [("JobStartedEvent", a), ("JobFailedEvent", b),
                           ("JobStartedEvent", b), ("JobCompletedEvent", b)], (job_id, history)
        restart = [e for e in events[job_id] if isinstance(e, JobStartedEvent)][-1]
        assert restart.started_at / 1000 > orphans_done, job_id
    # Containers, as the engine recorded them (start and die, by label): each
    # job it was started for ran in one container, but for the taken-over ones,
    # and never in two at the same time.
    instances = {instance_id_of(daemon) for daemon in started.values()}
    runs: dict[str, list[float]] = {}
    jobs_of: dict[str, int] = {}
    for event in await trio.to_thread.run_sync(recorder.stop):
        attributes = event["Actor"]["Attributes"]
        if attributes.get(LABEL_COORDINATOR) not in instances:
            continue
        jobs_of[event["id"]] = int(attributes[LABEL_JOB])
        runs.setdefault(event["id"], []).append(event["timeNano"] / 1e9)
    intervals: dict[int, list[tuple[float, float]]] = {}
    for container, times in runs.items():
        assert len(times) == 2, (container, times)  # started and died
        intervals.setdefault(jobs_of[container], []).append((min(times), max(times)))
    assert set(fast) <= set(intervals) | {job for job in fast if len(events[job]) == 2}
    for job_id, spans in intervals.items():
        assert len(spans) == 1 or (job_id in held and len(spans) == 2), (job_id, spans)
        spans.sort()
        assert all(first[1] <= second[0] for first, second in itertools.pairwise(spans)), spans
    assert b_status.settlement.outbox_operations == 0
    assert took_over_in < 170
