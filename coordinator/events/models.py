"""Typed models of the Silvana coordination package's Move events.

Layouts follow the Move structs of the coordination package (SilvanaOne/silvana,
``move/coordination/sources/{agent,jobs,developer,app_instance}.move``). BCS has no field names
or tags, so field order is the wire format: each model declares its fields in
Move order, and each field's annotation carries the BCS codec of its Move type.
``BcsEvent`` collects those into ``bcs_layout`` when the class is created, and
one generic ``from_bcs``/``to_bcs`` walks it. The class body is therefore the
only place a layout is written, and it cannot drift from the model's fields.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from coordinator.events import bcs
from coordinator.events.bcs import Codec, Reader, Writer

_SHORT_ADDRESS = re.compile(r"0x([0-9a-fA-F]{1,64})")


def normalize_address(value: str) -> str:
    """Return the canonical 0x + 64 lowercase hex form Sui uses, accepting short forms like 0x2.

    Addresses are compared as strings across the daemon (cache keys, store
    rows), so every address must have exactly one spelling.
    """
    match = _SHORT_ADDRESS.fullmatch(value)
    if match is None:
        raise ValueError("address must be 0x followed by 1 to 64 hex digits")
    return "0x" + match.group(1).lower().rjust(64, "0")


def app_instance_address(app_instance: str) -> str:
    """Events name an app instance by its address without the 0x; a node wants
    the address."""
    return normalize_address(app_instance if app_instance.startswith("0x") else "0x" + app_instance)


# Field types: the Python type, its width check for values built by hand (the
# decoder cannot produce out-of-range values), and the BCS codec.
U8 = Annotated[int, Field(ge=0, le=0xFF), bcs.U8]
U16 = Annotated[int, Field(ge=0, le=0xFFFF), bcs.U16]
U64 = Annotated[int, Field(ge=0, le=bcs.U64_MAX), bcs.U64]
Bool = Annotated[bool, bcs.BOOL]
String = Annotated[str, bcs.STRING]
Address = Annotated[str, AfterValidator(normalize_address), bcs.ADDRESS]
Bytes = Annotated[bytes, bcs.BYTES]
OptionString = Annotated[str | None, bcs.option(bcs.STRING)]
# Tuples rather than lists so frozen models are hashable and truly immutable.
VectorString = Annotated[tuple[str, ...], bcs.vector(bcs.STRING)]
OptionVectorU64 = Annotated[tuple[U64, ...] | None, bcs.option(bcs.vector(bcs.U64))]


class JobStatus(BaseModel):
    """Move ``enum JobStatus { Pending, Running, Failed(String) }``.

    ``error`` is set exactly when ``kind`` is ``failed``, mirroring the one
    variant that carries data.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["pending", "running", "failed"]
    error: str | None = None

    @model_validator(mode="after")
    def _error_only_when_failed(self) -> Self:
        if (self.kind == "failed") != (self.error is not None):
            raise ValueError("error must be set if and only if kind is 'failed'")
        return self


# Index in this tuple = BCS variant index, i.e. Move declaration order.
_JOB_STATUS_KINDS: tuple[Literal["pending", "running", "failed"], ...] = (
    "pending",
    "running",
    "failed",
)


def _read_job_status(reader: Reader) -> JobStatus:
    kind = _JOB_STATUS_KINDS[reader.variant_index(len(_JOB_STATUS_KINDS))]
    return JobStatus(kind=kind, error=reader.string() if kind == "failed" else None)


def _write_job_status(writer: Writer, status: JobStatus) -> None:
    writer.variant_index(_JOB_STATUS_KINDS.index(status.kind))
    # The validator guarantees error is present exactly for Failed(String).
    if status.error is not None:
        writer.string(status.error)


def _job_status_json(value: Any) -> JobStatus:
    """A fullnode renders an enum as `{"@variant": Name, field: value...}`; the
    positional field of `Failed(String)` is named `pos0`."""
    if not isinstance(value, dict) or not isinstance(value.get("@variant"), str):
        raise bcs.BcsError(f"expected JobStatus as {{'@variant': ...}}, got {value!r}")
    kind = value["@variant"].lower()
    if kind not in _JOB_STATUS_KINDS:
        raise bcs.BcsError(f"unknown JobStatus variant {value['@variant']!r}")
    return JobStatus.model_validate({"kind": kind, "error": value.get("pos0")})


JOB_STATUS: Codec[JobStatus] = Codec(
    "JobStatus", _read_job_status, _write_job_status, _job_status_json
)
Status = Annotated[JobStatus, JOB_STATUS]


class BcsEvent(BaseModel):
    """Base of every event model: frozen, strict about extra fields, BCS in and out."""

    # Hex for bytes in JSON so model_dump_json() works on arbitrary job data
    # (the default utf8 mode fails on non-UTF-8 bytes).
    model_config = ConfigDict(
        frozen=True, extra="forbid", ser_json_bytes="hex", val_json_bytes="hex"
    )

    bcs_layout: ClassVar[tuple[tuple[str, Codec[Any]], ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Build ``bcs_layout`` from the fields, in declaration order (parents first)."""
        super().__pydantic_init_subclass__(**kwargs)
        layout = []
        for name, info in cls.model_fields.items():
            codecs = [item for item in info.metadata if isinstance(item, Codec)]
            if not codecs:
                raise TypeError(f"{cls.__name__}.{name} has no BCS codec in its annotation")
            layout.append((name, codecs[-1]))
        cls.bcs_layout = tuple(layout)

    @classmethod
    def from_bcs(cls, data: bytes) -> Self:
        """Decode one event payload; raises BcsError naming the field and offset."""
        reader = Reader(data, path=cls.__name__)
        value = cls._read(reader)
        reader.finish()
        return value

    @classmethod
    def _read(cls, reader: Reader) -> Self:
        values: dict[str, Any] = {}
        for name, codec in cls.bcs_layout:
            with reader.scope(f".{name}"):
                values[name] = codec.decode(reader)
        return cls.model_validate(values)

    @classmethod
    def from_json(cls, value: Any) -> Self:
        """Decode a fullnode's JSON rendering (`Event.json`, `Object.json`):
        u64 as decimal strings, `vector<u8>` as base64, enums by `@variant`."""
        if not isinstance(value, dict):
            raise bcs.BcsError(f"{cls.__name__}: expected a JSON object")
        values: dict[str, Any] = {}
        for name, codec in cls.bcs_layout:
            if name not in value:
                raise bcs.BcsError(f"{cls.__name__}.{name}: missing from the JSON rendering")
            try:
                values[name] = codec.read_json(value[name])
            except (bcs.BcsError, KeyError, TypeError) as exc:
                raise bcs.BcsError(f"{cls.__name__}.{name}: {exc}") from None
        return cls.model_validate(values)

    def to_bcs(self) -> bytes:
        writer = Writer()
        self._write(writer)
        return writer.getvalue()

    def _write(self, writer: Writer) -> None:
        for name, codec in self.bcs_layout:
            codec.encode(writer, getattr(self, name))

    @classmethod
    def codec(cls) -> Codec[Self]:
        """This struct as a field of another (e.g. an ObjectTable inside Jobs)."""
        return Codec(cls.__name__, cls._read, lambda writer, value: value._write(writer),
                     cls.from_json)


# --- module agent ---------------------------------------------------------


class _AgentFields(BcsEvent):
    id: Address
    name: String
    image: OptionString
    description: OptionString
    site: OptionString
    chains: VectorString


class AgentCreatedEvent(_AgentFields):
    created_at: U64


class AgentUpdatedEvent(_AgentFields):
    updated_at: U64
    version: U64


class AgentDeletedEvent(_AgentFields):
    version: U64
    deleted_at: U64


class _MethodFields(BcsEvent):
    agent_id: Address
    developer_name: String
    agent_name: String
    method_name: String
    docker_image: String
    docker_sha256: OptionString
    min_memory_gb: U16
    min_cpu_cores: U16
    requires_tee: Bool
    agent_version: U64


class MethodAddedEvent(_MethodFields):
    added_at: U64


class MethodUpdatedEvent(_MethodFields):
    updated_at: U64


class DefaultMethodSetEvent(_MethodFields):
    set_at: U64


class MethodRemovedEvent(BcsEvent):
    agent_id: Address
    developer_name: String
    agent_name: String
    method_name: String
    agent_version: U64
    removed_at: U64


class DefaultMethodRemovedEvent(BcsEvent):
    agent_id: Address
    developer_name: String
    agent_name: String
    agent_version: U64
    removed_at: U64


# --- module jobs ----------------------------------------------------------


class JobCreatedEvent(BcsEvent):
    job_id: U64
    description: OptionString
    developer: String
    agent: String
    agent_method: String
    app: String
    app_instance: String
    app_instance_method: String
    sequences: OptionVectorU64
    data: Bytes
    status: Status
    created_at: U64


class JobUpdatedEvent(BcsEvent):
    job_id: U64
    status: Status
    attempts: U8
    updated_at: U64


class JobCompletedEvent(BcsEvent):
    job_id: U64
    app_instance: String
    completed_at: U64


class JobFailedEvent(BcsEvent):
    job_id: U64
    app_instance: String
    error: String
    attempts: U8
    failed_at: U64


class JobDeletedEvent(BcsEvent):
    job_id: U64
    deleted_at: U64


class Job(BcsEvent):
    """The `jobs::Job` object of this layout (a model like the events: BCS and
    the fullnode's JSON rendering in, BCS out)."""

    id: Address  # UID
    job_id: U64
    description: OptionString
    developer: String
    agent: String
    agent_method: String
    app: String
    app_instance: String
    app_instance_method: String
    sequences: OptionVectorU64
    data: Bytes
    status: Status
    attempts: U8
    created_at: U64
    updated_at: U64


# --- module developer -----------------------------------------------------


class _DeveloperFields(BcsEvent):
    id: Address
    name: String
    github: String
    image: OptionString
    description: OptionString
    site: OptionString


class DeveloperCreatedEvent(_DeveloperFields):
    owner: Address
    created_at: U64


class DeveloperUpdatedEvent(_DeveloperFields):
    owner: Address
    updated_at: U64
    version: U64


class DeveloperDeletedEvent(_DeveloperFields):
    # No owner field: the Move struct (every version of developer.move) omits
    # it here, unlike Created/Updated. Its ``id`` is set to the owner on chain.
    version: U64
    deleted_at: U64


# --- module app_instance --------------------------------------------------


class AppInstanceCreatedEvent(BcsEvent):
    app_instance_address: Address
    admin: Address
    created_at: U64


class KVSetEvent(BcsEvent):
    app_instance_address: Address
    key: String
    value: String


class KVDeletedEvent(BcsEvent):
    app_instance_address: Address
    key: String


class MetadataAddedEvent(BcsEvent):
    app_instance_address: Address
    key: String
    value: String


_EVENTS_BY_MODULE: dict[str, tuple[type[BcsEvent], ...]] = {
    "agent": (
        AgentCreatedEvent,
        AgentUpdatedEvent,
        AgentDeletedEvent,
        MethodAddedEvent,
        MethodUpdatedEvent,
        MethodRemovedEvent,
        DefaultMethodSetEvent,
        DefaultMethodRemovedEvent,
    ),
    "jobs": (
        JobCreatedEvent,
        JobUpdatedEvent,
        JobCompletedEvent,
        JobFailedEvent,
        JobDeletedEvent,
    ),
    "developer": (DeveloperCreatedEvent, DeveloperUpdatedEvent, DeveloperDeletedEvent),
    "app_instance": (AppInstanceCreatedEvent, KVSetEvent, KVDeletedEvent, MetadataAddedEvent),
}

# (Move module, event struct name) -> model; class names are the Move names.
EVENT_MODELS: dict[tuple[str, str], type[BcsEvent]] = {
    (module, model.__name__): model
    for module, models in _EVENTS_BY_MODULE.items()
    for model in models
}


class UnknownEventType(LookupError):
    """The (module, name) pair has no model: a coordination event we do not act on."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name
        super().__init__(f"no model for event {module}::{name}")


def decode_event(module: str, name: str, data: bytes) -> BcsEvent:
    """Decode the BCS contents of a ``<package>::<module>::<name>`` event.

    Raises UnknownEventType for events without a model and BcsError for a
    payload that does not match the model's layout.
    """
    model = EVENT_MODELS.get((module, name))
    if model is None:
        raise UnknownEventType(module, name)
    return model.from_bcs(data)


__all__ = [
    "EVENT_MODELS",
    "AgentCreatedEvent",
    "AgentDeletedEvent",
    "AgentUpdatedEvent",
    "AppInstanceCreatedEvent",
    "BcsEvent",
    "DefaultMethodRemovedEvent",
    "DefaultMethodSetEvent",
    "DeveloperCreatedEvent",
    "DeveloperDeletedEvent",
    "DeveloperUpdatedEvent",
    "JobCompletedEvent",
    "JobCreatedEvent",
    "JobDeletedEvent",
    "JobFailedEvent",
    "JobStatus",
    "JobUpdatedEvent",
    "KVDeletedEvent",
    "KVSetEvent",
    "MetadataAddedEvent",
    "MethodAddedEvent",
    "MethodRemovedEvent",
    "MethodUpdatedEvent",
    "UnknownEventType",
    "decode_event",
    "normalize_address",
]
