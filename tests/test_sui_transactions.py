"""Transactions byte for byte as Mysten's SDK makes them (vectors signed by @mysten/sui)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from coordinator.events.bcs import BcsError
from coordinator.sui.keys import SuiKey
from coordinator.sui.transactions import (
    CLOCK,
    CompleteJob,
    FailJob,
    GasData,
    Multicall,
    ObjectRef,
    Operation,
    SharedObject,
    StartJob,
    TerminateJob,
    TransactionData,
    build_transaction,
    decode_operation,
    sign_transaction,
    transaction_digest,
    verify_transaction_signature,
)


def _vectors_file() -> Path:
    """shared/ sits beside the repository (CI's clone) or at /work/shared (worktrees)."""
    root = Path(__file__).resolve().parent.parent
    for shared in (root.parent / "shared", Path("/work/shared")):
        if (shared / "vectors" / "sui-transactions.json").is_file():
            return shared / "vectors" / "sui-transactions.json"
    raise FileNotFoundError(
        "shared/vectors/sui-transactions.json is neither beside the repo nor in /work"
    )


VECTORS = json.loads(_vectors_file().read_text())
KEY = SuiKey.from_text(VECTORS["key"]["suiprivkey"])

# The operations each vector encodes (read from its `parsed` pure inputs).
OPERATIONS: dict[str, list[Operation]] = {
    "start_app_job": [StartJob(7)],
    "complete_app_job": [CompleteJob(12)],
    "fail_app_job": [FailJob(13, "agent exited with code 3: Ünïcode")],
    "terminate_app_job": [TerminateJob(14)],
    "multicall_app_job_operations": [
        Multicall(
            complete=(1, 2),
            fail=((3, "boom"),),
            terminate=(),
            start=((4, 2), (5, 4)),
            available_memory=16,
        )
    ],
    "two_calls_one_transaction": [StartJob(21), CompleteJob(20)],
}
CASES = [pytest.param(vector, id=vector["name"]) for vector in VECTORS["transactions"]]


def _shared(spec: dict[str, Any]) -> SharedObject:
    object_id = "0x" + spec["objectId"].removeprefix("0x").rjust(64, "0")
    return SharedObject(object_id, int(spec["initialSharedVersion"]), spec["mutable"])


def _build(vector: dict[str, Any]) -> TransactionData:
    description = vector["description"]
    assert description["module"] == "app_instance" and description["expiration"] == "None"
    assert _shared(description["clock"]) == CLOCK
    payment = description["gas_payment"]
    gas = GasData(
        payment=(ObjectRef(payment["objectId"], int(payment["version"]), payment["digest"]),),
        owner=description["sender"],
        price=int(description["gas_price"]),
        budget=int(description["gas_budget"]),
    )
    operations = OPERATIONS[vector["name"]]
    return build_transaction(
        package=description["package"],
        app_instance=_shared(description["app_instance"]),
        operations=operations,
        sender=description["sender"],
        gas=gas,
    )


@pytest.mark.parametrize("vector", CASES)
def test_built_transaction_matches_the_sdk_byte_for_byte(vector: dict[str, Any]) -> None:
    tx_bytes = _build(vector).to_bytes()
    assert base64.b64encode(tx_bytes).decode() == vector["tx_bytes"]
    assert [f"{c.function}" for c in _build(vector).kind.commands] == vector["description"][
        "functions"
    ]


@pytest.mark.parametrize("vector", CASES)
def test_signature_and_digest_match_the_sdk(vector: dict[str, Any]) -> None:
    tx_bytes = base64.b64decode(vector["tx_bytes"])
    signature = sign_transaction(KEY, tx_bytes)
    assert base64.b64encode(signature).decode() == vector["signature"]
    assert transaction_digest(tx_bytes) == vector["digest"]
    assert verify_transaction_signature(tx_bytes, signature) == VECTORS["key"]["address"]


@pytest.mark.parametrize("vector", CASES)
def test_decoded_back_to_the_same_transaction_and_operations(vector: dict[str, Any]) -> None:
    tx_bytes = base64.b64decode(vector["tx_bytes"])
    decoded = TransactionData.from_bytes(tx_bytes)
    assert decoded == _build(vector)
    assert decoded.to_bytes() == tx_bytes
    calls = [decode_operation(decoded, index) for index in range(len(decoded.kind.commands))]
    assert [call.operation for call in calls] == OPERATIONS[vector["name"]]
    assert {call.app_instance for call in calls} == {_shared(vector["description"]["app_instance"])}
    parsed = vector["parsed"]["V1"]
    assert decoded.gas.payment[0].digest == parsed["gasData"]["payment"][0]["digest"]
    pures = [i["Pure"]["bytes"] for i in parsed["kind"]["ProgrammableTransaction"]["inputs"][2:]]
    assert [base64.b64encode(p.value).decode() for p in decoded.kind.inputs[2:]] == pures  # type: ignore[union-attr]


def test_a_tampered_signature_or_transaction_is_refused() -> None:
    vector = VECTORS["transactions"][0]
    tx_bytes = base64.b64decode(vector["tx_bytes"])
    signature = base64.b64decode(vector["signature"])
    flipped = bytes([signature[0], signature[1] ^ 1]) + signature[2:]
    assert verify_transaction_signature(tx_bytes, flipped) is None
    assert verify_transaction_signature(tx_bytes[:-1] + b"\x01", signature) is None
    assert verify_transaction_signature(tx_bytes, signature[:-1]) is None
    assert verify_transaction_signature(tx_bytes, b"\x01" + signature[1:]) is None  # not Ed25519
    other = SuiKey.generate()
    assert verify_transaction_signature(tx_bytes, sign_transaction(other, tx_bytes)) == (
        other.address
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b + b"\x00", "trailing byte"),
        (lambda b: b"\x01" + b[1:], "TransactionData variant 1 is not supported"),
        (lambda b: b[:10], "unexpected end of data"),
    ],
)
def test_malformed_bytes_fail_with_one_clear_error(mutate: Any, message: str) -> None:
    tx_bytes = base64.b64decode(VECTORS["transactions"][0]["tx_bytes"])
    with pytest.raises(BcsError, match=message):
        TransactionData.from_bytes(mutate(tx_bytes))


def test_a_call_that_is_not_ours_is_refused_by_decode_operation() -> None:
    tx = _build(VECTORS["transactions"][0])
    call = tx.kind.commands[0]
    wrong = TransactionData(
        tx.sender,
        tx.gas,
        type(tx.kind)(
            tx.kind.inputs, (type(call)(call.package, "jobs", call.function, call.arguments),)
        ),
    )
    with pytest.raises(BcsError, match="not an app_instance job operation"):
        decode_operation(wrong, 0)
    swapped = type(call)(call.package, call.module, call.function, tuple(reversed(call.arguments)))
    with pytest.raises(BcsError, match="mutable shared object"):
        decode_operation(
            TransactionData(tx.sender, tx.gas, type(tx.kind)(tx.kind.inputs, (swapped,))), 0
        )


def test_build_refuses_an_empty_transaction_and_bad_values() -> None:
    tx = _build(VECTORS["transactions"][0])
    with pytest.raises(ValueError, match="at least one operation"):
        build_transaction(
            package=tx.kind.commands[0].package,
            app_instance=tx.kind.inputs[0],  # type: ignore[arg-type]
            operations=[],
            sender=tx.sender,
            gas=tx.gas,
        )
    bad = build_transaction(
        package=tx.kind.commands[0].package,
        app_instance=tx.kind.inputs[0],  # type: ignore[arg-type]
        operations=[StartJob(1)],
        sender=tx.sender,
        gas=GasData((ObjectRef(tx.sender, 1, "not-base58!"),), tx.sender, 1000, 1),
    )
    with pytest.raises(BcsError, match="not base58"):
        bad.to_bytes()
    with pytest.raises(BcsError, match="out of range for u64"):
        build_transaction(
            package=tx.kind.commands[0].package,
            app_instance=tx.kind.inputs[0],  # type: ignore[arg-type]
            operations=[StartJob(-1)],
            sender=tx.sender,
            gas=tx.gas,
        )
