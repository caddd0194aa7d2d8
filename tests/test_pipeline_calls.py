"""The proof pipeline's Move calls as the coordinator builds them: each
becomes `app_instance::<function>(AppInstance, pure args..., Clock)` in the
Move signature's order, and the simulator reads the same call back."""

from __future__ import annotations

import pytest

from coordinator.events.bcs import STRING, U8, U64, option, vector
from coordinator.sui.calls import block, prover, settlement
from coordinator.sui.transactions import (
    CLOCK,
    GasData,
    ObjectRef,
    Operation,
    Pure,
    SharedObject,
    TransactionData,
    build_transaction,
    decode_operation,
)

APP = SharedObject("0x" + "ab" * 32, 7, True)
SENDER = "0x" + "cd" * 32
GAS = GasData((ObjectRef("0x" + "ef" * 32, 3, "11111111111111111111111111111111"),), SENDER,
              1000, 10_000_000)

OPERATIONS: list[tuple[Operation, str]] = [
    (block.IncreaseSequence(b"opt", b"trans"), "increase_sequence"),
    (block.TryCreateBlock(), "try_create_block"),
    (prover.StartProving(1, (2, 1), (1,), (2,)), "start_proving"),
    (prover.StartProving(1, (3,)), "start_proving"),
    (prover.SubmitProof(1, (1, 2), (1,), (2,), "job-1", "cache:public:h", 8, "x86_64-linux",
                 16_000_000, 1234), "submit_proof"),
    (prover.RejectProof(1, (1,)), "reject_proof"),
    (prover.CreateMergeJob(1, (1, 2), (1,), (2,), "merge 1+2"), "create_merge_job"),
    (block.UpdateStateForSequence(3, None, "cache:public:s"), "update_state_for_sequence"),
    (block.Purge(32), "purge"),
    (block.UpdateBlockStateDataAvailability(1, "cache:public:st"),
     "update_block_state_data_availability"),
    (block.UpdateBlockProofDataAvailability(1, "cache:public:pr"),
     "update_block_proof_data_availability"),
    (settlement.UpdateBlockSettlementTxHash("test:local", 1, "h"),
     "update_block_settlement_tx_hash"),
    (settlement.UpdateBlockSettlementTxIncludedInBlock("test:local", 1, 99),
     "update_block_settlement_tx_included_in_block"),
]  # fmt: skip


def _one(operation: Operation) -> TransactionData:
    return build_transaction(package="0x" + "01" * 32, app_instance=APP,
                             operations=[operation], sender=SENDER, gas=GAS)


@pytest.mark.parametrize(("operation", "function"), OPERATIONS, ids=[f for _, f in OPERATIONS])
def test_a_pipeline_call_is_built_and_read_back(operation: Operation, function: str) -> None:
    tx = TransactionData.from_bytes(_one(operation).to_bytes())
    [call] = tx.kind.commands
    assert (call.module, call.function) == ("app_instance", function)
    assert tx.kind.inputs[:2] == (APP, CLOCK)  # every pipeline call takes the Clock
    decoded = decode_operation(tx, 0)
    assert decoded.operation == operation and decoded.app_instance == APP


def test_submit_proof_arguments_are_the_move_signature_in_order() -> None:
    tx = _one(prover.SubmitProof(1, (1, 2), (1,), None, "j", "d", 8, "arm64", 5, 6))
    pures = [i.value for i in tx.kind.inputs if isinstance(i, Pure)]
    u64s = vector(U64)
    assert pures == [
        U64.to_bytes(1), u64s.to_bytes((1, 2)), option(u64s).to_bytes((1,)),
        option(u64s).to_bytes(None), STRING.to_bytes("j"), STRING.to_bytes("d"),
        U8.to_bytes(8), STRING.to_bytes("arm64"), U64.to_bytes(5), U64.to_bytes(6),
    ]  # fmt: skip
