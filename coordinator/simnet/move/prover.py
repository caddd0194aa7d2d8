"""The `prover` Move module as the simulator runs it: a block's proofs and
their state machine (`M/prover.move`, SilvanaOne/silvana d1563ea; reference
§1.5).

A proof is STARTED by a merge (`start_proving`, which RESERVES its two
sub-proofs), CALCULATED when submitted (its sub-proofs become USED),
REJECTED by a verifier (its sub-proofs return to CALCULATED). A proof
untouched for `PROOF_TIMEOUT_MS` of chain time may be taken over. When the
block's end is known and a proof spans it, the calculation is finished: its
`block_proof` is that proof's descriptor (BlockProofEvent). Every function
changes the ProofCalculation in place and returns the events in Move's order.
"""

from __future__ import annotations

from collections.abc import Sequence

from coordinator.events.bcs import U64, vector
from coordinator.events.models import BcsEvent
from coordinator.events.models_2025_11 import OperationFailedEvent
from coordinator.events.pipeline import (
    BlockProofEvent,
    ProofCalculationCreatedEvent,
    ProofCalculationDeletedEvent,
    ProofCalculationFinishedEvent,
    ProofRejectedEvent,
    ProofReservedEvent,
    ProofReturnedEvent,
    ProofStartedEvent,
    ProofSubmittedEvent,
    ProofUsedEvent,
)
from coordinator.simnet import handlers
from coordinator.simnet.handlers import Call, Handler, Handlers, MoveAbort, NewId, Result
from coordinator.simnet.objects import AppInstance
from coordinator.simnet.pipeline_objects import (
    CALCULATED,
    REJECTED,
    RESERVED,
    STARTED,
    USED,
    Proof,
    ProofCalculation,
)
from coordinator.sui.calls.prover import RejectProof, StartProving, SubmitProof

PROOF_TIMEOUT_MS = 300_000
# sui::vec_map's abort of a lookup of a key it does not hold (EKeyDoesNotExist).
VEC_MAP_KEY_DOES_NOT_EXIST = 1
# std::option's abort of a borrow of None (EOPTION_NOT_SET).
OPTION_NOT_SET = 0x40001
Sequences = tuple[int, ...]


def create(block_number: int, start: int, call: Call, new_id: NewId
           ) -> tuple[ProofCalculation, BcsEvent]:
    """The open block's calculation (end unknown); block 0 is born finished."""
    calculation = ProofCalculation(
        id=new_id(), object_version=0, block_number=block_number, start_sequence=start,
        is_finished=block_number == 0,
    )  # fmt: skip
    return calculation, ProofCalculationCreatedEvent(
        block_number=block_number, start_sequence=start, end_sequence=None, timestamp=call.now
    )


def _sorted(calculation: ProofCalculation, sequences: Sequence[int]) -> Sequences:
    """`sort_and_validate_sequences`: non-empty, within [start, end when known]."""
    if not sequences:
        raise handlers.error_at("prover", "sort_and_validate_sequences", 671)
    ordered = tuple(sorted(sequences))
    end = calculation.end_sequence
    if ordered[0] < calculation.start_sequence:
        raise handlers.error_at("prover", "sort_and_validate_sequences", 695)
    if end is not None and ordered[-1] > end:
        raise handlers.error_at("prover", "sort_and_validate_sequences", 700)
    return ordered


def _optional_sorted(calculation: ProofCalculation, sequences: Sequence[int] | None
                     ) -> Sequences | None:
    return None if sequences is None else _sorted(calculation, sequences)


def _entry(calculation: ProofCalculation, sequences: Sequences) -> Proof:
    proof = calculation.proofs.get(sequences)
    if proof is None:
        raise MoveAbort("vec_map", "get_idx", VEC_MAP_KEY_DOES_NOT_EXIST)
    return proof


def _da_hash(proof: Proof) -> str:
    if proof.da_hash is None:
        raise MoveAbort("option", "borrow", OPTION_NOT_SET, "0x1")
    return proof.da_hash


def _timed_out(proof: Proof, now: int) -> bool:
    return now > proof.timestamp + PROOF_TIMEOUT_MS


def _spans_block(calculation: ProofCalculation, sequences: Sequences) -> bool:
    end = calculation.end_sequence
    return end is not None and sequences[0] == calculation.start_sequence and sequences[-1] == end


def _finish(calculation: ProofCalculation, end: int, da_hash: str, call: Call) -> BcsEvent:
    calculation.block_proof, calculation.end_sequence = da_hash, end
    calculation.is_finished = True
    return BlockProofEvent(block_number=calculation.block_number,
                           start_sequence=calculation.start_sequence, end_sequence=end,
                           da_hash=da_hash, timestamp=call.now)


def set_end_sequence(calculation: ProofCalculation, end: int, call: Call
                     ) -> tuple[bool, list[BcsEvent]]:
    """The block is created: a calculated proof of exactly [start..end] is USED
    and finishes the calculation at once."""
    calculation.end_sequence = end
    proof = calculation.proofs.get(tuple(range(calculation.start_sequence, end + 1)))
    if proof is None or proof.status != CALCULATED or proof.da_hash is None:
        return False, []
    proof.status, proof.timestamp, proof.user = USED, call.now, call.sender
    return True, [_finish(calculation, end, proof.da_hash, call)]


def _return(calculation: ProofCalculation, sequences: Sequences, call: Call) -> BcsEvent:
    proof = _entry(calculation, sequences)
    proof.status, proof.timestamp, proof.user = CALCULATED, call.now, None
    return ProofReturnedEvent(block_number=calculation.block_number, sequences=sequences,
                              timestamp=call.now)


def _can_take(proof: Proof | None, block_proof: bool, now: int) -> bool:
    """A sub-proof a merge may reserve: calculated, timed out, or, for the
    block proof, already used or reserved by another merge."""
    return proof is not None and (
        proof.status == CALCULATED or _timed_out(proof, now)
        or (block_proof and proof.status in (USED, RESERVED))
    )  # fmt: skip


def _reserve(calculation: ProofCalculation, sequences: Sequences, block_proof: bool,
             call: Call) -> list[BcsEvent]:
    """Reserve a sub-proof; a refusal only adds an OperationFailedEvent, and the
    ProofReservedEvent is emitted either way, as upstream does."""
    proof = _entry(calculation, sequences)
    events: list[BcsEvent] = []
    if _can_take(proof, block_proof, call.now):
        proof.status, proof.timestamp, proof.user = RESERVED, call.now, call.sender
    else:
        events.append(OperationFailedEvent(
            operation="reserve_proof", entity_type="proof", entity_id=0,
            reason="Proof not calculated or already used", caller=call.sender,
            timestamp=call.now, additional_data=None,
        ))  # fmt: skip
    events.append(ProofReservedEvent(
        block_number=calculation.block_number, sequences=sequences, da_hash=_da_hash(proof),
        timestamp=call.now, user=call.sender,
    ))  # fmt: skip
    return events


def start_proving(calculation: ProofCalculation, sequences: Sequence[int],
                  sequence1: Sequence[int] | None, sequence2: Sequence[int] | None,
                  call: Call) -> tuple[bool, list[BcsEvent]]:
    """A merge takes its sub-proofs: false when its proof is already under way
    (and not timed out or rejected) or a sub-proof cannot be taken."""
    ordered = _sorted(calculation, sequences)
    first = _optional_sorted(calculation, sequence1)
    second = _optional_sorted(calculation, sequence2)
    block_proof = _spans_block(calculation, ordered)
    fresh = Proof(status=STARTED, prover=call.sender, timestamp=call.now,
                  sequence1=first, sequence2=second)
    events: list[BcsEvent] = []
    existing = calculation.proofs.get(ordered)
    if existing is not None:
        if existing.status != REJECTED and not _timed_out(existing, call.now):
            return False, [OperationFailedEvent(
                operation="start_proving", entity_type="proof",
                entity_id=calculation.block_number, reason="proof_already_started",
                caller=call.sender, timestamp=call.now,
                additional_data=vector(U64).to_bytes(ordered),
            )]  # fmt: skip
        fresh.rejected_count = existing.rejected_count
        calculation.proofs[ordered] = fresh
        for old in (existing.sequence1, existing.sequence2):
            if old and old in calculation.proofs:
                events.append(_return(calculation, old, call))
    else:
        for sub in (first, second):
            if sub is not None and not _can_take(calculation.proofs.get(sub), block_proof,
                                                 call.now):
                return False, []
        calculation.proofs[ordered] = fresh
    for sub in (first, second):
        if sub is not None:
            events += _reserve(calculation, sub, block_proof, call)
    events.append(ProofStartedEvent(block_number=calculation.block_number, sequences=ordered,
                                    timestamp=call.now, prover=call.sender))
    return True, events


def submit_proof(calculation: ProofCalculation, request: SubmitProof, call: Call
                 ) -> tuple[bool, list[BcsEvent]]:
    """Store a CALCULATED proof (replacing any, rejected_count kept), use its
    sub-proofs (abort if one is missing, STARTED or REJECTED); true when it
    proves the whole created block."""
    ordered = _sorted(calculation, request.sequences)
    first = _optional_sorted(calculation, request.merged_sequences_1)
    second = _optional_sorted(calculation, request.merged_sequences_2)
    events: list[BcsEvent] = [ProofSubmittedEvent(
        block_number=calculation.block_number, sequences=ordered, da_hash=request.da_hash,
        timestamp=call.now, prover=call.sender, cpu_time=request.cpu_time,
        cpu_cores=request.cpu_cores, prover_memory=request.prover_memory,
        prover_architecture=request.prover_architecture,
    )]  # fmt: skip
    existing = calculation.proofs.get(ordered)
    calculation.proofs[ordered] = Proof(
        status=CALCULATED, prover=call.sender, timestamp=call.now, da_hash=request.da_hash,
        sequence1=first, sequence2=second, job_id=request.job_id,
        rejected_count=0 if existing is None else existing.rejected_count,
    )  # fmt: skip
    for sub in (first, second):
        if sub is None:
            continue
        proof = _entry(calculation, sub)
        if proof.status in (REJECTED, STARTED):  # EProofNotCalculated
            raise handlers.error_at("prover", "use_proof", 325)
        proof.status, proof.timestamp, proof.user = USED, call.now, call.sender
        events.append(ProofUsedEvent(
            block_number=calculation.block_number, sequences=sub, da_hash=_da_hash(proof),
            timestamp=call.now, user=call.sender,
        ))  # fmt: skip
    end = calculation.end_sequence
    if end is not None and _spans_block(calculation, ordered):
        events.append(_finish(calculation, end, request.da_hash, call))
        return True, events
    return False, events


def reject_proof(calculation: ProofCalculation, sequences: Sequence[int], call: Call
                 ) -> list[BcsEvent]:
    """REJECTED (the proof must exist), its sub-proofs returned; the merge
    that reserved it is left as it is."""
    ordered = _sorted(calculation, sequences)
    proof = _entry(calculation, ordered)
    proof.status, proof.rejected_count = REJECTED, proof.rejected_count + 1
    events = [_return(calculation, sub, call) for sub in (proof.sequence1, proof.sequence2) if sub]
    events.append(ProofRejectedEvent(block_number=calculation.block_number, sequences=ordered,
                                     timestamp=call.now, verifier=call.sender))
    return events


def delete(calculation: ProofCalculation, app_instance_id: str, call: Call) -> list[BcsEvent]:
    """The calculation of a block settled on every chain goes: Finished, then
    Deleted with the whole proofs map."""
    return [
        ProofCalculationFinishedEvent(
            proof_calculation_address=calculation.id, block_number=calculation.block_number,
            start_sequence=calculation.start_sequence,
            end_sequence=calculation.end_sequence or 0, block_proof=calculation.block_proof or "",
            is_finished=calculation.is_finished, proofs_count=len(calculation.proofs),
            timestamp=call.now,
        ),
        ProofCalculationDeletedEvent(
            app_instance_id=app_instance_id, block_number=calculation.block_number,
            start_sequence=calculation.start_sequence, end_sequence=calculation.end_sequence,
            proofs=calculation.entries(), block_proof=calculation.block_proof,
            is_finished=calculation.is_finished, timestamp=call.now,
        ),
    ]


# --- the app_instance entry points ------------------------------------------------


def _calculation(app: AppInstance, block_number: int) -> ProofCalculation | None:
    return app.pipeline.proof_calculations.get(block_number)


def start_proving_call(app: AppInstance, request: StartProving, call: Call, new_id: NewId
                       ) -> Result:
    """false when the block has no calculation (settled and deleted)."""
    calculation = _calculation(app, request.block_number)
    if calculation is None:
        return False, []
    return start_proving(calculation, request.sequences, request.merged_sequences_1,
                         request.merged_sequences_2, call)


def submit_proof_call(app: AppInstance, request: SubmitProof, call: Call, new_id: NewId
                      ) -> Result:
    """Nothing when the block has no calculation; a proof that finished its
    block advances `last_proved_block_number` over every finished block in a
    row (a missing calculation on the way aborts, as a table borrow does)."""
    calculation = _calculation(app, request.block_number)
    if calculation is None:
        return True, []
    finished, events = submit_proof(calculation, request, call)
    pipeline = app.pipeline
    if finished:
        for block in range(pipeline.last_proved_block_number + 1, pipeline.block_number):
            below = pipeline.proof_calculations.get(block)
            if below is None:
                raise handlers.missing_entry()
            if not below.is_finished:
                break
            pipeline.last_proved_block_number = block
    return True, events


def reject_proof_call(app: AppInstance, request: RejectProof, call: Call, new_id: NewId
                      ) -> Result:
    calculation = _calculation(app, request.block_number)
    if calculation is None:
        return True, []
    return True, reject_proof(calculation, request.sequences, call)


HANDLERS: Handlers = {
    StartProving: Handler(start_proving_call),
    SubmitProof: Handler(submit_proof_call),
    RejectProof: Handler(reject_proof_call),
}
