"""The proof pipeline on the simulator, at the Move level: reference §4's
scenario walked with signed transactions built as the coordinator builds
them (two actions, their proofs, a merge, the block, its data availability,
its settlement on a test chain, inclusion, the settle job's end, purge),
asserting the events of each transaction in order and the final state; then
upstream's refusals and aborts."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format

from coordinator._pb.sui.rpc.v2 import ledger_service_pb2, state_service_pb2
from coordinator.events import bcs
from coordinator.events import pipeline as ev
from coordinator.events import pipeline_objects as layout
from coordinator.events.layouts import LAYOUT_EVENTS, SHARED_EVENTS
from coordinator.events.models import BcsEvent
from coordinator.simnet import Scenario, Simnet, SimnetError, build_simnet, checks, execution
from coordinator.simnet.move import prover as prover_module
from coordinator.simnet.objects import AppMethod
from coordinator.simnet.pipeline_objects import CALCULATED, REJECTED, USED
from coordinator.simnet.services import LedgerService, StateService
from coordinator.sui.calls import block, prover, settlement
from coordinator.sui.keys import SuiKey
from coordinator.sui.transactions import (
    CreateAppJob,
    GasData,
    Multicall,
    ObjectRef,
    Operation,
    SharedObject,
    TerminateJob,
    build_transaction,
    sign_transaction,
)

SUI = 1_000_000_000
T0 = 1_764_000_000_000
CHAIN = "test:local"
MODELS: dict[str, type[BcsEvent]] = {
    name: model
    for table in (SHARED_EVENTS, LAYOUT_EVENTS["2025-11"], ev.PIPELINE_EVENTS)
    for (_, name), model in table.items()
}


class Pipeline:
    """A served-nowhere simulator (transactions executed in process, exactly as
    its gRPC service executes them) with an add-like app: methods add, merge,
    settle; one settlement chain; a user and a coordinator with gas."""

    def __init__(self) -> None:
        self.clock = [T0]
        self.sim = Simnet(checkpoint_interval_secs=0, clock_ms=lambda: self.clock[0])
        method = AppMethod("dev", "agent", "prove")
        self.app = self.sim.create_app_instance(
            "add", methods={"add": method, "merge": method, "settle": method},
            settlement_chains={CHAIN: None},
        )  # fmt: skip
        self.user, self.coordinator = SuiKey.generate(), SuiKey.generate()
        for key in (self.user, self.coordinator):
            self.sim.fund(key.address, 10 * SUI)

    def send(self, key: SuiKey, *operations: Operation) -> tuple[bool, str, list[BcsEvent]]:
        """One signed transaction: (success, error description, its events decoded)."""
        coin = max(self.sim.coins.owned_by(key.address), key=lambda c: c.balance)
        data = build_transaction(
            package=self.sim.package_id,
            app_instance=SharedObject(self.app.id, self.app.initial_shared_version, True),
            operations=list(operations), sender=key.address,
            gas=GasData((ObjectRef(coin.id, coin.version, coin.digest),), key.address, 1000,
                        SUI // 10),
        ).to_bytes()  # fmt: skip
        tx = checks.decode_signed(data, [sign_transaction(key, data)])
        executed = execution.execute(self.sim, checks.prepare(self.sim, tx, data))
        events = [MODELS[e.event_type.rsplit("::", 1)[1]].from_bcs(e.contents.value)
                  for e in executed.events.events]
        status = executed.effects.status
        return status.success, status.error.description, events

    def ok(self, key: SuiKey, *operations: Operation) -> list[BcsEvent]:
        success, error, events = self.send(key, *operations)
        assert success, error
        return events


def names(events: list[BcsEvent]) -> list[str]:
    return [type(event).__name__ for event in events]


def action(k: int) -> list[Operation]:
    """What the app's own Move call does per action (reference §4)."""
    return [CreateAppJob("add", f"action {k}", 1, (k,), data=bytes([k])),
            block.IncreaseSequence(f"opt {k}".encode(), f"trans {k}".encode())]


def submit(number: int, sequences: tuple[int, ...], merged: tuple[Any, Any] = (None, None)
           ) -> prover.SubmitProof:
    return prover.SubmitProof(number, sequences, merged[0], merged[1], f"job-{sequences}",
                       f"cache:public:p{sequences}", 8, "x86_64-linux", 16_000_000, 1000)


@pytest.fixture
def chain() -> Pipeline:
    return Pipeline()


def test_an_instance_starts_with_block_0_block_1_open_and_its_chains(chain: Pipeline) -> None:
    record = chain.sim.seal()
    created = [MODELS[e.event_type.rsplit("::", 1)[1]].from_bcs(e.contents)
               for _, _, e in record.events()]
    assert names(created) == ["ProofCalculationCreatedEvent", "SettlementCreatedEvent",
                              "BlockEvent", "AppInstanceCreatedEvent"]
    assert created[0] == ev.ProofCalculationCreatedEvent(
        block_number=1, start_sequence=1, end_sequence=None, timestamp=T0)
    assert created[2].number_of_transactions == 1 and created[2].block_number == 0
    rendered = chain.app.json()
    assert rendered["block_number"] == "1" and rendered["sequence"] == "0"
    assert rendered["settlements"]["contents"][0]["key"] == CHAIN
    assert list(rendered)[6:11] == ["blocks", "settlements", "proof_calculations",
                                    "sequence_state_manager", "jobs"]  # the Move order


def test_the_whole_pipeline_of_reference_section_4(chain: Pipeline) -> None:
    user, coord, app = chain.user, chain.coordinator, chain.app
    events = chain.ok(user, block.IncreaseSequence(b"", b""))
    assert names(events) == ["SequenceStateAddedEvent", "NoNewSequencesEvent"]
    for k in (1, 2):
        chain.clock[0] += 1000
        events = chain.ok(user, *action(k))
        assert names(events) == ["JobCreatedEvent", "SequenceStateAddedEvent",
                                 "InsufficientTimeForBlockEvent"]
        assert events[0].block_number == 1 and events[0].sequences == (k,)
    chain.ok(coord, Multicall(start=((1, 0), (2, 0))))
    events = chain.ok(coord, Multicall(complete=(1, 2)),
                      block.UpdateStateForSequence(1, None, "cache:public:s1"),
                      block.UpdateStateForSequence(2, None, "cache:public:s2"),
                      submit(1, (1,)), submit(1, (2,)))
    assert names(events) == ["JobCompletedEvent", "JobDeletedEvent", "JobCompletedEvent",
                             "JobDeletedEvent", "MulticallExecutedEvent",
                             "SequenceStateUpdatedEvent", "SequenceStateUpdatedEvent",
                             "ProofSubmittedEvent", "ProofSubmittedEvent"]
    # the merge: block open, level 1, [1] + [2]
    events = chain.ok(coord, prover.CreateMergeJob(1, (1, 2), (1,), (2,), "merge [1] with [2]"))
    assert names(events) == ["ProofReservedEvent", "ProofReservedEvent", "ProofStartedEvent",
                             "JobCreatedEvent"]
    assert events[0].da_hash == "cache:public:p(1,)" and events[3].sequences2 == (2,)
    chain.ok(coord, Multicall(start=((3, 0),)))
    events = chain.ok(coord, Multicall(complete=(3,)), submit(1, (1, 2), ((1,), (2,))))
    assert names(events)[3:] == ["ProofSubmittedEvent", "ProofUsedEvent", "ProofUsedEvent"]
    # the block, once more than a minute passed: its proof is there already
    chain.clock[0] = T0 + 60_001
    events = chain.ok(coord, block.TryCreateBlock())
    block_da = "cache:public:p(1, 2)"
    assert events == [
        ev.BlockProofEvent(block_number=1, start_sequence=1, end_sequence=2, da_hash=block_da,
                           timestamp=T0 + 60_001),
        events[1],
        ev.ProofCalculationCreatedEvent(block_number=2, start_sequence=3, end_sequence=None,
                                        timestamp=T0 + 60_001),
        ev.BlockCreatedEvent(app_instance_address=app.id, block_number=1, start_sequence=1,
                             end_sequence=2, timestamp=T0 + 60_001),
    ]
    block_event = events[1]
    assert isinstance(block_event, ev.BlockEvent)
    assert (block_event.name, block_event.number_of_transactions) == (
        "Silvana App Instance Block 1", 2)
    assert block_event.time_since_last_block == 60_001
    assert app.pipeline.last_proved_block_number == 1
    # the settle job of the chain
    now = chain.clock[0]
    data = bcs.U64.to_bytes(60_000) + bcs.U64.to_bytes(now)
    events = chain.ok(coord, CreateAppJob("settle", f"Periodic settlement check for {CHAIN}",
                                          data=data, interval_ms=60_000, next_scheduled_at=now,
                                          settlement_chain=CHAIN))
    assert names(events) == ["JobCreatedEvent"]
    assert app.pipeline.settlements[CHAIN].settlement_job == 4
    chain.ok(coord, Multicall(start=((4, 0),)))
    chain.clock[0] += 10
    [state_da] = chain.ok(coord, block.UpdateBlockStateDataAvailability(1, "cache:public:state"))
    chain.clock[0] += 10
    [proof_da] = chain.ok(coord, block.UpdateBlockProofDataAvailability(1, "cache:public:proof"))
    assert state_da == ev.DataAvailabilityEvent(
        block_number=1, state_data_availability="cache:public:state",
        proof_data_availability=None, state_calculated_at=now + 10, proof_calculated_at=None)
    assert proof_da == ev.DataAvailabilityEvent(
        block_number=1, state_data_availability="cache:public:state",
        proof_data_availability="cache:public:proof", state_calculated_at=now + 10,
        proof_calculated_at=now + 20)
    [sent] = chain.ok(coord, settlement.UpdateBlockSettlementTxHash(CHAIN, 1, "h"))
    assert sent == ev.BlockSettlementTransactionEvent(
        chain=CHAIN, block_number=1, settlement_tx_hash="h",
        settlement_tx_included_in_block=False, sent_to_settlement_at=now + 20, settled_at=None)
    calculation_id = app.pipeline.proof_calculations[1].id
    block_id = app.pipeline.blocks[1].id
    events = chain.ok(coord, settlement.UpdateBlockSettlementTxIncludedInBlock(CHAIN, 1, now + 5))
    assert names(events) == ["BlockSettledEvent", "BlockSettlementTransactionEvent",
                             "BlockCleanupEvent", "BlockPurgedEvent",
                             "ProofCalculationFinishedEvent", "ProofCalculationDeletedEvent"]
    assert events[2] == ev.BlockCleanupEvent(
        app_instance_address=app.id, previous_last_settled=0, new_min_settled=1,
        start_block=1, settlements_count=1)
    finished = events[4]
    assert isinstance(finished, ev.ProofCalculationFinishedEvent)
    assert (finished.proof_calculation_address, finished.block_proof, finished.is_finished,
            finished.proofs_count) == (calculation_id, block_da, True, 3)
    deleted = events[5]
    assert isinstance(deleted, ev.ProofCalculationDeletedEvent)
    assert [(key, proof.status) for key, proof in deleted.proofs] == [
        ((1,), USED), ((2,), USED), ((1, 2), USED)]
    assert chain.sim.objects.get(block_id) is None
    assert chain.sim.objects.get(calculation_id) is None
    # the settle job completes (periodic: rescheduled), then, after the next
    # action, nothing is left to settle: terminated; then purge
    events = chain.ok(coord, Multicall(complete=(4,)))
    assert names(events) == ["JobCompletedEvent", "JobUpdatedEvent", "JobRescheduledEvent",
                             "MulticallExecutedEvent"]
    chain.ok(user, *action(3))
    events = chain.ok(coord, TerminateJob(4))
    assert names(events) == ["JobTerminatedEvent", "JobDeletedEvent"]
    assert app.pipeline.settlements[CHAIN].settlement_job is None
    [purged] = chain.ok(coord, block.Purge(32))
    assert purged == ev.SequenceStatesPurgedEvent(
        manager_address=app.pipeline.manager.id, old_lowest_sequence=0, new_lowest_sequence=2,
        sequences_purged=2, timestamp=chain.clock[0])
    # the final state, as a client reads it
    pipeline = app.pipeline
    assert (pipeline.last_proved_block_number, pipeline.last_settled_block_number,
            pipeline.last_settled_sequence, pipeline.last_purged_sequence) == (1, 1, 2, 2)
    assert (pipeline.sequence, pipeline.block_number) == (4, 2)
    assert sorted(pipeline.blocks) == [0] and sorted(pipeline.proof_calculations) == [2]
    assert sorted(pipeline.manager.states) == [2, 3]
    settled = pipeline.settlements[CHAIN].block_settlements[1]
    assert layout.BlockSettlement.from_bcs(settled.bcs() or b"") == layout.BlockSettlement(
        id=settled.id, block_number=1, settlement_tx_hash="h",
        settlement_tx_included_in_block=True, sent_to_settlement_at=now + 20,
        settled_at=now + 5)
    rendered = app.json()
    assert rendered["last_settled_sequence"] == "2"
    assert rendered["sequence_state_manager"]["lowest_sequence"] == "2"


def test_pipeline_objects_are_dynamic_fields_of_their_tables(chain: Pipeline) -> None:
    chain.ok(chain.user, block.IncreaseSequence(b"", b""))
    chain.ok(chain.user, *action(1))
    table = chain.app.pipeline.manager.table_id
    fields = chain.sim.objects.dynamic_fields(table)
    assert sorted(f.key_bcs for f in fields) == [bcs.U64.to_bytes(0), bcs.U64.to_bytes(1)]
    for found in fields:
        child = chain.sim.objects.get(found.child.id)
        assert child is found.child and child.object_version > 0
        state = layout.SequenceState.from_bcs(child.bcs() or b"")
        assert state == layout.SequenceState.from_json(child.json())
        assert state.optimistic_state == (b"" if state.sequence == 0 else b"opt 1")
    [calculation] = chain.sim.objects.dynamic_fields(chain.app.pipeline.proof_calculations_table)
    assert calculation.key_bcs == bcs.U64.to_bytes(1)
    assert layout.ProofCalculation.from_bcs(calculation.child.bcs() or b"").start_sequence == 1


def test_refusals_answer_false_with_upstream_events(chain: Pipeline) -> None:
    coord = chain.coordinator
    [failed] = chain.ok(coord, block.UpdateStateForSequence(5, b"s", None))
    assert (failed.operation, failed.entity_id, failed.reason) == (
        "update_state_for_sequence", 5, "sequence_too_high")
    chain.ok(chain.user, block.IncreaseSequence(b"", b""), *action(1))
    settle = CreateAppJob("settle", None, interval_ms=60_000, settlement_chain=CHAIN)
    chain.ok(coord, settle)
    [refused] = chain.ok(coord, settle)
    assert refused.reason == "Settlement job already exists for this chain"
    [unknown] = chain.ok(coord, CreateAppJob("settle", None, settlement_chain="other"))
    assert unknown.reason == "Settlement chain not found"
    # a merge of proofs that do not exist: nothing reserved, no job
    events = chain.ok(coord, prover.CreateMergeJob(1, (1, 2), (1,), (2,)))
    assert [e.reason for e in events] == ["Failed to reserve proofs for merge"]


def test_a_rejected_proof_returns_its_parts_and_cannot_be_used(chain: Pipeline) -> None:
    coord = chain.coordinator
    chain.ok(chain.user, block.IncreaseSequence(b"", b""), *action(1), *action(2))
    chain.ok(coord, submit(1, (1,)), submit(1, (2,)),
             prover.CreateMergeJob(1, (1, 2), (1,), (2,)), submit(1, (1, 2), ((1,), (2,))))
    events = chain.ok(coord, prover.RejectProof(1, (2, 1)))
    assert names(events) == ["ProofReturnedEvent", "ProofReturnedEvent", "ProofRejectedEvent"]
    proofs = chain.app.pipeline.proof_calculations[1].proofs
    assert [proofs[k].status for k in ((1,), (2,), (1, 2))] == [CALCULATED, CALCULATED, REJECTED]
    assert proofs[(1, 2)].rejected_count == 1
    chain.ok(coord, prover.RejectProof(1, (1,)))
    success, error, _ = chain.send(coord, submit(1, (1, 2), ((1,), (2,))))
    assert not success and 'Identifier("prover")' in error and "use_proof" in error


def test_aborts_fail_the_transaction_as_upstream(chain: Pipeline) -> None:
    coord = chain.coordinator
    [early] = chain.ok(coord, block.TryCreateBlock())  # sequence 0, but too early to tell
    assert isinstance(early, ev.InsufficientTimeForBlockEvent)
    chain.clock[0] += 60_001
    success, error, _ = chain.send(coord, block.TryCreateBlock())  # sequence 0: u64 underflow
    assert not success and "try_create_block" in error
    chain.ok(chain.user, block.IncreaseSequence(b"", b""), *action(1))
    chain.ok(coord, block.TryCreateBlock())  # block 1 = [1]
    success, error, _ = chain.send(coord, settlement.UpdateBlockSettlementTxHash(CHAIN, 1, "h"))
    assert not success and "update_block_settlement_tx_hash" in error  # EBlockNotProved
    chain.ok(coord, block.UpdateBlockStateDataAvailability(1, "s"),
             block.UpdateBlockProofDataAvailability(1, "p"))
    success, error, _ = chain.send(coord, settlement.UpdateBlockSettlementTxHash("other", 1, "h"))
    assert not success  # ESettlementChainNotFound
    included = settlement.UpdateBlockSettlementTxIncludedInBlock(CHAIN, 2, 1)
    success, error, _ = chain.send(coord, included)
    assert not success and 'Identifier("dynamic_field")' in error  # no block 2
    success, error, _ = chain.send(coord, block.Purge(0))
    assert not success and "purge" in error  # EInvalidPurgeSequences
    assert chain.app.pipeline.settlements[CHAIN].block_settlements == {}


def test_the_facade_drives_an_instance_without_keys(chain: Pipeline) -> None:
    sim, app = chain.sim, chain.app
    sim.move_call("add", block.IncreaseSequence(b"", b""))
    sim.move_call("add", block.IncreaseSequence(b"o", b"t"))
    sim.move_call("add", submit(1, (1,)))
    chain.clock[0] += 60_001
    sim.move_call("add", block.TryCreateBlock())
    assert app.pipeline.last_proved_block_number == 1 and 1 in app.pipeline.blocks
    assert sim.objects.get(app.pipeline.blocks[1].id) is app.pipeline.blocks[1]
    with pytest.raises(SimnetError, match="MoveAbort"):
        sim.move_call("add", settlement.UpdateBlockSettlementTxHash(CHAIN, 1, "h"))
    assert app.pipeline.settlements[CHAIN].block_settlements == {}
    record = sim.seal()
    types = [e.event_type.rsplit("::", 1)[1] for _, _, e in record.events()]
    assert types[-4:] == ["BlockProofEvent", "BlockEvent", "ProofCalculationCreatedEvent",
                          "BlockCreatedEvent"]


def test_a_scenario_names_an_instance_s_settlement_chains() -> None:
    scenario = Scenario.model_validate({"app_instances": [
        {"name": "add", "settlement_chains": {CHAIN: "", "mina:devnet": "B62q"}}]})
    sim = build_simnet(scenario, checkpoint_interval_secs=0)
    settlements = sim.app_instance("add").pipeline.settlements
    assert [(s.chain, s.settlement_address) for s in settlements.values()] == [
        (CHAIN, None), ("mina:devnet", "B62q")]


async def test_a_client_reads_blocks_through_the_state_and_ledger_services(
    chain: Pipeline,
) -> None:
    chain.ok(chain.user, block.IncreaseSequence(b"", b""))
    ledger, state = LedgerService(chain.sim), StateService(chain.sim)
    instance = await ledger.GetObject(ledger_service_pb2.GetObjectRequest(
        object_id=chain.app.id, read_mask={"paths": ["json"]}))
    blocks_table = json_format.MessageToDict(instance.object.json)["blocks"]["id"]
    fields = await state.ListDynamicFields(state_service_pb2.ListDynamicFieldsRequest(
        parent=blocks_table, read_mask={"paths": ["name", "child_id", "value_type"]}))
    (field,) = fields.dynamic_fields
    assert field.name.value == bcs.U64.to_bytes(0)
    assert field.value_type == f"{chain.sim.package_id}::block::Block"
    found = await ledger.GetObject(ledger_service_pb2.GetObjectRequest(
        object_id=field.child_id, read_mask={"paths": ["contents", "json"]}))
    genesis = layout.Block.from_bcs(found.object.contents.value)
    assert (genesis.block_number, genesis.name, genesis.created_at) == (
        0, "Silvana App Instance Block 0", T0)
    assert layout.Block.from_json(json_format.MessageToDict(found.object.json)) == genesis


def test_block_before_merge_the_merge_is_the_block_proof(chain: Pipeline) -> None:
    """Reference §4's other order: the block is created first, so the merge
    proves the whole block and its submission finishes it."""
    coord, pipeline = chain.coordinator, chain.app.pipeline
    chain.ok(chain.user, block.IncreaseSequence(b"", b""), *action(1), *action(2))
    chain.ok(coord, submit(1, (1,)), submit(1, (2,)))
    chain.clock[0] = T0 + 60_001
    assert names(chain.ok(coord, block.TryCreateBlock()))[0] == "BlockEvent"  # no proof yet
    assert pipeline.last_proved_block_number == 0
    chain.ok(coord, prover.CreateMergeJob(1, (1, 2), (1,), (2,)))
    events = chain.ok(coord, submit(1, (1, 2), ((1,), (2,))))
    assert names(events) == ["ProofSubmittedEvent", "ProofUsedEvent", "ProofUsedEvent",
                             "BlockProofEvent"]
    assert pipeline.last_proved_block_number == 1
    assert pipeline.proof_calculations[1].block_proof == "cache:public:p(1, 2)"


def test_a_started_merge_is_taken_over_only_after_the_timeout(chain: Pipeline) -> None:
    coord = chain.coordinator
    chain.ok(chain.user, block.IncreaseSequence(b"", b""), *action(1), *action(2))
    chain.ok(coord, submit(1, (1,)), submit(1, (2,)))
    merge = prover.CreateMergeJob(1, (1, 2), (1,), (2,))
    chain.ok(coord, merge)
    events = chain.ok(coord, merge)
    assert [e.reason for e in events] == ["proof_already_started",
                                          "Failed to reserve proofs for merge"]
    assert events[0].additional_data == bcs.vector(bcs.U64).to_bytes((1, 2))
    chain.clock[0] += prover_module.PROOF_TIMEOUT_MS + 1
    events = chain.ok(coord, merge)  # the old one's parts return, then are taken again
    assert names(events) == ["ProofReturnedEvent", "ProofReturnedEvent", "ProofReservedEvent",
                             "ProofReservedEvent", "ProofStartedEvent", "JobCreatedEvent"]
