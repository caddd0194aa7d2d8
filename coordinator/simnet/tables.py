"""The proof pipeline's objects in the object store: an app instance's
ObjectTables (`blocks`, `proof_calculations`, the sequence states, each
chain's block settlements) listed as dynamic object fields of their UIDs,
and their entries readable by id, created, rewritten and deleted with the
transaction that changed them.
"""

from __future__ import annotations

from coordinator.events import bcs
from coordinator.simnet.move_object import Json, MoveObject
from coordinator.simnet.objects import U64_TYPE, AppInstance, ObjectStore


def register(store: ObjectStore, app: AppInstance) -> None:
    """The instance's tables (kept live: each lists what it holds when asked)
    and the objects they hold at its creation."""
    pipeline = app.pipeline
    store.add_table(pipeline.blocks_table, U64_TYPE, bcs.U64, pipeline.blocks)
    store.add_table(pipeline.proof_calculations_table, U64_TYPE, bcs.U64,
                    pipeline.proof_calculations)
    store.add_table(pipeline.manager.table_id, U64_TYPE, bcs.U64, pipeline.manager.states)
    for settlement in pipeline.settlements.values():
        store.add_table(settlement.table_id, U64_TYPE, bcs.U64, settlement.block_settlements)
    sync(store, app, {})


def snapshot(app: AppInstance) -> dict[str, Json]:
    """The renderings of the instance's table entries, to tell after a call which changed."""
    return {child.id: child.json() for child in app.pipeline.children()}


def sync(store: ObjectStore, app: AppInstance, before: dict[str, Json]) -> list[MoveObject]:
    """Add the entries created since `before`, drop the deleted ones; returns
    the created and changed ones (the transaction writes them)."""
    written: list[MoveObject] = []
    for child in app.pipeline.children():
        if before.get(child.id) != child.json():
            store.add(child)
            written.append(child)
    for object_id in app.pipeline.removed:
        store.remove(object_id)
    app.pipeline.removed.clear()
    return written
