"""The `attribution` child: a pipeline event that names no app instance (a
submit_proof alone in its transaction, reference §1.8) is attributed to the
AppInstance its transaction changed, as the served simulator's GetTransaction
says; a transaction the chain does not have, a chain error and a node that
never answers leave it in the row without an instance, each counted."""

from __future__ import annotations

import functools

import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.events.models import app_instance_address
from coordinator.events.parser import CoordinationEvent, LedgerPosition
from coordinator.events.pipeline import ProofSubmittedEvent
from coordinator.pipeline_attribution import QUEUE_SIZE, PipelineAttribution
from coordinator.pipeline_tally import PipelineTally
from coordinator.sui.client import connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.objects import Connect
from tests.pipeline_support import PipelineChain, served_pipeline, submit
from tests.support import eventually

LOST = "11111111111111111111111111111111"  # a digest no transaction has


def proof_submitted(tx: str) -> CoordinationEvent:
    """The ProofSubmittedEvent of `tx` as the dispatcher hands it over."""
    payload = ProofSubmittedEvent(
        block_number=1, sequences=[1], da_hash="p[1]", timestamp=0, prover="0x1", cpu_time=1,
        cpu_cores=8, prover_memory=1, prover_architecture="x86_64-linux")
    return CoordinationEvent(LedgerPosition(1, tx, 0, 0), "prover", "ProofSubmittedEvent",
                             "0x1", payload)


def rows(tally: PipelineTally) -> dict[str, int]:
    message = pb.GetStatusResponse()
    tally.report(message, trio.current_time())
    return {row.app_instance: row.proofs_submitted for row in message.pipeline}


def counts(attribution: PipelineAttribution) -> tuple[int, int, int]:
    message = pb.GetStatusResponse()
    attribution.report(message, 0.0)
    part = message.pipeline_attribution
    return part.attributed, part.unattributed, part.failed


async def asked(attribution: PipelineAttribution, *txs: str) -> None:
    """Each of `txs` seen without an instance, and the chain asked about it."""
    done = sum(counts(attribution))
    for tx in txs:
        attribution.tally.on_chain_event(proof_submitted(tx))
    await eventually(lambda: sum(counts(attribution)) == done + len(txs), 30,
                     "the chain asked about each transaction")


def proof_alone(chain: PipelineChain) -> str:
    """A sequence, then its submit_proof alone in a transaction: its digest."""
    chain.actions(2)
    digest = chain.sim.move_call("app", submit(1, (1,)))
    chain.sim.seal()
    return digest


def attribution_on(chain: PipelineChain) -> PipelineAttribution:
    return PipelineAttribution(PipelineTally(), chain.connect, chain.sim.package_id, 10.0)


def nowhere(port: int, timeout: float = 0.5) -> Connect:
    return functools.partial(connect, Endpoint("http", host="127.0.0.1", port=port),
                             timeout=timeout)


async def test_a_submit_proof_alone_is_attributed_to_the_instance_it_changed() -> None:
    async with trio.open_nursery() as nursery:
        chain = await served_pipeline(nursery)
        attribution = attribution_on(chain)
        nursery.start_soon(attribution.run)
        tx = proof_alone(chain)
        await asked(attribution, tx)
        instance = app_instance_address(chain.app_instance)
        assert rows(attribution.tally) == {instance: 1}
        assert counts(attribution) == (1, 0, 0)
        # A later event of the transaction goes to the row at once; a replay
        # of it is answered from the cache, without a read.
        attribution.tally.on_chain_event(proof_submitted(tx))
        attribution.ask(tx)
        assert rows(attribution.tally) == {instance: 2}
        assert chain.sim.rpc_counts["GetTransaction"] == 1
        nursery.cancel_scope.cancel()


async def test_a_transaction_the_chain_does_not_have_stays_unattributed() -> None:
    async with trio.open_nursery() as nursery:
        chain = await served_pipeline(nursery)
        attribution = attribution_on(chain)
        nursery.start_soon(attribution.run)
        await asked(attribution, LOST)
        assert rows(attribution.tally) == {"": 1}
        assert counts(attribution) == (0, 1, 0)
        nursery.cancel_scope.cancel()


async def test_a_chain_error_is_counted_failed_and_the_event_stays_without_instance() -> None:
    async with trio.open_nursery() as nursery:
        chain = await served_pipeline(nursery)
        attribution = attribution_on(chain)
        nursery.start_soon(attribution.run)
        tx = proof_alone(chain)
        chain.sim.gate.unavailable_for(3600)
        await asked(attribution, tx)
        assert rows(attribution.tally) == {"": 1}
        assert counts(attribution) == (0, 0, 1)
        nursery.cancel_scope.cancel()


async def silent(stream: trio.SocketStream) -> None:
    """A node that takes the connection and never answers."""
    await trio.sleep_forever()


async def test_a_node_that_never_answers_times_out_as_failed() -> None:
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(functools.partial(trio.serve_tcp, silent, 0,
                                                          host="127.0.0.1"))
        port = listeners[0].socket.getsockname()[1]
        attribution = PipelineAttribution(PipelineTally(), nowhere(port), "0x2", 0.5)
        nursery.start_soon(attribution.run)
        await asked(attribution, LOST)
        assert rows(attribution.tally) == {"": 1}
        assert counts(attribution) == (0, 0, 1)
        nursery.cancel_scope.cancel()


async def test_a_full_queue_never_blocks_the_dispatcher() -> None:
    # The child is not run: nothing is asked, the queue fills.
    attribution = PipelineAttribution(PipelineTally(), nowhere(9), "0x2", 0.5)
    for k in range(QUEUE_SIZE + 1):
        attribution.tally.on_chain_event(proof_submitted(f"tx{k}"))
    assert counts(attribution) == (0, 0, 1)
    message = pb.GetStatusResponse()
    attribution.report(message, 0.0)
    assert message.pipeline_attribution.queued == QUEUE_SIZE
    assert rows(attribution.tally) == {"": QUEUE_SIZE + 1}
