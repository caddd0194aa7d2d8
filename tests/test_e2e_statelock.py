"""One daemon per state dir (issue 15), with two real daemon processes on the
embedded simulator, real Docker and the demo agent.

The harm it prevents: a second daemon on the same `state.dir` (another socket,
another simulator port) used to reap the first one's running container and,
seeing another chain, delete the job book under it. Now it exits 2 with one
line naming the holder, and the first goes on undisturbed. The lock is the
kernel's, so a SIGKILLed holder leaves nothing that blocks the next start.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import docker
import pytest

from tests.e2e_support import (  # noqa: F401 (the *_fixture names are fixtures)
    Daemon,
    DaemonProcess,
    agent_image_fixture,
    agent_variant_fixture,
    daemons_fixture,
    free_port,
    sock_dir_fixture,
    status_when,
    stored_jobs,
)
from tests.test_e2e_daemon import container_running, scenario_daemon

pytestmark = pytest.mark.docker


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
