"""Our CoordinatorService messages against upstream's wire format, independently.

The facts below (every message of upstream's
proto/silvana/coordinator/v1/coordinator.proto at SilvanaOne/silvana d1563ea:
field names, numbers, types, which are `optional`, the enums, the 31 calls)
are written here by hand, apart from our .proto. For every message, bytes are
encoded field by field with a hand-written protobuf encoder from these facts and
decoded with our generated classes, and our classes' bytes are compared with
the hand-made ones. A wrong number, type or presence in our file fails here.

Then a grpcio client sends hand-encoded requests to our server and reads its
answers with a hand-written decoder: the server, not only the classes, speaks
the format.

Type codes: u64 u32 bool str bytes enum; `?` optional (explicit presence),
`*` repeated (packed), `map:V` a map<string, V>, any other name a message.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import trio
from google.protobuf.message import Message

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import RpcSettings
from coordinator.jobs import JobBook
from coordinator.rpc import CoordinatorService, serve
from coordinator.store import Store
from tests.support import ADD_KEY, APP_INSTANCE, created

MESSAGES = {
    "ProofEventRequest": (
        "job_id=1:str session_id=2:str data_availability=3:str block_number=4:u64 "
        "block_proof=5:?bool proof_event_type=6:enum sequences=7:*u64 "
        "merged_sequences_1=8:*u64 merged_sequences_2=9:*u64"
    ),
    "ProofEventResponse": "success=1:bool message=2:str",
    "Job": (
        "job_sequence=1:u64 description=2:?str developer=3:str agent=4:str "
        "agent_method=5:str app=6:str app_instance=7:str app_instance_method=8:str "
        "block_number=9:?u64 sequences=10:*u64 sequences1=11:*u64 sequences2=12:*u64 "
        "data=13:bytes job_id=14:str attempts=15:u32 created_at=16:u64 updated_at=17:u64 "
        "chain=18:?str"
    ),
    "GetJobRequest": "developer=1:str agent=2:str agent_method=3:str session_id=4:str",
    "GetJobResponse": "success=1:bool message=2:str job=3:?Job",
    "CompleteJobRequest": "job_id=1:str session_id=2:str",
    "CompleteJobResponse": "success=1:bool message=2:str",
    "FailJobRequest": "job_id=1:str error_message=2:str session_id=3:str",
    "FailJobResponse": "success=1:bool message=2:str",
    "TerminateJobRequest": "session_id=1:str job_id=2:str",
    "TerminateJobResponse": "success=1:bool message=2:str",
    "SubmitProofRequest": (
        "session_id=1:str block_number=2:u64 sequences=3:*u64 merged_sequences_1=4:*u64 "
        "merged_sequences_2=5:*u64 job_id=6:str proof=7:str cpu_time=8:u64"
    ),
    "SubmitProofResponse": "success=1:bool message=2:str tx_hash=3:str da_hash=4:str",
    "RejectProofRequest": "session_id=1:str block_number=2:u64 sequences=3:*u64 job_id=4:str",
    "RejectProofResponse": "success=1:bool message=2:str tx_hash=3:str",
    "SubmitStateRequest": (
        "session_id=1:str sequence=2:u64 job_id=3:str new_state_data=4:?bytes "
        "serialized_state=5:?str"
    ),
    "SubmitStateResponse": "success=1:bool message=2:str tx_hash=3:str da_hash=4:?str",
    "SequenceState": (
        "sequence=1:u64 state=2:?bytes data_availability=3:?str optimistic_state=4:bytes "
        "transition_data=5:bytes"
    ),
    "GetSequenceStatesRequest": "session_id=1:str job_id=2:str sequence=3:u64",
    "GetSequenceStatesResponse": "success=1:bool message=2:str states=3:*SequenceState",
    "ReadDataAvailabilityRequest": "da_hash=1:str session_id=2:str",
    "ReadDataAvailabilityResponse": "data=1:?str success=2:bool message=3:str",
    "GetProofRequest": "session_id=1:str block_number=2:u64 sequences=3:*u64 job_id=4:str",
    "GetProofResponse": "success=1:bool proof=2:?str message=3:str",
    "GetBlockProofRequest": "session_id=1:str block_number=2:u64 job_id=3:str",
    "GetBlockProofResponse": "success=1:bool block_proof=2:?str message=3:str",
    "GetSettlementProofRequest": (
        "session_id=1:str block_number=2:u64 job_id=3:str settlement_chain=4:str"
    ),
    "GetSettlementProofResponse": "success=1:bool message=2:str proof=3:?str",
    "SubmitSettlementProofRequest": (
        "session_id=1:str block_number=2:u64 job_id=6:str proof=7:str cpu_time=8:u64 "
        "chain=9:str"
    ),
    "SubmitSettlementProofResponse": "success=1:bool message=2:str",
    "RetrieveSecretRequest": "job_id=1:str session_id=2:str name=3:str",
    "RetrieveSecretResponse": "success=1:bool message=2:str secret_value=3:?str",
    "SetKVRequest": "job_id=1:str session_id=2:str key=3:str value=4:str",
    "SetKVResponse": "success=1:bool message=2:str tx_hash=3:str",
    "GetKVRequest": "job_id=1:str session_id=2:str key=3:str",
    "GetKVResponse": "success=1:bool message=2:str value=3:?str",
    "DeleteKVRequest": "job_id=1:str session_id=2:str key=3:str",
    "DeleteKVResponse": "success=1:bool message=2:str tx_hash=3:str",
    "AddMetadataRequest": "job_id=1:str session_id=2:str key=3:str value=4:str",
    "AddMetadataResponse": "success=1:bool message=2:str tx_hash=3:str",
    "GetMetadataRequest": "job_id=1:str session_id=2:str key=3:?str",
    "SettlementInfo": (
        "chain=1:str last_settled_block_number=2:u64 settlement_address=3:?str "
        "settlement_job=4:?u64"
    ),
    "Metadata": (
        "value=1:?str app_instance_id=2:str silvana_app_name=3:str description=4:?str "
        "sequence=5:u64 admin=6:str block_number=7:u64 previous_block_timestamp=8:u64 "
        "previous_block_last_sequence=9:u64 last_proved_block_number=10:u64 "
        "is_paused=11:bool created_at=12:u64 updated_at=13:u64 "
        "settlements=14:map:SettlementInfo"
    ),
    "GetMetadataResponse": "success=1:bool message=2:str metadata=3:?Metadata",
    "TryCreateBlockRequest": "job_id=1:str session_id=2:str",
    "TryCreateBlockResponse": "success=1:bool message=2:str tx_hash=3:str block_number=4:?u64",
    "UpdateBlockStateDataAvailabilityRequest": (
        "job_id=1:str session_id=2:str block_number=3:u64 state_data_availability=4:str"
    ),
    "UpdateBlockStateDataAvailabilityResponse": "success=1:bool message=2:str tx_hash=3:str",
    "UpdateBlockProofDataAvailabilityRequest": (
        "job_id=1:str session_id=2:str block_number=3:u64 proof_data_availability=4:str"
    ),
    "UpdateBlockProofDataAvailabilityResponse": "success=1:bool message=2:str tx_hash=3:str",
    "UpdateBlockSettlementTxHashRequest": (
        "job_id=1:str session_id=2:str block_number=3:u64 settlement_tx_hash=4:str "
        "chain=5:str"
    ),
    "UpdateBlockSettlementTxHashResponse": "success=1:bool message=2:str tx_hash=3:str",
    "UpdateBlockSettlementTxIncludedInBlockRequest": (
        "job_id=1:str session_id=2:str block_number=3:u64 settled_at=4:u64 chain=5:str"
    ),
    "UpdateBlockSettlementTxIncludedInBlockResponse": "success=1:bool message=2:str tx_hash=3:str",
    "AgentMessageRequest": "job_id=1:?str session_id=2:str level=3:enum message=4:str",
    "AgentMessageResponse": "success=1:bool message=2:str",
    "CreateAppJobRequest": (
        "job_id=1:str session_id=2:str method_name=3:str job_description=4:?str "
        "block_number=5:?u64 sequences=6:*u64 sequences1=7:*u64 sequences2=8:*u64 "
        "data=9:bytes interval_ms=10:?u64 next_scheduled_at=11:?u64 "
        "settlement_chain=12:?str"
    ),
    "CreateAppJobResponse": "success=1:bool message=2:str tx_hash=3:str job_sequence=4:u64",
    "Block": (
        "id=1:str name=2:str block_number=3:u64 start_sequence=4:u64 end_sequence=5:u64 "
        "actions_commitment=6:bytes state_commitment=7:bytes time_since_last_block=8:u64 "
        "number_of_transactions=9:u64 start_actions_commitment=10:bytes "
        "end_actions_commitment=11:bytes state_data_availability=12:?str "
        "proof_data_availability=13:?str created_at=14:u64 state_calculated_at=15:?u64 "
        "proved_at=16:?u64"
    ),
    "GetBlockRequest": "job_id=1:str session_id=2:str block_number=3:u64",
    "GetBlockResponse": "success=1:bool message=2:str block=3:?Block",
    "BlockSettlement": (
        "block_number=1:u64 settlement_tx_hash=2:?str "
        "settlement_tx_included_in_block=3:bool sent_to_settlement_at=4:?u64 "
        "settled_at=5:?u64"
    ),
    "GetBlockSettlementRequest": "job_id=1:str session_id=2:str block_number=3:u64 chain=4:str",
    "GetBlockSettlementResponse": (
        "success=1:bool message=2:str block_settlement=3:?BlockSettlement chain=4:str"
    ),
    "UpdateBlockSettlementRequest": (
        "job_id=1:str session_id=2:str block_number=3:u64 chain=4:str "
        "settlement_tx_hash=5:?str settlement_tx_included_in_block=6:bool "
        "sent_to_settlement_at=7:?u64 settled_at=8:?u64"
    ),
    "UpdateBlockSettlementResponse": "success=1:bool message=2:str tx_hash=3:str",
    "AppMethod": "description=1:?str developer=2:str agent=3:str agent_method=4:str",
    "AppInstanceData": (
        "id=1:str silvana_app_name=2:str description=3:?str metadata=4:map:str "
        "kv=5:map:str methods=6:map:AppMethod sequence=7:u64 admin=8:str "
        "block_number=9:u64 previous_block_timestamp=10:u64 "
        "previous_block_last_sequence=11:u64 last_proved_block_number=12:u64 "
        "last_settled_block_number=13:u64 last_settled_sequence=14:u64 "
        "last_purged_sequence=15:u64 settlements=16:map:SettlementInfo is_paused=17:bool "
        "min_time_between_blocks=18:u64 created_at=19:u64 updated_at=20:u64"
    ),
    "GetAppInstanceRequest": "job_id=1:str session_id=2:str",
    "GetAppInstanceResponse": "success=1:bool message=2:str app_instance=3:?AppInstanceData",
}

ENUMS = {
    "LogLevel": {
        "LOG_LEVEL_UNSPECIFIED": 0, "LOG_LEVEL_DEBUG": 1, "LOG_LEVEL_INFO": 2,
        "LOG_LEVEL_WARN": 3, "LOG_LEVEL_ERROR": 4, "LOG_LEVEL_FATAL": 5,
    },
    "ProofEventType": {
        "PROOF_EVENT_TYPE_UNSPECIFIED": 0, "PROOF_SUBMITTED": 1, "PROOF_FETCHED": 2,
        "PROOF_VERIFIED": 3, "PROOF_UNAVAILABLE": 5, "PROOF_REJECTED": 6,
    },
}

# In upstream's order; each takes <Name>Request and returns <Name>Response.
CALLS = [
    "GetJob", "CompleteJob", "FailJob", "TerminateJob", "SubmitProof", "RejectProof",
    "SubmitState", "GetSequenceStates", "ReadDataAvailability", "GetProof", "GetBlockProof",
    "GetSettlementProof", "SubmitSettlementProof", "RetrieveSecret", "SetKV", "GetKV",
    "DeleteKV", "AddMetadata", "GetMetadata", "TryCreateBlock",
    "UpdateBlockStateDataAvailability", "UpdateBlockProofDataAvailability",
    "UpdateBlockSettlementTxHash", "UpdateBlockSettlementTxIncludedInBlock", "AgentMessage",
    "ProofEvent", "CreateAppJob", "GetBlock", "GetBlockSettlement", "UpdateBlockSettlement",
    "GetAppInstance",
]

SCALARS = {"u64", "u32", "bool", "str", "bytes", "enum"}


def fields(message: str) -> list[tuple[str, int, str]]:
    out = []
    for part in MESSAGES[message].split():
        name, _, rest = part.partition("=")
        number, _, kind = rest.partition(":")
        out.append((name, int(number), kind))
    return out


# --- a hand-written protobuf encoder and decoder ------------------------------------------


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def tag(number: int, wire_type: int) -> bytes:
    return varint(number << 3 | wire_type)


def length_delimited(number: int, payload: bytes) -> bytes:
    return tag(number, 2) + varint(len(payload)) + payload


def sample(kind: str, number: int) -> Any:
    """A value of `kind` no other type would read the same (u64 beyond 32 bits, ...)."""
    kind = kind.lstrip("?")
    if kind == "*u64":
        return [1, (1 << 33) + number]
    if kind.startswith("*"):
        return [kind[1:]]  # one message
    if kind.startswith("map:"):
        value = kind[4:]
        return {"k": sample(value, number) if value in SCALARS else value}
    return {
        "u64": (1 << 40) + number, "u32": 70_000 + number, "bool": True, "enum": 3,
        "str": f"s{number}-\u00e9", "bytes": bytes([number, 0xFF]),
    }.get(kind, kind)  # a message: its name


def encode_value(kind: str, number: int, value: Any) -> bytes:
    if kind in ("u64", "u32", "enum"):
        return tag(number, 0) + varint(value)
    if kind == "bool":
        return tag(number, 0) + varint(int(value))
    if kind == "str":
        return length_delimited(number, value.encode())
    if kind == "bytes":
        return length_delimited(number, value)
    return length_delimited(number, encode(kind))  # a message, fully sampled


def encode(message: str) -> bytes:
    """Every field of `message` set to its sample, in field-number order."""
    out = b""
    for _, number, kind in sorted(fields(message), key=lambda f: f[1]):
        kind = kind.lstrip("?")
        value = sample(kind, number)
        if kind == "*u64":
            out += length_delimited(number, b"".join(varint(v) for v in value))
        elif kind.startswith("*"):
            out += length_delimited(number, encode(kind[1:]))
        elif kind.startswith("map:"):
            value_kind = kind[4:]
            for key, item in value.items():
                entry = encode_value("str", 1, key) + encode_value(value_kind, 2, item)
                out += length_delimited(number, entry)
        else:
            out += encode_value(kind, number, value)
    return out


def decode(data: bytes) -> dict[int, list[Any]]:
    """{field number: [varint ints or length-delimited bytes]}; other wire types refused."""
    out: dict[int, list[Any]] = {}
    position = 0

    def read_varint() -> int:
        nonlocal position
        value = shift = 0
        while True:
            byte = data[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while position < len(data):
        key = read_varint()
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            out.setdefault(number, []).append(read_varint())
        elif wire_type == 2:
            size = read_varint()
            out.setdefault(number, []).append(data[position:position + size])
            position += size
        else:
            raise AssertionError(f"field {number}: unexpected wire type {wire_type}")
    return out


def check(message: str, decoded: Message) -> None:
    """Every field of `decoded` holds its sample, read through our field names."""
    for name, number, kind in fields(message):
        optional, kind = kind.startswith("?"), kind.lstrip("?")
        value = getattr(decoded, name)
        where = f"{message}.{name} = {number}"
        if optional:
            assert decoded.HasField(name), where
        if kind == "*u64":
            assert list(value) == sample(kind, number), where
        elif kind.startswith("*"):
            assert len(value) == 1, where
            check(kind[1:], value[0])
        elif kind.startswith("map:"):
            value_kind = kind[4:]
            assert list(value) == ["k"], where
            if value_kind in SCALARS:
                assert value["k"] == sample(value_kind, number), where
            else:
                check(value_kind, value["k"])
        elif kind in SCALARS:
            assert value == sample(kind, number), where
            assert type(value) is type(sample(kind, number)), where
        else:
            check(kind, value)


def our_class(message: str) -> type[Message]:
    cls: type[Message] = getattr(pb, message)
    return cls


# --- the messages ---------------------------------------------------------------------


@pytest.mark.parametrize("message", sorted(MESSAGES))
def test_hand_encoded_bytes_decode_into_our_message(message: str) -> None:
    decoded = our_class(message).FromString(encode(message))
    check(message, decoded)


def build(message: str) -> Message:
    """Our class with every field set to its sample by name (not from any bytes)."""
    built = our_class(message)()
    for name, number, kind in fields(message):
        kind = kind.lstrip("?")
        value = sample(kind, number)
        if kind == "*u64":
            getattr(built, name).extend(value)
        elif kind.startswith("*"):
            getattr(built, name).add().CopyFrom(build(kind[1:]))
        elif kind.startswith("map:"):
            if kind[4:] in SCALARS:
                getattr(built, name).update(value)
            else:
                getattr(built, name)["k"].CopyFrom(build(kind[4:]))
        elif kind in SCALARS:
            setattr(built, name, value)
        else:
            getattr(built, name).CopyFrom(build(kind))
    return built


@pytest.mark.parametrize("message", sorted(MESSAGES))
def test_our_message_encodes_to_the_hand_made_bytes(message: str) -> None:
    assert build(message).SerializeToString(deterministic=True) == encode(message)


@pytest.mark.parametrize("message", sorted(MESSAGES))
def test_no_field_of_ours_is_missing_from_upstream(message: str) -> None:
    ours = {(f.name, f.number) for f in our_class(message).DESCRIPTOR.fields}
    assert ours == {(name, number) for name, number, _ in fields(message)}


def test_every_message_of_the_service_is_upstreams() -> None:
    service = pb.DESCRIPTOR.services_by_name["CoordinatorService"]
    assert [m.name for m in service.methods] == CALLS
    for method in service.methods:
        assert method.input_type.name == f"{method.name}Request"
        assert method.output_type.name == f"{method.name}Response"
        assert not method.client_streaming and not method.server_streaming
        assert method.input_type.name in MESSAGES and method.output_type.name in MESSAGES
    assert pb.DESCRIPTOR.package == "silvana.coordinator.v1"


@pytest.mark.parametrize("enum", sorted(ENUMS))
def test_enums(enum: str) -> None:
    ours = pb.DESCRIPTOR.enum_types_by_name[enum]
    assert {value.name: value.number for value in ours.values} == ENUMS[enum]


def test_the_hand_encoder_agrees_with_known_bytes() -> None:
    """The encoder itself, on bytes from the protobuf encoding guide."""
    assert varint(150) == b"\x96\x01" and varint(1) == b"\x01"
    assert tag(1, 0) + varint(150) == bytes.fromhex("089601")
    assert length_delimited(2, b"testing") == bytes.fromhex("120774657374696e67")
    assert decode(bytes.fromhex("089601120774657374696e67")) == {1: [150], 2: [b"testing"]}


# --- our server, called by grpcio with hand-made bytes -----------------------------------

KEY = ADD_KEY
APP = APP_INSTANCE


@pytest.fixture
async def socket_path(nursery: trio.Nursery, tmp_path: Path) -> AsyncIterator[str]:
    store = await Store.open(tmp_path / "state")
    book = JobBook(store, max_attempts=3, lease_secs=60)
    for job_id in (12, 13):
        book.on_chain_event(created(job_id, description="wire", sequences=(3,),
                                    data=b"\x01\x02", created_at=1_700_000_000_000))
    directory = Path(tempfile.mkdtemp(prefix="silvana-wire-", dir="/tmp"))
    settings = RpcSettings(socket_path=directory / "c.sock")
    path = await nursery.start(serve, settings, CoordinatorService(book))
    yield str(path)
    shutil.rmtree(directory, ignore_errors=True)
    await store.close()


@pytest.fixture
def channel(socket_path: str) -> Iterator[grpc.Channel]:
    channel = grpc.insecure_channel(f"unix:{socket_path}")
    yield channel
    channel.close()


async def raw_call(channel: grpc.Channel, name: str, request: bytes) -> dict[int, list[Any]]:
    method = channel.unary_unary(f"/silvana.coordinator.v1.CoordinatorService/{name}",
                                 request_serializer=None, response_deserializer=None)
    reply: bytes = await trio.to_thread.run_sync(lambda: method(request, timeout=10))
    return decode(reply)


async def test_grpcio_with_hand_made_bytes(channel: grpc.Channel) -> None:
    # GetJobRequest {developer = 1, agent = 2, agent_method = 3}, no session.
    request = (encode_value("str", 1, KEY.developer) + encode_value("str", 2, KEY.agent)
               + encode_value("str", 3, KEY.agent_method))
    reply = await raw_call(channel, "GetJob", request)
    assert reply[1] == [1]  # success = 1
    job = decode(reply[3][0])  # job = 3
    assert job[1] == [12]  # job_sequence = 1
    assert job[2] == [b"wire"]  # description = 2
    assert (job[3], job[4], job[5]) == ([b"AddExampleDev"], [b"AddAgent"], [b"prove"])
    assert job[7] == [APP.encode()]  # app_instance = 7
    assert job[10] == [b"\x03"]  # sequences = 10, packed
    assert job[13] == [b"\x01\x02"]  # data = 13
    job_id = job[14][0]  # job_id = 14, a string
    assert job_id == f"12@{APP}".encode()
    assert job[16] == [1_700_000_000_000]  # created_at = 16

    # CompleteJobRequest {job_id = 1, session_id = 2}: the numbers upstream's agents send.
    done = await raw_call(channel, "CompleteJob", length_delimited(1, job_id))
    assert done[1] == [1] and b"completed" in done[2][0]

    # The next one; then nothing left: success = 1 and no job field.
    assert decode((await raw_call(channel, "GetJob", request))[3][0])[1] == [13]
    empty = await raw_call(channel, "GetJob", request)
    assert empty[1] == [1] and 3 not in empty


async def test_grpcio_fail_and_terminate_field_numbers(channel: grpc.Channel) -> None:
    request = (encode_value("str", 1, KEY.developer) + encode_value("str", 2, KEY.agent)
               + encode_value("str", 3, KEY.agent_method))
    first = decode((await raw_call(channel, "GetJob", request))[3][0])[14][0]
    second = decode((await raw_call(channel, "GetJob", request))[3][0])[14][0]
    # FailJobRequest {job_id = 1, error_message = 2, session_id = 3}.
    failed = await raw_call(channel, "FailJob",
                            length_delimited(1, first) + length_delimited(2, b"boom"))
    assert failed[1] == [1] and b"retried" in failed[2][0]
    # TerminateJobRequest {session_id = 1, job_id = 2}: the job id is at 2 here.
    terminated = await raw_call(channel, "TerminateJob", length_delimited(2, second))
    assert terminated[1] == [1] and b"terminated" in terminated[2][0]
    # Dead, not retried: refused as upstream refuses (success = false, field 1 unset).
    again = await raw_call(channel, "TerminateJob", length_delimited(2, second))
    assert 1 not in again and again[2][0].startswith(b"Job not found: ")
    # Neither is handed out now (one waits for its retry, the other is dead).
    assert 3 not in await raw_call(channel, "GetJob", request)
