"""Who may act for whom on the coordinator's sockets (issue 15, finding 1).

Each agent container gets a socket of its own (`AgentSockets`), and a call that
arrives there acts for that container's session only; calls without a session
are served on the operator's socket alone. Called with grpcio, an independent
gRPC implementation, as an agent would. Before this, every container had the
one operator socket mounted, and any session id (or none) acted for anyone.
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import RpcSettings
from coordinator.domain import AgentKey, JobState
from coordinator.instruments import REFUSAL_REASONS, REGISTRY
from coordinator.jobs import JobBook
from coordinator.logs import session_fingerprint
from coordinator.rpc import AgentSockets, CoordinatorService, StatusService, serve
from coordinator.store import Store
from tests.support import ADD_KEY, APP_INSTANCE, created

OTHER = AgentKey("OtherDev", "OtherAgent", "prove")
APP = APP_INSTANCE
SERVICE = "/silvana.coordinator.v1.CoordinatorService/"
STATUS_SERVICE = "/silvana.coordinator.v1.CoordinatorStatusService/"


def wire(job_id: int) -> str:
    return f"{job_id}@{APP}"


async def call(path: str, name: str, request: Any, response: type[Any],
               service: str = SERVICE) -> Any:
    """One grpcio call on the Unix socket at `path` (in a thread: it blocks)."""
    def blocking() -> Any:
        with grpc.insecure_channel(f"unix:{path}") as channel:
            method = channel.unary_unary(service + name,
                                         request_serializer=lambda m: m.SerializeToString(),
                                         response_deserializer=response.FromString)
            return method(request, timeout=10)
    return await trio.to_thread.run_sync(blocking)


async def refused(path: str, name: str, request: Any, response: type[Any],
                  service: str = SERVICE) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        await call(path, name, request, response, service)
    return info.value


async def refusal(path: str, name: str, request: Any, response: type[Any]) -> str:
    """A call refused as upstream refuses: OK, success=false; its message."""
    reply = await call(path, name, request, response)
    assert not reply.success, reply
    message: str = reply.message
    return message


@dataclass
class Rig:
    book: JobBook
    operator: str  # the operator's socket
    sockets: AgentSockets
    mine: str  # my container's session, and its socket
    my_socket: str
    theirs: str  # another container's session (another developer's job)
    their_socket: str


@pytest.fixture
async def rig(store: Store, sock_dir: Path, nursery: trio.Nursery) -> AsyncIterator[Rig]:
    book = JobBook(store, max_attempts=3, lease_secs=60)
    book.on_chain_event(created(1, ADD_KEY))
    book.on_chain_event(created(2, OTHER))
    book.on_chain_event(created(3, OTHER))  # pending: for a GetJob without a session
    mine = book.open_session(ADD_KEY)
    theirs = book.open_session(OTHER)
    assert mine is not None and theirs is not None
    settings = RpcSettings(socket_path=sock_dir / "coordinator.sock")
    sockets = AgentSockets(sock_dir / "agents", sock_dir / "agents", "coordinator.sock")
    service = CoordinatorService(book)

    def status() -> pb.GetStatusResponse:
        return pb.GetStatusResponse(instance_id="test")

    status_service = StatusService(status, service.limiter)
    operator = await nursery.start(functools.partial(serve, settings, service, status_service,
                                                     agents=sockets))
    async with AsyncExitStack() as stack:
        for session, _ in (mine, theirs):
            await stack.enter_async_context(sockets.session(session.session_id))
        yield Rig(book, str(operator), sockets,
                  mine[0].session_id, sockets.socket_path(mine[0].session_id),
                  theirs[0].session_id, sockets.socket_path(theirs[0].session_id))


def state_of(book: JobBook, job_id: int) -> JobState:
    [job] = [job for job in book.jobs.values() if job.job_id == job_id]
    return job.state


async def test_each_container_has_its_own_socket_in_its_own_directory(rig: Rig) -> None:
    for session, path in ((rig.mine, rig.my_socket), (rig.theirs, rig.their_socket)):
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
        # Named by the fingerprint: the directory name is no credential.
        assert Path(path).parent.name == session_fingerprint(session)
        assert session not in path
    assert stat.S_IMODE(os.stat(Path(rig.my_socket).parent).st_mode) == 0o700
    assert stat.S_IMODE(os.lstat(rig.my_socket).st_mode) == 0o600


async def test_my_own_session_works_on_my_socket(rig: Rig) -> None:
    got = await call(rig.my_socket, "GetJob", pb.GetJobRequest(
        developer=ADD_KEY.developer, agent=ADD_KEY.agent, agent_method=ADD_KEY.agent_method,
        session_id=rig.mine), pb.GetJobResponse)
    assert got.job.job_id == wire(1)
    done = await call(rig.my_socket, "CompleteJob",
                      pb.CompleteJobRequest(session_id=rig.mine, job_id=wire(1)),
                      pb.CompleteJobResponse)
    assert done.success and state_of(rig.book, 1) is JobState.COMPLETED


async def test_another_containers_session_id_on_my_socket_is_refused(rig: Rig) -> None:
    message = await refusal(rig.my_socket, "CompleteJob",
                            pb.CompleteJobRequest(session_id=rig.theirs, job_id=wire(2)),
                            pb.CompleteJobResponse)
    assert message.startswith("Invalid session ID: ")
    assert "own container's session only" in message and rig.theirs not in message
    assert state_of(rig.book, 2) is JobState.RUNNING  # nothing changed


async def test_get_job_without_a_session_on_an_agent_socket_is_refused(rig: Rig) -> None:
    request = pb.GetJobRequest(developer=OTHER.developer, agent=OTHER.agent,
                               agent_method=OTHER.agent_method)
    message = await refusal(rig.my_socket, "GetJob", request, pb.GetJobResponse)
    assert "must carry its SESSION_ID" in message
    assert state_of(rig.book, 3) is JobState.PENDING  # not handed out
    # The operator's socket still serves the seed's call without a session.
    got = await call(rig.operator, "GetJob", request, pb.GetJobResponse)
    assert got.job.job_id == wire(3)


async def test_complete_job_without_a_session_on_an_agent_socket_is_refused(rig: Rig) -> None:
    message = await refusal(rig.my_socket, "CompleteJob",
                            pb.CompleteJobRequest(session_id="", job_id=wire(2)),
                            pb.CompleteJobResponse)
    assert message.startswith("Invalid session ID: ")
    assert state_of(rig.book, 2) is JobState.RUNNING


async def test_my_session_cannot_settle_another_sessions_job(rig: Rig) -> None:
    for name, request, response in (
        ("CompleteJob", pb.CompleteJobRequest(session_id=rig.mine, job_id=wire(2)),
         pb.CompleteJobResponse),
        ("FailJob", pb.FailJobRequest(session_id=rig.mine, job_id=wire(2), error_message="x"),
         pb.FailJobResponse),
        ("TerminateJob", pb.TerminateJobRequest(session_id=rig.mine, job_id=wire(2)),
         pb.TerminateJobResponse),
    ):
        message = await refusal(rig.my_socket, name, request, response)
        assert message == "Job does not belong to requesting session: job 2 is not this session's"
    assert state_of(rig.book, 2) is JobState.RUNNING
    # Nor take a job of another key.
    other = await call(rig.my_socket, "GetJob", pb.GetJobRequest(
        developer=OTHER.developer, agent=OTHER.agent, agent_method=OTHER.agent_method,
        session_id=rig.mine), pb.GetJobResponse)
    assert other.success and not other.HasField("job") and rig.mine not in other.message
    assert state_of(rig.book, 3) is JobState.PENDING


def refused_count(method: str, reason: str) -> float:
    return REGISTRY.get_sample_value("silvana_coordinator_agent_calls_refused_total",
                                     {"method": method, "reason": reason}) or 0.0


async def test_the_trust_models_refusals_are_counted_by_method_and_reason(rig: Rig) -> None:
    # The counters are the process's (other tests count too): the differences.
    watched = [("CompleteJob", "other_session"), ("GetJob", "no_session"),
               ("FailJob", "other_sessions_job"), ("CompleteJob", "no_session")]
    before = {labels: refused_count(*labels) for labels in watched}
    await refusal(rig.my_socket, "CompleteJob",
                  pb.CompleteJobRequest(session_id=rig.theirs, job_id=wire(2)),
                  pb.CompleteJobResponse)
    await refusal(rig.my_socket, "GetJob", pb.GetJobRequest(
        developer=OTHER.developer, agent=OTHER.agent, agent_method=OTHER.agent_method),
        pb.GetJobResponse)
    await refusal(rig.my_socket, "FailJob", pb.FailJobRequest(
        session_id=rig.mine, job_id=wire(2), error_message="x"), pb.FailJobResponse)
    # Upstream refuses an unknown session too: not the trust model's refusal.
    await refusal(rig.operator, "CompleteJob",
                  pb.CompleteJobRequest(session_id="0x" + "ab" * 32, job_id=wire(2)),
                  pb.CompleteJobResponse)
    after = {labels: refused_count(*labels) for labels in watched}
    assert {labels: after[labels] - before[labels] for labels in watched} == {
        ("CompleteJob", "other_session"): 1, ("GetJob", "no_session"): 1,
        ("FailJob", "other_sessions_job"): 1, ("CompleteJob", "no_session"): 0}


async def test_status_is_served_on_the_operators_socket_only(rig: Rig) -> None:
    error = await refused(rig.my_socket, "GetStatus", pb.GetStatusRequest(),
                          pb.GetStatusResponse, STATUS_SERVICE)
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED
    status = await call(rig.operator, "GetStatus", pb.GetStatusRequest(), pb.GetStatusResponse,
                        STATUS_SERVICE)
    assert status.instance_id == "test"


async def test_a_sessions_socket_and_directory_go_when_its_container_ends(rig: Rig) -> None:
    opened = rig.book.open_session(ADD_KEY)
    assert opened is None  # one session per key; use a new key's job
    key = AgentKey("ThirdDev", "A", "m")
    rig.book.on_chain_event(created(7, key))
    session = rig.book.open_session(key)
    assert session is not None
    path = rig.sockets.socket_path(session[0].session_id)
    async with rig.sockets.session(session[0].session_id) as directory:
        assert directory == Path(path).parent and stat.S_ISSOCK(os.lstat(path).st_mode)
    assert not directory.exists()


async def test_the_socket_is_bound_again_in_the_same_directory_after_an_rpc_restart(
    store: Store, sock_dir: Path,
) -> None:
    """The container keeps its mount (the directory) across an rpc restart: the
    new socket is seen in it. A bind-mounted socket file would stay the dead one."""
    book = JobBook(store, max_attempts=3, lease_secs=60)
    book.on_chain_event(created(1, ADD_KEY))
    opened = book.open_session(ADD_KEY)
    assert opened is not None
    session_id = opened[0].session_id
    settings = RpcSettings(socket_path=sock_dir / "coordinator.sock")
    sockets = AgentSockets(sock_dir / "agents", sock_dir / "agents", "coordinator.sock")
    request = pb.AgentMessageRequest(session_id=session_id, message="hello")
    async with sockets.session(session_id) as directory, trio.open_nursery() as nursery:
        path = sockets.socket_path(session_id)
        assert not os.access(path, os.F_OK)  # no rpc child yet: bound when it starts
        for _ in range(2):
            scope, stopped = trio.CancelScope(), trio.Event()

            async def rpc(task_status: trio.TaskStatus[None], scope: trio.CancelScope = scope,
                          stopped: trio.Event = stopped) -> None:
                try:
                    with scope:
                        await serve(settings, CoordinatorService(book), agents=sockets,
                                    task_status=task_status)
                finally:
                    stopped.set()

            await nursery.start(rpc)
            answer = await call(path, "AgentMessage", request, pb.AgentMessageResponse)
            assert answer.success
            scope.cancel()
            await stopped.wait()
            # The socket went with the rpc child; the mounted directory stays.
            assert not os.access(path, os.F_OK) and directory.is_dir()


async def test_an_agent_socket_dir_deeper_than_a_socket_path_allows(
    store: Store, sock_dir: Path, nursery: trio.Nursery,
) -> None:
    """sun_path holds 107 bytes; the agents' directory may be deeper (pytest's
    tmp dirs, a long state path): the server binds through the directory's fd."""
    book = JobBook(store, max_attempts=3, lease_secs=60)
    book.on_chain_event(created(1, ADD_KEY))
    opened = book.open_session(ADD_KEY)
    assert opened is not None
    deep = sock_dir / ("d" * 60) / ("e" * 60)
    sockets = AgentSockets(deep, deep, "coordinator.sock")
    settings = RpcSettings(socket_path=sock_dir / "coordinator.sock")
    await nursery.start(functools.partial(serve, settings, CoordinatorService(book),
                                          agents=sockets))
    session_id = opened[0].session_id
    async with sockets.session(session_id) as directory:
        path = sockets.socket_path(session_id)
        assert len(path) > 107 and stat.S_ISSOCK(os.lstat(path).st_mode)
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:  # as a container sees it: a short path to the same socket
            answer = await call(f"/proc/self/fd/{fd}/coordinator.sock", "AgentMessage",
                                pb.AgentMessageRequest(session_id=session_id, message="hi"),
                                pb.AgentMessageResponse)
        finally:
            os.close(fd)
        assert answer.success


def test_every_refusal_reason_is_in_the_trust_models_table() -> None:
    """docs/trust-model.md says, for each reason counted, what upstream does and why."""
    page = (Path(__file__).resolve().parent.parent / "docs" / "trust-model.md").read_text()
    table = page.split("## Where this refuses what upstream allows", 1)[1]
    assert [reason for reason in sorted(REFUSAL_REASONS) if f"| `{reason}` |" not in table] == []
