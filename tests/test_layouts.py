"""Both layouts against bytes made by Mysten's `@mysten/bcs` (never edited here):
every vector decodes to exactly its fields and encodes back to exactly its bytes."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from coordinator.events import bcs
from coordinator.events.bcs import BcsError, Codec
from coordinator.events.job_events import JobCreated, JobFailed, JobUpdated
from coordinator.events.layouts import (
    JOB_OBJECTS,
    LAYOUT_EVENTS,
    LAYOUT_NAMES,
    event_model,
    neutral,
)
from coordinator.events.models import BcsEvent, JobStatus
from coordinator.events.models_2025_11 import Jobs, ObjectTable

VECTORS_PATH = Path("/work/shared/vectors/silvana-bcs.json")
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text())["vectors"]


def model_of(vector: dict[str, Any]) -> type[BcsEvent]:
    module, name = vector["type"].split("::")
    layout = vector["layout"]
    if vector["kind"] == "object":
        assert name == "Job"
        return JOB_OBJECTS[layout]
    model = event_model(layout, module, name)
    assert model is not None, f"{layout} has no model for {vector['type']}"
    return model


def from_vector_json(codec: Codec[Any], value: Any) -> Any:
    """The vectors' rendering (u64 as decimal strings, bytes as 0x-hex,
    JobStatus as {Variant: true | error}) -> the model's Python value."""
    name = codec.name
    if name.startswith("Option<"):
        return None if value is None else from_vector_json(_inner(codec, name), value)
    if name == "vector<u8>":
        return bytes.fromhex(value.removeprefix("0x"))
    if name.startswith("vector<"):
        return tuple(from_vector_json(_inner(codec, name), item) for item in value)
    if name == "u64":
        return int(value)
    if name == "JobStatus":
        [(variant, payload)] = value.items()
        return JobStatus(kind=variant.lower(), error=None if payload is True else payload)
    return value


def _inner(codec: Codec[Any], name: str) -> Codec[Any]:
    inner = name[name.index("<") + 1 : -1]
    return {
        "u64": bcs.U64, "bool": bcs.BOOL, "String": bcs.STRING, "vector<u8>": bcs.BYTES,
        "vector<u64>": bcs.vector(bcs.U64),
    }[inner]


def fields_of(model: type[BcsEvent], vector: dict[str, Any]) -> dict[str, Any]:
    assert list(vector["fields"]) == [name for name, _ in model.bcs_layout]
    return {name: from_vector_json(codec, vector["fields"][name])
            for name, codec in model.bcs_layout}


def test_there_are_105_vectors_of_both_layouts() -> None:
    assert len(VECTORS) == 105
    assert {v["layout"] for v in VECTORS} == set(LAYOUT_NAMES)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['layout']}:{v['type']}")
def test_vector_decodes_to_its_fields_and_encodes_to_its_bytes(vector: dict[str, Any]) -> None:
    model = model_of(vector)
    data = bytes.fromhex(vector["bcs"])
    expected = model.model_validate(fields_of(model, vector))
    assert model.from_bcs(data) == expected
    assert expected.to_bcs() == data


def test_every_event_of_either_layout_has_vectors() -> None:
    covered = {(v["layout"], v["type"]) for v in VECTORS if v["kind"] == "event"}
    for layout in LAYOUT_NAMES:
        for (module, name) in LAYOUT_EVENTS[layout]:
            if module == "multicall":
                continue  # OperationFailedEvent: no vector (see the report)
            assert (layout, f"{module}::{name}") in covered


@pytest.mark.parametrize(
    "vector", [v for v in VECTORS if v["type"].startswith("jobs::") and v["kind"] == "event"],
    ids=lambda v: f"{v['layout']}:{v['type']}",
)
def test_job_event_decodes_under_its_layout_only(vector: dict[str, Any]) -> None:
    """What `sui.layout = "auto"` relies on: no job vector decodes whole under the other."""
    data = bytes.fromhex(vector["bcs"])
    module, name = vector["type"].split("::")
    other = next(layout for layout in LAYOUT_NAMES if layout != vector["layout"])
    model = event_model(other, module, name)
    if model is not None:
        with pytest.raises(BcsError):
            model.from_bcs(data)


def test_neutral_job_events_name_the_job_by_its_sequence() -> None:
    by_type = {(v["layout"], v["type"]): v for v in VECTORS}
    old = by_type[("2025-08", "jobs::JobCreatedEvent")]
    new = by_type[("2025-11", "jobs::JobCreatedEvent")]
    old_event = neutral(model_of(old).from_bcs(bytes.fromhex(old["bcs"])))
    new_event = neutral(model_of(new).from_bcs(bytes.fromhex(new["bcs"])))
    assert isinstance(old_event, JobCreated) and isinstance(new_event, JobCreated)
    assert old_event.job_sequence == int(old["fields"]["job_id"])
    assert old_event.block_number is None and old_event.sequences1 is None
    assert new_event.job_sequence == int(new["fields"]["job_sequence"])
    assert new_event.block_number == int(new["fields"]["block_number"])
    assert new_event.sequences2 == tuple(int(s) for s in new["fields"]["sequences2"])
    updated = by_type[("2025-08", "jobs::JobUpdatedEvent")]
    event = neutral(model_of(updated).from_bcs(bytes.fromhex(updated["bcs"])))
    assert isinstance(event, JobUpdated) and event.app_instance is None
    failed = by_type[("2025-11", "jobs::JobFailedEvent")]
    event = neutral(model_of(failed).from_bcs(bytes.fromhex(failed["bcs"])))
    assert isinstance(event, JobFailed) and event.coordinator == failed["fields"]["coordinator"]


# --- the fullnode's JSON rendering (sui-types rpc_visitor: u64 and wider as
# decimal strings, u8/u16/u32 as numbers, vector<u8> as standard base64,
# Option as the value or null, enums as {"@variant": Name, pos0: ...},
# UID/ID and addresses as 0x + 64 hex, VecMap/VecSet as {"contents": [...]})


def fullnode_json(codec: Codec[Any], value: Any) -> Any:
    """Render a vector's field the way a fullnode renders the Move value."""
    name = codec.name
    if name.startswith("Option<"):
        return None if value is None else fullnode_json(_inner(codec, name), value)
    if name == "vector<u8>":
        return base64.b64encode(bytes.fromhex(value.removeprefix("0x"))).decode()
    if name.startswith("vector<"):
        return [fullnode_json(_inner(codec, name), item) for item in value]
    if name == "JobStatus":
        [(variant, payload)] = value.items()
        return {"@variant": variant} | ({} if payload is True else {"pos0": payload})
    return value  # u64 already a decimal string; u8/u16 numbers; strings; addresses


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['layout']}:{v['type']}")
def test_fullnode_json_rendering_decodes_to_the_same_value(vector: dict[str, Any]) -> None:
    model = model_of(vector)
    rendered = {name: fullnode_json(codec, vector["fields"][name])
                for name, codec in model.bcs_layout}
    assert model.from_json(rendered) == model.from_bcs(bytes.fromhex(vector["bcs"]))


def test_fullnode_json_of_failed_status_and_bad_renderings() -> None:
    job = next(v for v in VECTORS if v["type"] == "jobs::Job")
    model = JOB_OBJECTS["2025-11"]
    rendered = {name: fullnode_json(codec, job["fields"][name]) for name, codec in model.bcs_layout}
    failed = model.from_json(rendered | {"status": {"@variant": "Failed", "pos0": "boom"}})
    assert failed.status == JobStatus(kind="failed", error="boom")  # type: ignore[attr-defined]
    with pytest.raises(BcsError, match="job_sequence"):
        model.from_json(rendered | {"job_sequence": 7})  # a number: precision is lost
    with pytest.raises(BcsError, match="data: invalid base64"):
        model.from_json(rendered | {"data": "not base64!"})
    with pytest.raises(BcsError, match="missing"):
        model.from_json({k: v for k, v in rendered.items() if k != "created_at"})


def test_jobs_object_with_pending_indexes_round_trips_bcs_and_json() -> None:
    jobs = Jobs(
        id="0x" + "11" * 32, jobs=ObjectTable(id="0x" + "22" * 32, size=3),
        failed_jobs_count=1, failed_jobs_index=(3,), pending_jobs=(1, 2),
        pending_jobs_count=2,
        pending_jobs_indexes=(("dev", (("agent", (("prove", (1, 2)),)),)),),
        next_job_sequence=4, max_attempts=3,
    )
    assert Jobs.from_bcs(jobs.to_bcs()) == jobs
    rendered = {
        "id": jobs.id, "jobs": {"id": jobs.jobs.id, "size": "3"}, "failed_jobs_count": "1",
        "failed_jobs_index": {"contents": ["3"]}, "pending_jobs": {"contents": ["1", "2"]},
        "pending_jobs_count": "2",
        "pending_jobs_indexes": {"contents": [{"key": "dev", "value": {"contents": [
            {"key": "agent", "value": {"contents": [
                {"key": "prove", "value": {"contents": ["1", "2"]}}]}}]}}]},
        "next_job_sequence": "4", "max_attempts": 3,
    }
    assert Jobs.from_json(rendered) == jobs
