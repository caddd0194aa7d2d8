"""The daemon as an operator runs it: `python -m coordinator --config FILE`, a
real process taking real signals, real Docker and the real demo agent image
(variants of it with AGENT_MODE baked in). Only the chain is simulated.

- Orphans (issue 4): SIGKILL the daemon while its agent container runs; the
  container outlives it; the next start on the same state removes it, fails
  its job with "coordinator restarted" and retries it.
- Drain: SIGINT lets a running container finish (its job completes, exit 0);
  a second SIGINT exits at once with 130 and leaves no container behind.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import docker
import pytest
import trio
from docker.errors import NotFound

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.simnet import Simnet, serve
from tests.e2e_support import (
    Daemon,
    DaemonProcess,
    free_port,
    status_when,
    stored_jobs,
    write_config,
)
from tests.support import ADD_KEY, AGENT, DEMO_APP, DEV, METHOD, containers_of, register_app

pytestmark = pytest.mark.docker

APP = DEMO_APP
KEY = str(ADD_KEY)


async def container_running(
    client: docker.DockerClient, instance_id: str, job_id: int, within: float = 30
) -> str:
    """Wait until the engine runs a container of `instance_id` for `job_id`; its id."""
    with trio.move_on_after(within):
        while True:
            for container in containers_of(client, instance_id):
                if (container.labels.get("silvana.job") == str(job_id)
                        and container.status == "running"):
                    return str(container.id)
            await trio.sleep(0.1)
    raise AssertionError(f"no running container of {instance_id} for job {job_id}")


def gone(client: docker.DockerClient, container_id: str) -> bool:
    try:
        client.containers.get(container_id)
    except NotFound:
        return True
    return False


def restarted(status: pb.GetStatusResponse, job_id: int) -> bool:
    return any(o.job_id == job_id and o.reason == "attempt 1 failed, retrying: coordinator "
               "restarted" for o in status.recent_outcomes)


async def test_next_start_reaps_the_container_of_a_killed_daemon_and_retries_its_job(
    agent_variant: Callable[[str], str], docker_client: docker.DockerClient, tmp_path: Path,
    sock_dir: Path, daemons: list[Daemon],
) -> None:
    sim = register_app(Simnet(checkpoint_interval_secs=0.2), agent_variant("sleep:120"))
    job_id = sim.create_job(APP, developer=DEV, agent=AGENT, method=METHOD, data=b"\x01").job_id
    async with trio.open_nursery() as nursery:
        # The chain runs here, so it outlives both daemons.
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        daemon = write_config(tmp_path, sock_dir, f"http://{target}",
                              container_timeout_secs=120)
        daemons.append(daemon)

        first = DaemonProcess(daemon, tmp_path / "first.log")
        try:
            status = await status_when(daemon.socket, lambda s: len(s.running) == 1, 60,
                                       "a container running")
            instance_id = status.instance_id
            orphan_id = await container_running(docker_client, instance_id, job_id)
            first.signal(signal.SIGKILL)
            assert await first.wait(10) == -signal.SIGKILL
        finally:
            first.kill()

        assert daemon.socket.is_socket()  # left behind, as a killed process leaves it
        # The container outlived the daemon, labelled with its instance id.
        orphan = docker_client.containers.get(orphan_id)
        assert orphan.status == "running"
        assert orphan.labels["silvana.coordinator"] == instance_id
        assert orphan.labels["silvana.job"] == str(job_id)

        # The same state dir; a short timeout so that the drain below, which
        # waits for the retried (sleeping) container, ends soon.
        second = DaemonProcess(daemon, tmp_path / "second.log", "--container-timeout", "5")
        try:
            status = await status_when(
                daemon.socket,
                lambda s: restarted(s, job_id) and [r.job_id for r in s.running] == [job_id],
                30, "job failed with 'coordinator restarted' and running again",
            )
            assert status.instance_id == instance_id
            # The orphan is gone, and a new container runs the job.
            assert gone(docker_client, orphan_id)
            retry_id = await container_running(docker_client, instance_id, job_id)
            assert retry_id != orphan_id
            log = second.log()
            assert (f"reaped container {orphan_id[:12]} of job {job_id} left by an earlier run"
                    in log), log
            assert f"({KEY}): attempt 1 failed, retrying: coordinator restarted" in log, log
            assert "replaced a stale socket" in log, log
            # The reaping came before the retry's container.
            assert log.index(orphan_id[:12]) < log.index(f"job {job_id}: container "
                                                          f"{retry_id[:12]} created")

            second.signal(signal.SIGINT)
            code = await second.wait(30)
        finally:
            second.kill()
        nursery.cancel_scope.cancel()

    log = second.log()
    assert code == 0, log
    assert "SIGINT: draining" in log
    assert "Traceback" not in log
    assert not daemon.socket.exists()
    assert containers_of(docker_client, instance_id) == []
    # The retried container timed out during the drain: a second failed attempt.
    [row] = stored_jobs(daemon.db)
    assert (row["job_id"], row["state"], row["attempts"]) == (job_id, "pending", 2), row
    assert row["last_error"].startswith("timed out after 5 s"), row


def scenario_daemon(tmp_path: Path, sock_dir: Path, image: str, **docker_keys: object) -> Daemon:
    """A daemon running the simulator in-process ([simnet] in its config), with
    a scenario of one job for `image` half a second after the start."""
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(f"""
[[developers]]
name = "{DEV}"
[[developers.agents]]
name = "{AGENT}"
[[developers.agents.methods]]
name = "{METHOD}"
docker_image = "{image}"

[[app_instances]]
name = "{APP}"

[[jobs]]
at_secs = 0.5
developer = "{DEV}"
agent = "{AGENT}"
method = "{METHOD}"
app_instance = "{APP}"
data = "0x0102"
""")
    listen = f"127.0.0.1:{free_port()}"
    simnet = (f'[simnet]\nenabled = true\nlisten = "{listen}"\nscenario = "{scenario}"\n'
              "checkpoint_interval_secs = 0.2\n")
    return write_config(tmp_path, sock_dir, f"http://{listen}", extra=simnet, **docker_keys)


async def start_with_running_container(
    daemon: Daemon, log: Path, client: docker.DockerClient, daemons: list[Daemon]
) -> tuple[DaemonProcess, str, str]:
    """Start the daemon and wait until its agent container runs; (process,
    instance id, container id)."""
    daemons.append(daemon)
    process = DaemonProcess(daemon, log)
    status = await status_when(daemon.socket, lambda s: len(s.running) == 1, 60,
                               "a container running")
    container_id = await container_running(client, status.instance_id, 1)
    return process, status.instance_id, container_id


async def test_sigint_lets_the_running_container_finish_then_exits_0(
    agent_variant: Callable[[str], str], docker_client: docker.DockerClient, tmp_path: Path,
    sock_dir: Path, daemons: list[Daemon],
) -> None:
    daemon = scenario_daemon(tmp_path, sock_dir, agent_variant("sleep:3"))
    process, instance_id, _ = await start_with_running_container(
        daemon, tmp_path / "daemon.log", docker_client, daemons
    )
    try:
        process.signal(signal.SIGINT)
        signalled = time.monotonic()
        code = await process.wait(30)
        took = time.monotonic() - signalled
    finally:
        process.kill()

    log = process.log()
    assert code == 0, log
    assert "SIGINT: draining" in log and "Traceback" not in log
    # It waited for the agent (sleeping 3 s, then its calls), which completed its
    # job, and only then stopped.
    drain = log[log.index("SIGINT: draining"):]
    completed, stopped = f"({KEY}): completed\n", "coordinator: stopped\n"
    assert completed in drain and stopped in drain, log
    assert drain.index(completed) < drain.index(stopped), log
    assert took < 20, log
    [row] = stored_jobs(daemon.db)
    assert (row["job_id"], row["state"], row["attempts"]) == (1, "completed", 0), row
    assert not daemon.socket.exists()
    assert containers_of(docker_client, instance_id) == []


async def test_a_second_sigint_during_the_drain_exits_130_at_once_leaving_no_container(
    agent_variant: Callable[[str], str], docker_client: docker.DockerClient, tmp_path: Path,
    sock_dir: Path, daemons: list[Daemon],
) -> None:
    # The default stop grace: a container is not given 10 s once the operator insists.
    daemon = scenario_daemon(tmp_path, sock_dir, agent_variant("sleep:120"), stop_grace_secs=10)
    process, instance_id, container_id = await start_with_running_container(
        daemon, tmp_path / "daemon.log", docker_client, daemons
    )
    try:
        process.signal(signal.SIGINT)
        await process.wait_for_log("SIGINT: draining", 10)
        await trio.sleep(0.5)
        process.signal(signal.SIGINT)
        signalled = time.monotonic()
        code = await process.wait(30)
        took = time.monotonic() - signalled
    finally:
        process.kill()

    log = process.log()
    assert code == 130, log
    assert "SIGINT again: exiting now" in log and "Traceback" not in log
    # On its way out it stopped and removed the container: none is left running
    # (nor stopped) for the next start to reap.
    assert gone(docker_client, container_id)
    assert containers_of(docker_client, instance_id) == []
    assert took < 5, (took, log)
    assert not daemon.socket.exists()
    # The job was not at fault: back to pending, no attempt spent.
    [row] = stored_jobs(daemon.db)
    assert (row["job_id"], row["state"], row["attempts"]) == (1, "pending", 0), row


# --- one daemon per state dir ------------------------------------------------------------


def second_daemon_on_same_state(first: Daemon, directory: Path) -> Daemon:
    """The first daemon's config with its own socket and simulator port: only
    the state dir is shared, as an operator's copied config would share it."""
    directory.mkdir()
    text = first.config.read_text()
    listen = text.split('listen = "', 1)[1].split('"', 1)[0]
    other = f"127.0.0.1:{free_port()}"
    socket_path = directory / "c.sock"
    text = text.replace(listen, other).replace(str(first.socket), str(socket_path))
    config = directory / "coordinator.toml"
    config.write_text(text)
    return Daemon(config, socket_path, first.state)


async def test_a_second_daemon_on_the_same_state_dir_exits_2_naming_the_first(
    agent_variant: Callable[[str], str], docker_client: docker.DockerClient, tmp_path: Path,
    sock_dir: Path, daemons: list[Daemon],
) -> None:
    first = scenario_daemon(tmp_path, sock_dir, agent_variant("sleep:8"))
    daemons.append(first)
    holder = DaemonProcess(first, tmp_path / "first.log")
    try:
        status = await status_when(first.socket, lambda s: len(s.running) == 1, 60,
                                   "the first daemon's container running")
        container_id = await container_running(docker_client, status.instance_id, 1)

        second = second_daemon_on_same_state(first, tmp_path / "second")
        refused = DaemonProcess(second, tmp_path / "second.log")
        code = await refused.wait(30)
        err = refused.log()
        assert code == 2, err
        assert err.count("\n") == 1 and err.startswith("error: state.dir:"), err
        assert f"pid {holder.process.pid}" in err and status.instance_id in err, err
        assert not second.socket.exists()

        # The first daemon's container was left alone (not reaped: exit 137 and
        # "coordinator restarted" before), and its job completed at the first try.
        await status_when(first.socket, lambda s: s.jobs_by_state.get("completed") == 1, 60,
                          "the first daemon's job completed")
        [row] = stored_jobs(first.db)
        assert (row["state"], row["attempts"]) == ("completed", 0), row
        await holder.wait_for_log(f"container {container_id[:12]}: exited with code 0", 10)

        # Killed, the holder's lock is gone with it: the next daemon on the dir starts.
        holder.kill()
        successor = DaemonProcess(second, tmp_path / "successor.log")
        try:
            took_over = await status_when(second.socket, lambda s: s.instance_id != "", 30,
                                          "the successor answering")
            assert took_over.instance_id == status.instance_id  # the same state
            successor.signal(signal.SIGTERM)
            assert await successor.wait(30) == 0, successor.log()
        finally:
            successor.kill()
    finally:
        holder.kill()
