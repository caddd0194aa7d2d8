"""CoordinatorService on the Unix socket, called by grpcio (an independent gRPC
implementation) and by our own purerpc client.

Sockets live in short directories under /tmp: an AF_UNIX path holds at most
107 bytes, and pytest's tmp_path can be longer than that.
"""

from __future__ import annotations

import grp
import io
import os
import socket
import stat
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import purerpc
import pytest
import trio
from google.protobuf import json_format, message_factory
from pydantic import ValidationError

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator._pb.silvana.coordinator.v1.coordinator_grpc import CoordinatorServiceStub
from coordinator.config import RpcSettings
from coordinator.domain import AgentKey, Job, JobRef, JobState
from coordinator.grpc import unix_channel
from coordinator.jobs import JobBook
from coordinator.logs import session_fingerprint
from coordinator.rpc import CoordinatorService, SocketPathError, StatusService, serve
from coordinator.rpc.service import UNSERVED
from coordinator.status import DaemonStatus
from coordinator.store import Store
from tests.support import (
    ADD_KEY,
    AGENT,
    APP_INSTANCE,
    DEV,
    FORGED,
    LINE_START,
    created,
    log_lines,
)

KEY = ADD_KEY
OTHER = AgentKey(DEV, AGENT, "verify")
APP = APP_INSTANCE
SERVICE = "/silvana.coordinator.v1.CoordinatorService/"
STATUS_SERVICE = "/silvana.coordinator.v1.CoordinatorStatusService/"
# What the original coordinator's README tells agents (and grpcurl users) to send.
ORIGINAL_GET_JOB = '{"developer": "AddExampleDev", "agent": "AddAgent", "agent_method": "prove"}'


# --- fixtures ---------------------------------------------------------------


@pytest.fixture
def book(store: Store) -> JobBook:
    book = JobBook(store, max_attempts=3, lease_secs=60)
    book.retry.jitter = 0
    return book


def services_of(book: JobBook, limit: int = 64) -> tuple[CoordinatorService, StatusService]:
    """The service and the status of the book's and the service's parts, as the
    daemon composes them."""
    service = CoordinatorService(book, max_concurrent_requests=limit)
    status = DaemonStatus([book.report, service.report], "test-instance")
    return service, StatusService(status.snapshot, service.limiter)


def wire(job_id: int, app_instance: str = APP) -> str:
    """A job's wire id, as GetJob hands it out."""
    return f"{job_id}@{app_instance}"


def settings_in(sock_dir: Path, **kwargs: Any) -> RpcSettings:
    return RpcSettings(socket_path=sock_dir / "coordinator.sock", **kwargs)


@pytest.fixture
async def served(
    nursery: trio.Nursery, book: JobBook, sock_dir: Path
) -> tuple[str, CoordinatorService]:
    service, status = services_of(book, 8)
    path = await nursery.start(serve, settings_in(sock_dir), service, status)
    return str(path), service


class GrpcClient:
    """Generic grpcio calls with our messages; blocking calls run in a thread."""

    def __init__(self, path: str) -> None:
        self.channel = grpc.insecure_channel(f"unix:{path}")

    def method(self, name: str, response: type[Any], service: str = SERVICE) -> Any:
        return self.channel.unary_unary(
            service + name,
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=response.FromString,
        )

    async def call(
        self, name: str, request: Any, response: type[Any], service: str = SERVICE
    ) -> Any:
        method = self.method(name, response, service)
        return await trio.to_thread.run_sync(lambda: method(request, timeout=10))

    async def get_job(self, request: pb.GetJobRequest) -> pb.GetJobResponse:
        result: pb.GetJobResponse = await self.call("GetJob", request, pb.GetJobResponse)
        return result

    async def complete(self, session_id: str, job_id: int | str) -> pb.CompleteJobResponse:
        job = wire(job_id) if isinstance(job_id, int) else job_id
        request = pb.CompleteJobRequest(session_id=session_id, job_id=job)
        result: pb.CompleteJobResponse = await self.call(
            "CompleteJob", request, pb.CompleteJobResponse)
        return result

    async def fail(self, session_id: str, job_id: int | str, error: str) -> pb.FailJobResponse:
        job = wire(job_id) if isinstance(job_id, int) else job_id
        request = pb.FailJobRequest(session_id=session_id, job_id=job, error_message=error)
        result: pb.FailJobResponse = await self.call("FailJob", request, pb.FailJobResponse)
        return result

    async def refusal_of(self, name: str, request: Any, response: type[Any]) -> str:
        """The message of a call refused as upstream refuses: OK, success=false."""
        reply = await self.call(name, request, response)
        assert not reply.success, reply
        message: str = reply.message
        return message

    async def error_of(self, name: str, request: Any, response: type[Any]) -> grpc.RpcError:
        with pytest.raises(grpc.RpcError) as info:
            await self.call(name, request, response)
        return info.value

    def close(self) -> None:
        self.channel.close()


@pytest.fixture
def client(served: tuple[str, CoordinatorService]) -> Iterator[GrpcClient]:
    client = GrpcClient(served[0])
    yield client
    client.close()


def original_request() -> pb.GetJobRequest:
    return json_format.Parse(ORIGINAL_GET_JOB, pb.GetJobRequest())


async def stored(book: JobBook, ref: JobRef) -> Job:
    jobs = await book.store.run(lambda ledger: ledger.jobs())
    return next(job for job in jobs if job.ref == ref)


# --- the calls, from grpcio -------------------------------------------------------------


async def test_original_get_job_without_session(book: JobBook, client: GrpcClient) -> None:
    empty = await client.get_job(original_request())
    # Nothing pending: success and no job, not an error.
    assert empty.success and not empty.HasField("job")

    book.on_chain_event(created(5))
    book.on_chain_event(created(6, description=None))
    reply = await client.get_job(original_request())
    assert reply.HasField("job")
    job = reply.job
    assert reply.success
    assert job.job_sequence == 5 and job.HasField("description") and job.description == "add"
    assert job.job_id == wire(5)  # what the agent hands back to settle it
    assert (job.developer, job.agent, job.agent_method) == tuple(KEY)
    assert (job.app, job.app_instance, job.app_instance_method) == ("AddApp", APP, "add")
    assert list(job.sequences) == [7, 8] and job.data == bytes([1, 2, 5])
    assert job.attempts == 1  # the chain counts starts: this is the first
    # Stamped when started, as the chain's start_job stamps it.
    assert job.created_at == 1_700_000_000_005 < job.updated_at
    # Persisted before the answer: the store already has it running (leased).
    assert (await stored(book, JobRef(APP, 5))).state is JobState.RUNNING

    second = await client.get_job(original_request())
    assert second.job.job_sequence == 6 and not second.job.HasField("description")
    assert not (await client.get_job(original_request())).HasField("job")

    # Without a session, the leased job is settled with an empty session id.
    done = await client.complete("", 5)
    assert done.success and "completed" in done.message
    assert (await stored(book, JobRef(APP, 5))).state is JobState.COMPLETED


async def test_sessions_are_enforced(book: JobBook, client: GrpcClient) -> None:
    for job_id in (1, 2, 3):
        book.on_chain_event(created(job_id))
    book.on_chain_event(created(4, OTHER))
    opened = book.open_session(KEY)
    assert opened is not None
    session, trigger = opened
    assert trigger.job_id == 1

    def request(session_id: str, key: AgentKey = KEY) -> pb.GetJobRequest:
        return pb.GetJobRequest(developer=key.developer, agent=key.agent,
                                agent_method=key.agent_method, session_id=session_id)

    # Upstream: a session it does not know (or not of this key) has no jobs.
    wrong = await client.get_job(request("0123abcd"))
    assert wrong.success and not wrong.HasField("job")
    assert wrong.message.startswith("No pending jobs found")
    assert "does not belong to a running agent" in wrong.message
    other_key = await client.get_job(request(session.session_id, OTHER))
    assert other_key.success and not other_key.HasField("job")
    assert str(KEY) in other_key.message

    # The session's first call gets the job its container was started for.
    reserved = await client.get_job(request(session.session_id))
    assert reserved.job.job_sequence == 1 and reserved.job.job_id == wire(1)
    reply = await client.get_job(request(session.session_id))
    assert reply.job.job_sequence == 2
    assert book.jobs[JobRef(APP, 2)].session_id == session.session_id

    # Settling needs the session that holds the job.
    denied = await client.refusal_of(
        "CompleteJob", pb.CompleteJobRequest(session_id="ffff", job_id=wire(2)),
        pb.CompleteJobResponse)
    assert denied.startswith("Invalid session ID: ")
    assert (await client.complete(session.session_id, 2)).success
    twice = await client.refusal_of(
        "CompleteJob", pb.CompleteJobRequest(session_id=session.session_id, job_id=wire(2)),
        pb.CompleteJobResponse)
    assert twice == "Job not found: job 2 is completed, not running in this session"
    unknown = await client.refusal_of(
        "CompleteJob", pb.CompleteJobRequest(session_id=session.session_id, job_id=wire(999)),
        pb.CompleteJobResponse)
    assert unknown == "Job not found: job 999 is not known to this coordinator"
    unknown_fail = await client.refusal_of(
        "FailJob", pb.FailJobRequest(session_id="", job_id=wire(999), error_message="x"),
        pb.FailJobResponse)
    assert unknown_fail.startswith("Job not found: ")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"developer": ""}, "developer must not be empty"),
        ({"agent": ""}, "agent must not be empty"),
        ({"developer": "x" * 129}, "developer is longer than 128"),
        ({"agent": "Add\nAgent"}, "agent must not contain control"),
        ({"agent_method": "prove\u202e"}, "agent_method must not contain control"),
        ({"session_id": "not hex!"}, "session_id must be the container's SESSION_ID"),
        ({"session_id": "a" * 65}, "session_id must be the container's SESSION_ID"),
    ],
)
async def test_get_job_validation(
    client: GrpcClient, fields: dict[str, str], named: str
) -> None:
    request = original_request()
    for name, value in fields.items():
        setattr(request, name, value)
    error = await client.error_of("GetJob", request, pb.GetJobResponse)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert named in error.details()


async def test_settle_validation(client: GrpcClient) -> None:
    bad = await client.error_of(
        "CompleteJob", pb.CompleteJobRequest(session_id="zz", job_id="1"), pb.CompleteJobResponse)
    assert bad.code() is grpc.StatusCode.INVALID_ARGUMENT and "session_id" in bad.details()
    bad = await client.error_of(
        "FailJob", pb.FailJobRequest(session_id="0x12", job_id="1"), pb.FailJobResponse)
    assert bad.code() is grpc.StatusCode.INVALID_ARGUMENT and "session_id" in bad.details()


async def test_fail_job_requeues_and_counts_the_attempt(
    book: JobBook, client: GrpcClient
) -> None:
    book.on_chain_event(created(1))
    opened = book.open_session(KEY)
    assert opened is not None
    session, _ = opened
    error = "proof failed:\n\tline 2\x1b[31m red\x00" + "é" * 5000
    reply = await client.fail(session.session_id, 1, error)
    assert reply.success and "retried" in reply.message
    job = book.jobs[JobRef(APP, 1)]
    assert job.state is JobState.PENDING and job.attempts == 1
    kept = job.last_error
    assert kept.startswith("proof failed:\n\tline 2[31m red")  # ESC and NUL stripped
    assert kept.endswith("[truncated]") and len(kept.encode()) <= 4096
    assert (await stored(book, job.ref)).attempts == 1  # persisted before the answer

    # Taken again without a session (after its retry time), failed until dead.
    for attempt in (2, 3):
        job.not_before = 0
        again = await client.get_job(original_request())
        assert again.job.job_sequence == 1 and again.job.attempts == attempt
        reply = await client.fail("", 1, "")
        assert reply.success
    assert book.jobs[job.ref].state is JobState.DEAD and "dead after 3" in reply.message
    assert job.last_error  # an empty error text is replaced by a placeholder


async def test_terminate_job_ends_it_without_retry(book: JobBook, client: GrpcClient) -> None:
    book.on_chain_event(created(1))
    book.on_chain_event(created(2))
    opened = book.open_session(KEY)
    assert opened is not None
    session, _ = opened
    reply = await client.call(
        "TerminateJob", pb.TerminateJobRequest(session_id=session.session_id, job_id=wire(1)),
        pb.TerminateJobResponse)
    assert reply.success and "terminated" in reply.message
    job = await stored(book, JobRef(APP, 1))
    assert job.state is JobState.DEAD and job.last_error == "terminated by the agent"
    again = await client.refusal_of(
        "TerminateJob", pb.TerminateJobRequest(session_id=session.session_id, job_id=wire(1)),
        pb.TerminateJobResponse)
    assert again.startswith("Job not found: ")
    # Job 2 was never this session's: refused, and nothing changes.
    other = await client.refusal_of(
        "TerminateJob", pb.TerminateJobRequest(session_id=session.session_id, job_id=wire(2)),
        pb.TerminateJobResponse)
    assert other.startswith("Job not found: ")
    assert book.jobs[JobRef(APP, 2)].state is JobState.PENDING


async def test_job_ids_name_the_app_instance(book: JobBook, client: GrpcClient) -> None:
    """Job numbers repeat across app instances; the wire id tells them apart."""
    other_app = "0x" + "b" * 64
    book.on_chain_event(created(1))
    book.on_chain_event(created(1, app_instance=other_app))
    first = await client.get_job(original_request())
    second = await client.get_job(original_request())
    assert {first.job.job_id, second.job.job_id} == {wire(1), wire(1, other_app)}
    assert (await client.complete("", wire(1, other_app))).success
    assert book.jobs[JobRef(other_app, 1)].state is JobState.COMPLETED
    assert book.jobs[JobRef(APP, 1)].state is JobState.RUNNING
    # A bare number (grpcurl by hand) settles the one running job of that number.
    assert (await client.complete("", "1")).success
    assert book.jobs[JobRef(APP, 1)].state is JobState.COMPLETED


@pytest.mark.parametrize("job_id", ["", "abc", "-1", "1@", "18446744073709551616", "1@a b"])
async def test_malformed_job_ids_are_refused(client: GrpcClient, job_id: str) -> None:
    for name, request, response in [
        ("CompleteJob", pb.CompleteJobRequest(job_id=job_id), pb.CompleteJobResponse),
        ("FailJob", pb.FailJobRequest(job_id=job_id), pb.FailJobResponse),
        ("TerminateJob", pb.TerminateJobRequest(job_id=job_id), pb.TerminateJobResponse),
    ]:
        error = await client.error_of(name, request, response)
        assert error.code() is grpc.StatusCode.INVALID_ARGUMENT, name
        assert "job_id must be a job id as GetJob gave it" in error.details()


async def test_agent_message_is_logged_escaped_and_bounded(
    book: JobBook, client: GrpcClient, caplog: pytest.LogCaptureFixture
) -> None:
    book.on_chain_event(created(1))
    opened = book.open_session(KEY)
    assert opened is not None
    session, _ = opened
    text = "proving\nFAKE LOG LINE\x1b[31m\u202e" + "x" * 10_000
    with caplog.at_level("DEBUG", logger="coordinator.rpc"):
        reply = await client.call("AgentMessage", pb.AgentMessageRequest(
            session_id=session.session_id, job_id=wire(1), level=pb.LOG_LEVEL_WARN,
            message=text), pb.AgentMessageResponse)
        assert reply.success
        about_session = await client.call("AgentMessage", pb.AgentMessageRequest(
            session_id=session.session_id, level=pb.LOG_LEVEL_DEBUG, message="hello"),
            pb.AgentMessageResponse)
        assert about_session.success
    records = [r for r in caplog.records if r.getMessage().startswith("agent message")]
    assert [r.levelname for r in records] == ["WARNING", "DEBUG"]
    line = records[0].getMessage()
    assert f"job {JobRef(APP, 1)} ({KEY})" in line
    assert "proving\\nFAKE LOG LINE\\x1b[31m\\u202e" in line and "\n" not in line
    assert line.endswith("[truncated]") and len(line.encode()) < 4096 + 200
    assert session.session_id not in line
    assert session_fingerprint(session.session_id) in records[1].getMessage()
    # The status shows them too, newest first, as logged.
    status = await client.call("GetStatus", pb.GetStatusRequest(), pb.GetStatusResponse,
                               STATUS_SERVICE)
    assert [(n.level, n.HasField("job_id"), n.job_id, n.developer, n.agent_method)
            for n in status.agent_messages] == [
        ("debug", False, 0, KEY.developer, KEY.agent_method),
        ("warn", True, 1, KEY.developer, KEY.agent_method)]
    assert status.agent_messages[0].text == "hello"
    assert status.agent_messages[1].text == line.split(": ", 1)[1]

    # Under a job or a session it does not hold: answered success, as upstream
    # answers every AgentMessage, but not logged (not an agent's word).
    caplog.clear()
    for request in (pb.AgentMessageRequest(session_id="ffff", message="x"),
                    pb.AgentMessageRequest(session_id=session.session_id, job_id=wire(9),
                                           message="x"),
                    pb.AgentMessageRequest(message="x")):
        reply = await client.call("AgentMessage", request, pb.AgentMessageResponse)
        assert reply.success and reply.message.startswith("message not logged: "), reply
    assert not [r for r in caplog.records if r.getMessage().startswith("agent message")]
    status = await client.call("GetStatus", pb.GetStatusRequest(), pb.GetStatusResponse,
                               STATUS_SERVICE)
    assert len(status.agent_messages) == 2


async def test_every_other_upstream_call_is_unimplemented_and_says_why(
    client: GrpcClient
) -> None:
    served = {"GetJob", "CompleteJob", "FailJob", "TerminateJob", "AgentMessage",
              "GetAppInstance", "GetKV", "SetKV", "DeleteKV", "GetMetadata", "AddMetadata",
              "CreateAppJob", "GetProof", "GetBlockProof", "ProofEvent", "GetBlock",
              "GetSequenceStates", "GetBlockSettlement", "GetSettlementProof",
              "SubmitSettlementProof", "ReadDataAvailability"}
    methods = pb.DESCRIPTOR.services_by_name["CoordinatorService"].methods
    assert len(methods) == 31
    assert {m.name for m in methods} == served | set(UNSERVED)
    for method in methods:
        if method.name in served:
            continue
        request = message_factory.GetMessageClass(method.input_type)()
        response = message_factory.GetMessageClass(method.output_type)
        error = await client.error_of(method.name, request, response)
        assert error.code() is grpc.StatusCode.UNIMPLEMENTED, method.name
        assert error.details() == (f"{method.name} is not served by this coordinator: "
                                   f"it needs {UNSERVED[method.name]}")


async def test_get_status_returns_the_snapshot(book: JobBook, client: GrpcClient) -> None:
    book.on_chain_event(created(1))
    status = await client.call("GetStatus", pb.GetStatusRequest(), pb.GetStatusResponse,
                               STATUS_SERVICE)
    assert status.instance_id == "test-instance"
    assert dict(status.jobs_by_state) == {"pending": 1}


async def test_unknown_method_is_unimplemented(client: GrpcClient) -> None:
    method = client.channel.unary_unary(SERVICE + "Nope", request_serializer=None,
                                        response_deserializer=None)
    with pytest.raises(grpc.RpcError) as info:
        await trio.to_thread.run_sync(lambda: method(b"", timeout=10))
    assert info.value.code() is grpc.StatusCode.UNIMPLEMENTED


async def test_concurrent_get_jobs_are_queued_not_refused(
    book: JobBook, nursery: trio.Nursery, sock_dir: Path
) -> None:
    for job_id in range(1, 51):
        book.on_chain_event(created(job_id))
    limit = 4
    service, status = services_of(book, limit)
    in_flight = peak = 0
    commit = book.commit

    async def slow_commit() -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await trio.sleep(0.005)
            await commit()
        finally:
            in_flight -= 1

    book.commit = slow_commit  # type: ignore[method-assign]
    path = await nursery.start(serve, settings_in(sock_dir), service, status)
    client = GrpcClient(path)
    get_job = client.method("GetJob", pb.GetJobResponse)

    def call_all() -> list[pb.GetJobResponse]:
        futures = [get_job.future(original_request(), timeout=60) for _ in range(200)]
        return [future.result() for future in futures]

    try:
        with trio.fail_after(60):
            replies = await trio.to_thread.run_sync(call_all)
    finally:
        client.close()
    assert len(replies) == 200
    ids = [reply.job.job_sequence for reply in replies if reply.HasField("job")]
    assert sorted(ids) == list(range(1, 51))  # each job handed out exactly once
    assert 1 < peak <= limit


async def test_many_threads_at_once(book: JobBook, client: GrpcClient) -> None:
    """The same through 200 blocking calls from a thread pool (many streams at once)."""
    for job_id in range(1, 21):
        book.on_chain_event(created(job_id))
    get_job = client.method("GetJob", pb.GetJobResponse)

    def call_all() -> list[pb.GetJobResponse]:
        with ThreadPoolExecutor(max_workers=50) as pool:
            return list(pool.map(lambda _: get_job(original_request(), timeout=60),
                                 range(200)))

    with trio.fail_after(60):
        replies = await trio.to_thread.run_sync(call_all)
    ids = sorted(reply.job.job_sequence for reply in replies if reply.HasField("job"))
    assert ids == list(range(1, 21))


# --- the same service through our purerpc client ------------------------------------------


async def test_purerpc_client_over_unix_channel(
    book: JobBook, served: tuple[str, CoordinatorService]
) -> None:
    book.on_chain_event(created(1))
    async with unix_channel(served[0]) as channel:
        stub = CoordinatorServiceStub(channel)
        reply = await stub.GetJob(original_request())
        assert reply.job.job_sequence == 1 and reply.job.data == bytes([1, 2, 1])
        assert not (await stub.GetJob(original_request())).HasField("job")
        unknown = await stub.GetJob(pb.GetJobRequest(
            developer="AddExampleDev", agent="AddAgent", agent_method="prove",
            session_id="abc123"))
        assert unknown.success and not unknown.HasField("job")
        assert "does not belong" in unknown.message
        with pytest.raises(purerpc.InvalidArgumentError) as invalid:
            await stub.GetJob(pb.GetJobRequest(agent="AddAgent", agent_method="prove"))
        assert invalid.value.status.status_message == "developer must not be empty"
        done = await stub.CompleteJob(pb.CompleteJobRequest(job_id=reply.job.job_id))
        assert done.success
        again = await stub.CompleteJob(pb.CompleteJobRequest(job_id=reply.job.job_id))
        assert not again.success and again.message.startswith("Job not found: ")


# --- the socket file --------------------------------------------------------------------


async def test_socket_is_owner_only_by_default(
    served: tuple[str, CoordinatorService]
) -> None:
    info = os.lstat(served[0])
    assert stat.S_ISSOCK(info.st_mode)
    assert stat.S_IMODE(info.st_mode) == 0o600


async def test_socket_mode_and_group(book: JobBook, sock_dir: Path) -> None:
    gid = os.getgid()
    umask = _umask()
    settings = settings_in(sock_dir, socket_mode="0660", socket_group=str(gid))
    services = services_of(book)
    async with trio.open_nursery() as nursery:
        path = await nursery.start(serve, settings, *services)
        info = os.lstat(path)
        assert stat.S_IMODE(info.st_mode) == 0o660 and info.st_gid == gid
        assert _umask() == umask  # the bind's umask was put back
        nursery.cancel_scope.cancel()
    name = grp.getgrgid(gid).gr_name
    settings = settings_in(sock_dir, socket_mode="640", socket_group=name)
    async with trio.open_nursery() as nursery:
        path = await nursery.start(serve, settings, *services)
        assert stat.S_IMODE(os.lstat(path).st_mode) == 0o640
        nursery.cancel_scope.cancel()


async def test_unknown_group_is_refused(book: JobBook, sock_dir: Path) -> None:
    settings = settings_in(sock_dir, socket_group="no-such-group-silvana")
    with pytest.raises(SocketPathError, match="no group named 'no-such-group-silvana'"):
        await serve(settings, *services_of(book))
    assert not settings.socket_path.exists()


def _make_file(path: Path) -> None:
    path.write_text("keep me")


def _make_dir(path: Path) -> None:
    path.mkdir()


def _make_symlink(path: Path) -> None:
    path.symlink_to(path.parent / "elsewhere.sock")


@pytest.mark.parametrize(
    ("make", "what"),
    [(_make_file, "is a regular file"), (_make_dir, "is a directory"),
     (_make_symlink, "is a symlink")],
)
async def test_non_sockets_are_refused(
    book: JobBook, sock_dir: Path, make: Callable[[Path], None], what: str
) -> None:
    settings = settings_in(sock_dir)
    make(settings.socket_path)
    before = os.lstat(settings.socket_path)
    with pytest.raises(SocketPathError) as info:
        await serve(settings, *services_of(book))
    message = str(info.value)
    assert what in message and str(settings.socket_path) in message and "\n" not in message
    after = os.lstat(settings.socket_path)  # left exactly as it was
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)


async def test_stale_socket_is_replaced(
    book: JobBook, sock_dir: Path, nursery: trio.Nursery
) -> None:
    settings = settings_in(sock_dir)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(settings.socket_path))
    dead.close()  # the file stays; nobody listens: what a killed process leaves
    os.chmod(settings.socket_path, 0o604)  # to tell it from ours (inodes get reused)
    path = await nursery.start(serve, settings, *services_of(book))
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600
    client = GrpcClient(path)
    try:
        assert not (await client.get_job(original_request())).HasField("job")
    finally:
        client.close()


async def test_live_socket_is_not_taken_over(
    book: JobBook, sock_dir: Path, served: tuple[str, CoordinatorService]
) -> None:
    settings = settings_in(sock_dir)  # the same path `served` listens on
    with pytest.raises(SocketPathError, match="another coordinator is listening on"):
        await serve(settings, *services_of(book))
    assert stat.S_ISSOCK(os.lstat(served[0]).st_mode)  # the first one keeps its socket


async def test_parent_directory_is_created(book: JobBook, sock_dir: Path) -> None:
    settings = RpcSettings(socket_path=sock_dir / "run" / "silvana" / "c.sock")
    async with trio.open_nursery() as nursery:
        path = await nursery.start(serve, settings, *services_of(book))
        parent = os.stat(os.path.dirname(path))
        assert stat.S_IMODE(parent.st_mode) == 0o755 & ~_umask()
        nursery.cancel_scope.cancel()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


async def test_socket_is_removed_on_shutdown(book: JobBook, sock_dir: Path) -> None:
    settings = settings_in(sock_dir)
    services = services_of(book)
    async with trio.open_nursery() as nursery:
        path = await nursery.start(serve, settings, *services)
        client = GrpcClient(path)
        try:
            assert not (await client.get_job(original_request())).HasField("job")
        finally:
            client.close()
        nursery.cancel_scope.cancel()
    with pytest.raises(FileNotFoundError):
        os.lstat(path)

    # A socket that is no longer ours (a successor replaced it) is left alone.
    async with trio.open_nursery() as nursery:
        path = await nursery.start(serve, settings, *services)
        os.unlink(path)
        successor = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        successor.bind(path)
        nursery.cancel_scope.cancel()
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
    successor.close()


# --- configuration ---------------------------------------------------------------------


def test_rpc_settings() -> None:
    default = RpcSettings()
    assert default.socket_mode == 0o600 and default.socket_group is None
    assert default.max_concurrent_requests == 64
    assert RpcSettings.model_validate({"socket_mode": "660"}).socket_mode == 0o660
    assert RpcSettings.model_validate({"socket_mode": "0o640"}).socket_mode == 0o640
    assert RpcSettings(socket_group="docker").socket_group == "docker"
    assert RpcSettings.model_validate({"socket_group": 999}).socket_group == "999"
    assert RpcSettings(socket_group="").socket_group is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"socket_mode": 600}, "quote it"),
        ({"socket_mode": "0800"}, "octal permissions"),
        ({"socket_mode": "1777"}, "octal permissions"),
        ({"socket_mode": ""}, "octal permissions"),
        ({"socket_group": "bad group"}, "group name or a numeric gid"),
        ({"max_concurrent_requests": 0}, "greater than or equal to 1"),
        ({"max_concurrent_requests": 5000}, "less than or equal to 4096"),
        ({"socket_path": "/tmp/" + "x" * 120}, "1 to 107 bytes"),
    ],
)
def test_rpc_settings_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RpcSettings.model_validate(values)


async def test_a_fail_job_error_cannot_forge_a_log_line(
    book: JobBook, client: GrpcClient, daemon_log: io.StringIO
) -> None:
    book.on_chain_event(created(1))
    opened = book.open_session(KEY)
    assert opened is not None
    session, _ = opened
    error = f"proof failed\n{FORGED}\r{FORGED}\u2028{FORGED}\u202eevil"
    reply = await client.fail(session.session_id, 1, error)
    assert reply.success

    lines = log_lines(daemon_log)
    for line in lines:
        assert LINE_START.match(line), f"a forged line: {line!r}"
    [outcome] = [line for line in lines if "proof failed" in line]
    # The operator still reads the whole error, escaped on its one line.
    # (The service already dropped the CR; newline and tab are kept in the job.)
    assert f"proof failed\\n{FORGED}{FORGED}\\u2028{FORGED}\\u202eevil" in outcome
