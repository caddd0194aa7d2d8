"""GetBlockSettlement: the settlement record of a block of the caller's app
instance on one of its settlement chains, read from the chain.

Upstream (`grpc.rs` at d1563ea) answers success=false with its messages ("Chain
C not found in settlements", "Block settlement N not found for chain C") and
echoes the chain in every answer. Upstream checks only that the job exists;
here the job must be the caller's running job, and the record is of that
job's app instance.
"""

from __future__ import annotations

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.events import pipeline_objects as layout
from coordinator.instruments import socket_call
from coordinator.rpc.calls import Refused
from coordinator.rpc.pipeline import MAX_CHAIN_BYTES, PipelineAccess, check_text
from coordinator.sui.client import SuiClient
from coordinator.sui.pipeline_reads import PipelineState, UnknownChain, read_block_settlement

__all__ = ["BlockSettlementReads"]


def _settlement_message(record: layout.BlockSettlement) -> pb.BlockSettlement:
    message = pb.BlockSettlement(
        block_number=record.block_number,
        settlement_tx_included_in_block=record.settlement_tx_included_in_block)
    for name in ("settlement_tx_hash", "sent_to_settlement_at", "settled_at"):
        if getattr(record, name) is not None:
            setattr(message, name, getattr(record, name))
    return message


class BlockSettlementReads(PipelineAccess):
    """GetBlockSettlement."""

    @socket_call("GetBlockSettlement")
    async def GetBlockSettlement(
        self, input_message: pb.GetBlockSettlementRequest
    ) -> pb.GetBlockSettlementResponse:
        request = input_message
        chain = check_text("chain", request.chain, MAX_CHAIN_BYTES)
        number = request.block_number

        async def record(client: SuiClient, state: PipelineState) -> layout.BlockSettlement:
            try:
                found = await read_block_settlement(client, state, chain, number)
            except UnknownChain:
                raise Refused(f"Chain {chain} not found in settlements") from None
            if found is None:
                raise Refused(f"Block settlement {number} not found for chain {chain}")
            return found

        async def call() -> pb.GetBlockSettlementResponse:
            found = await self._pipeline(self._job_of(*named), record,
                                         "Failed to fetch block settlement")
            return pb.GetBlockSettlementResponse(
                success=True, chain=chain, block_settlement=_settlement_message(found),
                message=f"Block settlement {number} for chain {chain} retrieved successfully")

        try:
            named = self._job_request(request)
            return await self._limited(call)
        except Refused as exc:  # upstream echoes the chain in its refusals too
            return pb.GetBlockSettlementResponse(success=False, message=str(exc), chain=chain)
