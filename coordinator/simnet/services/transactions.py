"""TransactionExecutionService: signed transactions executed or simulated
(see `simnet.execution`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import purerpc

from coordinator._pb.sui.rpc.v2 import (
    executed_transaction_pb2,
    transaction_execution_service_grpc,
    transaction_execution_service_pb2,
)
from coordinator.simnet import checks, execution, gas_selection, structured
from coordinator.simnet.engine import Engine
from coordinator.simnet.services.common import (
    EXECUTED_MASK,
    SIMULATED_MASK,
    Servicer,
    invalid,
    masked,
)
from coordinator.sui.codec import TransactionData
from coordinator.sui.signing import transaction_digest

_Request = (
    transaction_execution_service_pb2.ExecuteTransactionRequest
    | transaction_execution_service_pb2.SimulateTransactionRequest
)


def _transaction_bytes(request: _Request) -> bytes:
    if not request.transaction.bcs.value:
        raise invalid("transaction: the BCS TransactionData (transaction.bcs) is required")
    return request.transaction.bcs.value


def _to_simulate(
    sim: Engine, request: transaction_execution_service_pb2.SimulateTransactionRequest
) -> TransactionData:
    """The transaction a simulation runs: given as BCS or structured (then its
    object inputs resolved), with the gas it lacks selected if asked."""
    given = request.transaction
    if given.bcs.value:
        tx = checks.decode_signed(given.bcs.value, None)
        gas = tx.gas
        unresolved = structured.Unresolved(tx, gas.payment or None, gas.price, gas.budget)
    else:
        unresolved = structured.read(sim, given)
    if request.do_gas_selection:
        return gas_selection.select(sim, unresolved)
    return unresolved.tx


_DISABLED = transaction_execution_service_pb2.SimulateTransactionRequest.DISABLED
_SimulateResponse = transaction_execution_service_pb2.SimulateTransactionResponse


def _resolved_only(tx: TransactionData) -> _SimulateResponse:
    """A transaction kind resolved with no gas to run it on (checks disabled, as
    the SDK asks when it builds only the kind, e.g. for a sponsor): its inputs
    resolved, not run."""
    response = _SimulateResponse()
    response.transaction.transaction.CopyFrom(structured.message(tx, tx.to_bytes()))
    return response


@contextmanager
def _refusals() -> Iterator[None]:
    """A transaction the node refuses as the gRPC status its `Refused` names."""
    try:
        yield
    except checks.Refused as exc:
        if exc.code == "FAILED_PRECONDITION":
            raise purerpc.FailedPreconditionError(exc.message) from None
        raise purerpc.InvalidArgumentError(exc.message) from None


class TransactionExecutionService(
    Servicer, transaction_execution_service_grpc.TransactionExecutionServiceServicer
):
    """Signed transactions of the coordinator's Move calls; see `simnet.execution`."""

    async def ExecuteTransaction(
        self, input_message: transaction_execution_service_pb2.ExecuteTransactionRequest
    ) -> transaction_execution_service_pb2.ExecuteTransactionResponse:
        mask = self.enter("ExecuteTransaction", input_message, EXECUTED_MASK)
        tx_bytes = _transaction_bytes(input_message)
        signatures = [signature.bcs.value for signature in input_message.signatures]
        with _refusals():
            tx = checks.decode_signed(tx_bytes, signatures)
            executed = self.sim.executed.get(transaction_digest(tx_bytes))
            if executed is None:
                plan = checks.prepare(self.sim, tx, tx_bytes)
                executed = execution.execute(self.sim, plan, signatures)
                if self.sim.checkpoint_interval_secs == 0:
                    self.sim.seal()
        self.sim.gate.answer_lost()
        answer = executed_transaction_pb2.ExecutedTransaction()
        answer.CopyFrom(executed)
        return transaction_execution_service_pb2.ExecuteTransactionResponse(
            transaction=masked(answer, mask)
        )

    async def SimulateTransaction(
        self, input_message: transaction_execution_service_pb2.SimulateTransactionRequest
    ) -> transaction_execution_service_pb2.SimulateTransactionResponse:
        mask = self.enter("SimulateTransaction", input_message, SIMULATED_MASK)
        with _refusals():
            tx = _to_simulate(self.sim, input_message)
            if input_message.checks == _DISABLED and not tx.gas.payment:
                response = _resolved_only(tx)
            else:
                plan = checks.prepare(self.sim, tx, tx.to_bytes())
                response = execution.simulate(self.sim, plan)
        response.suggested_gas_price = self.sim.reference_gas_price
        return masked(response, mask)
