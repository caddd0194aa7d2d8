"""Every proof-pipeline event and object against the bytes `@mysten/bcs` made
(never edited here): each vector decodes to exactly its fields and its
fields encode back to exactly its bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from coordinator.events.models import BcsEvent
from coordinator.events.models_2025_11 import ObjectTable
from coordinator.events.pipeline import PIPELINE_EVENTS
from coordinator.events.pipeline_objects import PIPELINE_OBJECTS, Proof
from coordinator.simnet.pipeline_objects import type_arguments

VECTORS_PATH = Path("/work/shared/vectors/silvana-pipeline-bcs.json")
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text())["vectors"]
STRUCTS: dict[str, type[BcsEvent]] = {"Proof": Proof, "ObjectTable": ObjectTable}


def value_of(type_name: str, value: Any) -> Any:
    """The vectors' rendering (u64 as decimal strings, bytes as 0x-hex, a
    struct as an object, VecMap as [{key, value}]) -> the model's value."""
    if type_name.startswith("Option<"):
        return None if value is None else value_of(type_arguments(type_name)[0], value)
    if type_name in ("vector<u8>", "Element<Scalar>"):
        hex_text = value["bytes"] if type_name == "Element<Scalar>" else value
        return bytes.fromhex(hex_text.removeprefix("0x"))
    if type_name.startswith("vector<"):
        return tuple(value_of(type_arguments(type_name)[0], item) for item in value)
    if type_name.startswith("VecMap<"):
        key, item = type_arguments(type_name)
        return tuple((value_of(key, e["key"]), value_of(item, e["value"])) for e in value)
    if type_name == "u64":
        return int(value)
    if type_name in STRUCTS:
        return model_from(STRUCTS[type_name], value)
    return value


def model_from(model: type[BcsEvent], fields: dict[str, Any]) -> BcsEvent:
    assert list(fields) == [name for name, _ in model.bcs_layout]  # the Move order
    return model(**{name: value_of(codec.name, fields[name]) for name, codec in model.bcs_layout})


def model_of(vector: dict[str, Any]) -> type[BcsEvent]:
    module, name = vector["type"].split("::")
    table = PIPELINE_EVENTS if vector["kind"] == "event" else PIPELINE_OBJECTS
    return table[(module, name)]


@pytest.mark.parametrize(
    "vector", VECTORS, ids=[f"{v['type']}-{i}" for i, v in enumerate(VECTORS)]
)
def test_vector_decodes_to_its_fields_and_encodes_to_its_bytes(vector: dict[str, Any]) -> None:
    model = model_of(vector)
    data = bytes.fromhex(vector["bcs"])
    expected = model_from(model, vector["fields"])
    assert model.from_bcs(data) == expected
    assert expected.to_bcs() == data


def test_every_pipeline_type_has_vectors() -> None:
    covered = {tuple(v["type"].split("::")) for v in VECTORS}
    assert covered == set(PIPELINE_EVENTS) | set(PIPELINE_OBJECTS)
    assert len(VECTORS) == 105
