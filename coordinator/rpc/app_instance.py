"""The app-instance calls' pieces: requests checked and made Move calls, the
chain's AppInstance made wire messages (upstream's GetAppInstance/GetMetadata).

Every bound here is checked before anything is read or written, so an
oversized request is INVALID_ARGUMENT naming the field and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.protobuf.internal.containers import MessageMap

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.agent_writes import MAX_KEY_BYTES, MAX_SEQUENCES, MAX_VALUE_BYTES
from coordinator.rpc.checks import invalid
from coordinator.sui.app_instance import AppInstanceObject, SettlementObject
from coordinator.sui.transactions import CreateAppJob

__all__ = [
    "MAX_DESCRIPTION_BYTES",
    "app_instance_data",
    "check_key",
    "check_value",
    "create_app_job",
    "metadata_message",
]

MAX_DESCRIPTION_BYTES = 4096
MAX_METHOD_BYTES = 128


def _bounded(field: str, value: str, limit: int) -> str:
    if len(value.encode()) > limit:
        invalid(f"{field} is longer than {limit} bytes (UTF-8)")
    return value


def check_key(key: str) -> str:
    """A kv or metadata key: 1 to MAX_KEY_BYTES bytes."""
    if not key:
        invalid("key must not be empty")
    return _bounded("key", key, MAX_KEY_BYTES)


def check_value(value: str) -> str:
    return _bounded("value", value, MAX_VALUE_BYTES)


def _sequences(field: str, values: Sequence[int]) -> tuple[int, ...]:
    if len(values) > MAX_SEQUENCES:
        invalid(f"{field} has more than {MAX_SEQUENCES} numbers")
    return tuple(values)


def create_app_job(request: pb.CreateAppJobRequest) -> CreateAppJob:
    """The Move call of a CreateAppJob request, as upstream makes it (the three
    sequence lists always given, empty or not)."""
    if not request.method_name:
        invalid("method_name must not be empty")
    _bounded("method_name", request.method_name, MAX_METHOD_BYTES)
    description = None
    if request.HasField("job_description"):
        description = _bounded("job_description", request.job_description,
                               MAX_DESCRIPTION_BYTES)
    if len(request.data) > MAX_VALUE_BYTES:
        invalid(f"data is longer than {MAX_VALUE_BYTES} bytes")
    chain = None
    if request.HasField("settlement_chain"):
        chain = _bounded("settlement_chain", request.settlement_chain, MAX_METHOD_BYTES)
    return CreateAppJob(
        method_name=request.method_name,
        description=description,
        block_number=request.block_number if request.HasField("block_number") else None,
        sequences=_sequences("sequences", request.sequences),
        sequences1=_sequences("sequences1", request.sequences1),
        sequences2=_sequences("sequences2", request.sequences2),
        data=bytes(request.data),
        interval_ms=request.interval_ms if request.HasField("interval_ms") else None,
        next_scheduled_at=(request.next_scheduled_at
                           if request.HasField("next_scheduled_at") else None),
        settlement_chain=chain,
    )


def _settlements(target: MessageMap[str, pb.SettlementInfo],
                 settlements: dict[str, SettlementObject]) -> None:
    for chain, settlement in settlements.items():
        info = target[chain]
        info.chain = settlement.chain
        info.last_settled_block_number = settlement.last_settled_block_number
        if settlement.settlement_address is not None:
            info.settlement_address = settlement.settlement_address
        if settlement.settlement_job is not None:
            info.settlement_job = settlement.settlement_job


# The fields of an AppInstance that both AppInstanceData and Metadata carry.
_SUMMARY = ("silvana_app_name", "description", "sequence", "admin", "block_number",
            "previous_block_timestamp", "previous_block_last_sequence",
            "last_proved_block_number", "is_paused", "created_at", "updated_at")


def _summary(instance: AppInstanceObject) -> dict[str, Any]:
    """The summary fields of `instance` (a description it lacks stays unset)."""
    fields = {name: getattr(instance, name) for name in _SUMMARY}
    if fields["description"] is None:
        del fields["description"]
    return fields


def app_instance_data(instance: AppInstanceObject) -> pb.AppInstanceData:
    """Every field of AppInstanceData the chain object gives."""
    data = pb.AppInstanceData(
        id=instance.id, metadata=instance.metadata, kv=instance.kv,
        last_settled_block_number=instance.last_settled_block_number,
        last_settled_sequence=instance.last_settled_sequence,
        last_purged_sequence=instance.last_purged_sequence,
        min_time_between_blocks=instance.min_time_between_blocks,
        **_summary(instance),
    )
    for name, method in instance.methods.items():
        entry = data.methods[name]
        entry.developer, entry.agent = method.developer, method.agent
        entry.agent_method = method.agent_method
        if method.description is not None:
            entry.description = method.description
    _settlements(data.settlements, instance.settlements)
    return data


def metadata_message(instance: AppInstanceObject, key: str | None) -> pb.Metadata:
    """Upstream's Metadata: the instance's summary, and the value of `key` when
    asked for and present."""
    message = pb.Metadata(app_instance_id=instance.id, **_summary(instance))
    if key is not None and key in instance.metadata:
        message.value = instance.metadata[key]
    _settlements(message.settlements, instance.settlements)
    return message
