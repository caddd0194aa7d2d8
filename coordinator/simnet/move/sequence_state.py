"""The `sequence_state` Move module as the simulator runs it: the states of
an app's sequences (`M/sequence_state.move`, SilvanaOne/silvana d1563ea).

`increase_sequence` adds one per action (sequence 0 first, then each next
one, or it aborts); `update_state_for_sequence` records a proved state and
its descriptor and never aborts: out of range or missing, it answers false
with an OperationFailedEvent; `purge` drops the states below a threshold.
"""

from __future__ import annotations

from coordinator.events.models import BcsEvent
from coordinator.events.models_2025_11 import OperationFailedEvent
from coordinator.events.pipeline import (
    SequenceStateAddedEvent,
    SequenceStatesPurgedEvent,
    SequenceStateUpdatedEvent,
)
from coordinator.simnet import handlers
from coordinator.simnet.handlers import Call, NewId, Result
from coordinator.simnet.objects import AppInstance
from coordinator.simnet.pipeline_objects import SequenceState
from coordinator.sui.calls.block import UpdateStateForSequence


def add_state(app: AppInstance, optimistic_state: bytes, transition_data: bytes,
              call: Call, new_id: NewId) -> list[BcsEvent]:
    """A state for the instance's next sequence (state and descriptor None)."""
    manager, sequence = app.pipeline.manager, app.pipeline.sequence
    expected = 0 if manager.highest_sequence is None else manager.highest_sequence + 1
    if sequence != expected:  # ESequenceTooHigh
        line = 133 if manager.highest_sequence is None else 136
        raise handlers.error_at("sequence_state", "add_state_for_sequence", line)
    manager.states[sequence] = SequenceState(
        id=new_id(), object_version=0, sequence=sequence,
        optimistic_state=optimistic_state, transition_data=transition_data,
    )  # fmt: skip
    if manager.lowest_sequence is None or sequence < manager.lowest_sequence:
        manager.lowest_sequence = sequence
    manager.highest_sequence = sequence
    return [SequenceStateAddedEvent(
        manager_address=manager.id, sequence=sequence, state_data=None,
        data_availability_hash=None, optimistic_state=optimistic_state,
        transition_data=transition_data, timestamp=call.now,
    )]  # fmt: skip


def _refused(sequence: int, reason: str, call: Call) -> Result:
    return False, [OperationFailedEvent(
        operation="update_state_for_sequence", entity_type="sequence_state", entity_id=sequence,
        reason=reason, caller=call.sender, timestamp=call.now, additional_data=None,
    )]  # fmt: skip


def update_state_for_sequence(
    app: AppInstance, request: UpdateStateForSequence, call: Call, new_id: NewId
) -> Result:
    """Overwrite the sequence's state and descriptor (both, even with None)."""
    manager, sequence = app.pipeline.manager, request.sequence
    low, high = manager.lowest_sequence, manager.highest_sequence
    if low is None or high is None:
        if sequence != 0:
            return _refused(sequence, "sequence_too_high", call)
    elif sequence < low:
        return _refused(sequence, "sequence_too_low", call)
    elif sequence > high:
        return _refused(sequence, "sequence_too_high", call)
    state = manager.states.get(sequence)
    if state is None:
        return _refused(sequence, "sequence_state_not_found", call)
    state.state, state.data_availability = (
        request.new_state_data, request.new_data_availability_hash
    )
    return True, [SequenceStateUpdatedEvent(
        manager_address=manager.id, sequence=sequence, new_state_data=request.new_state_data,
        new_data_availability_hash=request.new_data_availability_hash, timestamp=call.now,
    )]  # fmt: skip


def purge(app: AppInstance, threshold: int, call: Call) -> list[BcsEvent]:
    """Remove the states from the lowest up to `threshold` - 1 (never `threshold`
    itself: the last settled sequence is where the next block's proving starts)."""
    pipeline = app.pipeline
    manager = pipeline.manager
    if manager.lowest_sequence is None or manager.highest_sequence is None:
        return []
    old_lowest, purged = manager.lowest_sequence, 0
    for sequence in range(old_lowest, min(threshold, manager.highest_sequence + 1)):
        state = manager.states.pop(sequence, None)
        if state is not None:
            pipeline.removed.append(state.id)
            purged += 1
    manager.lowest_sequence = threshold
    return [SequenceStatesPurgedEvent(
        manager_address=manager.id, old_lowest_sequence=old_lowest,
        new_lowest_sequence=threshold, sequences_purged=purged, timestamp=call.now,
    )]  # fmt: skip
