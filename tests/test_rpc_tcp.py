"""CoordinatorService on TCP (`rpc.listen`), called by grpcio over loopback.

Over TCP the session id is the caller's only credential: every refusal here
must leave the book and the store as they were, and other agents served.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
import trio
from pydantic import ValidationError

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import RpcSettings, Settings
from coordinator.domain import AgentKey, JobRef, JobState
from coordinator.jobs import JobBook, Session
from coordinator.rpc import CoordinatorService, TcpListenError, serve_tcp
from coordinator.store import Store
from tests.e2e_support import free_port
from tests.support import ADD_KEY, AGENT, APP_INSTANCE, DEV, created

KEY = ADD_KEY
OTHER = AgentKey(DEV, AGENT, "verify")
APP = APP_INSTANCE
SERVICE = "/silvana.coordinator.v1.CoordinatorService/"


def wire(job_id: int) -> str:
    return f"{job_id}@{APP}"


class TcpClient:
    """grpcio over loopback TCP; blocking calls run in a worker thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")

    async def call(self, name: str, request: Any, response: type[Any],
                   service: str = SERVICE) -> Any:
        method = self.channel.unary_unary(
            service + name, request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response.FromString)
        return await trio.to_thread.run_sync(lambda: method(request, timeout=10))

    async def raw(self, name: str, payload: bytes) -> grpc.RpcError:
        method = self.channel.unary_unary(SERVICE + name)
        with pytest.raises(grpc.RpcError) as info:
            await trio.to_thread.run_sync(lambda: method(payload, timeout=20))
        return info.value

    async def refused(self, name: str, request: Any, response: type[Any]) -> grpc.RpcError:
        with pytest.raises(grpc.RpcError) as info:
            await self.call(name, request, response)
        return info.value

    async def get_job(self, session: str, key: AgentKey = KEY) -> pb.GetJobResponse:
        request = pb.GetJobRequest(developer=key.developer, agent=key.agent,
                                   agent_method=key.agent_method, session_id=session)
        reply: pb.GetJobResponse = await self.call("GetJob", request, pb.GetJobResponse)
        return reply


@pytest.fixture
def book(store: Store) -> JobBook:
    book = JobBook(store, max_attempts=3, lease_secs=60)
    book.retry.jitter = 0
    return book


@pytest.fixture
async def client(nursery: trio.Nursery, book: JobBook) -> AsyncIterator[TcpClient]:
    settings = RpcSettings(listen=f"127.0.0.1:{free_port()}")
    port = await nursery.start(serve_tcp, settings, CoordinatorService(book))
    tcp = TcpClient(port)
    yield tcp
    tcp.channel.close()


def session_for(book: JobBook, key: AgentKey, *job_ids: int) -> Session:
    """A running container's session of `key`, started for the first of `job_ids`."""
    for job_id in job_ids:
        book.on_chain_event(created(job_id, key, app_instance=APP))
    opened = book.open_session(key)
    assert opened is not None
    return opened[0]


def states(book: JobBook) -> dict[JobRef, tuple[JobState, str | None, int]]:
    return {ref: (job.state, job.session_id, job.attempts) for ref, job in book.jobs.items()}


async def stored_states(book: JobBook) -> dict[JobRef, JobState]:
    return {job.ref: job.state for job in await book.store.run(lambda ledger: ledger.jobs())}


async def test_an_agent_takes_completes_fails_and_terminates_jobs(
    book: JobBook, client: TcpClient
) -> None:
    session = session_for(book, KEY, 1, 2, 3).session_id
    first = await client.get_job(session)
    assert first.success and first.job.job_id == wire(1)  # the reserved job first
    done = await client.call("CompleteJob", pb.CompleteJobRequest(job_id=wire(1),
                             session_id=session), pb.CompleteJobResponse)
    assert done.success

    second = await client.get_job(session)
    failed = await client.call("FailJob", pb.FailJobRequest(
        job_id=second.job.job_id, session_id=session, error_message="boom"), pb.FailJobResponse)
    assert failed.success and "retried" in failed.message

    third = await client.get_job(session)
    assert third.job.job_sequence == 3
    ended = await client.call("TerminateJob", pb.TerminateJobRequest(
        job_id=third.job.job_id, session_id=session), pb.TerminateJobResponse)
    assert ended.success
    said = await client.call("AgentMessage", pb.AgentMessageRequest(
        session_id=session, message="hello"), pb.AgentMessageResponse)
    assert said.success

    assert await stored_states(book) == {
        JobRef(APP, 1): JobState.COMPLETED, JobRef(APP, 2): JobState.PENDING,
        JobRef(APP, 3): JobState.DEAD,
    }
    assert book.jobs[JobRef(APP, 2)].last_error == "boom"
    empty = await client.get_job(session)  # job 2 waits out its retry backoff
    assert empty.success and not empty.HasField("job")


@pytest.mark.parametrize(
    ("name", "request_message", "response"),
    [
        ("GetJob", pb.GetJobRequest(developer=KEY.developer, agent=KEY.agent,
                                    agent_method=KEY.agent_method), pb.GetJobResponse),
        ("CompleteJob", pb.CompleteJobRequest(job_id=wire(1)), pb.CompleteJobResponse),
        ("FailJob", pb.FailJobRequest(job_id=wire(1), error_message="x"), pb.FailJobResponse),
        ("TerminateJob", pb.TerminateJobRequest(job_id=wire(1)), pb.TerminateJobResponse),
        ("AgentMessage", pb.AgentMessageRequest(job_id=wire(1), message="x"),
         pb.AgentMessageResponse),
    ],
)
async def test_calls_without_a_session_are_refused(
    book: JobBook, client: TcpClient, name: str, request_message: Any, response: type[Any]
) -> None:
    book.on_chain_event(created(1, KEY, app_instance=APP))
    before = states(book)
    reply = await client.call(name, request_message, response)
    # Refused in upstream's style (success=false); an AgentMessage is answered
    # success, as upstream answers it, but not logged.
    assert reply.success is (name == "AgentMessage")
    assert "session_id is required over TCP" in reply.message
    assert states(book) == before


async def test_sessions_and_jobs_that_are_not_the_callers_are_refused_and_change_nothing(
    book: JobBook, client: TcpClient
) -> None:
    mine = session_for(book, KEY, 1, 2).session_id
    theirs = session_for(book, OTHER, 10).session_id
    before, stored = states(book), await stored_states(book)

    async def refused(name: str, request: Any, response: type[Any],
                      success: bool, words: str) -> None:
        """Answered OK as upstream answers: success=false, or (GetJob,
        AgentMessage) success without effect."""
        reply = await client.call(name, request, response)
        assert (reply.success, words in reply.message) == (success, True), reply.message
        if name == "GetJob":
            assert not reply.HasField("job")

    denied = missing = False
    unknown = "0123456789abcdef0123456789abcdef"
    # A session no running container has.
    await refused("GetJob", pb.GetJobRequest(developer=KEY.developer, agent=KEY.agent,
                  agent_method=KEY.agent_method, session_id=unknown), pb.GetJobResponse,
                  True, "does not belong to a running agent")
    await refused("CompleteJob", pb.CompleteJobRequest(job_id=wire(1), session_id=unknown),
                  pb.CompleteJobResponse, denied, "does not belong to a running agent")
    # A session asking for another key's jobs.
    await refused("GetJob", pb.GetJobRequest(developer=OTHER.developer, agent=OTHER.agent,
                  agent_method=OTHER.agent_method, session_id=mine), pb.GetJobResponse,
                  True, f"belongs to {KEY}")
    # Another agent's running job, and this key's job the session does not hold.
    for job_id in (10, 2):
        for name, request, response in [
            ("CompleteJob", pb.CompleteJobRequest(job_id=wire(job_id), session_id=mine),
             pb.CompleteJobResponse),
            ("FailJob", pb.FailJobRequest(job_id=wire(job_id), session_id=mine,
                                          error_message="x"), pb.FailJobResponse),
            ("TerminateJob", pb.TerminateJobRequest(job_id=wire(job_id), session_id=mine),
             pb.TerminateJobResponse),
        ]:
            # Another session's job is named as such; an unheld one of this key is
            # not running here (what became of it is not said).
            words = "not this session's" if job_id == 10 else "not running in this session"
            await refused(name, request, response, denied, words)
    await refused("AgentMessage", pb.AgentMessageRequest(job_id=wire(10), session_id=mine,
                  message="x"), pb.AgentMessageResponse, True, "not this session's")
    # A job nobody knows.
    await refused("CompleteJob", pb.CompleteJobRequest(job_id=wire(99), session_id=mine),
                  pb.CompleteJobResponse, missing, "job 99 is not known")
    assert states(book) == before
    assert await stored_states(book) == stored

    # The other agent was not disturbed: it settles its job.
    done = await client.call("CompleteJob", pb.CompleteJobRequest(
        job_id=wire(10), session_id=theirs), pb.CompleteJobResponse)
    assert done.success


async def test_status_service_is_not_on_tcp(client: TcpClient) -> None:
    with pytest.raises(grpc.RpcError) as info:
        await client.call("GetStatus", pb.GetStatusRequest(), pb.GetStatusResponse,
                          service="/silvana.coordinator.v1.CoordinatorStatusService/")
    assert info.value.code() is grpc.StatusCode.UNIMPLEMENTED


async def test_malformed_and_oversized_messages_get_a_status_and_others_go_on(
    book: JobBook, client: TcpClient
) -> None:
    session = session_for(book, KEY, 1).session_id
    malformed = await client.raw("GetJob", b"\x0a\xff\xff\xff")  # a string longer than the data
    assert malformed.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid GetJobRequest" in malformed.details()
    # Beyond rpc.max_message_bytes (4 MiB), on its own connection: refused as soon
    # as its length prefix arrives, with a status.
    big = TcpClient(client.port)
    try:
        oversized = await big.raw("GetJob", b"\x0a" + b"\x80\x80\x80\x03" + b"a" * (6 << 20))
    finally:
        big.channel.close()
    assert oversized.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (await client.get_job(session)).job.job_sequence == 1


async def test_a_flood_of_connections_does_not_stop_the_agents(
    book: JobBook, client: TcpClient
) -> None:
    session = session_for(book, KEY, *range(1, 21)).session_id
    port = client.port
    # The agent is connected before the flood: connections over rpc.max_connections
    # are closed on accept, the ones already served go on.
    taken = [(await client.get_job(session)).job.job_sequence]
    flood: list[socket.socket] = []
    try:
        for n in range(300):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            if n % 3 == 0:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # not HTTP/2 at all
            elif n % 3 == 1:
                sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")  # a preface, then nothing
            flood.append(sock)
        with trio.fail_after(30):
            taken += [(await client.get_job(session)).job.job_sequence for _ in range(19)]
    finally:
        for sock in flood:
            sock.close()
    assert taken == list(range(1, 21))


async def test_a_port_in_use_is_one_line(book: JobBook, nursery: trio.Nursery) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(TcpListenError, match=f"rpc.listen: cannot listen on 127.0.0.1:{port}"):
            await nursery.start(serve_tcp, RpcSettings(listen=f"127.0.0.1:{port}"),
                                CoordinatorService(book))


def test_rpc_listen_settings() -> None:
    assert RpcSettings(listen="").listen_address is None
    assert RpcSettings(listen="").listen_port is None
    assert RpcSettings(listen="0.0.0.0:50051").listen_address == ("0.0.0.0", 50051)
    assert RpcSettings(listen="[::1]:50051").listen_address == ("::1", 50051)
    settings = Settings.model_validate({"sui": {"package_id": "0x1"},
                                        "rpc": {"listen": "0.0.0.0:50051"}})
    assert settings.agent_coordinator_url == "http://host.docker.internal:50051"
    off = Settings.model_validate({"sui": {"package_id": "0x1"}, "rpc": {"listen": ""}})
    assert off.agent_coordinator_url is None


@pytest.mark.parametrize(
    ("listen", "words"),
    [("localhost:50051", "IP address"), ("0.0.0.0:0", "agents are told it"),
     ("0.0.0.0", "host:port"), ("0.0.0.0:70000", "host:port")],
)
def test_rpc_listen_refused(listen: str, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        RpcSettings(listen=listen)
