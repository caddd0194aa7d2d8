"""The demo agent takes, completes, fails and terminates its jobs over TCP in one
run and over the socket in another.

The daemon runs in-process on the simulator; the agent containers are real
(silvana-demo/agent, in its `mixed` mode: a job's first data byte mod 3 says
complete, fail or terminate). With `rpc.listen` the daemon tells agents
COORDINATOR_URL=http://host.docker.internal:<port> and the agent dials it, as
upstream's SDK does; without it the agent uses the bind-mounted socket. Tests
reach only loopback, so the containers share the host's network (as in TEE
mode), where host.docker.internal is 127.0.0.1.

The agent's client is grpcio with the service read from a descriptor set of
our proto, or, when SILVANA_AGENT_PROTO_ROOT names another proto tree (e.g.
upstream's at d1563ea; see the README, "Checking the wire format against
upstream"), of that file: the same runs then prove the wire format against it.

A third run has the agent print every field of each job it gets (`fields`
mode): a merge job, a settle job and a plain one, each as upstream fills it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any

import docker
import pytest
import trio

from coordinator import app
from coordinator.config import load_settings
from coordinator.simnet import Simnet, serve
from tests.e2e_support import Daemon, free_port, status_when, stored_jobs, write_config
from tests.support import AGENT, DEMO_APP, DEV, METHOD, containers_of, register_app

pytestmark = pytest.mark.docker

APP = DEMO_APP
JOBS = 6  # two each: completed, failed (dead at once: one attempt), terminated


def agent_output(caplog: pytest.LogCaptureFixture) -> str:
    """Every agent output tail the runner logged (at debug for a container that succeeded)."""
    return "\n".join(r.getMessage() for r in caplog.records
                     if r.name == "coordinator.runner" and r.msg.startswith("agent output"))


async def run_jobs(
    agent_image: str, tmp_path: Path, sock_dir: Path, daemons: list[Daemon], rpc: str
) -> tuple[Daemon, str]:
    """JOBS jobs through a daemon with `rpc` in its [rpc] section; the daemon, its
    instance id."""
    sim = register_app(Simnet(checkpoint_interval_secs=0.2), agent_image)
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        daemon = write_config(tmp_path, sock_dir, f"http://{target}", rpc=rpc,
                              extra="[jobs]\nmax_attempts = 1", network_mode="host",
                              agent_env={"AGENT_MODE": "mixed"})
        daemons.append(daemon)
        nursery.start_soon(app.run, load_settings(daemon.config, env={}))
        for n in range(JOBS):
            sim.create_job(APP, developer=DEV, agent=AGENT, method=METHOD, data=bytes([n, 7]))
        status = await status_when(
            daemon.socket,
            lambda s: s.jobs_by_state["completed"] + s.jobs_by_state["dead"] == JOBS
            and not s.running,
            within=90, what=f"{JOBS} jobs settled, no container running")
        nursery.cancel_scope.cancel()
    rows = stored_jobs(daemon.db)
    # Data byte n mod 3: 0 complete, 1 fail, 2 terminate.
    assert [(r["job_id"] - rows[0]["job_id"], r["state"], r["attempts"], r["last_error"])
            for r in rows] == [
        (n, *[("completed", 0, ""),
              ("dead", 1, f"demo agent failure: job {rows[0]['job_id'] + n} failed on "
                          "purpose (AGENT_MODE=mixed)"),
              ("dead", 0, "terminated by the agent")][n % 3])
        for n in range(JOBS)]
    # The agent told its proof of each job (AgentMessage): the status shows them.
    notes = {note.job_id: (note.level, note.text) for note in status.agent_messages}
    assert notes == {r["job_id"]: ("info", f"job {r['job_id']}: sha256="
                                   f"{hashlib.sha256(bytes([n, 7])).hexdigest()} len=2")
                     for n, r in enumerate(rows)}, notes
    return daemon, status.instance_id


def check_agent(output: str) -> None:
    """The agent got the upstream env contract and settled each job as asked."""
    assert "session=given session_key=given mode=mixed" in output, output
    assert output.count("-> completed") == 2, output
    assert output.count("-> failed") == 2, output
    assert output.count("-> terminated") == 2, output
    assert "refused" not in output.replace("refused 0", ""), output


async def test_the_agent_settles_its_jobs_over_tcp(
    agent_image: str, docker_client: docker.DockerClient, tmp_path: Path, sock_dir: Path,
    daemons: list[Daemon], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="coordinator.runner")
    port = free_port()
    _, instance_id = await run_jobs(agent_image, tmp_path, sock_dir, daemons,
                                    rpc=f'listen = "127.0.0.1:{port}"')
    output = agent_output(caplog)
    assert f"agent: coordinator at host.docker.internal:{port} (TCP)" in output, output
    assert "coordinator socket" not in output
    check_agent(output)
    assert containers_of(docker_client, instance_id) == []


async def test_the_agent_settles_its_jobs_over_the_socket(
    agent_image: str, docker_client: docker.DockerClient, tmp_path: Path, sock_dir: Path,
    daemons: list[Daemon], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="coordinator.runner")
    _, instance_id = await run_jobs(agent_image, tmp_path, sock_dir, daemons, rpc="listen = ''")
    output = agent_output(caplog)
    assert "agent: coordinator socket /run/silvana/coordinator.sock" in output, output
    assert "(TCP)" not in output
    check_agent(output)
    assert containers_of(docker_client, instance_id) == []


def expected_fields(job: Any, chain: str | None) -> str:
    """The agent's `fields` line for the simulator's job object `job`, as
    upstream's coordinator fills the Job message (`updated_at` is when it was
    handed out: checked apart)."""
    def numbers(values: Any) -> str:
        return ",".join(str(v) for v in values or ()) or "-"

    block = "-" if job.block_number is None else str(job.block_number)
    return (f"fields {job.job_id} job_id={job.job_id}@{job.app_instance} "
            f"description={job.description or '-'} developer={DEV} agent={AGENT} "
            f"agent_method={METHOD} app={job.app} app_instance={job.app_instance} "
            f"app_instance_method={job.app_instance_method} block_number={block} "
            f"sequences={numbers(job.sequences)} sequences1={numbers(job.sequences1)} "
            f"sequences2={numbers(job.sequences2)} data={job.data.hex() or '-'} attempts=1 "
            f"created_at={job.created_at} updated_at=* chain={chain or '-'}")


async def test_the_agent_reads_every_job_field_as_upstream_fills_it(
    agent_image: str, tmp_path: Path, sock_dir: Path, daemons: list[Daemon],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="coordinator.runner")
    sim = Simnet(checkpoint_interval_secs=0.2, layout="2025-11")
    sim.register_developer(DEV)
    sim.register_agent(DEV, AGENT)
    sim.add_method(DEV, AGENT, METHOD, docker_image=agent_image)
    sim.create_app_instance(APP, settlement_chains={"devnet": None})
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        daemon = write_config(tmp_path, sock_dir, f"http://{target}",
                              rpc=f'listen = "127.0.0.1:{free_port()}"', network_mode="host",
                              agent_env={"AGENT_MODE": "complete,fields"})
        daemons.append(daemon)
        nursery.start_soon(app.run, load_settings(daemon.config, env={}))
        jobs = [
            (sim.create_job(APP, developer=DEV, agent=AGENT, method=METHOD,
                            app_instance_method="merge", description="merge 1+2",
                            block_number=3, sequences=[1, 2], sequences1=[1], sequences2=[2],
                            data=b"\x01"), None),
            (sim.create_job(APP, developer=DEV, agent=AGENT, method=METHOD,
                            app_instance_method="settle", settlement_chain="devnet",
                            data=bytes(16)), "devnet"),
            (sim.create_job(APP, developer=DEV, agent=AGENT, method=METHOD, data=b""), None),
        ]
        await status_when(
            daemon.socket,
            lambda s: s.jobs_by_state["completed"] == len(jobs) and not s.running,
            within=90, what=f"{len(jobs)} jobs completed, no container running")
        nursery.cancel_scope.cancel()
    output = agent_output(caplog)
    read = []
    for line in output.splitlines():
        if "fields " in line and "job_id=" in line:
            created = int(re.search(r" created_at=(\d+)", line)[1])  # type: ignore[index]
            updated = int(re.search(r" updated_at=(\d+)", line)[1])  # type: ignore[index]
            assert created <= updated, line  # stamped when handed out, as a start is
            read.append(re.sub(r" updated_at=\d+", " updated_at=*", line[line.index("fields "):]))
    assert sorted(read) == sorted(expected_fields(job, chain) for job, chain in jobs), output
