"""Claim and settle on chain, end to end (issue 12): the daemon with a Sui key on
the simulator, the real demo agent in real containers. What is checked is what
an operator (and the chain) sees: the simulator's jobs, GetStatus from the host
with grpcio, the daemon's log, the outbox in its sqlite file."""

from __future__ import annotations

import functools
import logging
import sqlite3
from pathlib import Path
from typing import Any

import docker
import pytest
import trio

from coordinator import app
from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import load_settings
from coordinator.domain import ChainOperation, OperationKind
from coordinator.events.models_2025_11 import JobCompletedEvent, JobStartedEvent
from coordinator.simnet import Simnet, serve
from coordinator.status_text import NOT_ON_CHAIN, summary_line
from coordinator.store import Ledger
from coordinator.sui.client import connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.executor import Executor
from coordinator.sui.keys import SuiKey
from coordinator.sui.transactions import SharedObject, StartJob
from tests.e2e_support import Daemon, status_when, write_config
from tests.support import AGENT, DEV, METHOD, SUI, containers_of, eventually, register_app

pytestmark = pytest.mark.docker

APP = "settle-demo"


def chain(agent_image: str) -> Simnet:
    return register_app(Simnet(checkpoint_interval_secs=0.2, layout="2025-11"), agent_image, APP)


async def start(
    nursery: trio.Nursery, sim: Simnet, tmp_path: Path, sock_dir: Path, **config: Any
) -> Daemon:
    target = await nursery.start(serve, sim, "127.0.0.1", 0)
    daemon = write_config(tmp_path, sock_dir, f"http://{target}", **config)
    nursery.start_soon(app.run, load_settings(daemon.config, env={}))
    return daemon


def create_jobs(sim: Simnet, count: int) -> list[int]:
    return [sim.create_job(APP, developer=DEV, agent=AGENT, method=METHOD,
                           data=bytes([n, 7])).job_id for n in range(count)]


def outbox_rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


def coordinators_of(
    sim: Simnet, job_id: int, model: type[JobStartedEvent] | type[JobCompletedEvent]
) -> list[str]:
    """The coordinators named by the chain's `model` events (started, completed) of `job_id`."""
    suffix = f"::jobs::{model.__name__}"
    events = [model.from_bcs(record.contents)
              for checkpoint in sim.chain.checkpoints for _, _, record in checkpoint.events()
              if record.event_type.endswith(suffix)]
    return [event.coordinator for event in events if event.job_sequence == job_id]


def started_by(sim: Simnet, job_id: int) -> list[str]:
    return coordinators_of(sim, job_id, JobStartedEvent)


async def test_jobs_are_claimed_run_and_completed_on_chain(
    agent_image: str, docker_client: docker.DockerClient, tmp_path: Path, sock_dir: Path,
    daemons: list[Daemon], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="coordinator")
    sim, key = chain(agent_image), SuiKey.generate()
    sim.fund(key.address, 10 * SUI)
    async with trio.open_nursery() as nursery:
        daemon = await start(nursery, sim, tmp_path, sock_dir, key=key)
        daemons.append(daemon)
        ids = create_jobs(sim, 6)
        status = await status_when(
            daemon.socket,
            lambda s: s.jobs_by_state["completed"] == 6 and not s.running
            and s.settlement.outbox_operations == 0 and s.settlement.jobs_settled == 6,
            within=90, what="6 jobs completed and settled on chain",
        )
        nursery.cancel_scope.cancel()

    # The chain agrees: every job was started by our address, and is gone (completed).
    app_instance = sim.app_instance(APP)
    assert [job_id for job_id in ids if job_id in app_instance.jobs] == []
    for job_id in ids:
        assert started_by(sim, job_id) == [key.address], job_id
    settle = status.settlement
    assert settle.enabled and settle.address == key.address
    assert (settle.claims_won, settle.claims_lost) == (6, 0)
    # Read again after the transactions: gas paid, and the storage rebates of the
    # deleted (completed) jobs, which go to the sender.
    assert settle.has_balance and settle.balance_mist not in (0, 10 * SUI)
    assert settle.gas_spent_mist > 0 and settle.transactions_ok >= 1
    # Never the key, anywhere the operator looks.
    assert key.export() not in str(status) and key.export() not in caplog.text
    assert outbox_rows(daemon.db) == 0
    assert containers_of(docker_client, status.instance_id) == []
    assert "NEITHER CLAIMED NOR SETTLED" not in caplog.text


async def test_a_claim_lost_to_another_coordinator_never_starts_a_container(
    agent_image: str, docker_client: docker.DockerClient, tmp_path: Path, sock_dir: Path,
    daemons: list[Daemon], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="coordinator")
    sim, key = chain(agent_image), SuiKey.generate()
    sim.fund(key.address, 10 * SUI)
    async with trio.open_nursery() as nursery:
        daemon = await start(nursery, sim, tmp_path, sock_dir, key=key)
        daemons.append(daemon)
        await status_when(daemon.socket, lambda s: s.connection.state == "connected",
                          within=30, what="connected")
        # The node refuses calls (the open event stream goes on): our claim
        # waits, retried, while another coordinator (the simulator's admin)
        # takes the job first; then the node answers again.
        sim.gate.unavailable_for(3600)
        [job_id] = create_jobs(sim, 1)
        await status_when(daemon.socket, lambda s: len(s.running) == 1, within=30,
                          what="a container slot opened for the job (claim under way)")
        sim.start_job(APP, job_id)
        sim.gate.unavailable_for(0)
        status = await status_when(
            daemon.socket, lambda s: s.settlement.claims_lost == 1 and not s.running,
            within=30, what="the claim lost",
        )
        nursery.cancel_scope.cancel()

    assert dict(status.jobs_by_state) == {"dropped": 1}
    assert any("claim lost on chain" in o.reason for o in status.recent_outcomes)
    assert status.settlement.claims_won == 0
    assert started_by(sim, job_id) == [sim.sender]
    assert sim.app_instance(APP).jobs[job_id].status.kind == "running"
    # No container was ever made for it.
    assert not [r for r in caplog.records if r.name == "coordinator.docker.container"
                and "created from" in r.msg]
    assert containers_of(docker_client, status.instance_id) == []


async def test_without_a_key_jobs_run_but_the_daemon_says_they_are_not_on_chain(
    agent_image: str, docker_client: docker.DockerClient, tmp_path: Path, sock_dir: Path,
    daemons: list[Daemon], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="coordinator")
    sim = chain(agent_image)
    async with trio.open_nursery() as nursery:
        daemon = await start(nursery, sim, tmp_path, sock_dir)
        daemons.append(daemon)
        ids = create_jobs(sim, 2)
        status = await status_when(
            daemon.socket, lambda s: s.jobs_by_state["completed"] == 2 and not s.running,
            within=60, what="2 jobs completed locally",
        )
        nursery.cancel_scope.cancel()

    assert not status.settlement.enabled and not status.settlement.address
    assert NOT_ON_CHAIN in summary_line(status, 0.0)
    assert "jobs are NEITHER CLAIMED NOR SETTLED ON CHAIN" in caplog.text
    # The chain never heard: both jobs still pending there.
    jobs = sim.app_instance(APP).jobs
    assert [jobs[job_id].status.kind for job_id in ids] == ["pending", "pending"]
    assert isinstance(status, pb.GetStatusResponse)


def completions(sim: Simnet, job_id: int) -> list[str]:
    return coordinators_of(sim, job_id, JobCompletedEvent)


async def test_after_a_crash_the_outbox_sends_only_what_the_chain_still_needs(
    agent_image: str, docker_client: docker.DockerClient, tmp_path: Path, sock_dir: Path,
    daemons: list[Daemon], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="coordinator")
    sim, key = chain(agent_image), SuiKey.generate()
    sim.fund(key.address, 10 * SUI)
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        daemon = write_config(tmp_path, sock_dir, f"http://{target}", key=key)
        daemons.append(daemon)
        settings = load_settings(daemon.config, env={})
        async with trio.open_nursery() as first_life:
            first_life.start_soon(app.run, settings)
            [done] = create_jobs(sim, 1)
            await status_when(daemon.socket, lambda s: s.settlement.jobs_settled == 1
                              and not s.running, within=60, what="job 1 completed on chain")
            first_life.cancel_scope.cancel()
        # While it was down: its claim of a new job had landed, and the agent's
        # completion of it (and a completion of job 1, already on chain) were
        # in the outbox, unsent, when it died.
        [claimed] = create_jobs(sim, 1)
        instance = sim.app_instance(APP)
        executor = Executor(key, functools.partial(connect, Endpoint.parse(f"http://{target}"),
                                                   timeout=5), sim.package_id)
        shared = SharedObject(instance.id, instance.initial_shared_version, True)
        outcome = await executor.execute(shared, [StartJob(claimed)])
        assert outcome.results[0].applied
        db = sqlite3.connect(daemon.db, isolation_level=None)
        with db:
            Ledger(db).add_operations([
                ChainOperation(OperationKind.COMPLETE, instance.id[2:], done, created_at=1.0),
                ChainOperation(OperationKind.COMPLETE, instance.id[2:], claimed, created_at=1.0),
            ])
        db.close()

        nursery.start_soon(app.run, settings)
        # Its events are in the next checkpoint (sealed every 0.2 s).
        await eventually(lambda: completions(sim, claimed) != [], 60, "job 2 completed on chain")
        status = await status_when(daemon.socket, lambda s: s.settlement.outbox_operations == 0,
                                   within=30, what="the outbox empty")
        nursery.cancel_scope.cancel()

    # Each job completed on chain once, by us: nothing twice, nothing lost.
    assert completions(sim, done) == [key.address]
    assert completions(sim, claimed) == [key.address]
    assert f"complete of job {done}@" in caplog.text
    assert "not sent again: the job is gone on chain" in caplog.text
    assert status.settlement.jobs_settled == 1
