"""The agent API on TCP under a crowd that never presents a session: a real
agent is never kept out, and the crowd pins little memory.

A probe as an attacker would run it, in the suite: 200 hostile clients on
loopback, each coming back as soon as it is closed: some silent, some that
send HTTP/2's preface and nothing more, some that start calls with a made-up
session and a message of megabytes they never finish. Meanwhile the agent
makes 100 GetJob calls on 10 connections it opens one after the other (each
must get in through the crowd), and every call must succeed.
"""

from __future__ import annotations

import contextlib
import struct
from pathlib import Path

import grpc
import h2.config
import h2.connection
import h2.exceptions
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import RpcSettings
from coordinator.grpc.admission import session_in
from coordinator.jobs import JobBook
from coordinator.rpc import CoordinatorService, serve_tcp
from coordinator.store import Store
from tests.e2e_support import free_port
from tests.support import ADD_KEY, created

APP = "0x" + "c" * 64
GET_JOB = "/silvana.coordinator.v1.CoordinatorService/GetJob"
HOSTILE = 200
MiB = 1 << 20


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def hostile_client(port: int, kind: int, stop: trio.Event, visits: list[int]) -> None:
    """One attacker: connects, misbehaves in its way, and comes back when closed."""
    request = pb.GetJobRequest(developer="x", agent="y", agent_method="z",
                               session_id="0x" + "ee" * 32).SerializeToString()
    while not stop.is_set():
        try:
            stream = await trio.open_tcp_stream("127.0.0.1", port)
        except OSError:
            await trio.sleep(0.05)
            continue
        visits[0] += 1
        with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError,
                                 h2.exceptions.ProtocolError):
            async with stream:
                if kind:
                    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
                    conn.initiate_connection()
                    if kind == 2:  # a call with a made-up session, a message never finished
                        conn.send_headers(1, [
                            (":method", "POST"), (":scheme", "http"), (":path", GET_JOB),
                            (":authority", "x"), ("content-type", "application/grpc"),
                            ("te", "trailers")])
                        header = struct.pack(">?I", False, 4 * MiB)
                        room = conn.local_flow_control_window(1) - len(header) - len(request)
                        body = header + request + bytes(max(0, min(room, 1 * MiB)))
                        conn.send_data(1, body[:conn.local_flow_control_window(1)])
                    await stream.send_all(conn.data_to_send())
                while not stop.is_set() and await stream.receive_some(65536):
                    pass


async def test_a_crowd_without_sessions_never_keeps_an_agent_out(
    tmp_path: Path, nursery: trio.Nursery,
) -> None:
    store = await Store.open(tmp_path / "state")
    try:
        book = JobBook(store, max_attempts=3, lease_secs=60)
        for job_id in range(1, 101):
            book.on_chain_event(created(job_id, ADD_KEY, app_instance=APP))
        opened = book.open_session(ADD_KEY)
        assert opened is not None
        session = opened[0].session_id
        settings = RpcSettings(listen=f"127.0.0.1:{free_port()}")
        port = await nursery.start(serve_tcp, settings, CoordinatorService(book))
        idle = rss_kib()

        stop, visits = trio.Event(), [0]
        async with trio.open_nursery() as crowd:
            for n in range(HOSTILE):
                crowd.start_soon(hostile_client, port, n % 3, stop, visits)
            await trio.sleep(1.0)  # every place taken, the crowd pushing itself out

            def get_jobs(calls: int) -> list[pb.GetJobResponse]:
                # A channel of its own: a new connection.
                with grpc.insecure_channel(f"127.0.0.1:{port}", options=[
                        ("grpc.use_local_subchannel_pool", 1)]) as channel:
                    call = channel.unary_unary(
                        GET_JOB, request_serializer=pb.GetJobRequest.SerializeToString,
                        response_deserializer=pb.GetJobResponse.FromString)
                    request = pb.GetJobRequest(
                        developer=ADD_KEY.developer, agent=ADD_KEY.agent,
                        agent_method=ADD_KEY.agent_method, session_id=session)
                    return [call(request, timeout=10) for _ in range(calls)]

            taken = []
            for _ in range(10):
                for reply in await trio.to_thread.run_sync(get_jobs, 10):
                    assert reply.success and reply.HasField("job")
                    taken.append(reply.job.job_sequence)
            peak = rss_kib()
            stop.set()
            crowd.cancel_scope.cancel()
        assert sorted(taken) == list(range(1, 101))
        assert visits[0] > HOSTILE  # the crowd was pushed out and came back
        assert (peak - idle) < 100 * 1024, f"RSS grew by {(peak - idle) // 1024} MiB"
    finally:
        await store.close()


async def test_a_first_request_of_megabytes_gets_in_on_its_session(
    tmp_path: Path, nursery: trio.Nursery,
) -> None:
    """A pending connection holds HTTP/2's initial 64 KiB window, yet an agent
    whose first call on a new connection carries 3 MiB (a proof, a long
    message) is served: the session in its first bytes admits it."""
    store = await Store.open(tmp_path / "state")
    try:
        book = JobBook(store, max_attempts=3, lease_secs=60)
        book.on_chain_event(created(1, ADD_KEY, app_instance=APP))
        opened = book.open_session(ADD_KEY)
        assert opened is not None
        session = opened[0].session_id
        settings = RpcSettings(listen=f"127.0.0.1:{free_port()}")
        port = await nursery.start(serve_tcp, settings, CoordinatorService(book))
        text = "p" * (3 * MiB)

        def agent_message() -> pb.AgentMessageResponse:
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                call = channel.unary_unary(
                    "/silvana.coordinator.v1.CoordinatorService/AgentMessage",
                    request_serializer=pb.AgentMessageRequest.SerializeToString,
                    response_deserializer=pb.AgentMessageResponse.FromString)
                reply: pb.AgentMessageResponse = call(pb.AgentMessageRequest(
                    session_id=session, message=text), timeout=10)
                return reply

        reply = await trio.to_thread.run_sync(agent_message)
        assert reply.success
    finally:
        await store.close()


def test_the_session_is_read_from_a_requests_first_bytes() -> None:
    request = pb.SubmitProofRequest(session_id="0xabc", block_number=7,
                                    proof="x" * 100_000).SerializeToString()
    framed = struct.pack(">?I", False, len(request)) + request
    assert session_in(framed[:64], 1) == "0xabc"
    assert session_in(framed[:7], 1) is None  # not all there yet
    get_job = pb.GetJobRequest(developer="d", agent="a", agent_method="m",
                               session_id="0xdef").SerializeToString()
    framed = struct.pack(">?I", False, len(get_job)) + get_job
    assert session_in(framed, 4) == "0xdef"
    assert session_in(framed, 9) is None  # past the fields: not there
    assert session_in(b"\0\0\0\0\x05\x0a\xff\xff\xff", 4) is None  # a broken length
