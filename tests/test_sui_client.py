"""coordinator.sui.client and the purerpc adapter (coordinator.grpc) against real HTTP/2 peers.

Servers: grpcio (an independent gRPC implementation) over plaintext TCP, TLS with a
throwaway CA and a Unix socket; our own purerpc server adapter over a Unix socket
and 127.0.0.1; and a raw h2 server for the failures grpcio will not produce on
demand (RST_STREAM, GOAWAY, a closed connection). Network: 127.0.0.1 and Unix
sockets in temporary directories only.
"""

from __future__ import annotations

import functools
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections import Counter
from collections.abc import AsyncGenerator, Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import h2.config
import h2.connection
import h2.errors
import h2.events
import purerpc
import pytest
import trio
from purerpc.grpc_socket import SocketWrapper
from purerpc.grpclib.status import Status, StatusCode

from coordinator import grpc as purerpc_adapter
from coordinator._pb.sui.rpc.v2 import (
    checkpoint_pb2,
    event_pb2,
    ledger_service_grpc,
    ledger_service_pb2,
    state_service_pb2,
    subscription_service_grpc,
    subscription_service_pb2,
)
from coordinator.sui.client import (
    SuiError,
    SuiNotFound,
    SuiRejected,
    SuiUnavailable,
    SuiUnimplemented,
    connect,
    module_event_filter,
    module_transaction_filter,
)
from coordinator.sui.endpoint import Endpoint
from tests.support import need

PACKAGE = "0x" + "ab" * 32
CHECKPOINT_MASK = ["sequence_number", "transactions.events.events.contents"]


def checkpoint(sequence: int) -> checkpoint_pb2.Checkpoint:
    event = event_pb2.Event(
        event_type=f"{PACKAGE}::coordination::JobCreatedEvent",
        contents={"value": b"\x01\x02"},
        event_index=0,
    )
    return checkpoint_pb2.Checkpoint(
        sequence_number=sequence,
        transactions=[{"digest": f"tx{sequence}", "events": {"events": [event]}}],
    )


def serialize(message: Any) -> bytes:
    data: bytes = message.SerializeToString()
    return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- A grpcio server with our message classes ------------------------------------


class FakeSui:
    """grpcio handlers for our subset. SubscribeEvents is left out: UNIMPLEMENTED."""

    def __init__(self) -> None:
        self.requests: dict[str, list[Any]] = {}
        self.metadata: list[dict[str, Any]] = []
        self.hold_stream = False  # SubscribeCheckpoints waits after its frames
        self.stream_ended = threading.Event()
        self.stall_cancelled = threading.Event()
        self.stall_time_remaining: float | None = None

    def _record(self, name: str, request: Any, context: grpc.ServicerContext) -> None:
        self.requests.setdefault(name, []).append(request)
        self.metadata.append(dict(context.invocation_metadata()))

    def get_service_info(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("GetServiceInfo", request, context)
        return ledger_service_pb2.GetServiceInfoResponse(
            chain="testnet", checkpoint_height=100, lowest_available_checkpoint=5
        )

    def get_checkpoint(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("GetCheckpoint", request, context)
        if request.sequence_number == 404:
            context.abort(grpc.StatusCode.NOT_FOUND, "checkpoint 404 not found")
        if request.sequence_number == 999:  # stall until the client gives up
            self.stall_time_remaining = context.time_remaining()
            while context.is_active():
                time.sleep(0.01)
            self.stall_cancelled.set()
        return ledger_service_pb2.GetCheckpointResponse(
            checkpoint=checkpoint(request.sequence_number)
        )

    def get_object(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("GetObject", request, context)
        if request.object_id == "0x5":
            return ledger_service_pb2.GetObjectResponse(
                object={"object_id": "0x5", "version": 7, "object_type": "0x2::clock::Clock"}
            )
        if request.object_id == "0x7":
            context.abort(grpc.StatusCode.UNAVAILABLE, "node is syncing")
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "no access to this object")

    def list_dynamic_fields(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("ListDynamicFields", request, context)
        return state_service_pb2.ListDynamicFieldsResponse(
            dynamic_fields=[{"field_id": "0x10", "name": {"value": b"\x03abc"}}],
            next_page_token=b"next",
        )

    def list_events(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        self._record("ListEvents", request, context)
        response = ledger_service_pb2.ListEventsResponse
        for index in range(2):
            event = {"checkpoint": 3, "event_index": index, "event_type": "X"}
            yield response(event=event, watermark={"cursor": bytes([index]), "checkpoint": 3})
        yield response(end={"reason": "QUERY_END_REASON_CHECKPOINT_BOUND"})

    def subscribe_checkpoints(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        self._record("SubscribeCheckpoints", request, context)
        # Set when the call ends, also while grpcio holds the generator at a yield.
        context.add_callback(self.stream_ended.set)
        response = subscription_service_pb2.SubscribeCheckpointsResponse
        yield response(cursor=10, checkpoint=checkpoint(10))
        yield response(cursor=11)
        yield response(cursor=12, checkpoint=checkpoint(12))
        if self.hold_stream:  # until the client goes away
            while context.is_active():
                time.sleep(0.01)
            return
        context.abort(grpc.StatusCode.UNAVAILABLE, "stream reset")

    def handlers(self) -> list[Any]:
        def unary(fn: Any, request_type: Any) -> Any:
            return grpc.unary_unary_rpc_method_handler(
                fn, request_deserializer=request_type.FromString, response_serializer=serialize
            )

        def stream(fn: Any, request_type: Any) -> Any:
            return grpc.unary_stream_rpc_method_handler(
                fn, request_deserializer=request_type.FromString, response_serializer=serialize
            )

        ledger, subs = ledger_service_pb2, subscription_service_pb2
        return [
            grpc.method_handlers_generic_handler(
                "sui.rpc.v2.LedgerService",
                {
                    "GetServiceInfo": unary(self.get_service_info, ledger.GetServiceInfoRequest),
                    "GetCheckpoint": unary(self.get_checkpoint, ledger.GetCheckpointRequest),
                    "GetObject": unary(self.get_object, ledger.GetObjectRequest),
                    "ListEvents": stream(self.list_events, ledger.ListEventsRequest),
                },
            ),
            grpc.method_handlers_generic_handler(
                "sui.rpc.v2.StateService",
                {
                    "ListDynamicFields": unary(
                        self.list_dynamic_fields, state_service_pb2.ListDynamicFieldsRequest
                    )
                },
            ),
            grpc.method_handlers_generic_handler(
                "sui.rpc.v2.SubscriptionService",
                {
                    "SubscribeCheckpoints": stream(
                        self.subscribe_checkpoints, subs.SubscribeCheckpointsRequest
                    )
                },
            ),
        ]


@contextmanager
def grpcio_server(
    fake: FakeSui, address: str = "127.0.0.1:0", credentials: Any = None
) -> Iterator[tuple[grpc.Server, int]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers(fake.handlers())
    if credentials is None:
        port = server.add_insecure_port(address)
    else:
        port = server.add_secure_port(address, credentials)
    server.start()
    try:
        yield server, port
    finally:
        server.stop(grace=None).wait(5)


@pytest.fixture
def fake() -> FakeSui:
    return FakeSui()


@pytest.fixture
def plain(fake: FakeSui) -> Iterator[Endpoint]:
    with grpcio_server(fake) as (_, port):
        yield Endpoint("http", host="127.0.0.1", port=port)


# --- (a) plaintext TCP against grpcio -----------------------------------------------


async def test_unary_calls_and_their_errors(plain: Endpoint, fake: FakeSui) -> None:
    with trio.fail_after(20):
        async with connect(plain, timeout=5, metadata=[("x-api-key", "k1")]) as sui:
            info = await sui.service_info()
            assert (info.chain, info.checkpoint_height) == ("testnet", 100)

            found = await sui.get_checkpoint(7, CHECKPOINT_MASK)
            assert found.sequence_number == 7
            assert found.transactions[0].events.events[0].contents.value == b"\x01\x02"
            request = fake.requests["GetCheckpoint"][0]
            assert request.sequence_number == 7
            assert list(request.read_mask.paths) == CHECKPOINT_MASK
            assert fake.metadata[-1]["x-api-key"] == "k1"

            obj = await sui.get_object("0x5", ["object_id", "version"])
            assert (obj.object_id, obj.version) == ("0x5", 7)

            page = await sui.list_dynamic_fields(
                "0xparent", page_size=2, page_token=b"tok", read_mask=["field_id", "name"]
            )
            assert page.dynamic_fields[0].field_id == "0x10"
            assert page.next_page_token == b"next"
            sent = fake.requests["ListDynamicFields"][0]
            assert (sent.parent, sent.page_size, sent.page_token) == ("0xparent", 2, b"tok")

            with pytest.raises(SuiNotFound) as not_found:
                await sui.get_checkpoint(404)
            assert not fake.requests["GetCheckpoint"][1].HasField("read_mask")  # server default
            with pytest.raises(SuiUnavailable) as unavailable:
                await sui.get_object("0x7")
            with pytest.raises(SuiRejected) as rejected:
                await sui.get_object("0x6")

            assert sui.calls == Counter(
                {
                    "LedgerService/GetServiceInfo": 1,
                    "LedgerService/GetCheckpoint": 2,
                    "LedgerService/GetObject": 3,
                    "StateService/ListDynamicFields": 1,
                }
            )

    error = not_found.value
    assert (error.call, error.code, error.retryable) == (
        "LedgerService/GetCheckpoint",
        "NOT_FOUND",
        False,
    )
    assert str(error) == "LedgerService/GetCheckpoint failed: NOT_FOUND: checkpoint 404 not found"
    assert (unavailable.value.code, unavailable.value.retryable) == ("UNAVAILABLE", True)
    assert "node is syncing" in str(unavailable.value)
    assert (rejected.value.code, rejected.value.retryable) == ("PERMISSION_DENIED", False)


async def test_server_streams(plain: Endpoint, fake: FakeSui) -> None:
    event_filter = module_event_filter(PACKAGE, ["coordination", "jobs"])
    tx_filter = module_transaction_filter(PACKAGE, ["coordination"])
    cursors: list[int] = []
    with trio.fail_after(20):
        async with connect(plain, timeout=5) as sui:
            async with sui.subscribe_checkpoints(CHECKPOINT_MASK, tx_filter) as frames:
                with pytest.raises(SuiUnavailable, match="stream reset"):
                    async for frame in frames:
                        cursors.append(frame.cursor)
                with pytest.raises(StopAsyncIteration):  # stays finished
                    await anext(frames)

            async with sui.subscribe_events(event_filter, ["contents"]) as events:
                with pytest.raises(SuiUnimplemented) as unimplemented:
                    await anext(events)

            async with sui.list_events(
                start_checkpoint=1,
                end_checkpoint=4,
                event_filter=event_filter,
                read_mask=["event_type"],
                limit=50,
                after=b"\x00",
            ) as listed:
                frames_listed = [frame async for frame in listed]

            assert await sui.service_info()  # the connection outlives its streams
    assert cursors == [10, 11, 12]
    subscribe = fake.requests["SubscribeCheckpoints"][0]
    assert subscribe.filter == tx_filter
    assert list(subscribe.read_mask.paths) == CHECKPOINT_MASK
    assert unimplemented.value.call == "SubscriptionService/SubscribeEvents"
    assert not unimplemented.value.retryable
    assert [f.event.event_index for f in frames_listed[:2]] == [0, 1]
    assert frames_listed[2].end.reason == 3  # CHECKPOINT_BOUND
    request = fake.requests["ListEvents"][0]
    assert (request.start_checkpoint, request.end_checkpoint) == (1, 4)
    assert (request.options.limit, request.options.after) == (50, b"\x00")
    assert request.filter == event_filter


async def test_stalled_call_fails_at_its_deadline(plain: Endpoint, fake: FakeSui) -> None:
    with trio.fail_after(20):
        async with connect(plain, timeout=5) as sui:
            started = trio.current_time()
            with pytest.raises(SuiUnavailable) as error:
                await sui.get_checkpoint(999, timeout=0.5)
            elapsed = trio.current_time() - started
            assert await sui.service_info()  # the connection is still good
    assert 0.5 <= elapsed < 1.5
    assert (error.value.code, error.value.retryable) == ("DEADLINE_EXCEEDED", True)
    assert "0.5 s" in str(error.value)
    # The deadline went to the server too (grpc-timeout, whole seconds).
    assert fake.stall_time_remaining is not None and fake.stall_time_remaining <= 1.0


async def test_leaving_a_stream_early_cancels_it_on_the_server(
    plain: Endpoint, fake: FakeSui
) -> None:
    fake.hold_stream = True
    with trio.fail_after(20):
        async with connect(plain, timeout=5) as sui:
            async with sui.subscribe_checkpoints() as frames:
                first = await anext(frames)
            assert first.cursor == 10
            assert await trio.to_thread.run_sync(fake.stream_ended.wait, 5)
            assert await sui.service_info()


async def test_idle_stream_times_out(plain: Endpoint, fake: FakeSui) -> None:
    fake.hold_stream = True
    with trio.fail_after(20):
        async with connect(plain, timeout=5) as sui:
            async with sui.subscribe_checkpoints(idle_timeout=0.3) as frames:
                with pytest.raises(SuiUnavailable) as error:
                    async for _ in frames:
                        pass
    assert error.value.code == "DEADLINE_EXCEEDED"


async def test_server_killed_mid_stream(fake: FakeSui) -> None:
    fake.hold_stream = True
    cursors: list[int] = []
    with grpcio_server(fake) as (server, port), trio.fail_after(20):
        with pytest.raises(SuiUnavailable) as error:
            async with connect(Endpoint("http", "127.0.0.1", port), timeout=5) as sui:
                async with sui.subscribe_checkpoints() as frames:
                    async for frame in frames:
                        cursors.append(frame.cursor)
                        if frame.cursor == 12:
                            await trio.to_thread.run_sync(lambda: server.stop(grace=None).wait())
    assert cursors == [10, 11, 12]
    assert type(error.value) is SuiUnavailable and error.value.retryable
    assert error.value.call == "SubscriptionService/SubscribeCheckpoints"


async def test_connection_refused() -> None:
    endpoint = Endpoint("http", "127.0.0.1", free_port())
    with pytest.raises(SuiUnavailable) as error:
        async with connect(endpoint, timeout=5):
            pytest.fail("connected to a closed port")
    assert (error.value.call, error.value.code, error.value.retryable) == (
        "connect",
        "transport",
        True,
    )
    assert (
        str(error.value)
        == f"connect failed: transport: cannot reach {endpoint}: Connection refused"
    )


async def test_connect_deadline() -> None:
    """A server that accepts TCP but never answers the TLS handshake."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        started = trio.current_time()
        with pytest.raises(SuiUnavailable) as error:
            async with connect(Endpoint("https", "127.0.0.1", port), timeout=0.5):
                pytest.fail("handshake with a silent server")
    assert trio.current_time() - started < 2
    assert (error.value.call, error.value.code) == ("connect", "DEADLINE_EXCEEDED")


async def test_missing_unix_socket(sock_dir: Path) -> None:
    with pytest.raises(SuiUnavailable) as error:
        async with connect(Endpoint.parse(f"unix:{sock_dir}/none.sock"), timeout=5):
            pytest.fail("connected to a missing socket")
    assert error.value.call == "connect"


# --- The contract of connect() ---------------------------------------------------------


async def test_body_errors_pass_through_unchanged(plain: Endpoint) -> None:
    mine = ValueError("a bug in the caller")
    with pytest.raises(ValueError) as caught:
        async with connect(plain, timeout=5):
            raise mine
    assert caught.value is mine

    ours = SuiNotFound("LedgerService/GetObject", "NOT_FOUND", "gone")
    with pytest.raises(SuiNotFound) as caught_sui:
        async with connect(plain, timeout=5) as sui:
            await sui.service_info()
            raise ours
    assert caught_sui.value is ours


async def test_cancellation_is_never_swallowed(plain: Endpoint, fake: FakeSui) -> None:
    fake.hold_stream = True
    with trio.move_on_after(0.5) as scope:
        async with connect(plain, timeout=5) as sui:
            await sui.service_info()
            await trio.sleep_forever()
    assert scope.cancelled_caught

    with trio.move_on_after(0.5) as scope:
        async with connect(plain, timeout=5) as sui, sui.subscribe_checkpoints() as frames:
            async for _ in frames:
                pass
    assert scope.cancelled_caught


# --- Failures only a raw HTTP/2 server produces on demand --------------------------------


class RawH2Server:
    """Answers the first call with one SubscribeCheckpoints frame, then misbehaves."""

    def __init__(self, action: str) -> None:
        self.action = action
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port: int = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            h2c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
            h2c.initiate_connection()
            conn.sendall(h2c.data_to_send())
            while data := conn.recv(65536):
                if h2c.state_machine.state == h2.connection.ConnectionState.CLOSED:
                    continue  # after our GOAWAY: read until the client hangs up
                for event in h2c.receive_data(data):
                    if isinstance(event, h2.events.StreamEnded) and self._answer(
                        h2c, conn, event.stream_id
                    ):
                        return
                conn.sendall(h2c.data_to_send())

    def _answer(self, h2c: Any, conn: socket.socket, stream_id: int) -> bool:
        """Respond; True when the connection is to end now."""
        if self.action == "refuse":
            h2c.reset_stream(stream_id, h2.errors.ErrorCodes.REFUSED_STREAM)
            return False
        if self.action == "goaway-unprocessed":  # the call was never started: retry it
            h2c.close_connection(last_stream_id=0)
            return False
        h2c.send_headers(stream_id, [(":status", "200"), ("content-type", "application/grpc")])
        message = subscription_service_pb2.SubscribeCheckpointsResponse(cursor=5)
        payload = message.SerializeToString()
        h2c.send_data(stream_id, b"\0" + struct.pack(">I", len(payload)) + payload)
        if self.action == "reset":
            h2c.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
            return False
        if self.action == "goaway":
            h2c.close_connection()
        conn.sendall(h2c.data_to_send())
        conn.shutdown(socket.SHUT_RDWR)
        return True

    def close(self) -> None:
        self.sock.close()
        self.thread.join(5)


@pytest.mark.parametrize(
    ("action", "code", "text", "frames"),
    [
        ("reset", "CANCELLED", "reset the stream (HTTP/2 CANCEL)", [5]),
        ("refuse", "UNAVAILABLE", "REFUSED_STREAM", []),
        ("close", "UNAVAILABLE", "closed the connection", [5]),
        ("goaway", "UNAVAILABLE", "closed the connection", [5]),
        ("goaway-unprocessed", "UNAVAILABLE", "GOAWAY NO_ERROR", []),
    ],
)
async def test_raw_http2_failures_end_the_call(
    action: str, code: str, text: str, frames: list[int]
) -> None:
    """purerpc alone waits forever in each of these cases."""
    server = RawH2Server(action)
    cursors: list[int] = []
    try:
        with trio.fail_after(10):
            async with connect(Endpoint("http", "127.0.0.1", server.port), timeout=5) as sui:
                with pytest.raises(SuiUnavailable) as error:
                    async with sui.subscribe_checkpoints() as stream:
                        async for frame in stream:
                            cursors.append(frame.cursor)
                if action in ("close", "goaway", "goaway-unprocessed"):
                    assert sui.lost_reason is not None
                    with pytest.raises(SuiUnavailable):  # no new calls on a dead connection
                        await sui.service_info()
                with pytest.raises(StopAsyncIteration):  # a stream that was left stays ended
                    await anext(stream)
    finally:
        server.close()
    assert cursors == frames
    assert error.value.code == code and error.value.retryable
    assert text in str(error.value)


# --- (b) TLS with a throwaway CA --------------------------------------------------------


@dataclass
class Pki:
    ca: Path
    good: tuple[bytes, bytes]  # (key, certificate) for localhost and 127.0.0.1
    wrong: tuple[bytes, bytes]  # for sui.invalid only


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    if shutil.which("openssl") is None:
        need("the openssl command is needed to make test certificates")
    directory = tmp_path_factory.mktemp("pki")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=Silvana test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    pairs = {}
    for name, names in (("good", "DNS:localhost,IP:127.0.0.1"), ("wrong", "DNS:sui.invalid")):
        (directory / f"{name}.ext").write_text(
            f"subjectAltName={names}\nbasicConstraints=CA:FALSE\n"
            "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        )
        openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem",
        )  # fmt: skip
        pairs[name] = (
            (directory / f"{name}.key").read_bytes(),
            (directory / f"{name}.pem").read_bytes(),
        )
    return Pki(directory / "ca.pem", pairs["good"], pairs["wrong"])


def trusting(pki: Pki) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca))
    context.set_alpn_protocols(["h2"])
    return context


async def test_tls_round_trip(pki: Pki, fake: FakeSui) -> None:
    credentials = grpc.ssl_server_credentials([pki.good])
    with grpcio_server(fake, credentials=credentials) as (_, port), trio.fail_after(20):
        endpoint = Endpoint("https", "127.0.0.1", port)
        async with connect(endpoint, timeout=5, ssl_context=trusting(pki)) as sui:
            assert (await sui.service_info()).chain == "testnet"
            async with sui.subscribe_checkpoints() as frames:
                assert (await anext(frames)).cursor == 10
            with pytest.raises(SuiRejected):
                await sui.get_object("0x6")


async def test_tls_wrong_host_name_is_rejected(pki: Pki, fake: FakeSui) -> None:
    credentials = grpc.ssl_server_credentials([pki.wrong])
    with grpcio_server(fake, credentials=credentials) as (_, port), trio.fail_after(20):
        with pytest.raises(SuiRejected) as error:
            async with connect(
                Endpoint("https", "127.0.0.1", port), timeout=5, ssl_context=trusting(pki)
            ):
                pytest.fail("accepted a certificate for another name")
    assert (error.value.call, error.value.code, error.value.retryable) == ("connect", "tls", False)
    assert "mismatch" in str(error.value)


async def test_tls_default_trust_store_rejects_a_private_ca(pki: Pki, fake: FakeSui) -> None:
    credentials = grpc.ssl_server_credentials([pki.good])
    with grpcio_server(fake, credentials=credentials) as (_, port), trio.fail_after(20):
        with pytest.raises(SuiRejected) as error:
            async with connect(Endpoint("https", "127.0.0.1", port), timeout=5):
                pytest.fail("the system store trusted a throwaway CA")
    assert error.value.code == "tls"
    assert "issuer" in str(error.value)


# --- (c) Unix sockets ---------------------------------------------------------------------


async def test_unix_socket_against_grpcio(sock_dir: Path, fake: FakeSui) -> None:
    path = sock_dir / "grpcio.sock"
    with grpcio_server(fake, address=f"unix:{path}"), trio.fail_after(20):
        async with connect(Endpoint.parse(f"unix:{path}"), timeout=5) as sui:
            assert (await sui.get_checkpoint(3)).sequence_number == 3
            async with sui.subscribe_checkpoints() as frames:
                assert (await anext(frames)).cursor == 10
            async with sui.subscribe_events(None) as events:
                with pytest.raises(SuiUnimplemented):
                    await anext(events)


class OurLedger(ledger_service_grpc.LedgerServiceServicer):
    async def GetServiceInfo(
        self, input_message: ledger_service_pb2.GetServiceInfoRequest
    ) -> ledger_service_pb2.GetServiceInfoResponse:
        return ledger_service_pb2.GetServiceInfoResponse(chain="simnet", checkpoint_height=42)

    async def GetObject(
        self, input_message: ledger_service_pb2.GetObjectRequest
    ) -> ledger_service_pb2.GetObjectResponse:
        if input_message.object_id == "crash":
            raise RuntimeError("servicer bug")
        if input_message.object_id == "slow":
            await trio.sleep(30)
        code = StatusCode[input_message.object_id]  # the test names the status to answer
        raise purerpc.RpcFailedError(Status(code, f"answered {code.name}"))


class OurSubscriptions(subscription_service_grpc.SubscriptionServiceServicer):
    def __init__(self) -> None:
        self.closed = trio.Event()

    async def SubscribeCheckpoints(
        self, input_message: subscription_service_pb2.SubscribeCheckpointsRequest
    ) -> AsyncGenerator[subscription_service_pb2.SubscribeCheckpointsResponse, None]:
        try:
            cursor = 0
            while True:
                cursor += 1
                yield subscription_service_pb2.SubscribeCheckpointsResponse(cursor=cursor)
                await trio.sleep(0.01)
        finally:
            self.closed.set()


@pytest.fixture(params=["unix", "tcp"])
async def our_server(
    request: pytest.FixtureRequest, nursery: trio.Nursery, sock_dir: Path
) -> AsyncGenerator[tuple[Endpoint, OurSubscriptions], None]:
    subscriptions = OurSubscriptions()
    if request.param == "unix":
        path = sock_dir / "ours.sock"
        started = await nursery.start(purerpc_adapter.serve, path, OurLedger(), subscriptions)
        assert started == str(path)
        yield Endpoint.parse(f"unix:{path}"), subscriptions
    else:
        port = await nursery.start(
            purerpc_adapter.serve_tcp, "127.0.0.1", 0, OurLedger(), subscriptions.service
        )
        yield Endpoint("http", "127.0.0.1", port), subscriptions


async def test_our_purerpc_server(our_server: tuple[Endpoint, OurSubscriptions]) -> None:
    endpoint, subscriptions = our_server
    with trio.fail_after(20):
        async with connect(endpoint, timeout=5) as sui:
            assert (await sui.service_info()).checkpoint_height == 42
            with pytest.raises(SuiUnavailable) as crash:
                await sui.get_object("crash")
            with pytest.raises(SuiUnimplemented):
                await sui.get_checkpoint(1)
            with pytest.raises(SuiUnimplemented):  # a service it does not serve
                await sui.list_dynamic_fields("0x1")
            with pytest.raises(SuiUnavailable):
                await sui.get_object("slow", timeout=0.2)
            async with sui.subscribe_checkpoints() as frames:
                assert [(await anext(frames)).cursor for _ in range(3)] == [1, 2, 3]
            await subscriptions.closed.wait()  # our server stopped the reset call
    assert crash.value.code == "UNKNOWN"
    assert "servicer bug" in crash.value.message


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("UNAVAILABLE", SuiUnavailable),
        ("DEADLINE_EXCEEDED", SuiUnavailable),
        ("CANCELLED", SuiUnavailable),
        ("RESOURCE_EXHAUSTED", SuiUnavailable),
        ("ABORTED", SuiUnavailable),
        ("INTERNAL", SuiUnavailable),
        ("UNKNOWN", SuiUnavailable),
        ("UNIMPLEMENTED", SuiUnimplemented),
        ("NOT_FOUND", SuiNotFound),
        ("UNAUTHENTICATED", SuiRejected),
        ("PERMISSION_DENIED", SuiRejected),
        ("INVALID_ARGUMENT", SuiRejected),
        ("FAILED_PRECONDITION", SuiRejected),
        ("OUT_OF_RANGE", SuiRejected),
        ("DATA_LOSS", SuiRejected),
    ],
)
async def test_status_mapping(
    nursery: trio.Nursery, sock_dir: Path, code: str, kind: type[SuiError]
) -> None:
    path = await nursery.start(purerpc_adapter.serve, sock_dir / "map.sock", OurLedger())
    with trio.fail_after(10):
        async with connect(Endpoint.parse(f"unix:{path}"), timeout=5) as sui:
            with pytest.raises(SuiError) as error:
                await sui.get_object(code)
    assert type(error.value) is kind
    assert (error.value.code, error.value.message) == (code, f"answered {code}")
    assert error.value.retryable == (kind is SuiUnavailable)


async def test_grpcio_client_against_our_unix_server(sock_dir: Path) -> None:
    path = sock_dir / "rpc.sock"
    with trio.CancelScope() as scope:
        async with trio.open_nursery() as nursery:
            await nursery.start(
                functools.partial(purerpc_adapter.serve, mode=0o600), path, OurLedger()
            )
            assert path.is_socket() and (path.stat().st_mode & 0o777) == 0o600

            def call() -> tuple[str, grpc.StatusCode]:
                with grpc.insecure_channel(f"unix:{path}") as channel:
                    info = channel.unary_unary(
                        "/sui.rpc.v2.LedgerService/GetServiceInfo",
                        request_serializer=serialize,
                        response_deserializer=ledger_service_pb2.GetServiceInfoResponse.FromString,
                    )(ledger_service_pb2.GetServiceInfoRequest(), timeout=10)
                    get_checkpoint = channel.unary_unary(
                        "/sui.rpc.v2.LedgerService/GetCheckpoint",
                        request_serializer=serialize,
                        response_deserializer=ledger_service_pb2.GetCheckpointResponse.FromString,
                    )
                    with pytest.raises(grpc.RpcError) as error:
                        get_checkpoint(ledger_service_pb2.GetCheckpointRequest(), timeout=10)
                    return info.chain, error.value.code()

            with trio.fail_after(20):
                chain, code = await trio.to_thread.run_sync(call)
            scope.cancel()
    assert (chain, code) == ("simnet", grpc.StatusCode.UNIMPLEMENTED)
    assert not path.exists()  # serve() removes its socket


# --- The adapter's pieces -----------------------------------------------------------------


def test_socket_option_patch_is_idempotent() -> None:
    patched = SocketWrapper.__dict__["_set_socket_options"]
    purerpc_adapter.install()
    purerpc_adapter.install()
    assert SocketWrapper.__dict__["_set_socket_options"] is patched
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:

        class Stream:
            def extra(self, attribute: Any, default: Any = None) -> Any:
                return left

        SocketWrapper._set_socket_options(Stream())  # no OSError 95


async def test_unix_channel_with_generated_stubs(sock_dir: Path, nursery: trio.Nursery) -> None:
    path = await nursery.start(purerpc_adapter.serve, sock_dir / "stub.sock", OurLedger())
    with trio.fail_after(10):
        async with purerpc_adapter.unix_channel(path) as channel:
            stub = ledger_service_grpc.LedgerServiceStub(channel)
            info = await stub.GetServiceInfo(ledger_service_pb2.GetServiceInfoRequest())
    assert info.chain == "simnet"


def test_module_filters_match_event_types_of_each_module() -> None:
    events = module_event_filter(PACKAGE, ["coordination", "jobs"])
    assert [[lit.event_type.event_type for lit in term.literals] for term in events.terms] == [
        [f"{PACKAGE}::coordination"],
        [f"{PACKAGE}::jobs"],
    ]
    transactions = module_transaction_filter(PACKAGE, ["coordination"])
    literal = transactions.terms[0].literals[0]
    assert literal.WhichOneof("predicate") == "event_type" and not literal.negated
    assert literal.event_type.event_type == f"{PACKAGE}::coordination"
    with pytest.raises(ValueError):
        module_event_filter(PACKAGE, [])


def test_error_text() -> None:
    error = SuiUnavailable("LedgerService/GetObject", "transport", "ConnectionResetError")
    assert str(error) == "LedgerService/GetObject failed: transport: ConnectionResetError"
    assert str(SuiRejected("x", "UNAUTHENTICATED")) == "x failed: UNAUTHENTICATED"
