"""The app-instance calls of the coordination package an agent reaches through
its coordinator: `set_kv`, `delete_kv`, `add_metadata` and `create_app_job` of
`app_instance.move` (SilvanaOne/silvana d1563ea), as the simulator runs them.

Like `movejobs`, each function changes the app instance in place and returns
whether it applied and the events it emits. Unlike the job calls, one of them
aborts: `add_metadata` of a key the instance already has fails in
`vec_map::insert` (`MoveAbort`), which fails the whole transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from coordinator.events.models import KVDeletedEvent, KVSetEvent, MetadataAddedEvent
from coordinator.events.models_2025_11 import OperationFailedEvent
from coordinator.simnet import movejobs
from coordinator.simnet.objects import AppInstance, Job
from coordinator.sui.transactions import CreateAppJob

# sui::vec_map's abort code for an insert of a key it holds.
VEC_MAP_KEY_ALREADY_EXISTS = 0
# app_instance.move's reasons (its error constants).
METHOD_NOT_FOUND = "Method not found in app instance"
SETTLEMENT_CHAIN_NOT_FOUND = "Settlement chain not found"


@dataclass
class MoveAbort(Exception):
    """A Move abort: the transaction fails at `module::function` with `code`."""

    module: str
    function: str
    code: int

    def __str__(self) -> str:
        return f"MoveAbort in 0x2::{self.module}::{self.function} with code {self.code}"


def set_kv(app: AppInstance, key: str, value: str) -> movejobs.Result:
    """Replace or add `key` (a replaced key moves to the end, as remove + insert do)."""
    app.kv.pop(key, None)
    app.kv[key] = value
    return True, [KVSetEvent(app_instance_address=app.id, key=key, value=value)]


def delete_kv(app: AppInstance, key: str) -> movejobs.Result:
    """Remove `key`; a missing key changes nothing and emits nothing."""
    if key not in app.kv:
        return True, []
    del app.kv[key]
    return True, [KVDeletedEvent(app_instance_address=app.id, key=key)]


def add_metadata(app: AppInstance, key: str, value: str) -> movejobs.Result:
    """Insert `key`; aborts when the instance has it (metadata is written once)."""
    if key in app.metadata:
        raise MoveAbort("vec_map", "insert", VEC_MAP_KEY_ALREADY_EXISTS)
    app.metadata[key] = value
    return True, [MetadataAddedEvent(app_instance_address=app.id, key=key, value=value)]


def create_app_job(
    app: AppInstance, request: CreateAppJob, job_object_id: str, call: movejobs.Call
) -> movejobs.Result:
    """A pending job for one of the instance's methods (`job_object_id` is the new
    object's id); an unknown method or settlement chain is refused with an
    OperationFailedEvent and no job, as on chain."""
    method = app.methods.get(request.method_name)
    reason = None
    if method is None:
        reason = METHOD_NOT_FOUND
    elif request.settlement_chain is not None:
        reason = SETTLEMENT_CHAIN_NOT_FOUND  # no settlements are modelled
    if method is None or reason is not None:
        return False, [OperationFailedEvent(
            operation="create_job", entity_type="app_instance", entity_id=0,
            reason=reason or METHOD_NOT_FOUND, caller=call.sender, timestamp=call.now,
            additional_data=request.method_name.encode(),
        )]
    job = Job(
        id=job_object_id, object_version=0, layout=app.layout,
        description=request.description, developer=method.developer, agent=method.agent,
        agent_method=method.agent_method, app=app.app, app_instance=app.app_instance,
        app_instance_method=request.method_name, block_number=request.block_number,
        sequences=request.sequences, sequences1=request.sequences1,
        sequences2=request.sequences2, data=request.data, interval_ms=request.interval_ms,
        next_scheduled_at=request.next_scheduled_at,
    )
    return movejobs.create_job(app, job, call)
