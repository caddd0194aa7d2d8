"""TransactionExecutionService: signed transactions executed or simulated
(see `simnet.execution`)."""

from __future__ import annotations

import purerpc

from coordinator._pb.sui.rpc.v2 import (
    executed_transaction_pb2,
    transaction_execution_service_grpc,
    transaction_execution_service_pb2,
)
from coordinator.simnet import checks, execution
from coordinator.simnet.services.common import (
    EXECUTED_MASK,
    SIMULATED_MASK,
    Servicer,
    invalid,
    masked,
)
from coordinator.sui.signing import transaction_digest


def _refused(exc: checks.Refused) -> purerpc.RpcFailedError:
    if exc.code == "FAILED_PRECONDITION":
        return purerpc.FailedPreconditionError(exc.message)
    return purerpc.InvalidArgumentError(exc.message)


class TransactionExecutionService(
    Servicer, transaction_execution_service_grpc.TransactionExecutionServiceServicer
):
    """Signed transactions of the coordinator's Move calls; see `simnet.execution`."""

    async def ExecuteTransaction(
        self, input_message: transaction_execution_service_pb2.ExecuteTransactionRequest
    ) -> transaction_execution_service_pb2.ExecuteTransactionResponse:
        mask = self.enter(
            "ExecuteTransaction", input_message, executed_transaction_pb2.ExecutedTransaction,
            EXECUTED_MASK,
        )
        request = input_message
        if not request.transaction.bcs.value:
            raise invalid("transaction: the BCS TransactionData (transaction.bcs) is required")
        tx_bytes = request.transaction.bcs.value
        signatures = [signature.bcs.value for signature in request.signatures]
        try:
            tx = checks.decode_signed(tx_bytes, signatures)
            done = self.sim.executed.get(transaction_digest(tx_bytes))
            if done is None:
                executed = execution.execute(self.sim, checks.prepare(self.sim, tx, tx_bytes))
                if self.sim.checkpoint_interval_secs == 0:
                    self.sim.seal()
            else:
                executed = done
        except checks.Refused as exc:
            raise _refused(exc) from None
        self.sim.gate.answer_lost()
        answer = executed_transaction_pb2.ExecutedTransaction()
        answer.CopyFrom(executed)
        return transaction_execution_service_pb2.ExecuteTransactionResponse(
            transaction=masked(answer, mask)
        )

    async def SimulateTransaction(
        self, input_message: transaction_execution_service_pb2.SimulateTransactionRequest
    ) -> transaction_execution_service_pb2.SimulateTransactionResponse:
        mask = self.enter(
            "SimulateTransaction", input_message,
            transaction_execution_service_pb2.SimulateTransactionResponse, SIMULATED_MASK,
        )
        request = input_message
        if not request.transaction.bcs.value:
            raise invalid("transaction: the BCS TransactionData (transaction.bcs) is required")
        tx_bytes = request.transaction.bcs.value
        try:
            tx = checks.decode_signed(tx_bytes, None)
            response = execution.simulate(self.sim, checks.prepare(self.sim, tx, tx_bytes))
        except checks.Refused as exc:
            raise _refused(exc) from None
        return masked(response, mask)
