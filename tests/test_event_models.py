"""Event models: BCS against hand-written payloads, malformed payloads, validation, round-trips.

Every expected payload below is written out byte by byte from the Move layout
in coordination-events.md, never produced by the Writer, so encoder and
decoder are both checked against an independent source.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from coordinator.events import (
    EVENT_MODELS,
    AgentCreatedEvent,
    AgentDeletedEvent,
    AgentUpdatedEvent,
    AppInstanceCreatedEvent,
    BcsError,
    BcsEvent,
    DefaultMethodRemovedEvent,
    DefaultMethodSetEvent,
    DeveloperCreatedEvent,
    DeveloperDeletedEvent,
    DeveloperUpdatedEvent,
    JobCompletedEvent,
    JobCreatedEvent,
    JobDeletedEvent,
    JobFailedEvent,
    JobStatus,
    JobUpdatedEvent,
    KVDeletedEvent,
    KVSetEvent,
    MetadataAddedEvent,
    MethodAddedEvent,
    MethodRemovedEvent,
    MethodUpdatedEvent,
    UnknownEventType,
    decode_event,
)

# Addresses as raw hex (in payloads) and as the models render them.
H1 = "11" * 32
H2 = "ab" * 32
H3 = "00" * 31 + "07"
A1 = f"0x{H1}"
A2 = f"0x{H2}"
A3 = f"0x{H3}"
TS = 1_700_000_000_000  # little-endian u64: 00 68 e5 cf 8b 01 00 00
PENDING = JobStatus(kind="pending")
RUNNING = JobStatus(kind="running")

# (module, expected model, payload hex; whitespace is ignored by bytes.fromhex)
CASES: list[tuple[str, BcsEvent, str]] = [
    (
        "agent",
        AgentCreatedEvent(
            id=A1,
            name="prover",
            image="img:1",
            description=None,
            site="",
            chains=("sui", "mina"),
            created_at=TS,
        ),
        f"{H1}"  # id
        " 06 70726f766572"  # name "prover"
        " 01 05 696d673a31"  # image Some("img:1")
        " 00"  # description None
        " 01 00"  # site Some("")
        " 02 03 737569 04 6d696e61"  # chains ["sui", "mina"]
        " 0068e5cf8b010000",  # created_at
    ),
    (
        "agent",
        AgentUpdatedEvent(
            id=A2,
            name="a",
            image=None,
            description="d",
            site=None,
            chains=(),
            updated_at=1,
            version=2,
        ),
        f"{H2} 01 61  00  01 01 64  00  00  0100000000000000  0200000000000000",
    ),
    (
        "agent",
        AgentDeletedEvent(
            id=A3,
            name="",
            image=None,
            description=None,
            site=None,
            chains=("x",),
            version=3,
            deleted_at=2**64 - 1,
        ),
        f"{H3} 00  00 00 00  01 01 78  0300000000000000  ffffffffffffffff",
    ),
    (
        "agent",
        MethodAddedEvent(
            agent_id=A1,
            developer_name="dev",
            agent_name="ag",
            method_name="prove",
            docker_image="img",
            docker_sha256="ab12",
            min_memory_gb=0x0102,
            min_cpu_cores=0xFFFF,
            requires_tee=True,
            agent_version=5,
            added_at=TS,
        ),
        f"{H1}"
        " 03 646576"  # developer_name
        " 02 6167"  # agent_name
        " 05 70726f7665"  # method_name
        " 03 696d67"  # docker_image
        " 01 04 61623132"  # docker_sha256 Some("ab12")
        " 0201"  # min_memory_gb u16 258
        " ffff"  # min_cpu_cores u16 65535
        " 01"  # requires_tee
        " 0500000000000000"  # agent_version
        " 0068e5cf8b010000",  # added_at
    ),
    (
        "agent",
        MethodUpdatedEvent(
            agent_id=A1,
            developer_name="dev",
            agent_name="ag",
            method_name="prove",
            docker_image="img",
            docker_sha256=None,
            min_memory_gb=0,
            min_cpu_cores=1,
            requires_tee=False,
            agent_version=6,
            updated_at=7,
        ),
        f"{H1} 03 646576  02 6167  05 70726f7665  03 696d67  00  0000  0100  00"
        " 0600000000000000  0700000000000000",
    ),
    (
        "agent",
        DefaultMethodSetEvent(
            agent_id=A1,
            developer_name="dev",
            agent_name="ag",
            method_name="prove",
            docker_image="img",
            docker_sha256="ab12",
            min_memory_gb=16,
            min_cpu_cores=4,
            requires_tee=True,
            agent_version=5,
            set_at=TS,
        ),
        f"{H1} 03 646576  02 6167  05 70726f7665  03 696d67  01 04 61623132  1000  0400  01"
        " 0500000000000000  0068e5cf8b010000",
    ),
    (
        "agent",
        MethodRemovedEvent(
            agent_id=A2,
            developer_name="dev",
            agent_name="ag",
            method_name="prove",
            agent_version=9,
            removed_at=10,
        ),
        f"{H2} 03 646576  02 6167  05 70726f7665  0900000000000000  0a00000000000000",
    ),
    (
        "agent",
        DefaultMethodRemovedEvent(
            agent_id=A2, developer_name="dev", agent_name="ag", agent_version=9, removed_at=10
        ),
        f"{H2} 03 646576  02 6167  0900000000000000  0a00000000000000",
    ),
    (
        "jobs",
        JobCreatedEvent(
            job_id=42,
            description="hello",
            developer="dev",
            agent="ag",
            agent_method="prove",
            app="app",
            app_instance="inst",
            app_instance_method="run",
            sequences=(1, 2**64 - 1),
            data=b"\x00\xff\x80",
            status=PENDING,
            created_at=TS,
        ),
        "2a00000000000000"  # 0  job_id
        " 01 05 68656c6c6f"  # 8  description Some("hello")
        " 03 646576"  # 15 developer
        " 02 6167"  # 19 agent
        " 05 70726f7665"  # 22 agent_method
        " 03 617070"  # 28 app
        " 04 696e7374"  # 32 app_instance
        " 03 72756e"  # 37 app_instance_method
        " 01 02 0100000000000000 ffffffffffffffff"  # 41 sequences Some([1, 2**64-1])
        " 03 00ff80"  # 59 data
        " 00"  # 63 status Pending
        " 0068e5cf8b010000",  # 64 created_at; 72 bytes in all
    ),
    (
        "jobs",
        JobCreatedEvent(
            job_id=0,
            description=None,
            developer="d",
            agent="a",
            agent_method="m",
            app="",
            app_instance="",
            app_instance_method="",
            sequences=None,
            data=b"",
            status=JobStatus(kind="failed", error="boom"),
            created_at=1,
        ),
        "0000000000000000  00  01 64  01 61  01 6d  00  00  00"
        "  00"  # sequences None
        "  00"  # data empty
        "  02 04 626f6f6d"  # status Failed("boom")
        "  0100000000000000",
    ),
    (
        "jobs",
        JobCreatedEvent(
            job_id=1,
            description="",
            developer="d",
            agent="a",
            agent_method="m",
            app="x",
            app_instance="y",
            app_instance_method="z",
            sequences=(),
            data=b"\x01",
            status=RUNNING,
            created_at=2,
        ),
        "0100000000000000  01 00  01 64  01 61  01 6d  01 78  01 79  01 7a"
        "  01 00"  # sequences Some([])
        "  01 01  01  0200000000000000",
    ),
    (
        "jobs",
        JobUpdatedEvent(job_id=42, status=RUNNING, attempts=255, updated_at=TS),
        "2a00000000000000  01  ff  0068e5cf8b010000",
    ),
    (
        "jobs",
        JobUpdatedEvent(
            job_id=42, status=JobStatus(kind="failed", error="é"), attempts=0, updated_at=TS
        ),
        "2a00000000000000  02 02 c3a9  00  0068e5cf8b010000",
    ),
    (
        "jobs",
        JobCompletedEvent(job_id=42, app_instance="inst", completed_at=TS),
        "2a00000000000000  04 696e7374  0068e5cf8b010000",
    ),
    (
        "jobs",
        JobFailedEvent(
            job_id=42, app_instance="inst", error="out of memory", attempts=3, failed_at=TS
        ),
        "2a00000000000000  04 696e7374  0d 6f7574206f66206d656d6f7279  03  0068e5cf8b010000",
    ),
    (
        "jobs",
        JobDeletedEvent(job_id=42, deleted_at=TS),
        "2a00000000000000  0068e5cf8b010000",
    ),
    (
        "developer",
        DeveloperCreatedEvent(
            id=A1,
            name="dev",
            github="gh",
            image="i",
            description=None,
            site="https://x",
            owner=A2,
            created_at=TS,
        ),
        f"{H1} 03 646576  02 6768  01 01 69  00"
        " 01 09 68747470733a2f2f78"  # site Some("https://x")
        f" {H2}  0068e5cf8b010000",  # owner, created_at
    ),
    (
        "developer",
        DeveloperUpdatedEvent(
            id=A1,
            name="dev",
            github="",
            image=None,
            description="d",
            site=None,
            owner=A3,
            updated_at=TS,
            version=2,
        ),
        f"{H1} 03 646576  00  00  01 01 64  00"  # github "", image None, site None
        f" {H3}  0068e5cf8b010000  0200000000000000",  # owner, updated_at, version
    ),
    (
        "developer",
        DeveloperDeletedEvent(
            id=A2,
            name="dev",
            github="gh",
            image=None,
            description=None,
            site=None,
            version=3,
            deleted_at=TS,
        ),
        f"{H2} 03 646576  02 6768  00 00 00  0300000000000000  0068e5cf8b010000",
    ),
    (
        "app_instance",
        AppInstanceCreatedEvent(app_instance_address=A1, admin=A2, created_at=TS),
        f"{H1} {H2}  0068e5cf8b010000",
    ),
    (
        "app_instance",
        KVSetEvent(app_instance_address=A1, key="k", value="vé"),
        f"{H1}  016b  0376c3a9",
    ),
    (
        "app_instance",
        KVDeletedEvent(app_instance_address=A1, key="key"),
        f"{H1}  036b6579",
    ),
    (
        "app_instance",
        MetadataAddedEvent(app_instance_address=A2, key="", value="x"),
        f"{H2}  00  0178",
    ),
]


def case_id(case: tuple[str, BcsEvent, str]) -> str:
    return type(case[1]).__name__


@pytest.mark.parametrize(("module", "event", "payload"), CASES, ids=map(case_id, CASES))
def test_hand_written_payloads(module: str, event: BcsEvent, payload: str) -> None:
    data = bytes.fromhex(payload)
    assert type(event).from_bcs(data) == event
    assert decode_event(module, type(event).__name__, data) == event
    assert event.to_bcs() == data


def test_every_event_model_has_a_hand_written_payload() -> None:
    covered = {(module, type(event).__name__) for module, event, _ in CASES}
    assert covered == set(EVENT_MODELS)
    assert len(EVENT_MODELS) == 20


JOB_CREATED = bytes.fromhex(CASES[8][2])
METHOD_ADDED = bytes.fromhex(CASES[3][2])


def splice(data: bytes, offset: int, old: str, new: str) -> bytes:
    """Replace the hex bytes ``old`` at ``offset`` by ``new``, checking ``old`` is there."""
    before = bytes.fromhex(old)
    assert data[offset : offset + len(before)] == before
    return data[:offset] + bytes.fromhex(new) + data[offset + len(before) :]


# (model, payload, error path, error detail, error offset)
MALFORMED: list[tuple[type[BcsEvent], bytes, str, str, int]] = [
    (
        AgentCreatedEvent,
        bytes.fromhex("11" * 10),
        "AgentCreatedEvent.id",
        "unexpected end of data: address needs 32 bytes, 10 remaining",
        0,
    ),
    # Truncated inside a string: the declared length is what cannot be honoured.
    (
        JobCreatedEvent,
        JOB_CREATED[:12],
        "JobCreatedEvent.description",
        "declared length 5 exceeds 2 remaining bytes",
        9,
    ),
    (
        JobCreatedEvent,
        JOB_CREATED[:55],
        "JobCreatedEvent.sequences[1]",
        "unexpected end of data: u64 needs 8 bytes, 4 remaining",
        51,
    ),
    (
        JobCreatedEvent,
        JOB_CREATED[:63],
        "JobCreatedEvent.status",
        "unexpected end of data: uleb128 needs 1 bytes, 0 remaining",
        63,
    ),
    (
        JobCreatedEvent,
        JOB_CREATED[:71],
        "JobCreatedEvent.created_at",
        "unexpected end of data: u64 needs 8 bytes, 7 remaining",
        64,
    ),
    (
        JobUpdatedEvent,
        bytes.fromhex("2a00000000000000  02 05 626f6f"),
        "JobUpdatedEvent.status",
        "declared length 5 exceeds 3 remaining bytes",
        9,
    ),
    (
        JobCreatedEvent,
        JOB_CREATED + b"\x00",
        "JobCreatedEvent",
        "1 trailing byte(s) after the value",
        72,
    ),
    (
        JobCreatedEvent,
        splice(JOB_CREATED, 16, "64", "ff"),
        "JobCreatedEvent.developer",
        "invalid UTF-8 in string",
        16,
    ),
    (
        JobCreatedEvent,
        splice(JOB_CREATED, 59, "03", "ffffffff0f"),
        "JobCreatedEvent.data",
        "declared length 4294967295 exceeds 12 remaining bytes",
        59,
    ),
    (
        JobCreatedEvent,
        splice(JOB_CREATED, 42, "02", "ffffffff0f"),
        "JobCreatedEvent.sequences",
        "declared length 4294967295 exceeds 29 remaining bytes",
        42,
    ),
    (
        JobCreatedEvent,
        splice(JOB_CREATED, 8, "01", "02"),
        "JobCreatedEvent.description",
        "invalid option tag 0x02 (expected 0 or 1)",
        8,
    ),
    (
        JobCreatedEvent,
        splice(JOB_CREATED, 63, "00", "03"),
        "JobCreatedEvent.status",
        "unknown enum variant 3 (expected 0..2)",
        63,
    ),
    (
        JobCreatedEvent,
        splice(JOB_CREATED, 42, "02", "8200"),
        "JobCreatedEvent.sequences",
        "non-canonical uleb128 (overlong encoding)",
        42,
    ),
    (
        JobCreatedEvent,
        splice(JOB_CREATED, 63, "00", "8000"),
        "JobCreatedEvent.status",
        "non-canonical uleb128 (overlong encoding)",
        63,
    ),
    (
        MethodAddedEvent,
        splice(METHOD_ADDED, 59, "01", "02"),
        "MethodAddedEvent.requires_tee",
        "invalid bool byte 0x02 (expected 0 or 1)",
        59,
    ),
]


@pytest.mark.parametrize(("model", "data", "path", "detail", "offset"), MALFORMED)
def test_malformed_payloads(
    model: type[BcsEvent], data: bytes, path: str, detail: str, offset: int
) -> None:
    with pytest.raises(BcsError) as info:
        model.from_bcs(data)
    error = info.value
    assert (error.path, error.detail, error.offset) == (path, detail, offset)
    assert str(error) == f"{path}: {detail} at offset {offset}"


def test_decode_event_rejects_unknown_types() -> None:
    with pytest.raises(UnknownEventType, match=r"^no model for event jobs::JobStartedEvent$"):
        decode_event("jobs", "JobStartedEvent", b"")
    # The module is part of the key: an event name under the wrong module is unknown too.
    with pytest.raises(UnknownEventType) as info:
        decode_event("agent", "JobCreatedEvent", JOB_CREATED)
    assert (info.value.module, info.value.name) == ("agent", "JobCreatedEvent")


def test_decode_event_raises_bcs_error_for_bad_payload() -> None:
    with pytest.raises(BcsError, match=r"^JobDeletedEvent\.deleted_at: unexpected end"):
        decode_event("jobs", "JobDeletedEvent", bytes(9))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("attempts", 256),
        ("attempts", -1),
        ("job_id", 2**64),
        ("job_id", -1),
    ],
)
def test_integer_widths_are_validated(field: str, value: int) -> None:
    fields: dict[str, Any] = {"job_id": 1, "status": PENDING, "attempts": 0, "updated_at": 0}
    with pytest.raises(ValidationError):
        JobUpdatedEvent(**{**fields, field: value})


def test_u16_width_is_validated() -> None:
    event = MethodAddedEvent.from_bcs(METHOD_ADDED)
    fields = event.model_dump()
    assert MethodAddedEvent(**{**fields, "min_cpu_cores": 65535}).min_cpu_cores == 65535
    for bad in (65536, -1):
        with pytest.raises(ValidationError):
            MethodAddedEvent(**{**fields, "min_memory_gb": bad})


def test_addresses_are_normalised() -> None:
    event = AppInstanceCreatedEvent(
        app_instance_address="0x" + "AB" * 32, admin="0x2", created_at=0
    )
    assert event.app_instance_address == A2
    assert event.admin == "0x" + "00" * 31 + "02"
    for bad in ("11" * 32, "0x", "0x" + "1" * 65, "0xg1"):
        with pytest.raises(ValidationError):
            AppInstanceCreatedEvent(app_instance_address=bad, admin=A1, created_at=0)


def test_job_status_error_iff_failed() -> None:
    with pytest.raises(ValidationError):
        JobStatus(kind="failed")
    with pytest.raises(ValidationError):
        JobStatus(kind="pending", error="x")
    with pytest.raises(ValidationError):
        JobStatus(kind="done")  # type: ignore[arg-type]
    assert JobStatus(kind="failed", error="").error == ""


def test_models_are_frozen_hashable_and_closed() -> None:
    event = JobCreatedEvent.from_bcs(JOB_CREATED)
    with pytest.raises(ValidationError):
        event.job_id = 1
    assert hash(event) == hash(JobCreatedEvent.from_bcs(JOB_CREATED))
    with pytest.raises(ValidationError):
        JobDeletedEvent(job_id=1, deleted_at=2, extra=3)  # type: ignore[call-arg]


def test_json_dump_handles_binary_data() -> None:
    event = JobCreatedEvent.from_bcs(JOB_CREATED)
    dumped = event.model_dump_json()
    assert '"data":"00ff80"' in dumped
    assert JobCreatedEvent.model_validate_json(dumped) == event


# --- random round-trips -----------------------------------------------------

_CHARS = "az09 _-é€😀\x00\n"


def _random_values(rng: random.Random) -> dict[str, Callable[[], Any]]:
    """Value generators keyed by the Move type name of a codec (``Codec.name``)."""

    def uint(bits: int) -> Callable[[], int]:
        top = (1 << bits) - 1
        return lambda: rng.choice([0, 1, top, rng.randint(0, top)])

    def string() -> str:
        return "".join(rng.choice(_CHARS) for _ in range(rng.randint(0, 12)))

    def u64s() -> tuple[int, ...]:
        return tuple(uint(64)() for _ in range(rng.randint(0, 5)))

    def status() -> JobStatus:
        if rng.random() < 0.5:
            return JobStatus(kind="failed", error=string())
        return JobStatus(kind=rng.choice(["pending", "running"]))

    def maybe(gen: Callable[[], Any]) -> Callable[[], Any]:
        return lambda: None if rng.random() < 0.3 else gen()

    return {
        "u8": uint(8),
        "u16": uint(16),
        "u64": uint(64),
        "bool": lambda: rng.random() < 0.5,
        "String": string,
        "address": lambda: "0x" + rng.randbytes(32).hex(),
        "vector<u8>": lambda: rng.randbytes(rng.randint(0, 40)),
        "Option<String>": maybe(string),
        "vector<String>": lambda: tuple(string() for _ in range(rng.randint(0, 4))),
        "Option<vector<u64>>": maybe(u64s),
        "JobStatus": status,
    }


@pytest.mark.parametrize("key", sorted(EVENT_MODELS), ids="::".join)
def test_random_models_round_trip(key: tuple[str, str]) -> None:
    model = EVENT_MODELS[key]
    rng = random.Random(f"round-trip {key}")
    generate = _random_values(rng)
    for _ in range(200):
        event = model(**{name: generate[codec.name]() for name, codec in model.bcs_layout})
        data = event.to_bcs()
        assert model.from_bcs(data) == event
        assert decode_event(*key, data) == event
        # Every strict prefix is a truncated payload and must fail cleanly.
        for cut in range(len(data)):
            with pytest.raises(BcsError):
                model.from_bcs(data[:cut])


@pytest.mark.parametrize("key", sorted(EVENT_MODELS), ids="::".join)
def test_mutated_payloads_fail_cleanly_or_stay_canonical(key: tuple[str, str]) -> None:
    """A corrupted payload either raises BcsError or decodes to an event with the same bytes.

    The second half is canonicity: if two byte strings decode to one event they
    are the same bytes, so nothing lenient (overlong lengths, bool 2) slips by.
    """
    model = EVENT_MODELS[key]
    rng = random.Random(f"mutate {key}")
    generate = _random_values(rng)
    for _ in range(300):
        event = model(**{name: generate[codec.name]() for name, codec in model.bcs_layout})
        data = bytearray(event.to_bcs())
        data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            decoded = model.from_bcs(bytes(data))
        except BcsError:
            continue
        assert decoded.to_bcs() == bytes(data)
