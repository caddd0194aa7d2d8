"""An AppInstance object as agents see it: read from the chain and validated.

Agents read their app instance (GetAppInstance, GetKV, GetMetadata) and the
coordinator checks a CreateAppJob's method and a left-over kv write against it.
The object is read as the fullnode renders it (`Object.json`: u64 as strings,
a VecMap as `{"contents": [{"key", "value"}]}`, an Option as value or null)
and validated here, so a malformed object is one clear error, not a KeyError
deep inside a call. Only the fields agents are told about are read; the
proving state (blocks, proof calculations, sequence states) is not.
"""

from __future__ import annotations

from typing import Annotated, Any

import trio
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from coordinator.events.models import app_instance_address
from coordinator.sui.client import SuiError
from coordinator.sui.objects import Connect, object_json

__all__ = [
    "READ_TIMEOUT_SECS",
    "AppInstanceObject",
    "AppMethodObject",
    "SettlementObject",
    "read_app_instance",
]

# One read of the object, its connection included.
READ_TIMEOUT_SECS = 15.0

U64 = Annotated[int, Field(ge=0, lt=1 << 64)]


def _vec_map(value: Any) -> Any:
    """`{"contents": [{"key": k, "value": v}, ...]}` -> {k: v} (a key once)."""
    if not isinstance(value, dict) or not isinstance(value.get("contents"), list):
        raise ValueError("expected a VecMap ({contents: [...]})")
    entries: dict[Any, Any] = {}
    for entry in value["contents"]:
        if not isinstance(entry, dict) or set(entry) != {"key", "value"}:
            raise ValueError("a VecMap entry must be {key, value}")
        if entry["key"] in entries:
            raise ValueError(f"the VecMap holds key {entry['key']!r} twice")
        entries[entry["key"]] = entry["value"]
    return entries


StringMap = Annotated[dict[str, str], BeforeValidator(_vec_map)]


class _Object(BaseModel):
    # A fullnode may render fields we do not read (the proving state).
    model_config = ConfigDict(extra="ignore", frozen=True)


class AppMethodObject(_Object):
    """`app_method::AppMethod`."""

    description: str | None
    developer: str
    agent: str
    agent_method: str


class SettlementObject(_Object):
    """`settlement::Settlement`, without its table of block settlements."""

    chain: str
    last_settled_block_number: U64
    settlement_address: str | None
    settlement_job: U64 | None


MethodMap = Annotated[dict[str, AppMethodObject], BeforeValidator(_vec_map)]
SettlementMap = Annotated[dict[str, SettlementObject], BeforeValidator(_vec_map)]


class AppInstanceObject(_Object):
    """`app_instance::AppInstance` (SilvanaOne/silvana d1563ea), the parts agents read."""

    id: str
    silvana_app_name: str
    description: str | None
    metadata: StringMap
    kv: StringMap
    methods: MethodMap
    settlements: SettlementMap
    sequence: U64
    admin: str
    block_number: U64
    previous_block_timestamp: U64
    previous_block_last_sequence: U64
    last_proved_block_number: U64
    last_settled_block_number: U64
    last_settled_sequence: U64
    last_purged_sequence: U64
    is_paused: bool = Field(alias="isPaused")
    min_time_between_blocks: U64
    created_at: U64
    updated_at: U64


async def read_app_instance(connect: Connect, app_instance: str) -> AppInstanceObject:
    """The app instance (its object id, with or without 0x) as on chain now.

    Raises `SuiError` when the chain cannot say in READ_TIMEOUT_SECS (the
    object missing is `SuiNotFound`), and for an object that is not an
    AppInstance of the known layout (code UNDECODABLE_APP_INSTANCE).
    """
    object_id = app_instance_address(app_instance)
    try:
        with trio.fail_after(READ_TIMEOUT_SECS):
            async with connect() as client:
                value = await object_json(client, object_id)
    except trio.TooSlowError:
        raise SuiError("GetObject", "DEADLINE_EXCEEDED",
                       f"app instance {object_id} not read within {READ_TIMEOUT_SECS:g} s"
                       ) from None
    try:
        return AppInstanceObject.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the object"
        raise SuiError("GetObject", "UNDECODABLE_APP_INSTANCE",
                       f"app instance {object_id} is not an AppInstance of a known layout: "
                       f"{where}: {first['msg']}") from None
