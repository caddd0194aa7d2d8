"""The demo agent image (scripts/build-agent-image) on the real Docker engine,
against a grpcio CoordinatorService on a Unix socket bind-mounted into the
container (network "none": the socket is its only way out)."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections import deque
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import grpc
import pytest

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from tests.support import ADD_KEY

pytestmark = pytest.mark.docker

SERVICE = "silvana.coordinator.v1.CoordinatorService"
SOCKET_IN_CONTAINER = "/run/silvana/coordinator.sock"
KEY = ADD_KEY
ENV_JOB_ID = 100
ENV_JOB_DATA = bytes(range(1, 9))
QUEUED = {101: b"\x00\x01\x02", 102: b"hello silvana", 103: b""}
APP_INSTANCE = "0x" + "ab" * 32


def wire(sequence: int) -> str:
    """The job_id a coordinator gives a job (see coordinator.rpc.wire_job_id)."""
    return f"{sequence}@{APP_INSTANCE}"


@dataclass
class FakeCoordinator:
    """Hands out the queued jobs of KEY and records every call."""

    session: str
    queue: deque[pb.Job] = field(default_factory=deque)
    calls: list[tuple[float, str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _record(self, name: str, request: Any, context: grpc.ServicerContext) -> None:
        with self.lock:
            self.calls.append((time.monotonic(), name, request))
        if request.session_id != self.session:
            context.abort(
                grpc.StatusCode.PERMISSION_DENIED, f"unknown session {request.session_id!r}"
            )

    def get_job(
        self, request: pb.GetJobRequest, context: grpc.ServicerContext
    ) -> pb.GetJobResponse:
        self._record("GetJob", request, context)
        key = (request.developer, request.agent, request.agent_method)
        with self.lock:
            if key == KEY and self.queue:
                return pb.GetJobResponse(success=True, job=self.queue.popleft())
        return pb.GetJobResponse(success=True, message="no pending job")

    def complete_job(
        self, request: pb.CompleteJobRequest, context: grpc.ServicerContext
    ) -> pb.CompleteJobResponse:
        self._record("CompleteJob", request, context)
        return pb.CompleteJobResponse(success=True)

    def fail_job(
        self, request: pb.FailJobRequest, context: grpc.ServicerContext
    ) -> pb.FailJobResponse:
        self._record("FailJob", request, context)
        return pb.FailJobResponse(success=True)

    def agent_message(
        self, request: pb.AgentMessageRequest, context: grpc.ServicerContext
    ) -> pb.AgentMessageResponse:
        self._record("AgentMessage", request, context)
        return pb.AgentMessageResponse(success=True)

    def terminate_job(
        self, request: pb.TerminateJobRequest, context: grpc.ServicerContext
    ) -> pb.TerminateJobResponse:
        self._record("TerminateJob", request, context)
        return pb.TerminateJobResponse(success=True)

    def named(self, name: str) -> list[Any]:
        with self.lock:
            return [request for _, call, request in self.calls if call == name]

    def calls_of_all(self) -> list[Any]:
        with self.lock:
            return [request for _, _, request in self.calls]


def serve(coordinator: FakeCoordinator, socket: Path) -> grpc.Server:
    handlers = {
        "GetJob": grpc.unary_unary_rpc_method_handler(
            coordinator.get_job,
            request_deserializer=pb.GetJobRequest.FromString,
            response_serializer=pb.GetJobResponse.SerializeToString,
        ),
        "CompleteJob": grpc.unary_unary_rpc_method_handler(
            coordinator.complete_job,
            request_deserializer=pb.CompleteJobRequest.FromString,
            response_serializer=pb.CompleteJobResponse.SerializeToString,
        ),
        "FailJob": grpc.unary_unary_rpc_method_handler(
            coordinator.fail_job,
            request_deserializer=pb.FailJobRequest.FromString,
            response_serializer=pb.FailJobResponse.SerializeToString,
        ),
        "AgentMessage": grpc.unary_unary_rpc_method_handler(
            coordinator.agent_message,
            request_deserializer=pb.AgentMessageRequest.FromString,
            response_serializer=pb.AgentMessageResponse.SerializeToString,
        ),
        "TerminateJob": grpc.unary_unary_rpc_method_handler(
            coordinator.terminate_job,
            request_deserializer=pb.TerminateJobRequest.FromString,
            response_serializer=pb.TerminateJobResponse.SerializeToString,
        ),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    server.add_insecure_port(f"unix:{socket}")
    server.start()
    return server


def run_agent(
    client: docker.DockerClient,
    image: str,
    sock_dir: Path,
    coordinator: FakeCoordinator,
    session: str,
    mode: str = "",
) -> tuple[int, str]:
    """Serve `coordinator`, run the agent container to its end: (exit status, logs)."""
    socket = sock_dir / "coordinator.sock"
    server = serve(coordinator, socket)
    env = {
        "JOB_ID": str(ENV_JOB_ID),
        "JOB_DATA": "0x" + ENV_JOB_DATA.hex(),
        "DEVELOPER": KEY[0],
        "AGENT": KEY[1],
        "AGENT_METHOD": KEY[2],
        "APP_INSTANCE": APP_INSTANCE,
        "SESSION_ID": session,
        "COORDINATOR_SOCKET": SOCKET_IN_CONTAINER,
    }
    if mode:
        env["AGENT_MODE"] = mode
    container = client.containers.create(
        image,
        environment=env,
        volumes={str(socket): {"bind": SOCKET_IN_CONTAINER, "mode": "rw"}},
        network_mode="none",
        labels={"silvana.test": "agent-image"},
    )
    try:
        container.start()
        status = container.wait(timeout=60)["StatusCode"]
        logs = container.logs(stdout=True, stderr=True).decode()
    finally:
        container.remove(force=True)
        server.stop(grace=None)
    return status, logs


def queued_jobs() -> deque[pb.Job]:
    return deque(
        pb.Job(
            job_sequence=sequence,
            job_id=wire(sequence),
            developer=KEY[0],
            agent=KEY[1],
            agent_method=KEY[2],
            app_instance=APP_INSTANCE,
            data=data,
        )
        for sequence, data in QUEUED.items()
    )


ALL_JOBS = {ENV_JOB_ID: ENV_JOB_DATA, **QUEUED}


def test_agent_completes_env_job_and_every_queued_job(
    docker_client: docker.DockerClient, agent_image: str, sock_dir: Path
) -> None:
    session = f"session-{uuid.uuid4()}"
    coordinator = FakeCoordinator(session=session, queue=queued_jobs())
    status, logs = run_agent(docker_client, agent_image, sock_dir, coordinator, session)

    assert status == 0, logs
    completed = coordinator.named("CompleteJob")
    assert sorted(r.job_id for r in completed) == sorted(map(wire, ALL_JOBS)), logs
    assert completed[0].job_id == wire(ENV_JOB_ID)  # the env job first
    assert {r.session_id for r in completed} == {session}
    assert coordinator.named("FailJob") == []
    # Three jobs, then the empty answer that ends the loop; always with the session.
    get_jobs = coordinator.named("GetJob")
    assert len(get_jobs) == len(QUEUED) + 1
    for request in get_jobs:
        assert (request.developer, request.agent, request.agent_method) == KEY
        assert request.session_id == session
    # The work is real and checkable: one line per job with the SHA-256 of its data,
    # and the same proof told to the coordinator, at info, under the job.
    proofs = {r.job_id: (r.level, r.message) for r in coordinator.named("AgentMessage")}
    for job_id, data in ALL_JOBS.items():
        proof = f"sha256={hashlib.sha256(data).hexdigest()} len={len(data)}"
        assert f"job {job_id} prove {proof} -> completed\n" in logs, logs
        assert proofs[wire(job_id)] == (pb.LOG_LEVEL_INFO, f"job {job_id}: {proof}")


def test_agent_mixed_mode_settles_each_job_as_its_data_says(
    docker_client: docker.DockerClient, agent_image: str, sock_dir: Path
) -> None:
    """The first data byte mod 3: 0 (or no data) completes, 1 fails, 2 terminates."""
    session = f"session-{uuid.uuid4()}"
    coordinator = FakeCoordinator(session=session, queue=queued_jobs())
    status, logs = run_agent(docker_client, agent_image, sock_dir, coordinator, session, "mixed")

    assert status == 0, logs
    assert [r.job_id for r in coordinator.named("FailJob")] == [wire(ENV_JOB_ID)], logs
    assert [r.job_id for r in coordinator.named("TerminateJob")] == [wire(102)], logs
    assert sorted(r.job_id for r in coordinator.named("CompleteJob")) == [wire(101), wire(103)]
    assert {r.session_id for r in coordinator.calls_of_all()} == {session}
    assert "-> terminated\n" in logs and "mode=mixed" in logs
    assert "no job left; completed 2, failed 1, terminated 1, refused 0" in logs


def test_agent_fail_mode_fails_every_job(
    docker_client: docker.DockerClient, agent_image: str, sock_dir: Path
) -> None:
    session = f"session-{uuid.uuid4()}"
    coordinator = FakeCoordinator(session=session, queue=queued_jobs())
    status, logs = run_agent(docker_client, agent_image, sock_dir, coordinator, session, "fail")

    assert status == 0, logs
    failed = coordinator.named("FailJob")
    assert sorted(r.job_id for r in failed) == sorted(map(wire, ALL_JOBS)), logs
    assert {r.session_id for r in failed} == {session}
    assert all(r.error_message.startswith("demo agent failure: ") for r in failed)
    assert coordinator.named("CompleteJob") == []


def test_agent_sleep_mode_waits_before_its_first_call(
    docker_client: docker.DockerClient, agent_image: str, sock_dir: Path
) -> None:
    session = f"session-{uuid.uuid4()}"
    coordinator = FakeCoordinator(session=session)
    started = time.monotonic()
    status, logs = run_agent(
        docker_client, agent_image, sock_dir, coordinator, session, "sleep:2"
    )

    assert status == 0, logs
    assert [r.job_id for r in coordinator.named("CompleteJob")] == [wire(ENV_JOB_ID)]
    assert coordinator.calls[0][0] - started >= 2.0


def test_agent_exits_non_zero_with_the_rpc_error(
    docker_client: docker.DockerClient, agent_image: str, sock_dir: Path
) -> None:
    coordinator = FakeCoordinator(session="the-real-session", queue=queued_jobs())
    status, logs = run_agent(docker_client, agent_image, sock_dir, coordinator, "a-wrong-session")

    assert status == 1, logs
    # A refused AgentMessage is only printed; the first refused job call stops it.
    assert "agent: AgentMessage failed: PERMISSION_DENIED: unknown session" in logs
    assert "agent: error: CompleteJob failed: PERMISSION_DENIED: unknown session" in logs
    assert [name for _, name, _ in coordinator.calls] == ["AgentMessage", "CompleteJob"]
