"""The simulator on the wire: a grpcio client (an independent HTTP/2 + gRPC stack) with
messages compiled from our protos, against the purerpc server on 127.0.0.1."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
import pytest
import trio
from google.protobuf import json_format

from coordinator._pb.silvana.simnet.v1 import simnet_pb2
from coordinator._pb.sui.rpc.v2 import (
    ledger_service_pb2,
    query_options_pb2,
    state_service_pb2,
    subscription_service_pb2,
)
from coordinator.domain import AgentKey
from coordinator.events import JobCreatedEvent, JobStatus, decode_event
from coordinator.simnet import Faults, Simnet, serve
from tests.support import register_app

T = TypeVar("T")
TS = 1_700_000_000_000
PKG = "0x" + "0" * 57 + "5117a7a"
JOBS_FILTER = {"terms": [{"literals": [{"event_type": {"event_type": f"{PKG}::jobs"}}]}]}
TIMEOUT = 10


def serialize(message: Any) -> bytes:
    data: bytes = message.SerializeToString()
    return data


class Client:
    """grpcio generic stubs by full method name: `client.unary("sui.rpc.v2.X/Y", ...)`."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel

    def unary(self, method: str, request: Any, response_type: Any) -> Any:
        call = self.channel.unary_unary(
            f"/{method}",
            request_serializer=serialize,
            response_deserializer=response_type.FromString,
        )
        return call(request, timeout=TIMEOUT)

    def stream(self, method: str, request: Any, response_type: Any) -> Any:
        call = self.channel.unary_stream(
            f"/{method}",
            request_serializer=serialize,
            response_deserializer=response_type.FromString,
        )
        return call(request, timeout=TIMEOUT)


@pytest.fixture
async def sim(nursery: trio.Nursery) -> tuple[Simnet, str]:
    """A served simulator with one developer/agent/method and an app instance; (sim, target)."""
    sim = Simnet(checkpoint_interval_secs=0, clock_ms=lambda: TS, layout="2025-08")
    # Short names: the tests read them in the BCS bytes.
    register_app(sim, "img:1", "app", key=AgentKey("dev", "agent", "prove"))
    sim.seal()
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    return sim, target


async def in_thread(target: str, work: Callable[[Client], T]) -> T:
    """Run `work` with a grpcio client in a worker thread (grpcio blocks)."""

    def run() -> T:
        with grpc.insecure_channel(target) as channel:
            return work(Client(channel))

    with trio.fail_after(30):
        return await trio.to_thread.run_sync(run)


def on_trio(fn: Callable[[], T]) -> T:
    """From the grpcio thread: run `fn` on the Trio loop that serves the simulator."""
    return trio.from_thread.run_sync(fn)


async def test_service_info_and_checkpoints(sim: tuple[Simnet, str]) -> None:
    simnet, target = sim
    simnet.create_job("app", developer="dev", agent="agent", method="prove")
    simnet.seal()

    def work(client: Client) -> tuple[Any, Any, grpc.StatusCode]:
        info = client.unary(
            "sui.rpc.v2.LedgerService/GetServiceInfo",
            ledger_service_pb2.GetServiceInfoRequest(),
            ledger_service_pb2.GetServiceInfoResponse,
        )
        checkpoint = client.unary(
            "sui.rpc.v2.LedgerService/GetCheckpoint",
            ledger_service_pb2.GetCheckpointRequest(
                sequence_number=2,
                read_mask={"paths": ["sequence_number", "digest", "transactions.events"]},
            ),
            ledger_service_pb2.GetCheckpointResponse,
        )
        with pytest.raises(grpc.RpcError) as missing:
            client.unary(
                "sui.rpc.v2.LedgerService/GetCheckpoint",
                ledger_service_pb2.GetCheckpointRequest(sequence_number=99),
                ledger_service_pb2.GetCheckpointResponse,
            )
        return info, checkpoint, missing.value.code()

    info, response, code = await in_thread(target, work)
    assert (info.chain, info.checkpoint_height, info.epoch) == ("simnet", 2, 0)
    assert info.chain_id == simnet.chain.chain_id and info.HasField("lowest_available_checkpoint")
    assert info.timestamp.ToMilliseconds() == TS and info.server.startswith("silvana-simnet/")
    checkpoint = response.checkpoint
    assert checkpoint.digest == simnet.chain.checkpoints[2].digest
    (event,) = checkpoint.transactions[0].events.events
    assert event.event_type == f"{PKG}::jobs::JobCreatedEvent"
    assert code == grpc.StatusCode.NOT_FOUND


async def test_subscribe_events_sees_a_created_job(sim: tuple[Simnet, str]) -> None:
    simnet, target = sim
    app = simnet.app_instance("app")

    def create() -> None:
        simnet.create_job("app", developer="dev", agent="agent", method="prove", data=b"\xca\xfe")
        simnet.seal()

    def work(client: Client) -> list[Any]:
        request = subscription_service_pb2.SubscribeEventsRequest(
            filter=JOBS_FILTER,
            read_mask={"paths": ["event_type", "contents", "checkpoint", "transaction_digest"]},
        )
        stream = client.stream(
            "sui.rpc.v2.SubscriptionService/SubscribeEvents",
            request,
            subscription_service_pb2.SubscribeEventsResponse,
        )
        frames = [next(stream)]
        on_trio(create)
        for frame in stream:
            frames.append(frame)
            if not frame.HasField("event"):
                break
        stream.cancel()
        return frames

    first, item, progress = await in_thread(target, work)
    assert not first.HasField("event") and first.watermark.checkpoint == 1
    assert item.event.checkpoint == 2 and item.watermark.checkpoint == 1
    _, module, name = item.event.event_type.split("::")
    decoded = decode_event(module, name, item.event.contents.value)
    assert decoded == JobCreatedEvent(
        job_id=1,
        description=None,
        developer="dev",
        agent="agent",
        agent_method="prove",
        app="app",
        app_instance=app.id[2:],
        app_instance_method="prove",
        sequences=None,
        data=b"\xca\xfe",
        status=JobStatus(kind="pending"),
        created_at=TS,
    )
    assert item.event.contents.value.startswith(struct.pack("<Q", 1) + b"\x00\x03dev")
    assert progress.watermark.checkpoint == 2
    for _ in range(500):  # the client's cancel (RST_STREAM) ends the server's stream
        if not simnet.gate.open_streams:
            break
        await trio.sleep(0.01)
    assert simnet.gate.open_streams == 0


async def test_list_events_pages_until_checkpoint_bound(sim: tuple[Simnet, str]) -> None:
    simnet, target = sim
    for index in range(10):
        simnet.create_job(
            "app", developer="dev", agent="agent", method="prove", data=bytes([index])
        )
        if index % 3 == 2:
            simnet.seal()
    simnet.seal()
    end = simnet.chain.tip.sequence_number + 1

    def work(client: Client) -> tuple[list[int], list[int]]:
        data: list[int] = []
        reasons: list[int] = []
        after = None
        while True:
            options = query_options_pb2.QueryOptions(limit=4)
            if after is not None:
                options.after = after
            frames = list(
                client.stream(
                    "sui.rpc.v2.LedgerService/ListEvents",
                    ledger_service_pb2.ListEventsRequest(
                        start_checkpoint=0, end_checkpoint=end, filter=JOBS_FILTER, options=options
                    ),
                    ledger_service_pb2.ListEventsResponse,
                )
            )
            data += [
                JobCreatedEvent.from_bcs(f.event.contents.value).data[0]
                for f in frames
                if f.HasField("event")
            ]
            reasons.append(frames[-1].end.reason)
            after = frames[-1].watermark.cursor
            if frames[-1].end.reason != query_options_pb2.QUERY_END_REASON_ITEM_LIMIT:
                return data, reasons

    data, reasons = await in_thread(target, work)
    assert data == list(range(10))
    limit, bound = (
        query_options_pb2.QUERY_END_REASON_ITEM_LIMIT,
        query_options_pb2.QUERY_END_REASON_CHECKPOINT_BOUND,
    )
    # 10 items in pages of 4: the third page holds the last 2 and ends at the range bound.
    assert reasons == [limit, limit, bound]


async def test_unimplemented_when_faulted(sim: tuple[Simnet, str]) -> None:
    simnet, target = sim
    simnet.faults = Faults(unimplemented=frozenset({"SubscribeEvents", "ListEvents"}))

    def work(client: Client) -> tuple[list[grpc.StatusCode], int]:
        codes = []
        for method, request, response in (
            (
                "sui.rpc.v2.SubscriptionService/SubscribeEvents",
                subscription_service_pb2.SubscribeEventsRequest(),
                subscription_service_pb2.SubscribeEventsResponse,
            ),
            (
                "sui.rpc.v2.LedgerService/ListEvents",
                ledger_service_pb2.ListEventsRequest(),
                ledger_service_pb2.ListEventsResponse,
            ),
        ):
            with pytest.raises(grpc.RpcError) as error:
                list(client.stream(method, request, response))
            codes.append(error.value.code())
        fallback = client.stream(
            "sui.rpc.v2.SubscriptionService/SubscribeCheckpoints",
            subscription_service_pb2.SubscribeCheckpointsRequest(),
            subscription_service_pb2.SubscribeCheckpointsResponse,
        )
        cursor: int = next(fallback).cursor
        fallback.cancel()
        return codes, cursor

    codes, cursor = await in_thread(target, work)
    assert codes == [grpc.StatusCode.UNIMPLEMENTED] * 2
    assert cursor == simnet.chain.tip.sequence_number
    assert simnet.rpc_counts["SubscribeEvents"] == simnet.rpc_counts["ListEvents"] == 1


async def test_an_old_node_knows_only_the_older_calls_and_fields(
    sim: tuple[Simnet, str],
) -> None:
    """`old_node`: the calls and fields of the 2026-07 APIs are unknown (UNIMPLEMENTED,
    INVALID_ARGUMENT for a read mask naming them), the older ones answer, and the
    checkpoint filter (a field it does not know) is ignored."""
    simnet, target = sim
    simnet.faults = Faults(old_node=True)
    simnet.create_job("app", developer="dev", agent="agent", method="prove")
    simnet.seal()
    sequence = simnet.chain.tip.sequence_number
    older = ["sequence_number", "transactions.digest", "transactions.events.events.contents"]
    nothing = {"terms": [{"literals": [{"sender": {"address": "0x" + "ab" * 32}}]}]}

    def work(client: Client) -> tuple[list[tuple[str, grpc.StatusCode, str]], Any, Any]:
        refused = []
        for method, request, response in (
            ("sui.rpc.v2.SubscriptionService/SubscribeEvents",
             subscription_service_pb2.SubscribeEventsRequest(),
             subscription_service_pb2.SubscribeEventsResponse),
            ("sui.rpc.v2.LedgerService/ListEvents", ledger_service_pb2.ListEventsRequest(),
             ledger_service_pb2.ListEventsResponse),
            ("sui.rpc.v2.SubscriptionService/SubscribeCheckpoints",
             subscription_service_pb2.SubscribeCheckpointsRequest(
                 read_mask={"paths": [*older, "transactions.transaction_index"]}),
             subscription_service_pb2.SubscribeCheckpointsResponse),
        ):
            with pytest.raises(grpc.RpcError) as error:
                list(client.stream(method, request, response))
            refused.append((method.rsplit("/")[1], error.value.code(), error.value.details()))
        with pytest.raises(grpc.RpcError) as error:
            client.unary(
                "sui.rpc.v2.LedgerService/GetCheckpoint",
                ledger_service_pb2.GetCheckpointRequest(
                    sequence_number=sequence,
                    read_mask={"paths": ["transactions.events.events.event_index"]}),
                ledger_service_pb2.GetCheckpointResponse)
        refused.append(("GetCheckpoint", error.value.code(), error.value.details()))
        checkpoint = client.unary(
            "sui.rpc.v2.LedgerService/GetCheckpoint",
            ledger_service_pb2.GetCheckpointRequest(sequence_number=sequence,
                                                    read_mask={"paths": older}),
            ledger_service_pb2.GetCheckpointResponse).checkpoint
        stream = client.stream(
            "sui.rpc.v2.SubscriptionService/SubscribeCheckpoints",
            subscription_service_pb2.SubscribeCheckpointsRequest(
                read_mask={"paths": older}, filter=json_format.ParseDict(
                    nothing, subscription_service_pb2.SubscribeCheckpointsRequest().filter)),
            subscription_service_pb2.SubscribeCheckpointsResponse)
        first = next(stream)
        stream.cancel()
        return refused, checkpoint, first

    refused, checkpoint, first = await in_thread(target, work)
    codes = [(method, code) for method, code, _ in refused]
    assert codes == [("SubscribeEvents", grpc.StatusCode.UNIMPLEMENTED),
                     ("ListEvents", grpc.StatusCode.UNIMPLEMENTED),
                     ("SubscribeCheckpoints", grpc.StatusCode.INVALID_ARGUMENT),
                     ("GetCheckpoint", grpc.StatusCode.INVALID_ARGUMENT)]
    assert "'transactions.transaction_index'" in refused[2][2]
    assert "'transactions.events.events.event_index'" in refused[3][2]
    assert checkpoint.sequence_number == sequence
    assert [len(tx.events.events) for tx in checkpoint.transactions] == [1]
    assert checkpoint.transactions[0].events.events[0].contents.value
    # A filter matching nothing, ignored: the tip checkpoint comes whole.
    assert first.checkpoint.sequence_number == first.cursor == sequence


async def test_stream_dropped_after_n_frames(sim: tuple[Simnet, str]) -> None:
    simnet, target = sim
    simnet.faults = Faults(drop_stream_after_frames=3)

    def seal_three() -> None:
        for _ in range(3):
            simnet.seal()

    def work(client: Client) -> tuple[list[int], grpc.StatusCode]:
        stream = client.stream(
            "sui.rpc.v2.SubscriptionService/SubscribeCheckpoints",
            subscription_service_pb2.SubscribeCheckpointsRequest(
                read_mask={"paths": ["sequence_number"]}
            ),
            subscription_service_pb2.SubscribeCheckpointsResponse,
        )
        cursors = [next(stream).cursor]
        on_trio(seal_three)
        with pytest.raises(grpc.RpcError) as error:
            for frame in stream:
                cursors.append(frame.cursor)
        return cursors, error.value.code()

    cursors, code = await in_thread(target, work)
    assert cursors == [1, 2, 3]
    assert code == grpc.StatusCode.UNAVAILABLE


async def test_agent_method_lookup_by_names(sim: tuple[Simnet, str]) -> None:
    """The path of coordination-events.md: registry -> developers table -> developer ->
    agents table -> agent -> methods, with BCS names."""
    simnet, target = sim
    registry_id = simnet.registry.id

    def work(client: Client) -> dict[str, Any]:
        def get(object_id: str) -> dict[str, Any]:
            response = client.unary(
                "sui.rpc.v2.LedgerService/GetObject",
                ledger_service_pb2.GetObjectRequest(
                    object_id=object_id, read_mask={"paths": ["object_type", "json"]}
                ),
                ledger_service_pb2.GetObjectResponse,
            )
            rendered: dict[str, Any] = json_format.MessageToDict(response.object.json)
            rendered["_type"] = response.object.object_type
            return rendered

        def lookup(table_id: str, name: str) -> str:
            response = client.unary(
                "sui.rpc.v2.StateService/ListDynamicFields",
                state_service_pb2.ListDynamicFieldsRequest(
                    parent=table_id, read_mask={"paths": ["name", "child_id"]}
                ),
                state_service_pb2.ListDynamicFieldsResponse,
            )
            key = bytes([len(name)]) + name.encode()  # BCS String
            (field,) = [f for f in response.dynamic_fields if f.name.value == key]
            child_id: str = field.child_id
            return child_id

        registry = get(registry_id)
        developer = get(lookup(registry["developers"]["id"], "dev"))
        return get(lookup(developer["agents"]["id"], "agent"))

    agent = await in_thread(target, work)
    assert agent["_type"] == f"{PKG}::agent::Agent" and agent["name"] == "agent"
    methods = {entry["key"]: entry["value"] for entry in agent["methods"]["contents"]}
    assert methods["prove"]["docker_image"] == "img:1"
    assert agent["default_method"] is None


async def test_admin_create_job(sim: tuple[Simnet, str]) -> None:
    simnet, target = sim

    def work(client: Client) -> tuple[Any, Any, grpc.StatusCode]:
        created = client.unary(
            "silvana.simnet.v1.SimnetAdmin/CreateJob",
            simnet_pb2.CreateJobRequest(
                developer="dev", agent="agent", agent_method="prove", app_instance="app",
                data=b"\x01",
            ),
            simnet_pb2.CreateJobResponse,
        )  # fmt: skip
        stats = client.unary(
            "silvana.simnet.v1.SimnetAdmin/GetStats",
            simnet_pb2.GetStatsRequest(),
            simnet_pb2.GetStatsResponse,
        )
        with pytest.raises(grpc.RpcError) as error:
            client.unary(
                "silvana.simnet.v1.SimnetAdmin/CreateJob",
                simnet_pb2.CreateJobRequest(
                    developer="d", agent="a", agent_method="m", app_instance="nope"
                ),
                simnet_pb2.CreateJobResponse,
            )
        return created, stats, error.value.code()

    created, stats, code = await in_thread(target, work)
    assert created.job_id == 1 and created.checkpoint == 2  # sealed at once (no interval)
    tx = simnet.chain.transaction(created.transaction_digest)
    assert tx is not None and tx.checkpoint == 2
    assert JobCreatedEvent.from_bcs(tx.events[0].contents).data == b"\x01"
    assert stats.jobs_created == 1 and stats.jobs_pending == 1 and stats.checkpoint_height == 2
    assert code == grpc.StatusCode.NOT_FOUND
