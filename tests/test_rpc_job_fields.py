"""GetJob hands out the job as upstream fills it (issue 23): every field of
upstream's `Job` message from the chain's JobCreatedEvent, kept across a
restart by the store, and a `settle` job's settlement chain read from its app
instance. The chain is the served simulator (2025-11 layout), its events
decoded from their BCS as the dispatcher decodes them; the agent is grpcio
over TCP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import RpcSettings
from coordinator.domain import JobState
from coordinator.events import models_2025_11 as v11
from coordinator.events.layouts import neutral
from coordinator.events.parser import CoordinationEvent, LedgerPosition
from coordinator.jobs import JobBook
from coordinator.rpc import CoordinatorService, serve_tcp
from coordinator.rpc.jobs import ORPHANED_SETTLE
from coordinator.simnet import Simnet, serve
from coordinator.store import Store
from coordinator.sui.client import connect
from coordinator.sui.endpoint import Endpoint
from tests.e2e_support import free_port
from tests.support import ADD_KEY

SERVICE = "/silvana.coordinator.v1.CoordinatorService/"


@dataclass
class Rig:
    sim: Simnet
    book: JobBook
    channel: grpc.Channel

    async def get_job(self, session_id: str) -> pb.GetJobResponse:
        method = self.channel.unary_unary(SERVICE + "GetJob",
                                          request_serializer=lambda m: m.SerializeToString(),
                                          response_deserializer=pb.GetJobResponse.FromString)
        request = pb.GetJobRequest(developer=ADD_KEY.developer, agent=ADD_KEY.agent,
                                   agent_method=ADD_KEY.agent_method, session_id=session_id)
        reply: pb.GetJobResponse = await trio.to_thread.run_sync(
            lambda: method(request, timeout=30))
        return reply


def created_on_chain(sim: Simnet, **fields: Any) -> CoordinationEvent:
    """A job created on the simulated chain, its JobCreatedEvent as the router
    hands it to the book (decoded from the event's BCS)."""
    sim.create_job("app", developer=ADD_KEY.developer, agent=ADD_KEY.agent,
                   method=ADD_KEY.agent_method, **fields)
    assert sim.last_tx is not None
    [record] = [r for r in sim.last_tx.events if r.event_type.endswith("::JobCreatedEvent")]
    event = v11.JobCreatedEvent.from_bcs(record.contents)
    return CoordinationEvent(LedgerPosition(1, sim.last_tx.digest, 0, 0), "jobs",
                             "JobCreatedEvent", "0x1", neutral(event))


@pytest.fixture
async def rig(nursery: trio.Nursery, store: Store) -> AsyncIterator[Rig]:
    sim = Simnet(checkpoint_interval_secs=0, layout="2025-11")
    sim.create_app_instance("app", settlement_chains={"devnet": None, "mainnet": None})
    sim.seal()
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    endpoint = Endpoint("http", host="127.0.0.1", port=int(target.rsplit(":", 1)[1]))

    def reach() -> Any:
        return connect(endpoint, timeout=2)

    book = JobBook(store, max_attempts=3, lease_secs=60)
    service = CoordinatorService(book, chain=reach)
    listen = await nursery.start(serve_tcp, RpcSettings(listen=f"127.0.0.1:{free_port()}"),
                                 service)
    channel = grpc.insecure_channel(f"127.0.0.1:{listen}")
    yield Rig(sim, book, channel)
    channel.close()


async def test_get_job_fills_every_field_of_a_merge_job_as_upstream(
    rig: Rig, store: Store
) -> None:
    rig.book.on_chain_event(created_on_chain(
        rig.sim, description="merge 1-3", app_instance_method="merge", block_number=4,
        sequences=[1, 2, 3], sequences1=[1], sequences2=[2, 3], data=b"\x01\x02"))
    await rig.book.commit()
    # What an agent reads must survive a restart: the book is loaded from the store.
    [kept] = (await JobBook.load(store, max_attempts=3, lease_secs=60)).jobs.values()
    assert (kept.block_number, kept.sequences, kept.sequences1, kept.sequences2) == (
        4, (1, 2, 3), (1,), (2, 3))
    opened = rig.book.open_session(ADD_KEY)
    assert opened is not None
    session, _ = opened
    reply = await rig.get_job(session.session_id)
    assert reply.success and reply.HasField("job"), reply
    job, chain_job = reply.job, rig.sim.app_instance("app").jobs[1]
    app = rig.sim.app_instance("app")
    assert (job.job_sequence, job.job_id) == (1, f"1@{app.app_instance}")
    assert (job.description, job.developer, job.agent, job.agent_method) == (
        "merge 1-3", *ADD_KEY)
    assert (job.app, job.app_instance, job.app_instance_method) == (
        app.app, app.app_instance, "merge")
    assert job.HasField("block_number") and job.block_number == 4
    assert (list(job.sequences), list(job.sequences1), list(job.sequences2)) == (
        [1, 2, 3], [1], [2, 3])
    assert (job.data, job.attempts) == (b"\x01\x02", 1)  # the chain counts starts
    assert 0 < job.created_at == chain_job.created_at <= job.updated_at
    assert not job.HasField("chain")  # not a settle job


async def test_a_settle_job_carries_its_settlement_chain(rig: Rig) -> None:
    """Upstream's settle agent throws without `Job.chain`: GetJob names the
    settlement whose `settlement_job` the job is."""
    rig.book.on_chain_event(created_on_chain(
        rig.sim, app_instance_method="settle", settlement_chain="mainnet",
        data=bytes(16)))
    rig.book.on_chain_event(created_on_chain(rig.sim, data=b"\x05"))
    opened = rig.book.open_session(ADD_KEY)
    assert opened is not None
    session, _ = opened
    settle = (await rig.get_job(session.session_id)).job
    assert settle.app_instance_method == "settle" and settle.chain == "mainnet"
    assert not settle.HasField("block_number") and list(settle.sequences1) == []
    plain = (await rig.get_job(session.session_id)).job
    assert plain.job_sequence == 2 and not plain.HasField("chain")


async def test_a_settle_job_of_no_settlement_is_terminated_and_the_next_handed_out(
    rig: Rig,
) -> None:
    """Upstream terminates a settle job no settlement names, and looks further."""
    rig.book.on_chain_event(created_on_chain(rig.sim, app_instance_method="settle"))
    rig.book.on_chain_event(created_on_chain(rig.sim, data=b"\x05"))
    opened = rig.book.open_session(ADD_KEY)
    assert opened is not None
    reply = await rig.get_job(opened[0].session_id)
    assert reply.success and reply.job.job_sequence == 2, reply
    orphan = next(job for job in rig.book.jobs.values() if job.job_id == 1)
    assert (orphan.state, orphan.last_error) == (JobState.DEAD, ORPHANED_SETTLE)


async def test_a_session_settles_one_chain(rig: Rig) -> None:
    """Upstream locks a session to the chain of its first settle job: a settle
    job of another chain stays pending for another session."""
    for chain in ("devnet", "mainnet"):
        rig.book.on_chain_event(created_on_chain(
            rig.sim, app_instance_method="settle", settlement_chain=chain, data=bytes(16)))
    rig.book.on_chain_event(created_on_chain(rig.sim, data=b"\x05"))
    opened = rig.book.open_session(ADD_KEY)
    assert opened is not None
    session, _ = opened
    first = (await rig.get_job(session.session_id)).job
    assert (first.job_sequence, first.chain) == (1, "devnet")
    assert session.settle_chain == "devnet"
    # The mainnet settle job comes first in upstream's order, but not to this session.
    plain = await rig.get_job(session.session_id)
    assert plain.job.job_sequence == 3, plain
    assert not (await rig.get_job(session.session_id)).HasField("job")
    other = rig.book.open_session(ADD_KEY)
    assert other is not None and other[1].job_id == 2
    reply = await rig.get_job(other[0].session_id)
    assert (reply.job.job_sequence, reply.job.chain) == (2, "mainnet")
