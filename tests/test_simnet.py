"""The Sui simulator in-process: chain, actions and their events, objects, and the
servicers' semantics (ListEvents paging and end reasons, subscriptions, masks, faults).

The wire format against an independent client is in test_simnet_grpc.py.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any, TypeVar

import purerpc
import pytest
import trio
import trio.testing
from google.protobuf import json_format

from coordinator._pb.sui.rpc.v2 import (
    filter_pb2,
    ledger_service_pb2,
    query_options_pb2,
    state_service_pb2,
    subscription_service_pb2,
)
from coordinator.events import (
    DefaultMethodSetEvent,
    JobCompletedEvent,
    JobCreatedEvent,
    JobDeletedEvent,
    JobFailedEvent,
    JobStatus,
    JobUpdatedEvent,
    MethodAddedEvent,
    MethodRemovedEvent,
    MethodUpdatedEvent,
    decode_event,
)
from coordinator.events.pipeline import PIPELINE_EVENTS
from coordinator.simnet import Faults, Simnet, SimnetError, UnknownObject
from coordinator.simnet.chain import decode_cursor, encode_cursor
from coordinator.simnet.services import LedgerService, StateService, SubscriptionService

T = TypeVar("T")
TS = 1_700_000_000_000
PKG = "0x" + "0" * 57 + "5117a7a"
END = query_options_pb2.QueryEndReason
PENDING = JobStatus(kind="pending")
RUNNING = JobStatus(kind="running")


def make_sim(**kwargs: Any) -> Simnet:
    kwargs.setdefault("checkpoint_interval_secs", 0)
    return Simnet(clock_ms=lambda: TS, **({"layout": "2025-08"} | kwargs))


def registry_sim(**kwargs: Any) -> Simnet:
    sim = make_sim(**kwargs)
    sim.register_developer("dev", github="gh")
    sim.register_agent("dev", "agent")
    sim.add_method("dev", "agent", "prove", docker_image="img:1", min_memory_gb=2)
    sim.create_app_instance("app", max_attempts=2)
    sim.seal()
    return sim


def events_of(sim: Simnet, sequence: int) -> list[tuple[str, Any]]:
    """(Event.module, decoded event) of every event in checkpoint `sequence`."""
    out = []
    for _, _, event in sim.chain.checkpoints[sequence].events():
        _, module, name = event.event_type.split("::")
        pipeline = PIPELINE_EVENTS.get((module, name))  # an instance's creation emits some
        decoded = (decode_event(module, name, event.contents) if pipeline is None
                   else pipeline.from_bcs(event.contents))
        out.append((event.module, decoded))
    return out


async def collect(stream: AsyncGenerator[T, None], limit: int = 10_000) -> list[T]:
    frames = []
    async with aclosing(stream) as frames_in:
        async for frame in frames_in:
            frames.append(frame)
            if len(frames) >= limit:
                break
    return frames


# --- chain -------------------------------------------------------------------------------


def test_checkpoints_advance_when_empty_and_digests_chain() -> None:
    sim = make_sim()
    assert sim.chain.tip.sequence_number == 0  # genesis
    first, second = sim.seal(), sim.seal()
    assert (first.sequence_number, second.sequence_number) == (1, 2)
    assert first.transactions == () and second.transactions == ()
    digests = {c.digest for c in sim.chain.checkpoints}
    assert len(digests) == 3 and sim.chain.chain_id == sim.chain.checkpoints[0].digest
    assert all(32 <= len(d) <= 44 for d in digests)  # base58 of 32 bytes


def test_each_action_is_a_transaction_of_the_next_checkpoint() -> None:
    sim = registry_sim()
    job_a = sim.create_job("app", developer="dev", agent="agent", method="prove")
    tx_a = sim.last_tx
    job_b = sim.create_job("app", developer="dev", agent="agent", method="prove")
    assert tx_a is not None and tx_a.checkpoint is None  # queued, not sealed
    record = sim.seal()
    assert (job_a.job_id, job_b.job_id) == (1, 2)
    assert [tx.index for tx in record.transactions] == [0, 1]
    assert record.transactions[0] is tx_a and tx_a.checkpoint == record.sequence_number
    assert sim.chain.transaction(tx_a.digest) is tx_a


def test_cursor_round_trip_and_rejects_foreign_bytes() -> None:
    position = (7, 1, 2, 3)
    assert decode_cursor(encode_cursor(position)) == position
    with pytest.raises(ValueError):
        decode_cursor(b"nope")


# --- events, byte-exact ----------------------------------------------------------------------


def test_job_created_event_bytes_are_the_move_layout() -> None:
    sim = registry_sim()
    app = sim.app_instance("app")
    sim.create_job(
        "app",
        developer="dev",
        agent="agent",
        method="prove",
        data=b"\x01\x02",
        sequences=[7],
    )
    record = sim.seal()
    (event,) = [e for _, _, e in record.events()]
    instance = app.id[2:].encode()  # Move's address.to_string(): 64 hex digits, no 0x
    expected = (
        struct.pack("<Q", 1)  # job_id
        + b"\x00"  # description: None
        + b"\x03dev"
        + b"\x05agent"
        + b"\x05prove"  # agent_method
        + b"\x03app"  # app (defaults to the instance name)
        + b"\x40" + instance  # app_instance
        + b"\x05prove"  # app_instance_method
        + b"\x01\x01" + struct.pack("<Q", 7)  # sequences: Some([7])
        + b"\x02\x01\x02"  # data
        + b"\x00"  # status: Pending
        + struct.pack("<Q", TS)  # created_at
    )  # fmt: skip
    assert event.contents == expected
    assert event.event_type == f"{PKG}::jobs::JobCreatedEvent"
    assert (event.package_id, event.module) == (PKG, "app_instance")


def test_agent_actions_emit_agent_events() -> None:
    sim = registry_sim()
    agent = sim.agent("dev", "agent")
    sim.add_method("dev", "agent", "prove", docker_image="img:2", requires_tee=True, update=True)
    sim.set_default_method("dev", "agent", "prove")
    sim.remove_method("dev", "agent", "prove")
    record = sim.seal()
    decoded = events_of(sim, record.sequence_number)
    assert [module for module, _ in decoded] == ["registry"] * 3
    updated, default, removed = (event for _, event in decoded)
    assert isinstance(updated, MethodUpdatedEvent) and updated.docker_image == "img:2"
    assert updated.requires_tee and updated.agent_id == agent.id
    assert isinstance(default, DefaultMethodSetEvent) and default.method_name == "prove"
    assert isinstance(removed, MethodRemovedEvent)
    assert [updated.agent_version, default.agent_version, removed.agent_version] == [3, 4, 5]
    assert agent.methods == {} and agent.default_method is not None

    added = events_of(sim, 1)
    assert any(isinstance(e, MethodAddedEvent) and e.min_memory_gb == 2 for _, e in added)


def test_event_module_type_mode_uses_the_event_types_module() -> None:
    sim = registry_sim(event_module="type")
    sim.create_job("app", developer="dev", agent="agent", method="prove")
    (module, event), *_ = events_of(sim, sim.seal().sequence_number)
    assert module == "jobs" and isinstance(event, JobCreatedEvent)


def test_fail_job_retries_until_max_attempts_then_deletes() -> None:
    sim = registry_sim()  # max_attempts = 2
    job = sim.create_job("app", developer="dev", agent="agent", method="prove")
    sim.seal()
    sim.fail_job("app", job.job_id, "boom")
    first = [e for _, e in events_of(sim, sim.seal().sequence_number)]
    assert first == [
        JobUpdatedEvent(job_id=1, status=RUNNING, attempts=1, updated_at=TS),
        JobFailedEvent(
            job_id=1, app_instance=job.app_instance, error="boom", attempts=1, failed_at=TS
        ),
        JobUpdatedEvent(job_id=1, status=PENDING, attempts=1, updated_at=TS),
    ]  # fmt: skip
    assert sim.app_instance("app").pending_jobs == [1]

    sim.start_job("app", 1)
    sim.fail_job("app", 1, "again")
    second = [e for _, e in events_of(sim, sim.seal().sequence_number)]
    assert [type(e) for e in second] == [JobUpdatedEvent, JobFailedEvent, JobDeletedEvent]
    assert isinstance(second[1], JobFailedEvent) and second[1].attempts == 2
    assert sim.objects.get(job.id) is None and 1 not in sim.app_instance("app").jobs
    with pytest.raises(UnknownObject):
        sim.fail_job("app", 1, "gone")


def test_complete_job_emits_completed_then_deleted() -> None:
    sim = registry_sim()
    sim.create_job("app", developer="dev", agent="agent", method="prove")
    second = sim.create_job("app", developer="dev", agent="agent", method="prove")
    sim.start_job("app", second.job_id)
    sim.complete_job("app", second.job_id)
    sim.start_job("app", 1)
    with pytest.raises(SimnetError, match="running, not pending"):
        sim.start_job("app", 1)
    names = [type(e).__name__ for _, e in events_of(sim, sim.seal().sequence_number)]
    assert names == [
        "JobCreatedEvent",
        "JobCreatedEvent",
        "JobUpdatedEvent",
        "JobCompletedEvent",
        "JobDeletedEvent",
        "JobUpdatedEvent",
    ]
    completed = events_of(sim, sim.chain.tip.sequence_number)[3][1]
    assert completed == JobCompletedEvent(
        job_id=2, app_instance=second.app_instance, completed_at=TS
    )


def test_emit_raw_and_noise() -> None:
    sim = make_sim(noise=True)
    digest = sim.emit_raw("jobs::JobCreatedEvent", b"\xff\xff")
    record = sim.seal()
    raw = [e for tx, _, e in record.events() if tx.digest == digest]
    assert raw[0].contents == b"\xff\xff" and raw[0].event_type == f"{PKG}::jobs::JobCreatedEvent"
    noise = [e for _, _, e in record.events() if e.noise]
    assert [e.package_id for e in noise] == ["0x" + "0" * 58 + "dec0de"]  # checkpoint 1
    sim.seal()  # even checkpoints also carry an event of another module of the package
    assert any(e.package_id == PKG and e.module == "block" for _, _, e in sim.chain.tip.events())


# --- objects ------------------------------------------------------------------------------


async def test_object_json_and_dynamic_fields_lookup_path() -> None:
    sim = registry_sim()
    sim.set_default_method("dev", "agent", "prove")
    ledger, state = LedgerService(sim), StateService(sim)
    mask = {"paths": ["object_id", "object_type", "json"]}

    async def get(object_id: str) -> tuple[str, dict[str, Any]]:
        response = await ledger.GetObject(
            ledger_service_pb2.GetObjectRequest(object_id=object_id, read_mask=mask)
        )
        return response.object.object_type, json_format.MessageToDict(response.object.json)

    async def child(table_id: str, key: bytes) -> str:
        response = await state.ListDynamicFields(
            state_service_pb2.ListDynamicFieldsRequest(
                parent=table_id, read_mask={"paths": ["name", "child_id", "value"]}
            )
        )
        (field,) = [f for f in response.dynamic_fields if f.name.value == key]
        assert field.value.value == bytes.fromhex(field.child_id[2:])
        return field.child_id

    kind, registry = await get(sim.registry.id)
    assert kind == f"{PKG}::registry::SilvanaRegistry"
    assert registry["developers"]["size"] == "1"
    developer_id = await child(registry["developers"]["id"], b"\x03dev")
    kind, developer = await get(developer_id)
    assert kind == f"{PKG}::developer::Developer" and developer["name"] == "dev"
    agent_id = await child(developer["agents"]["id"], b"\x05agent")
    kind, agent = await get(agent_id)
    assert kind == f"{PKG}::agent::Agent"
    (entry,) = agent["methods"]["contents"]
    assert entry["key"] == "prove"
    assert entry["value"] == {
        "docker_image": "img:1",
        "docker_sha256": None,
        "min_memory_gb": 2,
        "min_cpu_cores": 1,
        "requires_tee": False,
    }
    assert agent["default_method"]["docker_image"] == "img:1"
    assert agent["version"] == "3" and agent["created_at"] == str(TS)


async def test_jobs_table_and_job_object() -> None:
    sim = registry_sim()
    job = sim.create_job("app", developer="dev", agent="agent", method="prove", data=b"\x01")
    ledger, state = LedgerService(sim), StateService(sim)
    response = await ledger.GetObject(
        ledger_service_pb2.GetObjectRequest(
            object_id=sim.app_instance("app").id, read_mask={"paths": ["json"]}
        )
    )
    jobs = json_format.MessageToDict(response.object.json)["jobs"]
    assert jobs["pending_jobs"] == {"contents": ["1"]}
    assert jobs["next_job_id"] == "2" and jobs["max_attempts"] == 2
    fields = await state.ListDynamicFields(
        state_service_pb2.ListDynamicFieldsRequest(
            parent=jobs["jobs"]["id"], read_mask={"paths": ["name", "child_id", "value_type"]}
        )
    )
    (field,) = fields.dynamic_fields
    assert field.name.name == "u64" and field.name.value == struct.pack("<Q", 1)
    assert field.child_id == job.id and field.value_type == f"{PKG}::jobs::Job"


async def test_list_dynamic_fields_pages_and_default_mask() -> None:
    sim = make_sim()
    for index in range(5):
        sim.register_developer(f"dev{index}")
    state = StateService(sim)
    table = sim.registry.developers_table
    seen, token = [], b""
    while True:
        page = await state.ListDynamicFields(
            state_service_pb2.ListDynamicFieldsRequest(parent=table, page_size=2, page_token=token)
        )
        assert len(page.dynamic_fields) <= 2
        for field in page.dynamic_fields:  # default mask: parent and field_id only
            assert field.parent == table and not field.HasField("name")
            seen.append(field.field_id)
        if not page.HasField("next_page_token"):
            break
        token = page.next_page_token
    assert len(seen) == 5 and seen == sorted(seen)


async def test_get_object_not_found_and_default_mask() -> None:
    sim = make_sim()
    ledger = LedgerService(sim)
    with pytest.raises(purerpc.NotFoundError):
        await ledger.GetObject(ledger_service_pb2.GetObjectRequest(object_id="0x1234"))
    response = await ledger.GetObject(
        ledger_service_pb2.GetObjectRequest(object_id=sim.registry.id)
    )
    assert response.object.object_id == sim.registry.id
    assert not response.object.HasField("json")
    with pytest.raises(purerpc.InvalidArgumentError, match="no field"):
        await ledger.GetObject(
            ledger_service_pb2.GetObjectRequest(
                object_id=sim.registry.id, read_mask={"paths": ["jsn"]}
            )
        )


# --- LedgerService ------------------------------------------------------------------------


async def test_get_checkpoint_masks_and_not_found_when_pruned() -> None:
    sim = registry_sim()
    sim.create_job("app", developer="dev", agent="agent", method="prove")
    sequence = sim.seal().sequence_number
    ledger = LedgerService(sim)
    request = ledger_service_pb2.GetCheckpointRequest(
        sequence_number=sequence,
        read_mask={"paths": ["sequence_number", "transactions.events.events.contents"]},
    )
    checkpoint = (await ledger.GetCheckpoint(request)).checkpoint
    assert checkpoint.sequence_number == sequence and not checkpoint.HasField("digest")
    (tx,) = checkpoint.transactions
    assert not tx.HasField("digest")
    (event,) = tx.events.events
    assert event.HasField("contents") and not event.HasField("event_type")

    full = (
        await ledger.GetCheckpoint(
            ledger_service_pb2.GetCheckpointRequest(
                sequence_number=sequence, read_mask={"paths": ["transactions", "summary"]}
            )
        )
    ).checkpoint
    event = full.transactions[0].events.events[0]
    assert event.transaction_digest == full.transactions[0].digest
    assert not event.HasField("checkpoint")  # inside a transaction, as upstream
    assert full.summary.timestamp.ToMilliseconds() == TS

    sim.chain.prune(sequence)
    for missing in (sequence - 1, sequence + 5):
        with pytest.raises(purerpc.NotFoundError):
            await ledger.GetCheckpoint(
                ledger_service_pb2.GetCheckpointRequest(sequence_number=missing)
            )
    info = await ledger.GetServiceInfo(ledger_service_pb2.GetServiceInfoRequest())
    assert (info.chain, info.lowest_available_checkpoint) == ("simnet", sequence)
    assert info.checkpoint_height == sequence and info.chain_id == sim.chain.chain_id


async def test_get_transaction() -> None:
    sim = registry_sim()
    ledger = LedgerService(sim)
    sim.create_job("app", developer="dev", agent="agent", method="prove")
    tx = sim.last_tx
    assert tx is not None
    with pytest.raises(purerpc.NotFoundError):  # not sealed yet
        await ledger.GetTransaction(ledger_service_pb2.GetTransactionRequest(digest=tx.digest))
    sim.seal()
    response = await ledger.GetTransaction(
        ledger_service_pb2.GetTransactionRequest(
            digest=tx.digest, read_mask={"paths": ["digest", "checkpoint", "events"]}
        )
    )
    assert response.transaction.checkpoint == tx.checkpoint
    assert len(response.transaction.events.events) == 1


def jobs_filter(package: str = PKG) -> filter_pb2.EventFilter:
    return filter_pb2.EventFilter(
        terms=[{"literals": [{"event_type": {"event_type": f"{package}::jobs"}}]}]
    )


def busy_sim(jobs: int = 7) -> Simnet:
    """Jobs in checkpoints 2.., two per checkpoint, with noise in between."""
    sim = registry_sim(noise=True)
    for index in range(jobs):
        sim.create_job("app", developer="dev", agent="agent", method="prove", data=bytes([index]))
        if index % 2:
            sim.seal()
    sim.seal()
    sim.seal()  # an empty-of-jobs checkpoint at the end
    return sim


async def list_all(
    ledger: LedgerService, request: ledger_service_pb2.ListEventsRequest
) -> list[ledger_service_pb2.ListEventsResponse]:
    return await collect(ledger.ListEvents(request))


async def test_list_events_pages_with_limit_and_after_until_checkpoint_bound() -> None:
    sim = busy_sim(7)
    ledger = LedgerService(sim)
    end = sim.chain.tip.sequence_number  # exclusive: the last checkpoint is not listed
    seen: list[int] = []
    after: bytes | None = None
    reasons = []
    while True:
        options = query_options_pb2.QueryOptions(limit=3)
        if after is not None:
            options.after = after
        frames = await list_all(
            ledger,
            ledger_service_pb2.ListEventsRequest(
                start_checkpoint=2, end_checkpoint=end, filter=jobs_filter(), options=options
            ),
        )
        assert all(f.HasField("watermark") and f.watermark.HasField("cursor") for f in frames)
        assert [f.HasField("end") for f in frames] == [False] * (len(frames) - 1) + [True]
        reasons.append(frames[-1].end.reason)
        for frame in frames:
            if frame.HasField("event"):
                decoded = JobCreatedEvent.from_bcs(frame.event.contents.value)
                seen.append(decoded.data[0])
                assert frame.event.checkpoint < end
        after = frames[-1].watermark.cursor
        if frames[-1].end.reason != END.QUERY_END_REASON_ITEM_LIMIT:
            break
        assert frames[-1].HasField("event")  # ITEM_LIMIT rides on the last item
    assert seen == list(range(7))
    assert reasons == [END.QUERY_END_REASON_ITEM_LIMIT] * 2 + [
        END.QUERY_END_REASON_CHECKPOINT_BOUND
    ]
    assert frames[-1].watermark.checkpoint == end - 1 and not frames[-1].HasField("event")


async def test_list_events_watermarks_and_ledger_tip() -> None:
    sim = busy_sim(4)
    ledger = LedgerService(sim)
    frames = await list_all(ledger, ledger_service_pb2.ListEventsRequest(filter=jobs_filter()))
    items = [f for f in frames if f.HasField("event")]
    assert len(items) == 4
    for frame in items:  # everything below the item's checkpoint is covered
        covered = frame.watermark.checkpoint if frame.watermark.HasField("checkpoint") else -1
        assert covered == frame.event.checkpoint - 1
    assert frames[-1].end.reason == END.QUERY_END_REASON_LEDGER_TIP
    assert frames[-1].watermark.checkpoint == sim.chain.tip.sequence_number


async def test_list_events_index_lag_and_pruning() -> None:
    sim = busy_sim(4)
    ledger = LedgerService(sim)
    tip = sim.chain.tip.sequence_number
    sim.faults = Faults(index_lag_checkpoints=2)
    frames = await list_all(ledger, ledger_service_pb2.ListEventsRequest(filter=jobs_filter()))
    assert frames[-1].end.reason == END.QUERY_END_REASON_LEDGER_TIP
    assert frames[-1].watermark.checkpoint == tip - 2
    assert all(f.event.checkpoint <= tip - 2 for f in frames if f.HasField("event"))

    sim.faults = Faults()
    sim.chain.prune(3)
    frames = await list_all(ledger, ledger_service_pb2.ListEventsRequest(filter=jobs_filter()))
    assert min(f.event.checkpoint for f in frames if f.HasField("event")) == 3


async def test_list_events_limit_default_and_coercion_and_descending() -> None:
    sim = make_sim()
    sim.create_app_instance("app")
    for _ in range(1100):
        sim.create_job("app", developer="d", agent="a", method="m")
    sim.seal()
    ledger = LedgerService(sim)
    default = await list_all(ledger, ledger_service_pb2.ListEventsRequest(filter=jobs_filter()))
    assert len(default) == 50 and default[-1].end.reason == END.QUERY_END_REASON_ITEM_LIMIT
    big = await list_all(
        ledger,
        ledger_service_pb2.ListEventsRequest(
            filter=jobs_filter(), options=query_options_pb2.QueryOptions(limit=5000)
        ),
    )
    assert len(big) == 1000
    with pytest.raises(purerpc.InvalidArgumentError):
        await list_all(
            ledger,
            ledger_service_pb2.ListEventsRequest(
                options=query_options_pb2.QueryOptions(
                    ordering=query_options_pb2.ORDERING_DESCENDING
                )
            ),
        )
    with pytest.raises(purerpc.InvalidArgumentError):
        await list_all(ledger, ledger_service_pb2.ListEventsRequest(filter={"terms": []}))


async def test_list_events_before_cursor_ends_with_cursor_bound() -> None:
    sim = busy_sim(6)
    ledger = LedgerService(sim)
    frames = await list_all(ledger, ledger_service_pb2.ListEventsRequest(filter=jobs_filter()))
    items = [f for f in frames if f.HasField("event")]
    bound = items[3].watermark.cursor
    frames = await list_all(
        ledger,
        ledger_service_pb2.ListEventsRequest(
            filter=jobs_filter(), options=query_options_pb2.QueryOptions(before=bound)
        ),
    )
    assert len([f for f in frames if f.HasField("event")]) == 3
    assert frames[-1].end.reason == END.QUERY_END_REASON_CURSOR_BOUND
    assert frames[-1].watermark.cursor == bound


@pytest.mark.parametrize(
    ("literals", "expected"),
    [
        ([{"emit_module": {"module": f"{PKG}::jobs"}}], 0),  # Event.module is the Move call's
        # the instance (block 1's ProofCalculation, block 0, the instance) + 2 jobs
        ([{"emit_module": {"module": f"{PKG}::app_instance"}}], 5),
        ([{"emit_module": {"module": PKG}}], 6),  # ... + 1 block noise
        ([{"event_type": {"event_type": f"{PKG}::jobs::JobCreatedEvent"}}], 2),
        ([{"event_type": {"event_type": f"{PKG}::jobs::JobCreatedEvent<u8>"}}], 0),
        ([{"event_type": {"event_type": "0x1::jobs"}}], 0),
        (
            [
                {"event_type": {"event_type": PKG}},
                {"negated": True, "emit_module": {"module": f"{PKG}::block"}},
            ],
            5,
        ),
        ([{"negated": True, "event_type": {"event_type": PKG}}], 2),  # the dex noise
    ],
)
async def test_event_filters(literals: list[dict[str, Any]], expected: int) -> None:
    sim = make_sim(noise=True)
    sim.create_app_instance("app")
    sim.create_job("app", developer="d", agent="a", method="m")
    sim.create_job("app", developer="d", agent="a", method="m")
    sim.seal()  # checkpoint 1: those, and dex noise (odd checkpoints)
    sim.seal()  # checkpoint 2: dex and block noise
    request = ledger_service_pb2.ListEventsRequest(
        start_checkpoint=1, filter={"terms": [{"literals": literals}]}
    )
    frames = await list_all(LedgerService(sim), request)
    assert len([f for f in frames if f.HasField("event")]) == expected


# --- SubscriptionService ------------------------------------------------------------------------


async def test_subscribe_events_starts_at_tip_with_progress_frame() -> None:
    sim = registry_sim()
    subscriptions = SubscriptionService(sim)
    tip = sim.chain.tip.sequence_number
    request = subscription_service_pb2.SubscribeEventsRequest(
        filter=jobs_filter(), read_mask={"paths": ["event_type", "contents", "checkpoint"]}
    )
    frames: list[subscription_service_pb2.SubscribeEventsResponse] = []
    async with aclosing(subscriptions.SubscribeEvents(request)) as stream:
        iterator: AsyncIterator[Any] = stream.__aiter__()
        frames.append(await iterator.__anext__())
        sim.create_job("app", developer="dev", agent="agent", method="prove", data=b"\x07")
        sim.seal()  # tip + 1: the job
        sim.seal()  # tip + 2: nothing matches
        for _ in range(3):
            frames.append(await iterator.__anext__())
    first, item, progress, empty = frames
    assert not first.HasField("event") and first.watermark.checkpoint == tip
    assert item.event.checkpoint == tip + 1 and item.watermark.checkpoint == tip
    assert JobCreatedEvent.from_bcs(item.event.contents.value).data == b"\x07"
    assert not item.event.HasField("sender")  # masked
    assert not progress.HasField("event") and progress.watermark.checkpoint == tip + 1
    assert not empty.HasField("event") and empty.watermark.checkpoint == tip + 2
    cursors = [decode_cursor(f.watermark.cursor) for f in frames]
    assert cursors == sorted(cursors)


async def test_subscribe_checkpoints_first_frame_is_the_tip_and_filter_gives_progress() -> None:
    sim = registry_sim()
    subscriptions = SubscriptionService(sim)
    tip = sim.chain.tip.sequence_number
    request = subscription_service_pb2.SubscribeCheckpointsRequest(
        read_mask={"paths": ["sequence_number", "transactions.events.events.event_type"]},
        filter={"terms": [{"literals": [{"event_type": {"event_type": f"{PKG}::jobs"}}]}]},
    )
    unfiltered = subscription_service_pb2.SubscribeCheckpointsRequest()
    async with (
        aclosing(subscriptions.SubscribeCheckpoints(request)) as filtered_stream,
        aclosing(subscriptions.SubscribeCheckpoints(unfiltered)) as all_stream,
    ):
        filtered, everything = filtered_stream.__aiter__(), all_stream.__aiter__()
        first, first_all = await filtered.__anext__(), await everything.__anext__()
        sim.seal()
        sim.create_job("app", developer="dev", agent="agent", method="prove")
        sim.seal()
        frames = [await filtered.__anext__() for _ in range(2)]
        frames_all = [await everything.__anext__() for _ in range(2)]
    assert first.cursor == tip and not first.HasField("checkpoint")  # tip has no job
    assert first_all.checkpoint.sequence_number == tip and first_all.checkpoint.digest
    assert [f.cursor for f in frames] == [tip + 1, tip + 2]
    assert [f.HasField("checkpoint") for f in frames] == [False, True]
    assert (
        frames[1]
        .checkpoint.transactions[0]
        .events.events[0]
        .event_type.endswith("::jobs::JobCreatedEvent")
    )
    assert [f.HasField("checkpoint") for f in frames_all] == [True, True]  # empty ones too


# --- faults ---------------------------------------------------------------------------------------


async def test_unavailable_bursts_follow_the_pattern() -> None:
    sim = make_sim(faults=Faults(unavailable_every=3, unavailable_burst=2))
    ledger = LedgerService(sim)
    outcomes = []
    for _ in range(10):
        try:
            await ledger.GetServiceInfo(ledger_service_pb2.GetServiceInfoRequest())
            outcomes.append("ok")
        except purerpc.UnavailableError:
            outcomes.append("x")
    assert outcomes == ["ok"] * 3 + ["x"] * 2 + ["ok"] * 3 + ["x"] * 2
    assert sim.rpc_counts["GetServiceInfo"] == 10


async def test_unavailable_for_a_while(autojump_clock: trio.testing.MockClock) -> None:
    sim = make_sim()
    ledger = LedgerService(sim)
    sim.gate.unavailable_for(5)
    with pytest.raises(purerpc.UnavailableError):
        await ledger.GetServiceInfo(ledger_service_pb2.GetServiceInfoRequest())
    await trio.sleep(6)
    await ledger.GetServiceInfo(ledger_service_pb2.GetServiceInfoRequest())


async def test_unimplemented_methods() -> None:
    sim = make_sim(faults=Faults(unimplemented=frozenset({"SubscribeEvents", "ListEvents"})))
    with pytest.raises(purerpc.UnimplementedError):
        await collect(
            SubscriptionService(sim).SubscribeEvents(
                subscription_service_pb2.SubscribeEventsRequest()
            )
        )
    with pytest.raises(purerpc.UnimplementedError):
        await collect(LedgerService(sim).ListEvents(ledger_service_pb2.ListEventsRequest()))
    with pytest.raises(ValueError, match="unknown method"):
        Faults(unimplemented=frozenset({"Nope"}))


async def test_stream_dropped_after_n_frames() -> None:
    sim = make_sim(faults=Faults(drop_stream_after_frames=3))
    for _ in range(5):
        sim.seal()
    frames: list[Any] = []
    with pytest.raises(purerpc.UnavailableError, match="after 3 frames"):
        async with aclosing(
            SubscriptionService(sim).SubscribeCheckpoints(
                subscription_service_pb2.SubscribeCheckpointsRequest()
            )
        ) as stream:
            first = await stream.__anext__()
            frames.append(first)
            sim.seal()
            sim.seal()
            async for frame in stream:
                frames.append(frame)
    assert [f.cursor for f in frames] == [5, 6, 7]
    assert sim.gate.open_streams == 0


async def test_stalled_stream_stays_open(autojump_clock: trio.testing.MockClock) -> None:
    sim = make_sim(faults=Faults(stall_stream_after_frames=1, stall_secs=100))
    stream = SubscriptionService(sim).SubscribeCheckpoints(
        subscription_service_pb2.SubscribeCheckpointsRequest()
    )
    frames: list[float] = []
    ended: list[float] = []

    async def consume() -> None:
        with pytest.raises(purerpc.UnavailableError, match="stalled"):
            async with aclosing(stream):
                async for _ in stream:
                    frames.append(trio.current_time())
        ended.append(trio.current_time())

    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(consume)
        await trio.sleep(1)
        sim.seal()  # not delivered: the stream is stalled, yet open
        await trio.sleep(50)
        assert len(frames) == 1 and not ended
    assert ended[0] - start == pytest.approx(100)


async def test_timed_schedule_and_interval(autojump_clock: trio.testing.MockClock) -> None:
    sim = make_sim(checkpoint_interval_secs=1.0)
    sim.create_app_instance("app")
    sim.after_secs(2.5, lambda: sim.create_job("app", developer="d", agent="a", method="m"))
    sim.at_checkpoint(5, lambda: sim.create_job("app", developer="d", agent="a", method="m"))
    async with trio.open_nursery() as nursery:
        await nursery.start(sim.run)
        await trio.sleep(6.5)
        nursery.cancel_scope.cancel()
    assert sim.chain.tip.sequence_number == 6
    with_jobs = [
        c.sequence_number
        for c in sim.chain.checkpoints
        if any(e.event_type.endswith("JobCreatedEvent") for _, _, e in c.events())
    ]
    assert with_jobs == [3, 5]  # created at 2.5 s -> sealed at 3 s; at checkpoint 5


async def test_settle_seals_without_an_interval() -> None:
    sim = make_sim()
    sim.create_app_instance("app")
    tx = sim.last_tx
    assert tx is not None
    with trio.fail_after(1):
        assert await sim.settle(tx) == 1
