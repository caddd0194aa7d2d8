"""Caps on what a client can hold of the coordinator's socket server (issue 15,
findings 2 and 6): message size, streams and window per connection, connections
in all and per agent socket, handshake and idle timeouts, and the status of a
request that does not decode. The server is the daemon's (`coordinator.rpc.serve`
from `RpcSettings`); the clients are grpcio and a bare HTTP/2 client (tests/support.py
`RawH2`). The daemon's memory under abuse: tests/test_e2e_abuse.py.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import h2.events
import pytest
import trio
from h2.settings import SettingCodes

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import RpcSettings
from coordinator.jobs import JobBook
from coordinator.rpc import AgentSockets, CoordinatorService, StatusService, serve
from coordinator.store import Store
from tests.support import ADD_KEY, RawH2, created

FAIL_JOB = "/silvana.coordinator.v1.CoordinatorService/FailJob"
GET_STATUS = "/silvana.coordinator.v1.CoordinatorStatusService/GetStatus"
MiB = 1 << 20


def status_call(path: str, request: bytes = b"") -> pb.GetStatusResponse:
    """GetStatus with grpcio; `request` is sent as it is (b"": an empty GetStatusRequest)."""
    with grpc.insecure_channel(f"unix:{path}") as channel:
        call = channel.unary_unary(
            GET_STATUS, request_serializer=lambda raw: raw,
            response_deserializer=pb.GetStatusResponse.FromString,
        )
        response: pb.GetStatusResponse = call(request, timeout=10)
        return response


def fail_job(path: str, error_message: str) -> pb.FailJobResponse:
    with grpc.insecure_channel(f"unix:{path}") as channel:
        call = channel.unary_unary(
            FAIL_JOB, request_serializer=pb.FailJobRequest.SerializeToString,
            response_deserializer=pb.FailJobResponse.FromString)
        response: pb.FailJobResponse = call(
            pb.FailJobRequest(job_id="1", error_message=error_message), timeout=10)
        return response


Start = Callable[..., Any]


def said_goodbye(client: RawH2) -> bool:
    """Whether the server sent GOAWAY with no error on `client`'s connection."""
    return any(isinstance(event, h2.events.ConnectionTerminated) and event.error_code == 0
               for event in client.events)


@pytest.fixture
def start(
    store: Store, sock_dir: Path, nursery: trio.Nursery
) -> Callable[..., Any]:
    """Start the daemon's rpc server with these `rpc.*` settings; (the operator's
    socket, the agent sockets, the book)."""
    async def started(**rpc: Any) -> tuple[str, AgentSockets, JobBook]:
        book = JobBook(store, max_attempts=3, lease_secs=60)
        service = CoordinatorService(book)
        status = StatusService(lambda: pb.GetStatusResponse(instance_id="limits"),
                               service.limiter)
        settings = RpcSettings(socket_path=sock_dir / "coordinator.sock", **rpc)
        sockets = AgentSockets(sock_dir / "agents", sock_dir / "agents", "coordinator.sock")
        path = await nursery.start(functools.partial(serve, settings, service, status,
                                                     agents=sockets))
        return str(path), sockets, book
    return started


async def test_a_message_over_the_cap_is_refused_with_resource_exhausted(start: Start) -> None:
    path, _, _ = await start()
    with pytest.raises(grpc.RpcError) as info:
        await trio.to_thread.run_sync(fail_job, path, "x" * (5 * MiB))
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "larger than max" in (info.value.details() or "")
    # Under the cap the same call is served (and refused on its merits, as
    # upstream answers: success=false).
    reply = await trio.to_thread.run_sync(fail_job, path, "x" * (3 * MiB))
    assert not reply.success and reply.message.startswith("Job not found")


async def test_rpc_max_message_bytes_raises_the_cap(start: Start) -> None:
    path, _, _ = await start(max_message_bytes=8 * MiB)
    reply = await trio.to_thread.run_sync(fail_job, path, "x" * (5 * MiB))
    assert not reply.success and reply.message.startswith("Job not found")


async def test_an_undecodable_request_is_invalid_argument(start: Start) -> None:
    path, _, _ = await start()
    with pytest.raises(grpc.RpcError) as info:
        await trio.to_thread.run_sync(status_call, path, b"\xff\xff\xff")
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details() == "the request is not a valid GetStatusRequest"


async def test_the_server_offers_capped_streams_and_windows(start: Start) -> None:
    path, _, _ = await start(max_streams_per_connection=8)
    client = await trio.to_thread.run_sync(RawH2, path)
    try:
        settings = await trio.to_thread.run_sync(client.settings)
        assert settings[SettingCodes.MAX_CONCURRENT_STREAMS] == 8
        assert settings[SettingCodes.INITIAL_WINDOW_SIZE] == 2 * 4 * MiB
        # What the connection may leave unconsumed, over all its streams: twice a
        # message (purerpc opened 1 GiB).
        assert client.conn.outbound_flow_control_window == 2 * (4 * MiB + 5)
    finally:
        client.close()


async def test_unfinished_messages_hold_at_most_the_connection_window(start: Start) -> None:
    path, _, _ = await start()

    def abuse() -> int:
        client = RawH2(path)
        try:
            streams = [client.start_call(FAIL_JOB) for _ in range(8)]
            return client.send_unfinished(streams, 4 * MiB - 64, within=20)
        finally:
            client.close()

    sent = await trio.to_thread.run_sync(abuse)
    assert sent <= 2 * (4 * MiB + 5)
    # Over the cap: refused at the length prefix, so nothing of it is kept.
    refused = await trio.to_thread.run_sync(_declare_too_large, path)
    assert refused == [8] * 8  # RESOURCE_EXHAUSTED on every stream
    assert (await trio.to_thread.run_sync(status_call, path)).instance_id == "limits"


def _declare_too_large(path: str) -> list[int]:
    """8 streams of 30 MiB messages, sent on regardless: the grpc-status of each."""
    client = RawH2(path)
    try:
        streams = [client.start_call(FAIL_JOB) for _ in range(8)]
        client.send_unfinished(streams, 30 * MiB, within=20)
        client.sock.settimeout(5)
        return client.statuses(streams)
    finally:
        client.close()


async def test_a_compressed_request_is_refused_unread(start: Start) -> None:
    """purerpc would inflate it without bound (a zip bomb in 4 MiB)."""
    path, _, _ = await start()

    def send() -> list[int]:
        client = RawH2(path)
        try:
            stream = client.start_call(FAIL_JOB, ("grpc-encoding", "gzip"))
            client.conn.send_data(stream, b"\x01" + (10).to_bytes(4, "big") + bytes(10),
                                  end_stream=True)
            client.flush()
            return client.statuses([stream])
        finally:
            client.close()

    assert await trio.to_thread.run_sync(send) == [12]  # UNIMPLEMENTED


async def test_silent_connections_are_closed_after_the_handshake_timeout(start: Start) -> None:
    path, _, _ = await start(handshake_timeout_secs=0.5)
    clients = [await trio.to_thread.run_sync(RawH2, path) for _ in range(10)]
    try:
        closed = [await trio.to_thread.run_sync(client.closed_by_server, 5.0)
                  for client in clients]
        assert closed == [True] * 10
        # Each was told first (GOAWAY, no error), as HTTP/2 asks of a closing side.
        assert all(said_goodbye(client) for client in clients)
        # Served as ever.
        assert (await trio.to_thread.run_sync(status_call, path)).instance_id == "limits"
    finally:
        for client in clients:
            client.close()


async def test_a_connection_silent_after_its_calls_is_closed_after_the_idle_timeout(
    start: Start,
) -> None:
    path, _, _ = await start(idle_timeout_secs=1.0)
    client = await trio.to_thread.run_sync(RawH2, path)
    try:
        client.start_call(GET_STATUS)
        # Alive while it talks (the request headers came); then silent.
        assert not await trio.to_thread.run_sync(client.closed_by_server, 0.3)
        assert await trio.to_thread.run_sync(client.closed_by_server, 5.0)
        assert said_goodbye(client)
    finally:
        client.close()


async def test_connections_are_capped_per_agent_socket_and_in_all(start: Start) -> None:
    path, sockets, book = await start(max_connections=5, max_connections_per_agent=2)
    book.on_chain_event(created(1, ADD_KEY))
    session = book.open_session(ADD_KEY)
    assert session is not None
    async with sockets.session(session[0].session_id):
        agent = sockets.socket_path(session[0].session_id)
        held = [await trio.to_thread.run_sync(RawH2, agent) for _ in range(3)]
        try:
            # The third connection to the agent's socket is closed at once.
            assert await trio.to_thread.run_sync(held[2].closed_by_server, 2.0)
            assert not await trio.to_thread.run_sync(held[0].closed_by_server, 0.2)
            more = [await trio.to_thread.run_sync(RawH2, path) for _ in range(4)]
            held += more
            # 2 agent + 3 operator connections: the daemon's cap of 5 is reached.
            assert await trio.to_thread.run_sync(more[3].closed_by_server, 2.0)
            assert not await trio.to_thread.run_sync(more[0].closed_by_server, 0.2)
            held[0].close()
            more[0].close()
            # Room again once the server has seen them go.
            with trio.fail_after(5):
                while True:
                    try:
                        await trio.to_thread.run_sync(status_call, path)
                        break
                    except grpc.RpcError:
                        await trio.sleep(0.1)
        finally:
            for client in held:
                client.close()


async def test_a_client_that_connected_early_and_called_late_is_served(start: Start) -> None:
    """An agent that opens its channel, works longer than the handshake timeout,
    then calls: the server said goodbye (GOAWAY) when it closed the silent
    connection, so the client's call goes on a new one instead of failing."""
    path, _, _ = await start(handshake_timeout_secs=0.5)

    def connect_work_call() -> list[str]:
        with grpc.insecure_channel(f"unix:{path}") as channel:
            grpc.channel_ready_future(channel).result(timeout=5)
            call = channel.unary_unary(
                GET_STATUS, request_serializer=pb.GetStatusRequest.SerializeToString,
                response_deserializer=pb.GetStatusResponse.FromString)
            answers = []
            for pause in (1.5, 1.5):  # past the handshake timeout each time
                time.sleep(pause)
                answers.append(call(pb.GetStatusRequest(), timeout=5).instance_id)
            return answers

    assert await trio.to_thread.run_sync(connect_work_call) == ["limits", "limits"]


async def test_an_answer_larger_than_the_clients_window_arrives_whole(
    store: Store, sock_dir: Path, nursery: trio.Nursery
) -> None:
    # A unary answer is written from its call's task at once; one that the
    # client's window (64 KiB, no BDP probing to widen it) cannot take whole
    # waits for the client's updates and goes out in parts, complete.
    big = "x" * (3 * MiB)
    service = CoordinatorService(JobBook(store, max_attempts=3, lease_secs=60))
    status = StatusService(lambda: pb.GetStatusResponse(instance_id=big), service.limiter)
    path = await nursery.start(functools.partial(
        serve, RpcSettings(socket_path=sock_dir / "coordinator.sock"), service, status))

    def call() -> list[str]:
        options = [("grpc.http2.bdp_probe", 0), ("grpc.max_receive_message_length", 8 * MiB)]
        with grpc.insecure_channel(f"unix:{path}", options=options) as channel:
            get = channel.unary_unary(GET_STATUS, request_serializer=lambda raw: raw,
                                      response_deserializer=pb.GetStatusResponse.FromString)
            return [get(b"", timeout=10).instance_id for _ in range(3)]

    assert await trio.to_thread.run_sync(call) == [big] * 3
