"""UpdateBlockSettlement: upstream's placeholder (`C/grpc.rs:5060`): nothing
is written anywhere and the answer is always success, "Block settlement update
for block N on chain C acknowledged", tx_hash "". Stricter: the job must be
running in the caller's session (upstream checks nothing), so an answer says
at least that much; `chain` is at most MAX_CHAIN_BYTES."""

from __future__ import annotations

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.instruments import socket_call
from coordinator.rpc.calls import AgentCalls, answers_refusals
from coordinator.rpc.pipeline import MAX_CHAIN_BYTES, check_text


class UpdateBlockSettlementCall(AgentCalls):
    @socket_call("UpdateBlockSettlement")
    @answers_refusals(pb.UpdateBlockSettlementResponse)
    async def UpdateBlockSettlement(
        self, input_message: pb.UpdateBlockSettlementRequest
    ) -> pb.UpdateBlockSettlementResponse:
        named = self._job_request(input_message)
        chain = check_text("chain", input_message.chain, MAX_CHAIN_BYTES)
        self._job_of(*named)
        return pb.UpdateBlockSettlementResponse(
            success=True, tx_hash="",
            message=f"Block settlement update for block {input_message.block_number} on "
                    f"chain {chain} acknowledged")
