"""Move objects of the coordination package, as the simulator holds them.

The engine's object model (`MoveObject`, `ObjectStore`, ids, the JSON
renderings), and the objects a signed transaction acts on: app instances with
their `Jobs`, methods, metadata and kv, and jobs. A Move module's other objects
live with it (the registry, developers and agents in `move.registry`).

An app instance's proof pipeline (blocks, proof calculations, sequence
states, settlements and their counters) is its `pipeline`
(`pipeline_objects`); its AppState (the app's own commitment) is not
modelled and not rendered.
Each object renders the JSON a Sui fullnode returns in `Object.json` (u64 as
strings, u8/u16/u32 as numbers, `Option` as the value or null, VecMap/VecSet
as `{contents: [...]}`, a UID as its id, an `ObjectTable` as `{id, size}`,
`vector<u8>` as base64, an enum as `{"@variant": Name, ...}`).

`ObjectTable<K, V>` entries are dynamic object fields of the table's UID:
`ObjectStore.dynamic_fields(table id)` lists them with the key as BCS, the
way `StateService/ListDynamicFields` does.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from coordinator.events import JobStatus
from coordinator.events.bcs import Codec
from coordinator.simnet.chain import hash_parts
from coordinator.simnet.move_object import Json, MoveObject, u64
from coordinator.simnet.pipeline_objects import Pipeline, SequenceStates

STRING_TYPE = "0x1::string::String"
U64_TYPE = "u64"
ID_TYPE = "0x2::object::ID"

K = TypeVar("K")


def _option_u64(value: int | None) -> str | None:
    return None if value is None else u64(value)


def _option_u64s(values: tuple[int, ...] | None) -> list[str] | None:
    return None if values is None else [u64(v) for v in values]


def table(table_id: str, size: int) -> Json:
    return {"id": table_id, "size": u64(size)}


def vec_map(entries: dict[str, Any]) -> Json:
    """A `VecMap<String, V>` as a fullnode renders it (insertion order kept)."""
    return {"contents": [{"key": key, "value": value} for key, value in entries.items()]}


class Ids:
    """Deterministic object ids: the same seed gives the same ids in the same order."""

    def __init__(self, seed: str) -> None:
        self._seed = seed
        self._count = 0

    def new(self) -> str:
        self._count += 1
        return "0x" + hash_parts(b"object", self._seed, self._count).hex()


# Job fields the 2025-08 layout does not have.
_LATER_JOB_FIELDS = frozenset(
    {"block_number", "sequences1", "sequences2", "interval_ms", "next_scheduled_at"}
)


@dataclass
class Job(MoveObject):
    """A `jobs::Job`; `layout` picks its rendering (`job_id` is the 2025-11
    `job_sequence`, and the 2025-11 fields are left out of a 2025-08 one)."""

    type_name: ClassVar[str] = "jobs::Job"
    job_id: int = 0
    layout: str = "2025-11"
    description: str | None = None
    developer: str = ""
    agent: str = ""
    agent_method: str = ""
    app: str = ""
    app_instance: str = ""
    app_instance_method: str = ""
    block_number: int | None = None
    sequences: tuple[int, ...] | None = None
    sequences1: tuple[int, ...] | None = None
    sequences2: tuple[int, ...] | None = None
    data: bytes = b""
    status: JobStatus = field(default_factory=lambda: JobStatus(kind="pending"))
    attempts: int = 0
    interval_ms: int | None = None
    next_scheduled_at: int | None = None
    created_at: int = 0
    updated_at: int = 0

    @property
    def periodic(self) -> bool:
        """jobs.move `is_periodic_job`: it has an interval."""
        return self.interval_ms is not None

    def json(self) -> Json:
        status: Json = {"@variant": self.status.kind.capitalize()}
        if self.status.error is not None:
            status["pos0"] = self.status.error
        rendered = {
            "id": self.id,
            "job_sequence": u64(self.job_id),
            **self._as_is("description", "developer", "agent", "agent_method", "app",
                          "app_instance", "app_instance_method"),
            "block_number": _option_u64(self.block_number),
            "sequences": _option_u64s(self.sequences),
            "sequences1": _option_u64s(self.sequences1),
            "sequences2": _option_u64s(self.sequences2),
            "data": base64.b64encode(self.data).decode(),
            "status": status,
            "attempts": self.attempts,
            "interval_ms": _option_u64(self.interval_ms),
            "next_scheduled_at": _option_u64(self.next_scheduled_at),
            **self._as_u64("created_at", "updated_at"),
        }
        if self.layout == "2025-08":
            # The older Job: `job_id` for `job_sequence`, none of the later fields.
            return {("job_id" if key == "job_sequence" else key): value
                    for key, value in rendered.items() if key not in _LATER_JOB_FIELDS}
        return rendered


@dataclass(frozen=True)
class AppMethod:
    """`app_method::AppMethod`: which agent method runs an app instance's method."""

    developer: str
    agent: str
    agent_method: str
    description: str | None = None

    def json(self) -> Json:
        return {"description": self.description, "developer": self.developer,
                "agent": self.agent, "agent_method": self.agent_method}


@dataclass
class AppInstance(MoveObject):
    type_name: ClassVar[str] = "app_instance::AppInstance"
    name: str = ""  # the scenario's handle; on chain the app name identifies it
    app: str = ""
    admin: str = ""
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    kv: dict[str, str] = field(default_factory=dict)
    methods: dict[str, AppMethod] = field(default_factory=dict)
    jobs_uid: str = ""
    jobs_table: str = ""
    jobs: dict[int, Job] = field(default_factory=dict)
    pending_jobs: list[int] = field(default_factory=list)
    failed_jobs: list[int] = field(default_factory=list)  # 2025-11 failed_jobs_index
    next_job_id: int = 1
    max_attempts: int = 3
    layout: str = "2025-11"
    initial_shared_version: int = 0  # the version it was shared at (its creation)
    pipeline: Pipeline = field(default_factory=lambda: Pipeline("", "", SequenceStates("", "")))
    created_at: int = 0
    updated_at: int = 0

    @property
    def app_instance(self) -> str:
        """The string jobs carry: Move's `address.to_string()`, 64 hex digits without 0x."""
        return self.id.removeprefix("0x")

    def json(self) -> Json:
        jobs: Json = {
            "id": self.jobs_uid,
            "jobs": table(self.jobs_table, len(self.jobs)),
            "pending_jobs": {"contents": [u64(j) for j in self.pending_jobs]},
            "next_job_id": u64(self.next_job_id),
            "max_attempts": self.max_attempts,
        }
        if self.layout != "2025-08":
            del jobs["next_job_id"]
            jobs |= {
                "failed_jobs_count": u64(len(self.failed_jobs)),
                "failed_jobs_index": {"contents": [u64(j) for j in self.failed_jobs]},
                "pending_jobs_count": u64(len(self.pending_jobs)),
                "pending_jobs_indexes": self._pending_indexes(),
                "next_job_sequence": u64(self.next_job_id),
            }
        return {
            "id": self.id,
            "silvana_app_name": self.app,
            "description": self.description,
            "metadata": vec_map(self.metadata),
            "kv": vec_map(self.kv),
            "methods": vec_map({name: m.json() for name, m in self.methods.items()}),
            **self.pipeline.json_before_jobs(),
            "jobs": jobs,
            "sequence": u64(self.pipeline.sequence),
            "admin": self.admin,
            **self.pipeline.json_after_admin(),
            "isPaused": False,
            "min_time_between_blocks": u64(self.pipeline.min_time_between_blocks),
            "created_at": u64(self.created_at),
            "updated_at": u64(self.updated_at),
        }

    def _pending_indexes(self) -> Json:
        """developer -> agent -> method -> pending sequences, as nested VecMaps."""
        tree: dict[str, dict[str, dict[str, list[int]]]] = {}
        for sequence in self.pending_jobs:
            job = self.jobs[sequence]
            tree.setdefault(job.developer, {}).setdefault(job.agent, {}).setdefault(
                job.agent_method, []).append(sequence)
        return vec_map({
            developer: vec_map({
                agent: vec_map({
                    method: {"contents": [u64(s) for s in sequences]}
                    for method, sequences in methods.items()
                })
                for agent, methods in agents.items()
            })
            for developer, agents in tree.items()
        })  # fmt: skip


@dataclass(frozen=True)
class DynamicFieldRecord:
    """One entry of an ObjectTable: a dynamic object field of the table's UID."""

    parent: str
    field_id: str
    key_type: str
    key_bcs: bytes
    child: MoveObject


# A table: (type of its keys, its entries as (BCS of the key, child object)).
Entries = Callable[[], Iterable[tuple[bytes, MoveObject]]]


class ObjectStore:
    """Live objects by id, and the ObjectTables whose entries ListDynamicFields lists."""

    def __init__(self, package_id: str) -> None:
        self.package_id = package_id
        self._objects: dict[str, MoveObject] = {}
        self._tables: dict[str, tuple[str, Entries]] = {}
        # Each transaction writes its objects at a version of its own, so the
        # version names the transaction that last wrote an object.
        self._writers: dict[int, str] = {}

    def wrote(self, version: int, tx_digest: str) -> None:
        """The transaction `tx_digest` wrote its objects at `version`."""
        self._writers[version] = tx_digest

    def previous_transaction(self, obj: MoveObject) -> str | None:
        """The digest of the transaction that last wrote `obj` (Object.previous_transaction)."""
        return self.written_by(obj.object_version)

    def written_by(self, version: int) -> str | None:
        """The digest of the transaction that wrote objects at `version` (any
        object: coins share the Lamport versions)."""
        return self._writers.get(version)

    def add(self, obj: MoveObject) -> None:
        self._objects[obj.id] = obj

    def remove(self, object_id: str) -> None:
        self._objects.pop(object_id, None)

    def get(self, object_id: str) -> MoveObject | None:
        return self._objects.get(object_id)

    def object_type(self, obj: MoveObject) -> str:
        return f"{self.package_id}::{obj.type_name}"

    def add_table(
        self, table_id: str, key_type: str, key: Codec[K], entries: Mapping[K, MoveObject]
    ) -> None:
        """`entries` (kept live: the table lists what it holds when asked), keyed
        by `key_type` values that `key` encodes."""
        self._tables[table_id] = (
            key_type, lambda: [(key.to_bytes(name), child) for name, child in entries.items()]
        )

    def dynamic_fields(self, parent: str) -> list[DynamicFieldRecord]:
        """The table's entries ordered by field id (as Sui orders them); [] for other ids."""
        if parent not in self._tables:
            return []
        key_type, entries = self._tables[parent]
        fields = [
            DynamicFieldRecord(
                parent=parent,
                field_id="0x" + hash_parts(b"field", parent, key_type, key).hex(),
                key_type=key_type,
                key_bcs=key,
                child=child,
            )
            for key, child in entries()
        ]
        return sorted(fields, key=lambda f: f.field_id)
