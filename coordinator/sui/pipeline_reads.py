"""An app instance's proof pipeline as the chain holds it, read back and validated.

Agents read it (GetProof, GetBlockProof, GetBlock, GetBlockSettlement,
GetSequenceStates) and the coordinator's merge and settle loops decide from it.
Everything hangs off the shared AppInstance (reference §1.1): its counters and
the ids of its ObjectTables (`blocks`, `proof_calculations`, the sequence state
manager's `sequence_states`, each settlement chain's `block_settlements`),
whose entries are objects of their own, dynamic object fields keyed by the
BCS u64 block number or sequence. They are read as a fullnode serves them:
the instance by GetObject, a table's entries by ListDynamicFields with each
child object's JSON in the same page.

Every object is decoded with its Move layout (`events.pipeline_objects`) and
held against the key it is stored under, so bad chain data is one `SuiError`
(code UNDECODABLE_PIPELINE_OBJECT) naming the object, never a KeyError deep
in a call. Rules that are upstream's, not the chain's (which sequence states
an agent gets), raise `SequenceStatesError` with upstream's words.

    state = await read_pipeline(client, app_instance)
    calculation = await read_proof_calculation(client, state, block_number)
    states = await read_sequence_states(client, state, sequence)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, TypeVar

import trio
from google.protobuf import json_format

from coordinator.events import bcs
from coordinator.events import pipeline_objects as layout
from coordinator.events.bcs import BcsError
from coordinator.events.models import BcsEvent, app_instance_address
from coordinator.events.models_2025_11 import ObjectTable
from coordinator.sui.client import SuiClient, SuiError, SuiNotFound
from coordinator.sui.objects import PAGE_SIZE, Connect, object_json

__all__ = [
    "READ_TIMEOUT_SECS",
    "UNDECODABLE",
    "PipelineState",
    "SequenceStatesError",
    "UnknownChain",
    "pipeline_client",
    "read_block",
    "read_block_settlement",
    "read_block_settlements",
    "read_blocks",
    "read_descriptors",
    "read_pipeline",
    "read_proof_calculation",
    "read_proof_calculations",
    "read_sequence_state",
    "read_sequence_states",
]

# One whole read (the instance and the entries it needs), its connection included.
READ_TIMEOUT_SECS = 15.0
UNDECODABLE = "UNDECODABLE_PIPELINE_OBJECT"

M = TypeVar("M", bound=BcsEvent)
T = TypeVar("T")


class SequenceStatesError(Exception):
    """The states asked for cannot be given by upstream's rule (out of bounds, a
    gap, no starting state); the message is upstream's."""


class UnknownChain(Exception):
    """The app instance has no settlement on that chain."""


@dataclass(frozen=True)
class PipelineState:
    """The AppInstance's pipeline fields (reference §1.1) at one read: its
    counters, and where its tables' entries are."""

    app_instance: str  # the object id, 0x-prefixed
    sequence: int  # the next sequence to be added
    block_number: int  # the open block (not yet created)
    previous_block_timestamp: int
    previous_block_last_sequence: int
    last_proved_block_number: int
    last_settled_block_number: int  # the least over the settlement chains
    last_settled_sequence: int
    last_purged_sequence: int
    min_time_between_blocks: int
    blocks_table: str
    proof_calculations_table: str
    sequence_states_table: str
    lowest_sequence: int | None  # None: no sequence state yet
    highest_sequence: int | None
    settlements: Mapping[str, layout.Settlement]  # by chain, in the instance's order


_COUNTERS = ("sequence", "block_number", "previous_block_timestamp",
             "previous_block_last_sequence", "last_proved_block_number",
             "last_settled_block_number", "last_settled_sequence", "last_purged_sequence",
             "min_time_between_blocks")


def _undecodable(what: str, detail: object) -> SuiError:
    first = str(detail).splitlines()[0] if str(detail) else type(detail).__name__
    return SuiError("GetObject", UNDECODABLE, f"{what}: {first}")


def _field(read: Callable[[Any], T], value: Mapping[str, Any], name: str) -> T:
    """One field of the instance's rendering, an error naming it."""
    if name not in value:
        raise BcsError(f"{name} missing")
    try:
        return read(value[name])
    except (BcsError, KeyError, TypeError, ValueError) as exc:
        raise BcsError(f"{name}: {exc}") from None


def pipeline_state(object_id: str, value: Mapping[str, Any]) -> PipelineState:
    """The pipeline fields of an AppInstance's JSON rendering (`Object.json`)."""
    try:
        counters = {name: _field(bcs.U64.read_json, value, name) for name in _COUNTERS}
        blocks = _field(ObjectTable.from_json, value, "blocks")
        calculations = _field(ObjectTable.from_json, value, "proof_calculations")
        manager = _field(layout.SequenceStateManager.from_json, value, "sequence_state_manager")
        settlements: dict[str, layout.Settlement] = {}
        by_chain = bcs.vec_map(bcs.STRING, layout.Settlement.codec()).read_json
        for chain, settlement in _field(by_chain, value, "settlements"):
            if chain in settlements or settlement.chain != chain:
                raise BcsError(f"settlements: chain {chain!r} twice or under another name")
            settlements[chain] = settlement
    except BcsError as exc:
        raise _undecodable(f"app instance {object_id} has no proof pipeline of a known "
                           f"layout", exc) from None
    return PipelineState(
        app_instance=object_id, blocks_table=blocks.id,
        proof_calculations_table=calculations.id,
        sequence_states_table=manager.sequence_states.id,
        lowest_sequence=manager.lowest_sequence, highest_sequence=manager.highest_sequence,
        settlements=settlements, **counters,
    )  # fmt: skip


async def read_pipeline(client: SuiClient, app_instance: str) -> PipelineState:
    """The pipeline of `app_instance` (its object id, with or without 0x) as on
    chain now; `SuiNotFound` when the object is not there."""
    object_id = app_instance_address(app_instance)
    return pipeline_state(object_id, await object_json(client, object_id))


@asynccontextmanager
async def pipeline_client(connect: Connect, what: str) -> AsyncIterator[SuiClient]:
    """A connection for one read of `what`, all of it within READ_TIMEOUT_SECS
    (then a `SuiError` DEADLINE_EXCEEDED)."""
    with trio.move_on_after(READ_TIMEOUT_SECS) as scope:
        async with connect() as client:
            yield client
    if scope.cancelled_caught:
        raise SuiError("GetObject", "DEADLINE_EXCEEDED",
                       f"{what} not read within {READ_TIMEOUT_SECS:g} s")


async def _entries(client: SuiClient, table_id: str, model: type[M], key_field: str,
                   wanted: Callable[[int], bool], what: str) -> dict[int, M]:
    """The entries of an ObjectTable whose u64 key is `wanted`, decoded with
    `model` and held against the key they are stored under."""
    found: dict[int, M] = {}
    page_token: bytes | None = None
    while True:
        try:
            page = await client.list_dynamic_fields(
                table_id, page_size=PAGE_SIZE, page_token=page_token,
                read_mask=["name", "child_id", "child_object.object_id", "child_object.json"],
            )
        except SuiNotFound:
            return found
        for field in page.dynamic_fields:
            try:
                key = _u64_key(field.name.value)
            except BcsError as exc:
                raise _undecodable(f"{what}: an entry of table {table_id}", exc) from None
            if not wanted(key):
                continue
            if field.HasField("child_object") and field.child_object.HasField("json"):
                value = json_format.MessageToDict(field.child_object.json)
            else:  # a node that does not render children in the listing
                value = await object_json(client, field.child_id)
            found[key] = _decoded(model, value, key_field, key, f"{what} {key}")
        if not page.next_page_token:
            return found
        page_token = page.next_page_token


def _u64_key(name: bytes) -> int:
    reader = bcs.Reader(name, path="key")
    key = reader.u64()
    reader.finish()
    return key


def _decoded(model: type[M], value: Any, key_field: str, key: int, what: str) -> M:
    try:
        decoded = model.from_json(value)
    except (BcsError, ValueError) as exc:
        raise _undecodable(f"{what} is not a {model.__name__} of a known layout", exc) from None
    if getattr(decoded, key_field) != key:
        raise _undecodable(f"{what} is stored under key {key}",
                           f"its {key_field} is {getattr(decoded, key_field)}")
    return decoded


async def _one(client: SuiClient, table_id: str, model: type[M], key_field: str, key: int,
               what: str) -> M | None:
    return (await _entries(client, table_id, model, key_field, key.__eq__, what)).get(key)


async def read_proof_calculation(client: SuiClient, state: PipelineState,
                                 block_number: int) -> layout.ProofCalculation | None:
    """The ProofCalculation of a block; None when there is none (a block not
    yet opened, or settled on every chain and deleted)."""
    return await _one(client, state.proof_calculations_table, layout.ProofCalculation,
                      "block_number", block_number, "proof calculation of block")


async def read_proof_calculations(
    client: SuiClient, state: PipelineState, block_numbers: Collection[int]
) -> dict[int, layout.ProofCalculation]:
    """The ProofCalculations of the blocks asked for that exist, in one listing."""
    wanted = set(block_numbers)
    return await _entries(client, state.proof_calculations_table, layout.ProofCalculation,
                          "block_number", wanted.__contains__, "proof calculation of block")


async def read_block(client: SuiClient, state: PipelineState,
                     block_number: int) -> layout.Block | None:
    """A created Block; None when not created yet or settled everywhere and deleted."""
    return await _one(client, state.blocks_table, layout.Block, "block_number",
                      block_number, "block")


async def read_blocks(client: SuiClient, state: PipelineState,
                      block_numbers: Collection[int]) -> dict[int, layout.Block]:
    """The Blocks asked for that exist, in one listing."""
    wanted = set(block_numbers)
    return await _entries(client, state.blocks_table, layout.Block, "block_number",
                          wanted.__contains__, "block")


async def read_block_settlement(client: SuiClient, state: PipelineState, chain: str,
                                block_number: int) -> layout.BlockSettlement | None:
    """The BlockSettlement of a block on one settlement chain; None when that
    chain has no record of the block; `UnknownChain` when the instance does
    not settle on `chain`."""
    settlement = state.settlements.get(chain)
    if settlement is None:
        raise UnknownChain(chain)
    return await _one(client, settlement.block_settlements.id, layout.BlockSettlement,
                      "block_number", block_number, f"block settlement on {chain} of block")


async def read_block_settlements(
    client: SuiClient, state: PipelineState, chain: str, block_numbers: Collection[int]
) -> dict[int, layout.BlockSettlement]:
    """The BlockSettlements on `chain` of the blocks asked for that have one, in
    one listing; `UnknownChain` as `read_block_settlement`."""
    settlement = state.settlements.get(chain)
    if settlement is None:
        raise UnknownChain(chain)
    wanted = set(block_numbers)
    return await _entries(client, settlement.block_settlements.id, layout.BlockSettlement,
                          "block_number", wanted.__contains__,
                          f"block settlement on {chain} of block")


async def read_sequence_state(client: SuiClient, state: PipelineState,
                              sequence: int) -> layout.SequenceState | None:
    return await _one(client, state.sequence_states_table, layout.SequenceState, "sequence",
                      sequence, "sequence state")


async def read_sequence_states(client: SuiClient, state: PipelineState,
                               sequence: int) -> list[layout.SequenceState]:
    """The states an agent proving `sequence` starts from, by upstream's rule
    (`crates/sui/src/fetch/sequence_state.rs` at d1563ea): `sequence` alone when
    it has a data availability; else every state from the highest lower
    sequence that has one up to `sequence`; else from the lowest kept. The run
    must be contiguous, end at `sequence` and start from a state with a data
    availability (or sequence 0, when nothing was purged)."""
    lowest, highest = state.lowest_sequence, state.highest_sequence
    if lowest is None or highest is None:  # upstream reads [0, 0] and misses sequence 0
        raise SequenceStatesError(f"Sequence state {sequence} not found")
    if not lowest <= sequence <= highest:
        raise SequenceStatesError(
            f"Requested sequence {sequence} is out of bounds [{lowest}, {highest}]")
    kept = await _entries(client, state.sequence_states_table, layout.SequenceState,
                          "sequence", lambda key: lowest <= key <= sequence, "sequence state")
    requested = kept.get(sequence)
    if requested is None:
        raise SequenceStatesError(f"Sequence state {sequence} not found")
    if requested.data_availability is not None:
        return [requested]
    with_da = [key for key, found in kept.items()
               if key < sequence and found.data_availability is not None]
    start = max(with_da, default=None)
    states = [kept[key] for key in sorted(kept) if key >= (lowest if start is None else start)]
    _check_run(states, first_must_have_da=lowest != 0)
    return states


async def read_descriptors(client: SuiClient, state: PipelineState) -> set[str]:
    """Every descriptor the instance's objects name: its sequence states' data
    availability, its proofs' and block proofs' `da_hash`, its blocks' state
    and proof data availability (what an agent of the instance may read)."""
    def every(key: int) -> bool:
        return True

    found: set[str] = set()
    states = await _entries(client, state.sequence_states_table, layout.SequenceState,
                            "sequence", every, "sequence state")
    found.update(s.data_availability for s in states.values() if s.data_availability)
    calculations = await _entries(client, state.proof_calculations_table,
                                  layout.ProofCalculation, "block_number", every,
                                  "proof calculation of block")
    for calculation in calculations.values():
        found.update(proof.da_hash for _, proof in calculation.proofs if proof.da_hash)
        if calculation.block_proof:
            found.add(calculation.block_proof)
    blocks = await _entries(client, state.blocks_table, layout.Block, "block_number", every,
                            "block")
    for created in blocks.values():
        found.update(d for d in (created.state_data_availability,
                                 created.proof_data_availability) if d)
    return found


def _check_run(states: list[layout.SequenceState], *, first_must_have_da: bool) -> None:
    """Upstream's checks of the states it returns, with its messages (the run
    ends at the requested state by construction)."""
    for before, after in pairwise(states):
        if after.sequence != before.sequence + 1:
            raise SequenceStatesError(f"Non-sequential sequences: missing sequences between "
                                      f"{before.sequence} and {after.sequence}")
    first = states[0]
    if first_must_have_da and first.data_availability is None and first.sequence != 0:
        raise SequenceStatesError(
            f"First sequence {first.sequence} must have data availability or be sequence 0")
