"""Executing and simulating signed transactions."""

from __future__ import annotations

from collections.abc import Sequence

from coordinator._pb.sui.rpc.v2 import (
    executed_transaction_pb2,
    signature_pb2,
    transaction_pb2,
)
from coordinator._pb.sui.rpc.v2 import transaction_execution_service_pb2 as _exec
from coordinator.sui.caller import Caller, field_of
from coordinator.sui.filters import read_mask_of
from coordinator.sui.rpcs import EXECUTE_TRANSACTION, SIMULATE_TRANSACTION

# What the executor needs of an outcome: status, gas, versions, events.
EXECUTED_MASK = (
    "digest",
    "effects.status",
    "effects.epoch",
    "effects.gas_used",
    "effects.gas_object",
    "effects.changed_objects",
    "events.events",
)


class Executing(Caller):
    """The transaction calls of `SuiClient`."""

    async def execute_transaction(
        self,
        tx_bytes: bytes,
        signatures: Sequence[bytes],
        read_mask: Sequence[str] = EXECUTED_MASK,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> executed_transaction_pb2.ExecutedTransaction:
        """Execute a signed transaction (BCS TransactionData and serialized
        signatures); answers once its effects are known. A transaction that ran
        and failed (e.g. out of gas) is an answer, not an error: read
        `effects.status`. Refused ones (bad signature, unknown object) raise."""
        request = _exec.ExecuteTransactionRequest(
            transaction=transaction_pb2.Transaction(bcs={"value": tx_bytes}),
            signatures=[
                signature_pb2.UserSignature(bcs={"value": signature}) for signature in signatures
            ],
            read_mask=read_mask_of(read_mask),
        )
        response = await self._unary(EXECUTE_TRANSACTION, request, timeout)
        return field_of(EXECUTE_TRANSACTION, response, "transaction", response.transaction)

    async def simulate_transaction(
        self,
        tx_bytes: bytes,
        read_mask: Sequence[str] = (),
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> _exec.SimulateTransactionResponse:
        """Dry-run a transaction (no signature needed): its effects, events and
        each command's return values, as if executed now. Read-mask paths are
        relative to the response (`transaction.effects.gas_used`, `command_outputs`)."""
        request = _exec.SimulateTransactionRequest(
            transaction=transaction_pb2.Transaction(bcs={"value": tx_bytes}),
            read_mask=read_mask_of(read_mask),
        )
        return await self._unary(SIMULATE_TRANSACTION, request, timeout)
