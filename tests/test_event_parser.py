"""Sui Event/Checkpoint messages -> typed coordination events."""

from __future__ import annotations

import logging

import pytest
from google.protobuf import json_format

from coordinator._pb.sui.rpc.v2 import (
    bcs_pb2,
    checkpoint_pb2,
    event_pb2,
    executed_transaction_pb2,
)
from coordinator.events import JobStatus, JobUpdatedEvent
from coordinator.events import models_2025_11 as v11
from coordinator.events.job_events import JobCreated
from coordinator.events.layouts import neutral
from coordinator.events.parser import EventParser, split_event_type
from tests.support import job_created

PKG = "0x" + "0" * 60 + "abcd"
OTHER = "0x" + "1" * 64


def event(type_: str, contents: bytes, **position: int | str) -> event_pb2.Event:
    message = event_pb2.Event(event_type=type_, contents=bcs_pb2.Bcs(name=type_, value=contents),
                              sender="0x" + "2" * 64)
    for key, value in position.items():
        setattr(message, key, value)
    return message


def test_split_event_type_normalises_and_strips_generics() -> None:
    assert split_event_type("0xabcd::jobs::JobCreatedEvent") == (PKG, "jobs", "JobCreatedEvent")
    assert split_event_type("0xabcd::m::E<0x2::sui::SUI>") == (PKG, "m", "E")
    with pytest.raises(ValueError):
        split_event_type("jobs::JobCreatedEvent")


def test_parses_our_event_with_its_position() -> None:
    parser = EventParser("0xABCD", ["jobs"], "2025-08")
    message = event("0xabcd::jobs::JobCreatedEvent", job_created(7).to_bcs(), checkpoint=42,
                    transaction_digest="TX", transaction_index=3, event_index=1)
    parsed = parser.parse(message)
    assert parsed is not None
    assert parsed.event == neutral(job_created(7)) and parsed.layout == "2025-08"
    assert (parsed.position.checkpoint, parsed.position.tx_digest, parsed.position.tx_index,
            parsed.position.event_index) == (42, "TX", 3, 1)
    assert parsed.type_name == "jobs::JobCreatedEvent"


def test_filters_other_packages_and_modules_client_side() -> None:
    parser = EventParser(PKG, ["jobs"], "2025-08")
    payload = job_created(1).to_bcs()
    assert parser.parse(event(f"{OTHER}::jobs::JobCreatedEvent", payload)) is None
    assert parser.parse(event(f"{PKG}::agent::MethodAddedEvent", b"")) is None
    assert parser.parse(event("garbage", payload)) is None
    assert parser.malformed == 0


def test_unknown_type_of_our_package_is_kept_without_a_model() -> None:
    parser = EventParser(PKG, ["jobs"], "2025-08")
    parsed = parser.parse(event(f"{PKG}::jobs::JobInventedLaterEvent", b"\x00"))
    assert parsed is not None and parsed.event is None


def test_malformed_payload_is_counted_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    parser = EventParser(PKG, ["jobs"], "2025-08")
    truncated = job_created(1).to_bcs()[:-3]
    message = event(f"{PKG}::jobs::JobCreatedEvent", truncated, checkpoint=9,
                    transaction_digest="TXB", event_index=0)
    assert parser.parse(message) is None
    assert parser.parse(message) is None  # replayed: counted and logged once
    assert parser.malformed == 1
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1
    assert "malformed jobs::JobCreatedEvent at checkpoint 9 tx TXB event 0" in lines[0]
    assert "JobCreatedEvent" in lines[0] and "offset" in lines[0]


def test_checkpoint_events_get_positions_in_chain_order() -> None:
    parser = EventParser(PKG, ["jobs"], "2025-08")
    updated = JobUpdatedEvent(job_id=3, status=JobStatus(kind="failed", error="x"), attempts=1,
                              updated_at=2)
    checkpoint = checkpoint_pb2.Checkpoint(sequence_number=77, transactions=[
        executed_transaction_pb2.ExecutedTransaction(
            digest="T0", events=event_pb2.TransactionEvents(events=[
                event(f"{OTHER}::jobs::JobCreatedEvent", b""),
                event(f"{PKG}::jobs::JobCreatedEvent", job_created(1).to_bcs()),
            ])),
        executed_transaction_pb2.ExecutedTransaction(
            digest="T1", events=event_pb2.TransactionEvents(events=[
                event(f"{PKG}::jobs::JobUpdatedEvent", updated.to_bcs()),
            ])),
    ])
    parsed = list(parser.from_checkpoint(checkpoint))
    assert [(p.position.checkpoint, p.position.tx_digest, p.position.tx_index,
             p.position.event_index) for p in parsed] == [(77, "T0", 0, 1), (77, "T1", 1, 0)]
    assert parsed[1].event == neutral(updated)


@pytest.mark.parametrize("layout", ["2025-08", "2025-11"])
def test_auto_settles_the_layout_from_the_first_job_event(layout: str) -> None:
    parser = EventParser(PKG, ["jobs"], None)
    payload = job_created(3) if layout == "2025-08" else job_created(3, layout="2025-11")
    parsed = parser.parse(event(f"{PKG}::jobs::JobCreatedEvent", payload.to_bcs()))
    assert parsed is not None and isinstance(parsed.event, JobCreated)
    assert parsed.event.job_sequence == 3
    assert parser.layout == layout and parsed.layout == layout


def test_a_payload_of_the_other_layout_is_counted_per_type_not_dropped_silently(
    caplog: pytest.LogCaptureFixture,
) -> None:
    parser = EventParser(PKG, ["jobs"], "2025-11")
    for index in range(2):
        message = event(f"{PKG}::jobs::JobCreatedEvent", job_created(index).to_bcs(),
                        checkpoint=4, transaction_digest="TX", event_index=index)
        assert parser.parse(message) is None
    started = event(f"{PKG}::jobs::JobStartedEvent", b"\x01", transaction_digest="TY")
    assert parser.parse(started) is None
    assert parser.misfits == {"jobs::JobCreatedEvent": 2, "jobs::JobStartedEvent": 1}
    assert parser.malformed == 3
    assert "malformed jobs::JobCreatedEvent at checkpoint 4 tx TX event 0" in caplog.text


def test_a_2025_11_only_event_under_2025_08_is_a_misfit() -> None:
    parser = EventParser(PKG, ["jobs"], "2025-08")
    started = v11.JobStartedEvent(job_sequence=1, app_instance="i", coordinator="0x1",
                                  started_at=2)
    assert parser.parse(event(f"{PKG}::jobs::JobStartedEvent", started.to_bcs())) is None
    assert parser.misfits == {"jobs::JobStartedEvent": 1}


@pytest.mark.parametrize("layout", ["2025-08", "2025-11"])
def test_json_rendering_is_the_fallback_for_a_node_that_sends_no_bcs(layout: str) -> None:
    """As a fullnode renders the Move value: u64 as decimal strings, vector<u8>
    as base64, Option as the value or null, the enum by its `@variant`."""
    rendered: dict[str, object] = {
        "description": None, "developer": "d", "agent": "a", "agent_method": "m", "app": "app",
        "app_instance": "inst", "app_instance_method": "m",
        "sequences": ["1", "18446744073709551615"],
        "data": "BQY=", "status": {"@variant": "Pending"}, "created_at": "1764000000000",
    }
    if layout == "2025-08":
        rendered["job_id"] = "9"
    else:
        rendered |= {"job_sequence": "9", "block_number": "20", "sequences1": None,
                     "sequences2": []}
    message = event_pb2.Event(event_type=f"{PKG}::jobs::JobCreatedEvent")
    json_format.ParseDict(rendered, message.json)
    parser = EventParser(PKG, ["jobs"], None)
    parsed = parser.parse(message)
    assert parsed is not None and isinstance(parsed.event, JobCreated), parser.misfits
    assert (parsed.event.job_sequence, parsed.event.data, parsed.event.sequences) == (
        9, b"\x05\x06", (1, 2**64 - 1))
    assert parser.layout == layout
