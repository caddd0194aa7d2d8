"""The `block` Move module as the simulator runs it, with the app_instance
entry points of an app's sequences and blocks (`M/block.move`,
`M/app_instance.move:174-440, 610-654, 797-820, 1506`, SilvanaOne/silvana
d1563ea; reference §1.3-1.4, §1.7).

An action (`increase_sequence`) adds a sequence state and tries to close the
open block; `try_create_block` closes it once it has new sequences and more
than `min_time_between_blocks` of chain time passed since the previous one,
and opens the next block's ProofCalculation. The app's own commitment
(AppState) is not modelled: every commitment is `scalar_zero()`, the value
of an app that committed nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from coordinator.events.models import BcsEvent
from coordinator.events.pipeline import (
    BlockCreatedEvent,
    BlockEvent,
    DataAvailabilityEvent,
    InsufficientTimeForBlockEvent,
    NoNewSequencesEvent,
)
from coordinator.simnet import handlers
from coordinator.simnet.handlers import Call, Handler, Handlers, MoveAbort, NewId, Result
from coordinator.simnet.move import prover, sequence_state, settlement
from coordinator.simnet.objects import AppInstance
from coordinator.simnet.pipeline_objects import SCALAR_ZERO, Block
from coordinator.sui.calls.block import (
    IncreaseSequence,
    Purge,
    TryCreateBlock,
    UpdateBlockProofDataAvailability,
    UpdateBlockStateDataAvailability,
    UpdateStateForSequence,
)

# The commitment package's abort when its rollback log does not reach the
# purge target (`move/commitment/sources/rollback.move:145-147`).
ROLLBACK_NOT_REACHED = 2


def _create_block(app: AppInstance, number: int, start: int, end: int,
                  previous_timestamp: int | None, call: Call, new_id: NewId) -> list[BcsEvent]:
    """`create_block_internal`: the Block in the `blocks` table, and its BlockEvent."""
    pipeline = app.pipeline
    block = Block(
        id=new_id(), object_version=0, name=f"Silvana App Instance Block {number}",
        block_number=number, start_sequence=start, end_sequence=end,
        time_since_last_block=0 if previous_timestamp is None else call.now - previous_timestamp,
        number_of_transactions=end - start + 1, created_at=call.now,
        start_actions_commitment=pipeline.previous_block_actions_state,
    )  # fmt: skip
    pipeline.blocks[number] = block
    return [BlockEvent(
        address=block.id, name=block.name, block_number=number, start_sequence=start,
        end_sequence=end, created_at=call.now, time_since_last_block=block.time_since_last_block,
        number_of_transactions=block.number_of_transactions,
        start_actions_commitment=block.start_actions_commitment,
        end_actions_commitment=block.end_actions_commitment,
        state_commitment=block.state_commitment,
    )]  # fmt: skip


def genesis(app: AppInstance, chains: Sequence[tuple[str, str | None]], call: Call,
            new_id: NewId) -> list[BcsEvent]:
    """What `create_app_instance` sets up before AppInstanceCreatedEvent: block
    1's ProofCalculation, one Settlement per chain, Block 0 (start 0, end 0)."""
    pipeline = app.pipeline
    calculation, created = prover.create(1, 1, call, new_id)
    pipeline.proof_calculations[1] = calculation
    events = [created]
    for chain, address in chains:
        record, event = settlement.create(chain, address, new_id)
        pipeline.settlements[chain] = record
        events.append(event)
    pipeline.previous_block_timestamp = call.now
    return events + _create_block(app, 0, 0, 0, None, call, new_id)


def try_create_block(app: AppInstance, call: Call, new_id: NewId) -> list[BcsEvent]:
    """Close the open block, or say why not (events, never an abort, except the
    u64 underflow of an instance whose sequence is still 0)."""
    pipeline = app.pipeline
    if pipeline.previous_block_last_sequence + 1 == pipeline.sequence:
        return [NoNewSequencesEvent(
            app_instance_address=app.id, current_sequence=pipeline.sequence,
            previous_block_last_sequence=pipeline.previous_block_last_sequence,
            timestamp=call.now,
        )]  # fmt: skip
    elapsed = call.now - pipeline.previous_block_timestamp
    if elapsed < 0:
        raise handlers.arithmetic_error("app_instance", "try_create_block")
    if elapsed <= pipeline.min_time_between_blocks:
        return [InsufficientTimeForBlockEvent(
            app_instance_address=app.id, current_time=call.now,
            previous_block_timestamp=pipeline.previous_block_timestamp,
            time_since_last_block=elapsed, min_time_required=pipeline.min_time_between_blocks,
        )]  # fmt: skip
    if pipeline.sequence == 0:  # `sequence - 1` below
        raise handlers.arithmetic_error("app_instance", "try_create_block")
    number = pipeline.block_number
    start, end = pipeline.previous_block_last_sequence + 1, pipeline.sequence - 1
    calculation = pipeline.proof_calculations.get(number)
    if calculation is None:
        raise handlers.missing_entry()
    finished, events = prover.set_end_sequence(calculation, end, call)
    if finished and pipeline.last_proved_block_number == number - 1:
        pipeline.last_proved_block_number = number
    events += _create_block(app, number, start, end, pipeline.previous_block_timestamp, call,
                            new_id)
    following, created = prover.create(number + 1, pipeline.sequence, call, new_id)
    events.append(created)
    pipeline.block_number = number + 1
    pipeline.previous_block_timestamp = call.now
    pipeline.previous_block_actions_state = SCALAR_ZERO
    pipeline.previous_block_last_sequence = end
    pipeline.proof_calculations[number + 1] = following
    events.append(BlockCreatedEvent(app_instance_address=app.id, block_number=number,
                                    start_sequence=start, end_sequence=end, timestamp=call.now))
    return events


def increase_sequence(app: AppInstance, request: IncreaseSequence, call: Call, new_id: NewId
                      ) -> Result:
    events = sequence_state.add_state(app, request.optimistic_state, request.transition_data,
                                      call, new_id)
    app.pipeline.sequence += 1
    return True, events + try_create_block(app, call, new_id)


def _block(app: AppInstance, number: int) -> Block:
    block = app.pipeline.blocks.get(number)
    if block is None:
        raise handlers.missing_entry()
    return block


def _set_data_availability(block: Block) -> BcsEvent:
    return DataAvailabilityEvent(
        block_number=block.block_number, state_data_availability=block.state_data_availability,
        proof_data_availability=block.proof_data_availability,
        state_calculated_at=block.state_calculated_at, proof_calculated_at=block.proved_at,
    )  # fmt: skip


def update_block_state_data_availability(
    app: AppInstance, request: UpdateBlockStateDataAvailability, call: Call, new_id: NewId
) -> Result:
    """The state descriptor; the proof descriptor and its time are reset to None."""
    block = _block(app, request.block_number)
    block.state_data_availability, block.state_calculated_at = request.data_availability, call.now
    block.proof_data_availability, block.proved_at = None, None
    return True, [_set_data_availability(block)]


def update_block_proof_data_availability(
    app: AppInstance, request: UpdateBlockProofDataAvailability, call: Call, new_id: NewId
) -> Result:
    block = _block(app, request.block_number)
    block.proof_data_availability, block.proved_at = request.data_availability, call.now
    return True, [_set_data_availability(block)]


def purge(app: AppInstance, request: Purge, call: Call, new_id: NewId) -> Result:
    """Purge up to the last settled sequence, at most `sequences_to_purge` more."""
    if request.sequences_to_purge == 0:  # EInvalidPurgeSequences
        raise handlers.error_at("app_instance", "purge", 802)
    pipeline = app.pipeline
    target = min(pipeline.last_purged_sequence + request.sequences_to_purge,
                 pipeline.last_settled_sequence)
    if target <= pipeline.last_purged_sequence:
        return True, []
    if not pipeline.commits_actions:
        raise MoveAbort("rollback", "purge_records", ROLLBACK_NOT_REACHED, handlers.OURS)
    events = sequence_state.purge(app, target, call)
    pipeline.last_purged_sequence = target
    return True, events


HANDLERS: Handlers = {
    IncreaseSequence: Handler(increase_sequence),
    TryCreateBlock: Handler(lambda app, request, call, new_id: (
        True, try_create_block(app, call, new_id))),
    UpdateStateForSequence: Handler(sequence_state.update_state_for_sequence),
    Purge: Handler(purge),
    UpdateBlockStateDataAvailability: Handler(update_block_state_data_availability),
    UpdateBlockProofDataAvailability: Handler(update_block_proof_data_availability),
}
