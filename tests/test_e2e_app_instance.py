"""An agent's app-instance calls end to end (issue 13): the daemon with a Sui key
on the simulator, a real demo-agent container working on its job, and grpcio on
the host calling over TCP with that container's own SESSION_ID (read from the
container, as the agent has it). The chain's object shows the kv and metadata,
and the job the agent created is then taken and completed by the daemon."""

from __future__ import annotations

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
from coordinator.simnet.objects import AppMethod
from coordinator.sui.keys import SuiKey
from tests.e2e_support import Daemon, free_port, status_when, write_config
from tests.support import AGENT, DEV, METHOD, SUI, containers_of, eventually, register_app

pytestmark = pytest.mark.docker

APP = "kv-demo"
SERVICE = "/silvana.coordinator.v1.CoordinatorService/"


def container_env(container: Any) -> dict[str, str]:
    container.reload()
    return dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])


async def test_an_agent_reads_and_writes_its_app_instance_and_creates_a_job(
    agent_variant: Callable[[str], str], docker_client: docker.DockerClient, tmp_path: Path,
    sock_dir: Path, daemons: list[Daemon],
) -> None:
    # The agent sleeps 15 s before it calls: time to call on its behalf while
    # its job runs.
    sim = register_app(Simnet(checkpoint_interval_secs=0.2, layout="2025-11"),
                       agent_variant("sleep:15"), APP,
                       methods={"next": AppMethod(DEV, AGENT, METHOD, "the next step")})
    key = SuiKey.generate()
    sim.fund(key.address, 10 * SUI)
    instance = sim.app_instance(APP)
    port = free_port()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")

    async def call(name: str, **fields: Any) -> Any:
        request = getattr(pb, name + "Request")(job_id=job_id, session_id=session, **fields)
        response = getattr(pb, name + "Response")
        method = channel.unary_unary(SERVICE + name,
                                     request_serializer=lambda m: m.SerializeToString(),
                                     response_deserializer=response.FromString)
        return await trio.to_thread.run_sync(lambda: method(request, timeout=60))

    try:
        async with trio.open_nursery() as nursery:
            target = await nursery.start(serve, sim, "127.0.0.1", 0)
            daemon = write_config(tmp_path, sock_dir, f"http://{target}", key=key,
                                  rpc=f'listen = "127.0.0.1:{port}"', network_mode="host")
            daemons.append(daemon)
            nursery.start_soon(app.run, load_settings(daemon.config, env={}))
            first = sim.create_job(APP, developer=DEV, agent=AGENT, method=METHOD,
                                   data=b"\x01").job_id
            status = await status_when(daemon.socket, lambda s: len(s.running) == 1, within=60,
                                       what="the agent's container running")
            await eventually(lambda: bool(containers_of(docker_client, status.instance_id)),
                             30, "the container made")
            [container] = containers_of(docker_client, status.instance_id)
            env = container_env(container)
            session = env["SESSION_ID"]
            job_id = f"{env['JOB_ID']}@{env['APP_INSTANCE']}"
            assert int(env["JOB_ID"]) == first
            # Upstream's env contract: the coordinator's Sui address, its layer.
            assert env["COORDINATOR_ID"] == key.address
            assert (env["COORDINATION_LAYER_ID"], env["COORDINATION_LAYER_TYPE"],
                    env["OPERATION_MODE"]) == ("sui-localnet", "sui", "multicall")
            assert not [name for name in env if name.startswith("SECRET_")]  # no secrets store
            await eventually(lambda: instance.jobs[first].status.kind == "running", 30,
                             "the job claimed on chain")

            set_ = await call("SetKV", key="round", value="1")
            assert set_.success and set_.tx_hash, set_.message
            got = await call("GetKV", key="round")
            assert got.success and got.value == "1"
            await call("SetKV", key="scratch", value="x")
            deleted = await call("DeleteKV", key="scratch")
            assert deleted.success and deleted.tx_hash
            added = await call("AddMetadata", key="owner", value="kv-demo agent")
            again = await call("AddMetadata", key="owner", value="someone else")
            assert added.success and added.tx_hash
            assert not again.success and "MoveAbort" in again.message, again.message
            meta = await call("GetMetadata", key="owner")
            assert meta.success and meta.metadata.value == "kv-demo agent"
            info = await call("GetAppInstance")
            assert info.success and info.app_instance.id == instance.id
            assert dict(info.app_instance.kv) == {"round": "1"}
            assert dict(info.app_instance.metadata) == {"owner": "kv-demo agent"}
            assert info.app_instance.methods["next"].agent_method == METHOD
            made = await call("CreateAppJob", method_name="next", job_description="made by "
                              "the agent", data=b"\x02\x03")
            assert made.success and made.tx_hash and made.job_sequence == first + 1, made.message

            # The new job is seen like any other JobCreatedEvent, taken and completed.
            final = await status_when(
                daemon.socket,
                lambda s: s.jobs_by_state["completed"] == 2 and not s.running
                and s.settlement.outbox_operations == 0,
                within=120, what="both jobs completed and settled")
            nursery.cancel_scope.cancel()
    finally:
        channel.close()

    assert instance.jobs == {}  # both completed on chain (completed jobs leave the table)
    # The chain's object, as a fullnode renders it.
    rendered = instance.json()
    assert rendered["kv"] == {"contents": [{"key": "round", "value": "1"}]}
    assert rendered["metadata"] == {"contents": [{"key": "owner", "value": "kv-demo agent"}]}
    assert final.settlement.transactions_failed == 0
    assert containers_of(docker_client, final.instance_id) == []
