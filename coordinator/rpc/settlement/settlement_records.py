"""UpdateBlockSettlementTxHash and UpdateBlockSettlementTxIncludedInBlock: a
block's settlement on another chain, recorded on the block.

As upstream (`C/grpc.rs:4569`, `:4644`): each alone in a transaction,
answered with the chain's outcome. The chain refuses (a Move abort, answered
success=false "Failed to update block settlement ...: <reason>") a block that
does not exist, a block not proved (no state and proof descriptors), an
unknown chain, and an inclusion out of order (the chain's last settled block
+ 1 only). Stricter: the job must be running in the caller's session
(upstream: the job exists); `chain` at most MAX_CHAIN_BYTES and the hash at
most MAX_TX_HASH_BYTES (INVALID_ARGUMENT).
"""

from __future__ import annotations

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.domain import Job
from coordinator.instruments import socket_call
from coordinator.pipeline_writes import DirectCall
from coordinator.rpc.calls import answers_refusals
from coordinator.rpc.chain_writes import PipelineWrites
from coordinator.rpc.pipeline import MAX_CHAIN_BYTES, check_text
from coordinator.sui.calls.settlement import (
    UpdateBlockSettlementTxHash,
    UpdateBlockSettlementTxIncludedInBlock,
)

MAX_TX_HASH_BYTES = 1024


class BlockSettlementCalls(PipelineWrites):
    @socket_call("UpdateBlockSettlementTxHash")
    @answers_refusals(pb.UpdateBlockSettlementTxHashResponse)
    async def UpdateBlockSettlementTxHash(
        self, input_message: pb.UpdateBlockSettlementTxHashRequest
    ) -> pb.UpdateBlockSettlementTxHashResponse:
        request = input_message
        chain = check_text("chain", request.chain, MAX_CHAIN_BYTES)
        tx_hash = check_text("settlement_tx_hash", request.settlement_tx_hash, MAX_TX_HASH_BYTES)
        call = UpdateBlockSettlementTxHash(chain, request.block_number, tx_hash)

        async def make(job: Job) -> tuple[DirectCall, str]:
            return call, "Block settlement tx hash updated successfully"

        return await self._job_write("UpdateBlockSettlementTxHash", request, make,
                                     pb.UpdateBlockSettlementTxHashResponse,
                                     "Failed to update block settlement tx hash")

    @socket_call("UpdateBlockSettlementTxIncludedInBlock")
    @answers_refusals(pb.UpdateBlockSettlementTxIncludedInBlockResponse)
    async def UpdateBlockSettlementTxIncludedInBlock(
        self, input_message: pb.UpdateBlockSettlementTxIncludedInBlockRequest
    ) -> pb.UpdateBlockSettlementTxIncludedInBlockResponse:
        request = input_message
        call = UpdateBlockSettlementTxIncludedInBlock(
            check_text("chain", request.chain, MAX_CHAIN_BYTES), request.block_number,
            request.settled_at)

        async def make(job: Job) -> tuple[DirectCall, str]:
            return call, "Block settlement included in block updated successfully"

        return await self._job_write("UpdateBlockSettlementTxIncludedInBlock", request, make,
                                     pb.UpdateBlockSettlementTxIncludedInBlockResponse,
                                     "Failed to update block settlement included in block")
