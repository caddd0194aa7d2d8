"""The job flow end to end, with nothing faked but the chain (issue 5, "Done when").

The daemon runs in-process (`app.run(settings)`, settings from a TOML file as
an operator writes it); the simulator runs next to it on 127.0.0.1 and the
test acts on chain through it (register an agent method, create jobs). Docker,
the demo agent image (scripts/build-agent-image: Debian's python3-grpcio
calling GetJob/CompleteJob/FailJob with its SESSION_ID over the bind-mounted
socket) and the Unix socket are real. What is checked is what an operator
sees: GetStatus from the host with grpcio, the daemon's log lines, and the
jobs table of its sqlite file.
"""

from __future__ import annotations

import functools
import logging
import re
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import pytest
import trio

from coordinator import app
from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import load_settings
from coordinator.domain import JobRef
from coordinator.errors import SetupError
from coordinator.events.layouts import DEFAULT_LAYOUT, Layout
from coordinator.simnet import Faults, Simnet, serve
from coordinator.sui.keys import SuiKey
from tests.e2e_support import (
    Daemon,
    status_command,
    status_when,
    stored_jobs,
    write_config,
)
from tests.support import AGENT, DEMO_APP, DEV, METHOD, SUI, containers_of, register_app

pytestmark = pytest.mark.docker

APP = DEMO_APP


def job_events(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    """Every change of a job's state the daemon logged: (job id, reason), in order."""
    return [
        (record.args[0].job_id, str(record.args[2]))
        for record in caplog.records
        if record.name == "coordinator.jobs" and record.msg == "job %s (%s): %s"
        and isinstance(record.args, tuple) and isinstance(record.args[0], JobRef)
    ]


def handed_out(caplog: pytest.LogCaptureFixture) -> Counter[int]:
    """How often each job went to an agent: by env to a new container (its
    trigger job), or in a GetJob answer."""
    counts: Counter[int] = Counter()
    for record in caplog.records:
        if not isinstance(record.args, tuple) or not record.args:
            continue
        first = record.args[0]
        if record.name == "coordinator.docker.container" and "created from" in record.msg:
            assert isinstance(first, int)
            counts[first] += 1
        elif record.name == "coordinator.rpc" and record.msg.startswith("GetJob: job %s"):
            assert isinstance(first, JobRef)
            counts[first.job_id] += 1
    return counts


def chain(agent_image: str | None, layout: Layout = DEFAULT_LAYOUT) -> Simnet:
    """A simulator (of the package `layout`) with our developer, agent and app
    instance; with the method `prove` running `agent_image` unless None."""
    return register_app(Simnet(checkpoint_interval_secs=0.2, layout=layout), agent_image)


async def start(
    nursery: trio.Nursery, sim: Simnet, tmp_path: Path, sock_dir: Path, *, key: bool = True,
    **config: Any,
) -> Daemon:
    """Serve `sim`, then run the daemon on it in `nursery`; its files. By default
    the daemon has a Sui key, funded on `sim`, and claims and settles on chain;
    `key=False`: the seed's local settlement."""
    target = await nursery.start(serve, sim, "127.0.0.1", 0)
    if key:
        sui_key = SuiKey.generate()
        sim.fund(sui_key.address, 10 * SUI)
        config["key"] = sui_key
    daemon = write_config(tmp_path, sock_dir, f"http://{target}", **config)
    settings = load_settings(daemon.config, env={})
    nursery.start_soon(app.run, settings)
    return daemon


def create_jobs(sim: Simnet, count: int) -> list[int]:
    return [
        sim.create_job(APP, developer=DEV, agent=AGENT, method=METHOD,
                       data=bytes([n % 256, 7]), description=f"job {n}").job_id
        for n in range(count)
    ]


def outcome_reasons(status: pb.GetStatusResponse) -> dict[int, list[str]]:
    reasons: dict[int, list[str]] = {}
    for outcome in status.recent_outcomes:
        reasons.setdefault(outcome.job_id, []).append(outcome.reason)
    return reasons


async def test_twenty_jobs_are_completed_by_the_agent_each_exactly_once(
    agent_image: str, docker_client: docker.DockerClient, tmp_path: Path, sock_dir: Path,
    daemons: list[Daemon], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="coordinator")
    caplog.set_level(logging.DEBUG, logger="coordinator.rpc")  # GetJob hand-outs
    sim = chain(agent_image)
    async with trio.open_nursery() as nursery:
        daemon = await start(nursery, sim, tmp_path, sock_dir)
        daemons.append(daemon)
        ids = create_jobs(sim, 20)
        status = await status_when(
            daemon.socket,
            lambda s: s.jobs_by_state["completed"] == 20 and not s.running
            and s.settlement.jobs_settled == 20 and s.settlement.outbox_operations == 0,
            within=90, what="20 jobs completed (on chain too), no container running",
        )
        nursery.cancel_scope.cancel()

    assert dict(status.jobs_by_state) == {"completed": 20}
    assert not status.waiting
    assert sorted(o.job_id for o in status.recent_outcomes) == ids
    assert {o.state for o in status.recent_outcomes} == {"completed"}
    # Each job went to an agent once and was completed once, by the agent's
    # CompleteJob ("completed"); none was failed by the container's exit.
    assert handed_out(caplog) == Counter(ids)
    # The agent asked with its container's SESSION_ID (the log shows its fingerprint).
    sessions = {record.args[2] for record in caplog.records if record.name == "coordinator.rpc"
                and record.msg.startswith("GetJob: job %s") and isinstance(record.args, tuple)}
    assert sessions and "none" not in sessions, sessions
    events = job_events(caplog)
    assert sorted(events) == [(job_id, "completed") for job_id in ids], events
    # One container did them all, or a few did (a new one starts when jobs
    # arrive after the last one asked for more); each ended with status 0.
    ended = [r.getMessage() for r in caplog.records
             if r.name == "coordinator.runner" and "ended:" in r.msg]
    assert ended and all(line.endswith("exited with code 0") for line in ended), ended
    # What the daemon keeps across restarts agrees.
    rows = stored_jobs(daemon.db)
    assert [(r["job_id"], r["state"], r["attempts"], r["last_error"]) for r in rows] == [
        (job_id, "completed", 0, "") for job_id in ids
    ]
    assert containers_of(docker_client, status.instance_id) == []
    assert not daemon.socket.exists()
    # Claimed and completed on chain: the AppInstance holds none of them any more.
    assert [job_id for job_id in ids if job_id in sim.app_instance(APP).jobs] == []
    assert status.settlement.claims_won == 20


async def test_an_agent_that_fails_every_job_uses_every_attempt_then_the_job_is_dead(
    agent_variant: Callable[[str], str], docker_client: docker.DockerClient, tmp_path: Path,
    sock_dir: Path, daemons: list[Daemon], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="coordinator")
    sim = chain(agent_variant("fail"))
    async with trio.open_nursery() as nursery:
        # Without a key: on chain each failure would wait the chain's 60 s retry
        # interval (tests/test_e2e_settlement.py runs jobs on chain).
        daemon = await start(nursery, sim, tmp_path, sock_dir, key=False,
                             extra="[jobs]\nmax_attempts = 3\n")
        daemons.append(daemon)
        ids = create_jobs(sim, 4)
        status = await status_when(
            daemon.socket, lambda s: s.jobs_by_state["dead"] == 4 and not s.running,
            within=90, what="4 jobs dead, no container running",
        )
        nursery.cancel_scope.cancel()

    assert dict(status.jobs_by_state) == {"dead": 4}
    # GetStatus shows each death with the agent's own words.
    reasons = outcome_reasons(status)
    for job_id in ids:
        assert any(
            reason.startswith("dead after 3 attempts: demo agent failure: ")
            and f"job {job_id} failed on purpose" in reason
            for reason in reasons[job_id]
        ), reasons[job_id]
    # Three attempts each, every one failed by the agent, none after the third.
    events = job_events(caplog)
    for job_id in ids:
        mine = [reason for jid, reason in events if jid == job_id]
        assert [reason.split(": ", 1)[0] for reason in mine] == [
            "attempt 1 failed, retrying", "attempt 2 failed, retrying", "dead after 3 attempts"
        ], mine
        assert all("demo agent failure" in reason for reason in mine), mine
    rows = stored_jobs(daemon.db)
    assert [(r["job_id"], r["state"], r["attempts"]) for r in rows] == [
        (job_id, "dead", 3) for job_id in ids
    ]
    for row in rows:
        assert row["last_error"] == (f"demo agent failure: job {row['job_id']} failed on "
                                     "purpose (AGENT_MODE=fail)")
    assert containers_of(docker_client, status.instance_id) == []


async def test_a_job_of_an_unknown_method_waits_then_runs_when_the_method_is_added(
    agent_image: str, docker_client: docker.DockerClient, tmp_path: Path, sock_dir: Path,
    daemons: list[Daemon], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="coordinator")
    sim = chain(None)
    async with trio.open_nursery() as nursery:
        daemon = await start(nursery, sim, tmp_path, sock_dir)
        daemons.append(daemon)
        [job_id] = create_jobs(sim, 1)

        def waiting(s: pb.GetStatusResponse) -> bool:
            return any((w.developer, w.agent, w.agent_method, w.reason, w.pending)
                       == (DEV, AGENT, METHOD, "unknown agent method", 1) for w in s.waiting)

        status = await status_when(daemon.socket, waiting, within=30,
                                   what="the job's key waiting for its method")
        assert dict(status.jobs_by_state) == {"pending": 1}
        assert not status.running
        # It keeps waiting (no container, no attempt spent) while nothing changes.
        await trio.sleep(2)
        status = await status_when(daemon.socket, waiting, within=5, what="still waiting")
        assert dict(status.jobs_by_state) == {"pending": 1} and not status.running
        assert containers_of(docker_client, status.instance_id) == []

        sim.add_method(DEV, AGENT, METHOD, docker_image=agent_image)
        added = trio.current_time()
        status = await status_when(
            daemon.socket, lambda s: s.jobs_by_state["completed"] == 1 and not s.running,
            within=60, what="the job completed once its method arrived",
        )
        took = trio.current_time() - added
        nursery.cancel_scope.cancel()

    assert not status.waiting
    assert outcome_reasons(status) == {job_id: ["completed"]}
    # "As soon as": a checkpoint, a container start and the agent's two calls.
    assert took < 30, took
    assert [(r["job_id"], r["state"], r["attempts"]) for r in stored_jobs(daemon.db)] == [
        (job_id, "completed", 0)
    ]


@pytest.mark.parametrize("configured", ["2025-08", "auto"])
async def test_jobs_run_on_a_2025_08_chain_configured_or_settled_by_auto(
    configured: str, agent_image: str, tmp_path: Path, sock_dir: Path,
    daemons: list[Daemon], caplog: pytest.LogCaptureFixture,
) -> None:
    """The other layout than the default: named in the config, or found by
    `auto` from the first job event, remembered in the state and shown."""
    caplog.set_level(logging.INFO, logger="coordinator")
    sim = chain(agent_image, "2025-08")
    async with trio.open_nursery() as nursery:
        # A 2025-08 chain refuses transactions: no key.
        daemon = await start(nursery, sim, tmp_path, sock_dir, key=False,
                             sui=f'layout = "{configured}"')
        daemons.append(daemon)
        ids = create_jobs(sim, 3)
        status = await status_when(
            daemon.socket, lambda s: s.jobs_by_state["completed"] == 3 and not s.running,
            within=60, what="3 jobs of a 2025-08 chain completed",
        )
        nursery.cancel_scope.cancel()
    assert sorted(outcome_reasons(status)) == ids
    assert not any(r.levelno >= logging.WARNING and "malformed" in r.getMessage()
                   for r in caplog.records)
    settled = [r.getMessage() for r in caplog.records if "layout settled" in r.getMessage()]
    if configured == "auto":
        assert len(settled) == 1 and settled[0].startswith("package layout settled: 2025-08")
        with sqlite3.connect(daemon.db) as db:
            [(stored,)] = db.execute("SELECT value FROM meta WHERE key = 'layout'").fetchall()
        assert stored == "2025-08"
    else:
        assert settled == []


async def test_a_node_of_another_chain_than_sui_chain_id_is_refused(
    tmp_path: Path, sock_dir: Path, daemons: list[Daemon],
) -> None:
    """The daemon stops with a `SetupError`, which `python -m coordinator`
    prints as one line and exits 2 on (see test_cli)."""
    sim = chain(None)
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        daemon = write_config(tmp_path, sock_dir, f"http://{target}",
                              sui='chain = "testnet"\nchain_id = "4c78adac"')
        daemons.append(daemon)
        with trio.fail_after(30), pytest.raises(SetupError) as refused:
            await app.run(load_settings(daemon.config, env={}))
        nursery.cancel_scope.cancel()
    assert str(refused.value).startswith("sui.chain_id: the node serves chain ")
    assert "not 4c78adac" in str(refused.value) and "\n" not in str(refused.value)


async def test_jobs_run_on_a_node_without_the_2026_07_apis(
    agent_image: str, tmp_path: Path, sock_dir: Path, daemons: list[Daemon],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A fullnode from before 2026-07 (no SubscribeEvents/ListEvents, read masks
    limited to the fields it knows): the daemon follows its checkpoints, asks for
    nothing it would refuse, and runs the jobs."""
    caplog.set_level(logging.INFO, logger="coordinator")
    sim = chain(agent_image)
    sim.faults = Faults(old_node=True)
    async with trio.open_nursery() as nursery:
        daemon = await start(nursery, sim, tmp_path, sock_dir)
        daemons.append(daemon)
        ids = create_jobs(sim, 3)
        status = await status_when(
            daemon.socket, lambda s: s.jobs_by_state["completed"] == 3 and not s.running,
            within=60, what="3 jobs from an old node completed",
        )
        nursery.cancel_scope.cancel()
    assert sorted(outcome_reasons(status)) == ids
    messages = [r.getMessage() for r in caplog.records if r.name == "coordinator.sui"]
    assert any("SubscribeEvents is not implemented; using SubscribeCheckpoints" in m
               for m in messages), messages
    assert not [m for m in messages if "INVALID_ARGUMENT" in m or "refused" in m], messages
    assert sim.rpc_counts["SubscribeEvents"] == 1 and sim.rpc_counts["SubscribeCheckpoints"] >= 1


@pytest.mark.parametrize("layout", ["2025-11", "2025-08"])
async def test_a_first_start_finds_methods_registered_before_it_through_the_registry(
    layout: Layout, agent_image: str, tmp_path: Path, sock_dir: Path, daemons: list[Daemon],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A first start on a live chain begins at the tip, after the agent's method was
    registered: with `sui.registry_id` the method is found on chain and jobs run."""
    caplog.set_level(logging.INFO, logger="coordinator")
    sim = chain(agent_image, layout)
    sim.seal()  # the method is history before the daemon starts
    async with trio.open_nursery() as nursery:
        # A 2025-08 chain takes no transactions: settle locally there.
        daemon = await start(nursery, sim, tmp_path, sock_dir, start_checkpoint=None,
                             sui=f'registry_id = "{sim.registry.id}"',
                             key=layout == "2025-11")
        daemons.append(daemon)
        await status_when(daemon.socket, lambda s: s.connection.state == "connected",
                          within=30, what="connected")
        ids = create_jobs(sim, 2)
        status = await status_when(
            daemon.socket, lambda s: s.jobs_by_state["completed"] == 2 and not s.running,
            within=60, what="2 jobs completed with a method found through the registry",
        )
        nursery.cancel_scope.cancel()
    assert sorted(outcome_reasons(status)) == ids
    assert "agent::MethodAddedEvent" not in status.events_by_type  # never seen on the stream
    assert status.package.layout == layout
    found = [r.getMessage() for r in caplog.records if "found on chain" in r.getMessage()]
    assert found == [f"agent method {DEV}/{AGENT}/{METHOD} found on chain: {agent_image}"]


async def test_status_shows_the_layout_the_misfits_and_how_to_fix_an_unknown_method(
    tmp_path: Path, sock_dir: Path, daemons: list[Daemon], caplog: pytest.LogCaptureFixture,
) -> None:
    """As an operator sees it from outside: `python -m coordinator status` on a pipe
    and on a terminal, before the layout settles, then with a payload that fit no
    layout and a job whose method this daemon (no registry) cannot know."""
    caplog.set_level(logging.INFO, logger="coordinator")
    sim = chain(None, "2025-08")
    sim.add_method(DEV, AGENT, "other", docker_image="127.0.0.1:9/never:run")  # an agent event only
    sim.seal()
    async with trio.open_nursery() as nursery:
        daemon = await start(nursery, sim, tmp_path, sock_dir, start_checkpoint=None)
        daemons.append(daemon)
        await status_when(daemon.socket, lambda s: s.connection.state == "connected",
                          within=30, what="connected")
        before = await trio.to_thread.run_sync(
            functools.partial(status_command, daemon.socket, terminal=False))

        sim.emit_raw("jobs::JobCreatedEvent", b"\x01\x02\x03")  # fits no layout
        sim.seal()
        [job_id] = create_jobs(sim, 1)
        await status_when(daemon.socket, lambda s: bool(s.waiting and s.package.layout),
                          within=30, what="the job waiting, the layout settled")
        line = await trio.to_thread.run_sync(
            functools.partial(status_command, daemon.socket, terminal=False))
        view = await trio.to_thread.run_sync(
            functools.partial(status_command, daemon.socket, terminal=True))
        nursery.cancel_scope.cancel()

    assert "layout not settled yet (auto)" in before and "misfits" not in before
    assert "layout 2025-08 (auto)" in line
    assert "misfits jobs::JobCreatedEvent 1" in line
    fix = "set sui.registry_id (env SILVANA_REGISTRY)"
    assert f"waiting {DEV}/{AGENT}/{METHOD}: unknown agent method (" in line and fix in line
    for part in [r"│ layout\s+2025-08 \(auto\)", r"│ misfits\s+jobs::JobCreatedEvent 1  \(fit no",
                 rf"waiting: {DEV}/{AGENT}/{METHOD} \(1 pending\): unknown agent method",
                 r"how to fix: a method registered before this coordinator first watched"]:
        assert re.search(part, view), (part, view)
    told = [r.getMessage() for r in caplog.records
            if r.name == "coordinator.runner" and "waits: unknown agent method" in r.getMessage()]
    assert len(told) == 1, told  # once, not on every pass of the runner
    assert told[0].startswith(f"job {job_id}@") and f" of {DEV}/{AGENT}/{METHOD} waits" in told[0]
    assert fix in told[0]

