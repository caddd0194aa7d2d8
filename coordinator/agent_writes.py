"""Agents' writes to their app instance as outbox entries.

SetKV, DeleteKV, AddMetadata and CreateAppJob become Move calls signed with the
coordinator's key. Each is written to the outbox (`ChainOperation` of an agent
write kind, its arguments as JSON in `args`) before it is sent, like a job's
settlement, and the settler sends it in a transaction of its own: a call that
aborts (AddMetadata of an existing key) fails only itself, never the claims and
settlements of other jobs.

After a crash nobody waits for the answer; a left-over write is sent again only
if the chain still lacks its effect (`still_needed`): a SetKV while the key does
not hold the value, a DeleteKV while the key is there, an AddMetadata while the
key is missing, and a CreateAppJob only if it was never sent (a job is created
at most once: a send whose fate is unknown is not repeated).

Limits (a Sui pure argument is at most 16 KiB, and every write rewrites the
whole AppInstance object, at most 250 KB): keys MAX_KEY_BYTES, values and job
data MAX_VALUE_BYTES, sequence lists MAX_SEQUENCES numbers.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from coordinator.domain import ChainOperation, OperationKind
from coordinator.sui.app_instance import AppInstanceObject
from coordinator.sui.transactions import AddMetadata, AgentWrite, CreateAppJob, DeleteKV, SetKV

__all__ = [
    "MAX_KEY_BYTES",
    "MAX_SEQUENCES",
    "MAX_VALUE_BYTES",
    "outbox_entry",
    "still_needed",
    "write_of",
]

MAX_KEY_BYTES = 256
MAX_VALUE_BYTES = 16_000
MAX_SEQUENCES = 1000

_KINDS: dict[type[Any], OperationKind] = {
    SetKV: OperationKind.SET_KV,
    DeleteKV: OperationKind.DELETE_KV,
    AddMetadata: OperationKind.ADD_METADATA,
    CreateAppJob: OperationKind.CREATE_APP_JOB,
}
_TYPES = {kind: cls for cls, kind in _KINDS.items()}


def outbox_entry(write: AgentWrite, app_instance: str, job_sequence: int,
                 now: float) -> ChainOperation:
    """The outbox entry of `write`, asked by the agent running `job_sequence`."""
    args = asdict(write)
    if isinstance(write, CreateAppJob):
        args["data"] = write.data.hex()
    return ChainOperation(_KINDS[type(write)], app_instance, job_sequence, created_at=now,
                          args=json.dumps(args, separators=(",", ":")))


def write_of(op: ChainOperation) -> AgentWrite:
    """The Move call of an outbox entry; ValueError for a row that is not one."""
    cls = _TYPES.get(op.kind)
    if cls is None:
        raise ValueError(f"{op.kind.value} is not an agent write")
    try:
        args = json.loads(op.args)
        if cls is CreateAppJob:
            args["data"] = bytes.fromhex(args["data"])
            for name in ("sequences", "sequences1", "sequences2"):
                if args[name] is not None:
                    args[name] = tuple(args[name])
        write: AgentWrite = cls(**args)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"outbox entry {op.op_id} ({op.kind.value}) has unreadable "
                         f"arguments: {exc}") from None
    return write


def still_needed(op: ChainOperation, write: AgentWrite,
                 instance: AppInstanceObject | None) -> bool:
    """Whether a left-over write still has work to do on `instance` as it is now
    (None: the instance is gone)."""
    if instance is None:
        return False
    match write:
        case SetKV(key, value):
            return instance.kv.get(key) != value
        case DeleteKV(key):
            return key in instance.kv
        case AddMetadata(key, _):
            return key not in instance.metadata
        case CreateAppJob():
            return op.state == "due" and op.attempts == 0
