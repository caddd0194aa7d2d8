"""The `settlement` Move module as the simulator runs it, with the
app_instance entry points that drive it (`M/settlement.move`,
`M/app_instance.move:656-871`, SilvanaOne/silvana d1563ea; reference §1.6).

Per chain, a `Settlement` records each block's settlement transaction
(`BlockSettlement`). A block is settled on a chain in order (the previous
block first); once every chain settled it, its Block and ProofCalculation
are deleted. BlockSettlement records themselves are never deleted through
these calls: `set_block_settlement_tx`'s walk over already-settled records
starts from the chain's last settled block, which the caller has just set to
this block, so it never runs (upstream's behaviour, kept).
"""

from __future__ import annotations

from coordinator.events.models import BcsEvent
from coordinator.events.pipeline import (
    BlockCleanupEvent,
    BlockPurgedEvent,
    BlockSettledEvent,
    BlockSettlementTransactionEvent,
    SettlementCreatedEvent,
)
from coordinator.simnet import handlers
from coordinator.simnet.handlers import Call, Handler, Handlers, NewId, Result
from coordinator.simnet.move import prover
from coordinator.simnet.objects import AppInstance
from coordinator.simnet.pipeline_objects import Block, BlockSettlement, Settlement
from coordinator.sui.calls.settlement import (
    UpdateBlockSettlementTxHash,
    UpdateBlockSettlementTxIncludedInBlock,
)

SETTLED_ON_ALL_CHAINS = "Block settled on all chains"


def create(chain: str, address: str | None, new_id: NewId) -> tuple[Settlement, BcsEvent]:
    """A chain's settlement record of a new instance (its table has a UID of its own)."""
    return Settlement(chain=chain, table_id=new_id(), settlement_address=address), (
        SettlementCreatedEvent(chain=chain, settlement_address=address)
    )


def set_block_settlement_tx(settlement: Settlement, block_number: int, tx_hash: str | None,
                            included: bool, sent_at: int | None, settled_at: int | None,
                            new_id: NewId) -> list[BcsEvent]:
    """Create or overwrite the block's record; BlockSettledEvent when included."""
    record = settlement.block_settlements.get(block_number)
    if record is None:
        record = BlockSettlement(id=new_id(), object_version=0, block_number=block_number)
        settlement.block_settlements[block_number] = record
    record.settlement_tx_hash, record.settlement_tx_included_in_block = tx_hash, included
    record.sent_to_settlement_at, record.settled_at = sent_at, settled_at
    events: list[BcsEvent] = []
    if included:
        events.append(BlockSettledEvent(
            chain=settlement.chain, block_number=block_number, settlement_tx_hash=tx_hash,
            sent_to_settlement_at=sent_at, settled_at=settled_at,
        ))  # fmt: skip
    events.append(BlockSettlementTransactionEvent(
        chain=settlement.chain, block_number=block_number, settlement_tx_hash=tx_hash,
        settlement_tx_included_in_block=included, sent_to_settlement_at=sent_at,
        settled_at=settled_at,
    ))  # fmt: skip
    return events


def _proved_block(app: AppInstance, block_number: int, function: str, line: int) -> Block:
    """The block (a table borrow: abort when missing), which must have its
    state descriptor and its proof descriptor (block 0 needs none)."""
    block = app.pipeline.blocks.get(block_number)
    if block is None:
        raise handlers.missing_entry()
    if block.state_data_availability is None or (
        block.proof_data_availability is None and block_number != 0
    ):  # EBlockNotProved
        raise handlers.error_at("app_instance", function, line)
    return block


def _settlement(app: AppInstance, chain: str, function: str, line: int) -> Settlement:
    settlement = app.pipeline.settlements.get(chain)
    if settlement is None:  # ESettlementChainNotFound
        raise handlers.error_at("app_instance", function, line)
    return settlement


def update_block_settlement_tx_hash(
    app: AppInstance, request: UpdateBlockSettlementTxHash, call: Call, new_id: NewId
) -> Result:
    function = "update_block_settlement_tx_hash"
    _proved_block(app, request.block_number, function, 670)
    settlement = _settlement(app, request.chain, function, 676)
    return True, set_block_settlement_tx(
        settlement, request.block_number, request.settlement_tx_hash, False, call.now, None,
        new_id,
    )  # fmt: skip


def update_block_settlement_tx_included_in_block(
    app: AppInstance, request: UpdateBlockSettlementTxIncludedInBlock, call: Call, new_id: NewId
) -> Result:
    """Blocks settle in order per chain; the hash and sent time are kept (None
    if no hash was ever recorded: inclusion does not need one)."""
    function, block_number = "update_block_settlement_tx_included_in_block", request.block_number
    _proved_block(app, block_number, function, 835)
    settlement = _settlement(app, request.chain, function, 841)
    if block_number != settlement.last_settled_block_number + 1:  # EPreviousBlockNotSettled
        raise handlers.error_at("app_instance", function, 849)
    settlement.last_settled_block_number = block_number
    record = settlement.block_settlements.get(block_number)
    tx_hash = None if record is None else record.settlement_tx_hash
    sent_at = None if record is None else record.sent_to_settlement_at
    events = set_block_settlement_tx(
        settlement, block_number, tx_hash, True, sent_at, request.settled_at, new_id
    )
    return True, events + _clean_up_settled(app, call)


def _clean_up_settled(app: AppInstance, call: Call) -> list[BcsEvent]:
    """`update_app_last_settled_block_number`: the instance's last settled block
    is the least over its chains; the blocks up to it go, with their proofs."""
    pipeline = app.pipeline
    if not pipeline.settlements:
        return []
    least = min(s.last_settled_block_number for s in pipeline.settlements.values())
    previous = pipeline.last_settled_block_number
    pipeline.last_settled_block_number = least
    start = max(previous, 1)
    events: list[BcsEvent] = [BlockCleanupEvent(
        app_instance_address=app.id, previous_last_settled=previous, new_min_settled=least,
        start_block=start, settlements_count=len(pipeline.settlements),
    )]  # fmt: skip
    if least <= previous:
        return events
    for number in range(start, least + 1):
        block = pipeline.blocks.pop(number, None)
        if block is not None:
            pipeline.last_settled_sequence = block.end_sequence
            pipeline.removed.append(block.id)
            events.append(BlockPurgedEvent(app_instance_address=app.id, block_number=number,
                                           reason=SETTLED_ON_ALL_CHAINS))
        calculation = pipeline.proof_calculations.pop(number, None)
        if calculation is not None:
            pipeline.removed.append(calculation.id)
            events += prover.delete(calculation, app.id, call)
    return events


HANDLERS: Handlers = {
    UpdateBlockSettlementTxHash: Handler(update_block_settlement_tx_hash),
    UpdateBlockSettlementTxIncludedInBlock: Handler(update_block_settlement_tx_included_in_block),
}
