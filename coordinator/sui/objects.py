"""Reading Move objects the way the coordinator needs them: as JSON, and
children of `Table`/`ObjectTable` found by their BCS-encoded key.

On a cache miss (registry) and at start (recovery) the coordinator follows
object ids down the Silvana objects, e.g. registry -> developers table ->
Developer -> agents table -> Agent (see the reference's lookup path).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from google.protobuf import json_format

from coordinator.sui.client import SuiClient, SuiNotFound

PAGE_SIZE = 100

Connect = Callable[[], AbstractAsyncContextManager[SuiClient]]
"""Opens a fresh connection for a series of lookups (`sui.client.connect` bound)."""


async def object_json(client: SuiClient, object_id: str) -> dict[str, Any]:
    """The object's fields as the node renders them (u64 as strings)."""
    message = (await client.get_object(object_id, ["json"])).json
    value: dict[str, Any] = json_format.MessageToDict(message)
    return value


async def table_child(client: SuiClient, table_id: str, key: bytes) -> str | None:
    """The id of the object stored under the BCS `key` in a table, or None."""
    page_token: bytes | None = None
    while True:
        try:
            page = await client.list_dynamic_fields(
                table_id, page_size=PAGE_SIZE, page_token=page_token,
                read_mask=["name", "child_id", "field_id"],
            )
        except SuiNotFound:
            return None
        for field in page.dynamic_fields:
            if field.name.value == key:
                return field.child_id or field.field_id
        if not page.next_page_token:
            return None
        page_token = page.next_page_token
