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
upstream's at d1563ea; see docs/testing.md, "Checking the wire format against
upstream"), of that file: the same runs then prove the wire format against it.

Every field of the jobs, as upstream's agent reads them, is checked with
upstream's own proto on a shipped config (`test_e2e_upstream_agent`).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

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
