"""The chain reads of an app instance's proof pipeline (`sui.pipeline_reads`)
through a real Sui client against the served simulator, on state made by the
pipeline's Move functions: the counters, a block's proof calculation, a
block, its settlement per chain, upstream's rule for sequence states (each
of its cases) and bad chain data as one clear error."""

from __future__ import annotations

import pytest
import trio

from coordinator.simnet.pipeline_objects import USED
from coordinator.sui.calls import block
from coordinator.sui.client import SuiError, SuiNotFound
from coordinator.sui.pipeline_reads import (
    UNDECODABLE,
    PipelineState,
    SequenceStatesError,
    UnknownChain,
    pipeline_state,
    read_block,
    read_block_settlement,
    read_block_settlements,
    read_blocks,
    read_pipeline,
    read_proof_calculation,
    read_proof_calculations,
    read_sequence_state,
    read_sequence_states,
)
from tests.pipeline_support import CHAIN, OTHER_CHAIN, T0, PipelineChain, served_pipeline


@pytest.fixture
async def chain(nursery: trio.Nursery) -> PipelineChain:
    return await served_pipeline(nursery)


async def _state(chain: PipelineChain) -> PipelineState:
    async with chain.connect() as client:
        return await read_pipeline(client, chain.app_instance)


async def test_a_created_proved_block_is_read_back_as_the_chain_holds_it(
        chain: PipelineChain) -> None:
    chain.actions(3)  # sequences 0, 1, 2
    chain.prove_block(1, 1, 2)
    chain.actions(1)  # sequence 3, in block 2
    chain.call(block.UpdateBlockStateDataAvailability(1, "state-1"))
    async with chain.connect() as client:
        state = await read_pipeline(client, chain.app.id)
        assert (state.sequence, state.block_number, state.last_proved_block_number) == (4, 2, 1)
        assert (state.previous_block_last_sequence, state.lowest_sequence,
                state.highest_sequence) == (2, 0, 3)
        assert state.min_time_between_blocks == 60_000
        assert list(state.settlements) == [CHAIN, OTHER_CHAIN]
        assert state.settlements[OTHER_CHAIN].settlement_address == "B62q-settlement"
        calculation = await read_proof_calculation(client, state, 1)
        assert calculation is not None and calculation.is_finished
        assert (calculation.start_sequence, calculation.end_sequence) == (1, 2)
        assert calculation.block_proof == "p[1, 2]"
        # the block's creation used its proof
        assert [(key, proof.status, proof.da_hash) for key, proof in calculation.proofs] == [
            ((1,), USED, "p[1]"), ((2,), USED, "p[2]"), ((1, 2), USED, "p[1, 2]")]
        open_block = await read_proof_calculation(client, state, 2)
        assert open_block is not None and open_block.end_sequence is None
        assert await read_proof_calculation(client, state, 7) is None
        assert sorted(await read_proof_calculations(client, state, {1, 2, 3})) == [1, 2]
        created = await read_block(client, state, 1)
        assert created is not None and created.name == "Silvana App Instance Block 1"
        assert (created.start_sequence, created.end_sequence,
                created.number_of_transactions) == (1, 2, 2)
        assert created.state_data_availability == "state-1"
        assert created.proof_data_availability is None
        assert created.created_at == T0 + 3000 + 60_001
        assert len(created.state_commitment) == 32
        genesis = await read_block(client, state, 0)
        assert genesis is not None and genesis.end_sequence == 0
        assert await read_block(client, state, 2) is None
        assert await read_block_settlement(client, state, CHAIN, 1) is None
        with pytest.raises(UnknownChain):
            await read_block_settlement(client, state, "nowhere", 1)
        third = await read_sequence_state(client, state, 3)
        assert third is not None and third.optimistic_state == b"opt"


async def test_settlement_records_per_chain_and_the_blocks_settled_everywhere_go(
        chain: PipelineChain) -> None:
    chain.actions(3)
    chain.prove_block(1, 1, 2)
    chain.settle(CHAIN, 1, settled_at=T0 + 99)
    state = await _state(chain)
    async with chain.connect() as client:
        record = await read_block_settlement(client, state, CHAIN, 1)
        assert record is not None and record.settlement_tx_included_in_block
        assert (record.settlement_tx_hash, record.settled_at) == ("tx-1", T0 + 99)
        assert await read_block_settlement(client, state, OTHER_CHAIN, 1) is None
        assert list(await read_block_settlements(client, state, CHAIN, range(5))) == [1]
        assert await read_block_settlements(client, state, OTHER_CHAIN, range(5)) == {}
        with pytest.raises(UnknownChain):
            await read_block_settlements(client, state, "nowhere", {1})
        assert sorted(await read_blocks(client, state, {0, 1, 2})) == [0, 1]
        assert state.settlements[CHAIN].last_settled_block_number == 1
        assert state.last_settled_block_number == 0  # the least over both chains
        assert await read_block(client, state, 1) is not None
    chain.settle(OTHER_CHAIN, 1, settled_at=T0 + 100)
    state = await _state(chain)
    async with chain.connect() as client:
        assert (state.last_settled_block_number, state.last_settled_sequence) == (1, 2)
        assert await read_block(client, state, 1) is None  # settled everywhere: deleted
        assert await read_proof_calculation(client, state, 1) is None
        record = await read_block_settlement(client, state, OTHER_CHAIN, 1)
        assert record is not None and record.settlement_tx_hash == "tx-1"


async def _sequences(chain: PipelineChain, sequence: int) -> list[int]:
    state = await _state(chain)
    async with chain.connect() as client:
        return [s.sequence for s in await read_sequence_states(client, state, sequence)]


async def _refused(chain: PipelineChain, sequence: int) -> str:
    with pytest.raises(SequenceStatesError) as info:
        await _sequences(chain, sequence)
    return str(info.value)


async def test_sequence_states_follow_upstreams_rule(chain: PipelineChain) -> None:
    assert await _refused(chain, 0) == "Sequence state 0 not found"  # none yet
    chain.actions(5)  # 0..4, no data availability anywhere
    assert await _sequences(chain, 3) == [0, 1, 2, 3]  # from the lowest (0 needs none)
    assert await _sequences(chain, 0) == [0]
    chain.call(block.UpdateStateForSequence(2, b"s2", "da-2"))
    assert await _sequences(chain, 4) == [2, 3, 4]  # from the highest lower one with a DA
    assert await _sequences(chain, 2) == [2]  # the requested one has a DA: alone
    assert await _sequences(chain, 1) == [0, 1]  # the DA above does not count
    chain.call(block.UpdateStateForSequence(3, None, "da-3"))
    assert await _sequences(chain, 4) == [3, 4]  # the highest, not the first
    assert await _refused(chain, 5) == "Requested sequence 5 is out of bounds [0, 4]"
    state = await _state(chain)
    async with chain.connect() as client:
        [only] = await read_sequence_states(client, state, 2)
        assert (only.state, only.data_availability, only.transition_data) == (
            b"s2", "da-2", b"trans")


async def test_sequence_states_after_a_purge(chain: PipelineChain) -> None:
    chain.actions(3)  # 0..2
    chain.prove_block(1, 1, 2)
    chain.actions(1)  # 3, in block 2
    chain.settle(CHAIN, 1, settled_at=T0)
    chain.settle(OTHER_CHAIN, 1, settled_at=T0)
    chain.call(block.Purge(32))  # keeps 2 (the last settled sequence) and 3
    assert await _refused(chain, 1) == "Requested sequence 1 is out of bounds [2, 3]"
    # nothing kept has a DA and the lowest is not 0: no state to start from
    assert await _refused(chain, 3) == (
        "First sequence 2 must have data availability or be sequence 0")
    chain.call(block.UpdateStateForSequence(2, None, "da-2"))
    assert await _sequences(chain, 3) == [2, 3]


async def test_bad_chain_data_is_one_clear_error(chain: PipelineChain) -> None:
    chain.actions(4)
    del chain.app.pipeline.manager.states[1]  # a node serving a table with a hole
    with pytest.raises(SequenceStatesError, match="missing sequences between 0 and 2"):
        await _sequences(chain, 3)
    chain.app.pipeline.blocks[0].block_number = 5  # an entry not under its own number
    state = await _state(chain)
    async with chain.connect() as client:
        with pytest.raises(SuiError) as info:
            await read_block(client, state, 0)
        assert info.value.code == UNDECODABLE
        assert "block 0 is stored under key 0: its block_number is 5" in info.value.message
        with pytest.raises(SuiNotFound):
            await read_pipeline(client, "0x" + "77" * 32)


async def test_an_instance_without_a_pipeline_of_the_known_layout_is_one_clear_error(
        chain: PipelineChain) -> None:
    rendered = chain.app.json()
    state = pipeline_state(chain.app.id, rendered)
    assert (state.sequence, state.block_number, state.lowest_sequence) == (0, 1, None)
    broken: list[tuple[dict[str, object], str]] = [
        ({k: v for k, v in rendered.items() if k != "blocks"}, "blocks missing"),
        ({**rendered, "sequence": "-1"}, "sequence: "),
        ({**rendered, "settlements": {"contents": [
            {"key": "elsewhere", "value": rendered["settlements"]["contents"][0]["value"]}]}},
         "chain 'elsewhere' twice or under another name"),
    ]
    for value, detail in broken:
        with pytest.raises(SuiError) as info:
            pipeline_state(chain.app.id, value)
        assert info.value.code == UNDECODABLE and detail in info.value.message
        assert info.value.message.startswith(f"app instance {chain.app.id} has no proof pipeline")
