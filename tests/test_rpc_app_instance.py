"""The app-instance calls over TCP (issue 13): grpcio as the agent, the served
simulator as the chain, a real job book, store and settler. Reads answer from
the AppInstance object; writes land on chain through the outbox; every refusal
has its status and leaves the chain and the outbox as they were."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.agent_writes import MAX_KEY_BYTES, MAX_VALUE_BYTES
from coordinator.backoff import Backoff
from coordinator.config import RpcSettings, SettleSettings
from coordinator.domain import AgentKey
from coordinator.instruments import REGISTRY
from coordinator.jobs import JobBook
from coordinator.rpc import CoordinatorService, serve_tcp
from coordinator.rpc.calls import MAX_WRITES_PER_SESSION
from coordinator.settlement import Settler
from coordinator.simnet import Simnet, serve
from coordinator.simnet.objects import AppMethod
from coordinator.store import Ledger, Store
from coordinator.sui.client import connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.executor import Executor
from coordinator.sui.keys import SuiKey
from tests.agent_client import agent_call, agent_refused
from tests.e2e_support import free_port
from tests.support import ADD_KEY, SUI, created, eventually

REFUSED = "silvana_coordinator_agent_calls_refused_total"

OTHER = AgentKey("OtherDev", "OtherAgent", "prove")


@dataclass
class Rig:
    sim: Simnet
    store: Store
    book: JobBook
    channel: grpc.Channel
    mine: str  # the session running job 1 (ADD_KEY)
    theirs: str  # the session running job 2 (OTHER)
    service: CoordinatorService

    @property
    def app(self) -> Any:
        return self.sim.app_instance("app")

    def wire(self, job_id: int) -> str:
        return f"{job_id}@{self.app.app_instance}"

    async def call(self, name: str, request: Any) -> Any:
        return await agent_call(self.channel, name, request)

    async def refused(self, name: str, request: Any) -> grpc.RpcError:
        return await agent_refused(self.channel, name, request)

    def chain_state(self) -> tuple[Any, ...]:
        app = self.app
        return dict(app.kv), dict(app.metadata), sorted(app.jobs), app.object_version


async def rig_for(nursery: trio.Nursery, store: Store, *, with_key: bool,
                  chain_up: bool = True) -> Rig:
    sim = Simnet(checkpoint_interval_secs=0, layout="2025-11")
    sim.create_app_instance("app", description="demo", methods={
        "add": AppMethod(ADD_KEY.developer, ADD_KEY.agent, ADD_KEY.agent_method, "adds")})
    key = SuiKey.generate()
    sim.fund(key.address, 10 * SUI)
    sim.seal()
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    port = int(target.rsplit(":", 1)[1]) if chain_up else free_port()
    endpoint = Endpoint("http", host="127.0.0.1", port=port)

    def reach() -> Any:
        return connect(endpoint, timeout=2)

    app = sim.app_instance("app").app_instance
    book = JobBook(store, max_attempts=3, lease_secs=60,
                   address=key.address if with_key else None)
    book.on_chain_event(created(1, ADD_KEY, app_instance=app))
    book.on_chain_event(created(2, OTHER, app_instance=app))
    mine, theirs = book.open_session(ADD_KEY), book.open_session(OTHER)
    assert mine is not None and theirs is not None
    settler = None
    if with_key:
        executor = Executor(key, reach, sim.package_id, max_attempts=2,
                            backoff=Backoff(initial=0.01, maximum=0.05))
        settler = Settler(store, book, executor, reach, SettleSettings(batch_ms=20),
                          retry=Backoff(initial=30.0, maximum=60.0))
        await nursery.start(settler.run)
    service = CoordinatorService(book, settler=settler, chain=reach)
    listen = await nursery.start(serve_tcp, RpcSettings(listen=f"127.0.0.1:{free_port()}"),
                                 service)
    channel = grpc.insecure_channel(f"127.0.0.1:{listen}")
    return Rig(sim, store, book, channel, mine[0].session_id, theirs[0].session_id, service)


@pytest.fixture
async def rig(nursery: trio.Nursery, store: Store) -> AsyncIterator[Rig]:
    made = await rig_for(nursery, store, with_key=True)
    yield made
    made.channel.close()


@pytest.fixture
async def keyless(nursery: trio.Nursery, store: Store) -> AsyncIterator[Rig]:
    made = await rig_for(nursery, store, with_key=False)
    yield made
    made.channel.close()


async def test_writes_land_on_chain_and_reads_see_them(rig: Rig) -> None:
    job = rig.wire(1)
    missing = await rig.call("GetKV", pb.GetKVRequest(job_id=job, session_id=rig.mine, key="k"))
    assert missing.success and not missing.HasField("value") and "not found" in missing.message
    done = await rig.call("SetKV", pb.SetKVRequest(job_id=job, session_id=rig.mine,
                                                   key="k", value="v1"))
    assert done.success and done.tx_hash == rig.sim.last_tx.digest
    got = await rig.call("GetKV", pb.GetKVRequest(job_id=job, session_id=rig.mine, key="k"))
    assert got.success and got.value == "v1"
    deleted = await rig.call("DeleteKV", pb.DeleteKVRequest(job_id=job, session_id=rig.mine,
                                                            key="k"))
    assert deleted.success and deleted.tx_hash and rig.app.kv == {}
    added = await rig.call("AddMetadata", pb.AddMetadataRequest(
        job_id=job, session_id=rig.mine, key="m", value="once"))
    again = await rig.call("AddMetadata", pb.AddMetadataRequest(
        job_id=job, session_id=rig.mine, key="m", value="twice"))
    assert added.success and added.tx_hash
    assert not again.success and "MoveAbort" in again.message and not again.tx_hash
    meta = await rig.call("GetMetadata", pb.GetMetadataRequest(job_id=job, session_id=rig.mine,
                                                               key="m"))
    assert meta.success and meta.metadata.value == "once"
    assert meta.metadata.app_instance_id == rig.app.id and meta.metadata.description == "demo"
    info = await rig.call("GetAppInstance", pb.GetAppInstanceRequest(job_id=job,
                                                                     session_id=rig.mine))
    data = info.app_instance
    assert (data.id, data.silvana_app_name, data.admin) == (rig.app.id, "app", rig.app.admin)
    assert dict(data.metadata) == {"m": "once"} and dict(data.kv) == {}
    assert data.methods["add"].agent_method == "prove" and data.methods["add"].description == "adds"
    assert data.block_number == 1 and data.min_time_between_blocks == 60_000
    assert data.created_at == rig.app.created_at and not data.is_paused
    made = await rig.call("CreateAppJob", pb.CreateAppJobRequest(
        job_id=job, session_id=rig.mine, method_name="add", job_description="next",
        sequences=[3], data=b"\x07"))
    assert made.success and made.tx_hash and made.job_sequence == 1
    new = rig.app.jobs[made.job_sequence]
    assert (new.status.kind, new.description, new.data, new.sequences) == (
        "pending", "next", b"\x07", (3,))
    assert await rig.store.run(Ledger.operations) == []


async def test_refusals_are_answered_as_upstream_and_change_nothing(rig: Rig) -> None:
    before = rig.chain_state()
    job = rig.wire(1)
    cases: list[tuple[str, Any, grpc.StatusCode, str]] = [
        ("SetKV", pb.SetKVRequest(job_id=job, key="k", value="v"),
         grpc.StatusCode.OK, "session_id is required"),
        ("SetKV", pb.SetKVRequest(job_id=rig.wire(2), session_id=rig.mine, key="k", value="v"),
         grpc.StatusCode.OK, "not this session's"),
        ("GetKV", pb.GetKVRequest(job_id=rig.wire(2), session_id=rig.mine, key="k"),
         grpc.StatusCode.OK, "not this session's"),
        ("DeleteKV", pb.DeleteKVRequest(job_id=rig.wire(9), session_id=rig.mine, key="k"),
         grpc.StatusCode.OK, "not known"),
        ("GetAppInstance", pb.GetAppInstanceRequest(job_id=rig.wire(9), session_id=rig.mine),
         grpc.StatusCode.OK, "not known"),
        ("SetKV", pb.SetKVRequest(job_id=job, session_id="0" * 32, key="k", value="v"),
         grpc.StatusCode.OK, ""),
        ("SetKV", pb.SetKVRequest(job_id=job, session_id=rig.mine, key="k" * (MAX_KEY_BYTES + 1),
                                  value="v"),
         grpc.StatusCode.INVALID_ARGUMENT, f"key is longer than {MAX_KEY_BYTES} bytes"),
        ("AddMetadata", pb.AddMetadataRequest(job_id=job, session_id=rig.mine, key="k",
                                              value="é" * (MAX_VALUE_BYTES // 2 + 1)),
         grpc.StatusCode.INVALID_ARGUMENT, f"value is longer than {MAX_VALUE_BYTES} bytes"),
        ("SetKV", pb.SetKVRequest(job_id=job, session_id=rig.mine, key="", value="v"),
         grpc.StatusCode.INVALID_ARGUMENT, "key must not be empty"),
        ("CreateAppJob", pb.CreateAppJobRequest(job_id=job, session_id=rig.mine,
                                                method_name="nope"),
         grpc.StatusCode.OK, "Failed to create app job: Method not found in app instance"),
        ("CreateAppJob", pb.CreateAppJobRequest(job_id=job, session_id=rig.mine,
                                                method_name="merge"),
         grpc.StatusCode.OK, "Failed to create app job: 'merge' is reserved"),
        ("CreateAppJob", pb.CreateAppJobRequest(job_id=job, session_id=rig.mine,
                                                method_name="add", sequences=[1] * 1001),
         grpc.StatusCode.INVALID_ARGUMENT, "sequences has more than 1000"),
        ("CreateAppJob", pb.CreateAppJobRequest(job_id=job, session_id=rig.mine,
                                                method_name="add",
                                                data=b"x" * (MAX_VALUE_BYTES + 1)),
         grpc.StatusCode.INVALID_ARGUMENT, "data is longer"),
    ]
    reserved = {"method": "CreateAppJob", "reason": "reserved_method"}
    counted = REGISTRY.get_sample_value(REFUSED, reserved) or 0.0
    for name, request, code, words in cases:
        if code is grpc.StatusCode.OK:  # refused as upstream refuses: success=false
            reply = await rig.call(name, request)
            assert not reply.success and words in reply.message, (name, reply.message)
            continue
        error = await rig.refused(name, request)
        assert error.code() is code, (name, error.details())
        assert words in (error.details() or ""), (name, error.details())
    assert rig.chain_state() == before
    assert await rig.store.run(Ledger.operations) == []
    # Upstream would create a `merge` job without reserving its proofs: counted.
    assert REGISTRY.get_sample_value(REFUSED, reserved) == counted + 1


async def test_without_a_key_writes_name_the_config_and_reads_still_work(keyless: Rig) -> None:
    before = keyless.chain_state()
    job = keyless.wire(1)
    for name, request in [
        ("SetKV", pb.SetKVRequest(job_id=job, session_id=keyless.mine, key="k", value="v")),
        ("DeleteKV", pb.DeleteKVRequest(job_id=job, session_id=keyless.mine, key="k")),
        ("AddMetadata", pb.AddMetadataRequest(job_id=job, session_id=keyless.mine, key="k")),
        ("CreateAppJob", pb.CreateAppJobRequest(job_id=job, session_id=keyless.mine,
                                                method_name="add")),
    ]:
        error = await keyless.refused(name, request)
        assert error.code() is grpc.StatusCode.FAILED_PRECONDITION, name
        assert "sui.key_file" in (error.details() or "") and "SUI_SECRET_KEY" in (
            error.details() or "")
    assert keyless.chain_state() == before
    assert await keyless.store.run(Ledger.operations) == []
    info = await keyless.call("GetAppInstance", pb.GetAppInstanceRequest(
        job_id=job, session_id=keyless.mine))
    assert info.success and info.app_instance.id == keyless.app.id


async def test_a_chain_that_cannot_be_read_is_refused_as_upstream_and_the_daemon_goes_on(
    nursery: trio.Nursery, store: Store,
) -> None:
    down = await rig_for(nursery, store, with_key=False, chain_up=False)
    try:
        reply = await down.call("GetKV", pb.GetKVRequest(job_id=down.wire(1),
                                                         session_id=down.mine, key="k"))
        assert not reply.success and not reply.HasField("value")
        assert reply.message.startswith("Failed to fetch app instance: the chain could not")
        # The job calls are served as before.
        done = await down.call("CompleteJob", pb.CompleteJobRequest(job_id=down.wire(1),
                                                                     session_id=down.mine))
        assert done.success
    finally:
        down.channel.close()


async def test_one_session_cannot_hold_every_call_slot_with_writes(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes wait for the chain (here: a node that does not answer); a session
    gets at most MAX_WRITES_PER_SESSION waiting at once, another session is
    not held up by them, and once answered the session may write again."""
    monkeypatch.setattr("coordinator.settlement.writes.WRITE_TIMEOUT_SECS", 3.0)
    rig.sim.gate.unavailable_for(3600)

    def set_kv(session: str, job_id: int, key: str) -> pb.SetKVRequest:
        return pb.SetKVRequest(session_id=session, job_id=rig.wire(job_id), key=key, value="v")

    answers: list[Any] = []

    async def write(session: str, job_id: int, key: str) -> None:
        answers.append(await rig.call("SetKV", set_kv(session, job_id, key)))

    async with trio.open_nursery() as nursery:
        for n in range(MAX_WRITES_PER_SESSION):
            nursery.start_soon(write, rig.mine, 1, f"k{n}")
        await eventually(lambda: rig.service.writes_waiting[rig.mine] == MAX_WRITES_PER_SESSION,
                         10, "the session's writes all waiting for the chain")
        refused = await rig.refused("SetKV", set_kv(rig.mine, 1, "one-too-many"))
        assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert f"{MAX_WRITES_PER_SESSION} chain writes of this session" in refused.details()
        nursery.start_soon(write, rig.theirs, 2, "theirs")  # another agent: not held up
    # The chain never answered: each says so, and stays in the outbox.
    assert len(answers) == MAX_WRITES_PER_SESSION + 1
    assert all(not a.success and "did not answer" in a.message for a in answers)
    assert len(await rig.store.run(Ledger.operations)) == MAX_WRITES_PER_SESSION + 1
    # Answered (here: given up on), the session may write again.
    again = await rig.call("SetKV", set_kv(rig.mine, 1, "again"))
    assert not again.success and "did not answer" in again.message
