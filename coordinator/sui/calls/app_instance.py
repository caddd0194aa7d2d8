"""What agents write to their app instance through the coordinator: `set_kv`,
`delete_kv`, `add_metadata` and `create_app_job` of `app_instance.move`.
Not job operations: they return no bool a coordinator reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coordinator.events.bcs import BYTES, STRING, U64, option, vector
from coordinator.sui.calls.base import MoveFunction, optional

_OPTION_STRING = option(STRING)
_OPTION_U64 = option(U64)
_OPTION_U64S = option(vector(U64))


@dataclass(frozen=True)
class KeyValue:
    """A key and its value on the app instance."""

    key: str
    value: str


class SetKV(KeyValue):
    """`set_kv`: an agent's key-value pair on its app instance (replaces)."""


class AddMetadata(KeyValue):
    """`add_metadata`: written once per key; an existing key aborts the call."""


@dataclass(frozen=True)
class DeleteKV:
    """`delete_kv`: a missing key is no change (and no event)."""

    key: str


@dataclass(frozen=True)
class CreateAppJob:
    """`create_app_job`: a new pending job for a method of the app instance."""

    method_name: str
    description: str | None = None
    block_number: int | None = None
    sequences: tuple[int, ...] | None = None
    sequences1: tuple[int, ...] | None = None
    sequences2: tuple[int, ...] | None = None
    data: bytes = b""
    interval_ms: int | None = None
    next_scheduled_at: int | None = None
    settlement_chain: str | None = None


# What agents write through the coordinator (not job operations: no bool result).
AgentWrite = SetKV | DeleteKV | AddMetadata | CreateAppJob


def _create_values(operation: CreateAppJob) -> list[object]:
    return [
        operation.method_name, operation.description, operation.block_number,
        operation.sequences, operation.sequences1, operation.sequences2, operation.data,
        operation.interval_ms, operation.next_scheduled_at, operation.settlement_chain,
    ]  # fmt: skip


def _create(values: Sequence[Any]) -> CreateAppJob:
    method, description, block, seqs, seqs1, seqs2, data, interval, scheduled, chain = values
    return CreateAppJob(
        method, description, block, optional(tuple, seqs), optional(tuple, seqs1),
        optional(tuple, seqs2), data, interval, scheduled, chain,
    )  # fmt: skip


FUNCTIONS: tuple[MoveFunction[Any], ...] = (
    MoveFunction(SetKV, "set_kv", (STRING, STRING),
                 lambda op: [op.key, op.value], lambda v: SetKV(v[0], v[1]), with_clock=False),
    MoveFunction(DeleteKV, "delete_kv", (STRING,),
                 lambda op: [op.key], lambda v: DeleteKV(v[0]), with_clock=False),
    MoveFunction(AddMetadata, "add_metadata", (STRING, STRING),
                 lambda op: [op.key, op.value], lambda v: AddMetadata(v[0], v[1]),
                 with_clock=False),
    MoveFunction(CreateAppJob, "create_app_job",
                 (STRING, _OPTION_STRING, _OPTION_U64, _OPTION_U64S, _OPTION_U64S, _OPTION_U64S,
                  BYTES, _OPTION_U64, _OPTION_U64, _OPTION_STRING),
                 _create_values, _create),
)  # fmt: skip
