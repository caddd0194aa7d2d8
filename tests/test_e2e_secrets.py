"""The agents' secrets end to end: an operator sets them with the command line,
the daemon (with a Sui key, on the simulator) starts a real demo-agent
container that sees its SECRET_* (upstream's scope fallback) and reads its
private key with RetrieveSecret over TCP; afterwards no value is in the
daemon's log, its status, its metrics or its database."""

from __future__ import annotations

import io
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import grpc
import pytest
import trio

from coordinator import app
from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import load_settings
from coordinator.simnet import Simnet, serve
from coordinator.sui.keys import SuiKey
from tests.e2e_support import Daemon, free_port, get_status, status_when, write_config
from tests.support import AGENT, DEV, METHOD, SUI, containers_of, eventually, register_app, run_cli

pytestmark = pytest.mark.docker

APP = "secrets-demo"
RETRIEVE = "/silvana.coordinator.v1.CoordinatorService/RetrieveSecret"
INSTANCE_TOKEN = "instance-token-0f3c9e"
APP_REGION = "app-region-7d1a"
AGENT_WIDE = "agent-wide-token-5b2e"
WALLET = "suiprivkey1-wallet-of-the-agent-9a8b"
VALUES = (INSTANCE_TOKEN, APP_REGION, AGENT_WIDE, WALLET)


def container_env(container: Any) -> dict[str, str]:
    container.reload()
    return dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])


def set_secrets(config: Path, app_name: str, instance: str) -> None:
    scope = ["--developer", DEV, "--agent", AGENT]
    for args, value in (
        ([*scope, "--app", app_name, "--app-instance", instance, "token"], INSTANCE_TOKEN),
        ([*scope, "token"], AGENT_WIDE),
        ([*scope, "--app", app_name, "region"], APP_REGION),
        ([*scope, "sk_wallet"], WALLET),
    ):
        done = run_cli("secrets", "set", "--config", str(config), *args, stdin=value)
        assert done.returncode == 0, done.stderr


async def test_a_container_gets_its_secrets_and_none_leaks(
    agent_variant: Callable[[str], str], docker_client: docker.DockerClient, tmp_path: Path,
    sock_dir: Path, daemons: list[Daemon], daemon_log: io.StringIO,
) -> None:
    sim = register_app(Simnet(checkpoint_interval_secs=0.2, layout="2025-11"),
                       agent_variant("sleep:10"), APP)
    key = SuiKey.generate()
    sim.fund(key.address, 10 * SUI)
    instance = sim.app_instance(APP)
    port, metrics_port = free_port(), free_port()
    made = run_cli("secrets", "keygen", "--out", str(tmp_path / "secrets.key"))
    assert made.returncode == 0, made.stderr
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        async with trio.open_nursery() as nursery:
            target = await nursery.start(serve, sim, "127.0.0.1", 0)
            daemon = write_config(
                tmp_path, sock_dir, f"http://{target}", key=key,
                rpc=f'listen = "127.0.0.1:{port}"', network_mode="host",
                extra=f'[secrets]\nkey_file = "{tmp_path / "secrets.key"}"\n'
                      f'[metrics]\nlisten = "127.0.0.1:{metrics_port}"\n')
            daemons.append(daemon)
            set_secrets(daemon.config, instance.app, instance.app_instance)
            nursery.start_soon(app.run, load_settings(daemon.config, env={}))
            sim.create_job(APP, developer=DEV, agent=AGENT, method=METHOD, data=b"\x01")
            status = await status_when(daemon.socket, lambda s: len(s.running) == 1, within=60,
                                       what="the agent's container running")
            await eventually(lambda: bool(containers_of(docker_client, status.instance_id)),
                             30, "the container made")
            [container] = containers_of(docker_client, status.instance_id)
            env = container_env(container)
            # The instance's token over the agent-wide one; the app's region;
            # the private key is not in the environment (RetrieveSecret only).
            assert {k: v for k, v in env.items() if k.startswith("SECRET_")} == {
                "SECRET_TOKEN": INSTANCE_TOKEN, "SECRET_REGION": APP_REGION}

            call = channel.unary_unary(
                RETRIEVE, request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=pb.RetrieveSecretResponse.FromString)
            request = pb.RetrieveSecretRequest(
                session_id=env["SESSION_ID"], job_id=f"{env['JOB_ID']}@{env['APP_INSTANCE']}",
                name="sk_wallet")
            answer = await trio.to_thread.run_sync(lambda: call(request, timeout=30))
            assert answer.success and answer.secret_value == WALLET, answer.message

            final = await status_when(
                daemon.socket, lambda s: s.jobs_by_state["completed"] == 1 and not s.running
                and s.settlement.outbox_operations == 0, within=120, what="the job completed")
            metrics = await trio.to_thread.run_sync(
                lambda: urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics",
                                               timeout=10).read())
            status_text = str(await trio.to_thread.run_sync(get_status, daemon.socket))
            nursery.cancel_scope.cancel()
    finally:
        channel.close()

    assert final.jobs_by_state["completed"] == 1
    stored = b"".join(path.read_bytes() for path in daemon.state.iterdir() if path.is_file())
    for value in VALUES:
        assert value not in daemon_log.getvalue(), value
        assert value not in status_text, value
        assert value.encode() not in metrics, value
        assert value.encode() not in stored, value
    assert "RetrieveSecret sk_wallet for job" in daemon_log.getvalue()
