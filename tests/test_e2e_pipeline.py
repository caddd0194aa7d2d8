"""The proof pipeline end to end (issue 24, reference proof-pipeline.md §4): the
daemon with a Sui key on the embedded simulator, an add-like app (methods add,
merge, settle of one agent; one settlement chain `test:local`), the demo agent
in its `pipeline` mode in real containers, built on upstream's own coordinator.proto
(unchanged, from the shared vectors), host networking on 127.0.0.1.

Two actions make two prove jobs; the daemon's analysis makes a merge job of
their proofs; once the simulator's clock is moved past the minimum time, the
block loop creates block 1 with the merged proof as its block proof; the
analysis makes a settle job, the agent settles the block on `test:local`;
the next analysis ends the settle job (nothing left to settle) and purges
the settled sequence states. Asserted: the chain's events of §4 in order, and
the app instance's final state."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import pytest
import trio

from coordinator import app
from coordinator.config import load_settings
from coordinator.events import pipeline as ev
from coordinator.events.layouts import LAYOUT_EVENTS, SHARED_EVENTS
from coordinator.events.models import BcsEvent
from coordinator.simnet import Simnet, serve
from coordinator.simnet.clock import SimClock
from coordinator.simnet.objects import AppMethod
from coordinator.sui.calls.app_instance import CreateAppJob
from coordinator.sui.calls.block import IncreaseSequence
from coordinator.sui.keys import SuiKey
from tests.e2e_support import Daemon, free_port, status_when, write_config
from tests.support import AGENT, DEV, METHOD, SUI, containers_of, eventually, register_app

pytestmark = pytest.mark.docker

APP = "add-pipeline"
CHAIN = "test:local"
# Ten minutes: however slow the machine, no block is due before the test moves
# the simulator's clock past it.
MIN_TIME_MS = 600_000
MODELS: dict[str, type[BcsEvent]] = {
    name: model
    for table in (SHARED_EVENTS, LAYOUT_EVENTS["2025-11"], ev.PIPELINE_EVENTS)
    for (_, name), model in table.items()
}


def chain_events(sim: Simnet) -> list[BcsEvent]:
    """Every event the simulator's checkpoints hold, decoded, in ledger order."""
    return [MODELS[e.event_type.rsplit("::", 1)[1]].from_bcs(e.contents)
            for record in sim.chain.checkpoints for _, _, e in record.events()
            if e.event_type.rsplit("::", 1)[1] in MODELS]


def first(events: list[BcsEvent], after: int, kind: type[BcsEvent],
          where: Callable[[Any], bool] = lambda _: True) -> int:
    """The index of the first `kind` event after index `after` that `where` holds for."""
    for index in range(after + 1, len(events)):
        if isinstance(events[index], kind) and where(events[index]):
            return index
    raise AssertionError(f"no {kind.__name__} after event {after}: "
                         f"{[type(e).__name__ for e in events[after + 1:]]}")


def action(sim: Simnet, k: int) -> None:
    """What an add app's Move call does per action: a prove job for sequence k
    in the open block, then the sequence itself."""
    block = sim.app_instance(APP).pipeline.block_number
    sim.move_call(APP, CreateAppJob("add", f"action {k}", block, (k,), data=bytes([k])))
    sim.move_call(APP, IncreaseSequence(f"opt {k}".encode(), f"trans {k}".encode()))


async def test_actions_are_proved_merged_put_in_a_block_settled_and_purged(
    upstream_agent_variant: Callable[[str], str], docker_client: docker.DockerClient,
    tmp_path: Path, sock_dir: Path, daemons: list[Daemon],
) -> None:
    clock = SimClock()
    method = AppMethod(DEV, AGENT, METHOD)
    sim = register_app(
        Simnet(checkpoint_interval_secs=0.2, layout="2025-11", clock_ms=clock),
        upstream_agent_variant("pipeline"), APP,
        methods={"add": method, "merge": method, "settle": method},
        settlement_chains={CHAIN: None}, min_time_between_blocks=MIN_TIME_MS)
    instance = sim.app_instance(APP)
    key = SuiKey.generate()
    sim.fund(key.address, 10 * SUI)
    sim.move_call(APP, IncreaseSequence(b"opt 0", b"trans 0"))  # the app's initial state
    port = free_port()
    pipeline = "[pipeline]\nblock_interval_secs = 1\nanalysis_interval_secs = 2\n"

    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        daemon = write_config(tmp_path, sock_dir, f"http://{target}", key=key, extra=pipeline,
                              rpc=f'listen = "127.0.0.1:{port}"', network_mode="host")
        daemons.append(daemon)
        nursery.start_soon(app.run, load_settings(daemon.config, env={}))
        action(sim, 1)
        action(sim, 2)

        def merged() -> bool:
            return any(isinstance(e, ev.ProofSubmittedEvent) and e.sequences == (1, 2)
                       for e in chain_events(sim))

        await eventually(merged, 80, "the two proofs merged on chain",
                         lambda: str([type(e).__name__ for e in chain_events(sim)][-12:]))
        assert instance.pipeline.block_number == 1  # under the minimum time: no block yet
        clock.advance(MIN_TIME_MS + 1000)
        await eventually(lambda: instance.pipeline.last_purged_sequence == 2, 60,
                         "block 1 created, settled on test:local and purged",
                         lambda: str([type(e).__name__ for e in chain_events(sim)][-12:]))
        final = await status_when(
            daemon.socket, lambda s: not s.running and s.settlement.outbox_operations == 0
            and not any(job.app_instance_method == "settle" for job in instance.jobs.values()),
            within=30, what="the settle job ended and the outbox empty")
        nursery.cancel_scope.cancel()

    sim.seal()  # what executed since the last checkpoint
    events = chain_events(sim)
    # Two actions: prove jobs of block 1, their sequences.
    add1 = first(events, -1, MODELS["JobCreatedEvent"],
                 lambda e: e.app_instance_method == "add")
    add2 = first(events, add1, MODELS["JobCreatedEvent"],
                 lambda e: e.app_instance_method == "add")
    assert (events[add1].block_number, events[add1].sequences) == (1, (1,))
    assert (events[add2].block_number, events[add2].sequences) == (1, (2,))
    first(events, add1, ev.SequenceStateAddedEvent, lambda e: e.sequence == 1)
    # The agent's proofs and states, then the merge job the analysis made of them.
    proved = [first(events, add2, ev.ProofSubmittedEvent, lambda e, k=k: e.sequences == (k,))
              for k in (1, 2)]
    first(events, add2, ev.SequenceStateUpdatedEvent, lambda e: e.sequence == 1)
    reserved = first(events, max(proved), ev.ProofReservedEvent, lambda e: e.sequences == (1,))
    reserved2 = first(events, reserved, ev.ProofReservedEvent, lambda e: e.sequences == (2,))
    started = first(events, reserved2, ev.ProofStartedEvent, lambda e: e.sequences == (1, 2))
    merge = first(events, started, MODELS["JobCreatedEvent"],
                  lambda e: e.app_instance_method == "merge")
    assert (events[merge].block_number, events[merge].sequences, events[merge].sequences1,
            events[merge].sequences2) == (1, (1, 2), (1,), (2,))
    submitted = first(events, merge, ev.ProofSubmittedEvent, lambda e: e.sequences == (1, 2))
    first(events, submitted, ev.ProofUsedEvent, lambda e: e.sequences == (1,))
    # The block, with the merged proof as its block proof.
    block_proof = first(events, submitted, ev.BlockProofEvent)
    assert (events[block_proof].block_number, events[block_proof].start_sequence,
            events[block_proof].end_sequence) == (1, 1, 2)
    created = first(events, block_proof, ev.BlockCreatedEvent)
    assert (events[created].block_number, events[created].end_sequence) == (1, 2)
    # The settle job for test:local, and the agent's settlement of block 1.
    settle = first(events, created, MODELS["JobCreatedEvent"],
                   lambda e: e.app_instance_method == "settle")
    assert events[settle].block_number is None and len(events[settle].data) == 16
    state_da = first(events, settle, ev.DataAvailabilityEvent,
                     lambda e: e.proof_data_availability is None)
    proof_da = first(events, state_da, ev.DataAvailabilityEvent,
                     lambda e: e.proof_data_availability is not None)
    tx_hash = first(events, proof_da, ev.BlockSettlementTransactionEvent,
                    lambda e: not e.settlement_tx_included_in_block)
    settled = first(events, tx_hash, ev.BlockSettledEvent, lambda e: e.chain == CHAIN)
    first(events, settled, ev.BlockPurgedEvent, lambda e: e.block_number == 1)
    deleted = first(events, settled, ev.ProofCalculationDeletedEvent,
                    lambda e: e.block_number == 1)
    # Nothing left to settle: the settle job ends; the settled states are purged.
    first(events, deleted, MODELS["JobTerminatedEvent"])
    first(events, settled, ev.SequenceStatesPurgedEvent, lambda e: e.new_lowest_sequence == 2)

    pipeline_state = instance.pipeline
    assert (pipeline_state.block_number, pipeline_state.last_proved_block_number,
            pipeline_state.last_settled_block_number, pipeline_state.last_settled_sequence,
            pipeline_state.last_purged_sequence) == (2, 1, 1, 2, 2)
    [settlement] = pipeline_state.settlements.values()
    assert (settlement.last_settled_block_number, settlement.settlement_job) == (1, None)
    assert instance.jobs == {}
    assert final.settlement.transactions_failed == 0
    assert containers_of(docker_client, final.instance_id) == []
