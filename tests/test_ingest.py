"""The ingest path end to end, in-process: the simulator served on 127.0.0.1, `Ingest`
reading it over gRPC, `Dispatcher` handling what arrives against a real store.

What a user of the daemon relies on: every coordination event reaches the handler
exactly once, in chain order, whatever the server does (dropped streams, UNAVAILABLE
bursts, stalls, old servers without the newer calls, pruned history, garbage
payloads), and the stored cursor follows.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trio

from coordinator.backoff import Backoff
from coordinator.config import SuiSettings
from coordinator.dispatcher import Dispatcher, DispatchStatus
from coordinator.events.job_events import JobCreated
from coordinator.events.parser import CoordinationEvent, EventParser, LedgerPosition
from coordinator.simnet import Faults, Simnet, serve
from coordinator.status import DaemonStatus
from coordinator.store import Ledger, LedgerWrite, Store
from coordinator.sui.chain_status import ChainStatus
from coordinator.sui.ingest import CURSOR_AHEAD_TOLERANCE, CheckpointDone, Delivery, Ingest
from tests.support import eventually, job_created

MODULES = ["agent", "jobs"]
APP = "app"
JOB_CREATED = "jobs::JobCreatedEvent"
# (checkpoint, transaction index, event index, transaction digest)
Position = tuple[int, int, int, str]


def fast_backoff() -> Backoff:
    return Backoff(initial=0.01, maximum=0.03, rng=random.Random(7))


async def start_sim(nursery: trio.Nursery, **kwargs: Any) -> tuple[Simnet, str]:
    """A simulator sealing only on demand, with one app instance, served on a free port."""
    sim = Simnet(checkpoint_interval_secs=0, **kwargs)
    sim.create_app_instance(APP)
    sim.seal()
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    return sim, target


def create_job(sim: Simnet) -> int:
    job = sim.create_job(APP, developer="dev", agent="agent", method="prove", data=b"\x01\x02")
    return job.job_id


def job_created_positions(sim: Simnet, after: int) -> list[Position]:
    """Where the chain holds JobCreatedEvents of our package above checkpoint `after`,
    in chain order: what the handler must see."""
    wanted = f"{sim.package_id}::{JOB_CREATED}"
    return [
        (record.sequence_number, tx.index, index, tx.digest)
        for record in sim.chain.checkpoints[after + 1:]
        for tx, index, event in record.events()
        if event.event_type == wanted
    ]


@dataclass
class Pipeline:
    """Ingest -> bounded channel -> Dispatcher -> a recording handler, as app.py wires it."""

    ingest: Ingest
    dispatcher: Dispatcher
    chain: ChainStatus
    handled: DispatchStatus
    status: DaemonStatus
    parser: EventParser
    store: Store
    received: list[CoordinationEvent] = field(default_factory=list)

    @property
    def job_ids(self) -> list[int]:
        ids = []
        for event in self.received:
            assert isinstance(event.event, JobCreated), event
            ids.append(event.event.job_sequence)
        return ids

    @property
    def positions(self) -> list[Position]:
        return [
            (e.position.checkpoint, e.position.tx_index, e.position.event_index,
             e.position.tx_digest)
            for e in self.received
        ]  # fmt: skip

    async def stored_cursor(self) -> int | None:
        return await self.store.run(Ledger.cursor)

    async def wait_for(
        self, done: Callable[[], bool], within: float, what: str = "the events"
    ) -> None:
        await eventually(done, within, what, lambda: (
            f"({len(self.received)} received, cursor {self.handled.cursor}, "
            f"ingest {self.chain.state}, last error {self.chain.last_error!r})"
        ))


async def start_pipeline(
    nursery: trio.Nursery,
    tmp_path: Path,
    sim: Simnet,
    target: str,
    *,
    cursor: int | None,
    **sui: Any,
) -> Pipeline:
    settings = SuiSettings.model_validate(
        {"rpc_url": f"http://{target}", "package_id": sim.package_id, "modules": MODULES,
         "idle_timeout_secs": 5, "rpc_timeout_secs": 5, **sui}
    )  # fmt: skip
    store = await Store.open(tmp_path / "state")
    if cursor is not None:
        await store.run(lambda ledger: ledger.set_cursor(cursor))
    stored = await store.run(Ledger.cursor)
    chain, handled = ChainStatus(endpoint=settings.rpc_url), DispatchStatus(cursor=stored)
    status = DaemonStatus([chain.report, handled.report])
    send, receive = trio.open_memory_channel[Delivery](64)
    parser = EventParser(settings.package_id, settings.modules)
    ingest = Ingest(settings, chain, parser, send, stored, backoff=fast_backoff())
    received: list[CoordinationEvent] = []

    def handle(event: CoordinationEvent) -> list[LedgerWrite]:
        received.append(event)
        return []

    dispatcher = Dispatcher(store, receive, handled, handle)
    pipeline = Pipeline(ingest, dispatcher, chain, handled, status, parser, store, received)
    nursery.start_soon(ingest.run)
    nursery.start_soon(dispatcher.run)
    return pipeline


async def produce_jobs(sim: Simnet, total: int, pause: float, seed: int = 1) -> int:
    """Create `total` jobs over many checkpoints (none, one or several per checkpoint),
    sealing one every `pause` s; returns the checkpoint holding the last job."""
    rng = random.Random(seed)
    created = last = 0
    while created < total:
        batch = min(rng.choice([0, 1, 1, 2, 3, 4, 7]), total - created)
        for _ in range(batch):
            create_job(sim)
        created += batch
        sealed = sim.seal().sequence_number
        last = sealed if batch else last
        await trio.sleep(pause)
    return last


async def heartbeat(sim: Simnet, pause: float) -> None:
    """Keep the chain moving (empty checkpoints, plus noise when on)."""
    while True:
        await trio.sleep(pause)
        sim.seal()


# --- 1,000 jobs through faults -----------------------------------------------------------

TOTAL = 1000
FAULT_CASES = {
    "events": ({"stream": "events"}, frozenset[str]()),
    "checkpoints": ({"stream": "checkpoints"}, frozenset[str]()),
    "auto-without-SubscribeEvents": ({"stream": "auto"}, frozenset({"SubscribeEvents"})),
    "events-without-ListEvents": ({"stream": "events"}, frozenset({"ListEvents"})),
    "auto-without-both": ({"stream": "auto"}, frozenset({"SubscribeEvents", "ListEvents"})),
}


@pytest.mark.parametrize("case", list(FAULT_CASES))
async def test_1000_jobs_exactly_once_in_chain_order_through_faults(
    case: str, tmp_path: Path, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sui, unimplemented = FAULT_CASES[case]
    # Every subscription is cut after 37 frames; after every 12 Sui calls the next 3
    # fail with UNAVAILABLE (a session takes 2-3 calls, so bursts hit every phase).
    faults = Faults(
        drop_stream_after_frames=37,
        unavailable_every=12,
        unavailable_burst=3,
        unimplemented=unimplemented,
    )
    sim, target = await start_sim(nursery, faults=faults, noise=True)
    start = sim.chain.tip.sequence_number
    began = trio.current_time()
    pipeline = await start_pipeline(nursery, tmp_path, sim, target, cursor=start, **sui)

    last = await produce_jobs(sim, TOTAL, pause=0.01)
    nursery.start_soon(heartbeat, sim, 0.05)
    await pipeline.wait_for(lambda: len(pipeline.received) >= TOTAL, within=20)
    await pipeline.wait_for(
        lambda: (pipeline.handled.cursor or 0) >= last, within=10, what="the cursor"
    )
    await trio.sleep(0.5)  # room for a late duplicate to show up
    elapsed = trio.current_time() - began

    assert pipeline.job_ids == list(range(1, TOTAL + 1))
    assert pipeline.positions == job_created_positions(sim, start)
    assert all(event.type_name == JOB_CREATED for event in pipeline.received)
    stored = await pipeline.stored_cursor()
    assert stored is not None and stored >= last
    assert pipeline.parser.malformed == 0

    # The faults really happened: streams were cut, bursts refused calls, and the
    # fallbacks were used.
    failures = [r.getMessage() for r in caplog.records if r.name == "coordinator.sui"]
    dropped = [m for m in failures if "stream dropped after 37 frames" in m]
    refused = [m for m in failures if "unavailable burst" in m]
    assert len(dropped) >= 2 and len(refused) >= 3, (len(dropped), len(refused))
    counts = sim.rpc_counts
    subscriptions = counts["SubscribeEvents"] + counts["SubscribeCheckpoints"]
    assert subscriptions >= 5, counts
    if "SubscribeEvents" in unimplemented or sui["stream"] == "checkpoints":
        assert counts["SubscribeCheckpoints"] >= 5, counts
    else:
        assert counts["SubscribeCheckpoints"] == 0, counts
    if "ListEvents" in unimplemented:
        assert counts["GetCheckpoint"] > 0, counts
    print(f"{case}: {elapsed:.1f} s, {len(dropped)} streams cut, {len(refused)} calls refused, "
          f"{dict(counts)}, replays skipped by the dispatcher: {pipeline.handled.duplicates}")


# --- a node from before the 2026-07 APIs ------------------------------------------------


@pytest.mark.parametrize("stream", ["auto", "checkpoints"])
async def test_an_old_node_serves_every_job_through_checkpoints(
    stream: str, tmp_path: Path, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    """A fullnode without SubscribeEvents/ListEvents that refuses read-mask paths it
    does not know (INVALID_ARGUMENT) and ignores the checkpoint filter: every job
    arrives once, in chain order and at its true position, backfilled and live.
    `auto` learns the node's age from the UNIMPLEMENTED and asks only for paths it
    knows; `checkpoints` is refused once, then asks with the simpler mask for good."""
    caplog.set_level(logging.INFO)
    sim, target = await start_sim(nursery, faults=Faults(old_node=True), noise=True)
    start = sim.chain.tip.sequence_number
    backfilled = await produce_jobs(sim, 20, pause=0)
    pipeline = await start_pipeline(nursery, tmp_path, sim, target, cursor=start, stream=stream)
    await pipeline.wait_for(lambda: pipeline.chain.state == "connected", 10, "connected")
    assert backfilled > start
    last = await produce_jobs(sim, 20, pause=0.01, seed=2)
    nursery.start_soon(heartbeat, sim, 0.05)
    await pipeline.wait_for(lambda: len(pipeline.received) >= 40, within=20)
    await pipeline.wait_for(lambda: (pipeline.handled.cursor or 0) >= last, 10, "the cursor")

    assert pipeline.job_ids == list(range(1, 41))
    assert pipeline.positions == job_created_positions(sim, start)
    refused = [r.getMessage() for r in caplog.records if "refused the read mask" in r.getMessage()]
    counts = sim.rpc_counts
    if stream == "auto":
        assert refused == []
        assert counts["SubscribeEvents"] == 1 and counts["ListEvents"] == 1, counts
    else:
        [line] = refused  # once, not once per reconnect
        assert line.startswith("SubscriptionService/SubscribeCheckpoints refused the read mask "
                               "of checkpoints (read_mask path 'transactions.transaction_index'")
        assert "transaction_index" not in line.split("simpler one: ")[1]
        assert counts["SubscribeEvents"] == 0 and counts["ListEvents"] == 1, counts
    assert counts["GetCheckpoint"] >= backfilled - start, counts
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_node_refusing_every_checkpoint_mask_is_reported_not_asked_forever(
    tmp_path: Path, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    """INVALID_ARGUMENT for the simplest mask too (here: every SubscribeCheckpoints is
    refused): the masks run out, the refusal is an ERROR and ingest waits long."""
    caplog.set_level(logging.INFO)
    sim, target = await start_sim(nursery, faults=Faults(old_node=True))
    pipeline = await start_pipeline(nursery, tmp_path, sim, target,
                                    cursor=sim.chain.tip.sequence_number, stream="checkpoints")
    pipeline.ingest.backoff = Backoff(initial=60, maximum=60)  # one round only
    masks = pipeline.ingest.checkpoint_masks
    masks.masks = tuple([*mask, "transactions.event_index"] for mask in masks.masks)
    await pipeline.wait_for(lambda: pipeline.chain.state == "reconnecting", 10, "a refusal")
    refused = [r for r in caplog.records if "refused the read mask" in r.getMessage()]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(refused) == len(masks.masks) - 1 == 2
    assert len(errors) == 1 and "INVALID_ARGUMENT" in errors[0], errors
    assert "event_index" in errors[0], errors
    assert float(errors[0].rsplit("reconnecting in ", 1)[1].removesuffix(" s")) >= 30  # long
    assert sim.rpc_counts["SubscribeCheckpoints"] == 3


# --- a long backfill ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "unimplemented",
    [frozenset[str](), frozenset({"ListEvents"})],
    ids=["ListEvents", "GetCheckpoint"],
)
async def test_long_backfill_pages_through_thousands_of_events(
    unimplemented: frozenset[str], tmp_path: Path, nursery: trio.Nursery
) -> None:
    """A coordinator that was down for long: 2,500 jobs (more than a ListEvents page,
    pages ending mid-checkpoint) wait behind its cursor; the index trails the chain
    by a few checkpoints and calls fail in bursts while it catches up."""
    faults = Faults(
        unavailable_every=12, unavailable_burst=3, index_lag_checkpoints=3,
        unimplemented=unimplemented,
    )  # fmt: skip
    sim, target = await start_sim(nursery, faults=faults, noise=True)
    start = sim.chain.tip.sequence_number
    for checkpoint in range(50):
        for _ in range(checkpoint % 7 * 14):  # 0..84 jobs per checkpoint
            create_job(sim)
        sim.seal()
    total = sim.jobs_created
    assert total > 2000
    pipeline = await start_pipeline(nursery, tmp_path, sim, target, cursor=start)
    nursery.start_soon(heartbeat, sim, 0.05)
    await pipeline.wait_for(lambda: len(pipeline.received) >= total, within=20)
    await trio.sleep(0.3)

    assert pipeline.job_ids == list(range(1, total + 1))
    assert pipeline.positions == job_created_positions(sim, start)[:total]


# --- where a first start begins ----------------------------------------------------------


async def test_first_start_without_cursor_begins_at_the_tip(
    tmp_path: Path, nursery: trio.Nursery
) -> None:
    sim, target = await start_sim(nursery)
    for _ in range(3):
        create_job(sim)
        sim.seal()
    tip = sim.chain.tip.sequence_number
    pipeline = await start_pipeline(nursery, tmp_path, sim, target, cursor=None)
    await pipeline.wait_for(lambda: pipeline.chain.state == "connected", 10, "connected")
    assert await pipeline.stored_cursor() == tip
    for _ in range(3):
        create_job(sim)
        sim.seal()
    await pipeline.wait_for(lambda: len(pipeline.received) >= 3, within=10)
    await trio.sleep(0.3)
    assert pipeline.job_ids == [4, 5, 6]


async def test_start_checkpoint_begins_there(tmp_path: Path, nursery: trio.Nursery) -> None:
    sim, target = await start_sim(nursery)
    checkpoints = []
    for _ in range(5):
        create_job(sim)
        checkpoints.append(sim.seal().sequence_number)
    pipeline = await start_pipeline(
        nursery, tmp_path, sim, target, cursor=None, start_checkpoint=checkpoints[2]
    )
    await pipeline.wait_for(lambda: len(pipeline.received) >= 3, within=10)
    create_job(sim)
    sim.seal()
    await pipeline.wait_for(lambda: len(pipeline.received) >= 4, within=10)
    await trio.sleep(0.3)
    assert pipeline.job_ids == [3, 4, 5, 6]


async def test_start_checkpoint_is_ignored_once_a_cursor_is_stored(
    tmp_path: Path, nursery: trio.Nursery
) -> None:
    sim, target = await start_sim(nursery)
    for _ in range(4):
        create_job(sim)
        sim.seal()
    cursor = sim.chain.tip.sequence_number - 1  # job 4 not yet handled
    pipeline = await start_pipeline(
        nursery, tmp_path, sim, target, cursor=cursor, start_checkpoint=1
    )
    await pipeline.wait_for(lambda: len(pipeline.received) >= 1, within=10)
    await trio.sleep(0.3)
    assert pipeline.job_ids == [4]


# --- a pruned node -------------------------------------------------------------------------


@pytest.mark.parametrize("backfill", ["ListEvents", "GetCheckpoint"])
async def test_pruned_node_is_reported_and_ingest_continues_from_the_lowest_available(
    backfill: str, tmp_path: Path, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    unimplemented = frozenset({"ListEvents"}) if backfill == "GetCheckpoint" else frozenset()
    sim, target = await start_sim(nursery, faults=Faults(unimplemented=unimplemented))
    cursor = sim.chain.tip.sequence_number
    by_checkpoint = {}
    for _ in range(10):
        job_id = create_job(sim)
        by_checkpoint[sim.seal().sequence_number] = job_id
    lowest = cursor + 6
    sim.chain.prune(lowest)
    assert sim.chain.lowest_available == lowest
    pipeline = await start_pipeline(nursery, tmp_path, sim, target, cursor=cursor)
    expected = [job for checkpoint, job in by_checkpoint.items() if checkpoint >= lowest]
    await pipeline.wait_for(lambda: len(pipeline.received) >= len(expected), within=10)
    create_job(sim)
    sim.seal()
    await pipeline.wait_for(lambda: len(pipeline.received) > len(expected), within=10)
    await trio.sleep(0.3)

    assert pipeline.job_ids == [*expected, 11]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(
        f"checkpoints {cursor + 1}..{lowest - 1}" in message
        and f"lowest available is {lowest}" in message
        for message in errors
    ), errors


# --- a silent stream -------------------------------------------------------------------------


@pytest.mark.parametrize("stream", ["events", "checkpoints"])
async def test_idle_stream_reconnects_after_idle_timeout_and_loses_nothing(
    stream: str, tmp_path: Path, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # Every subscription goes silent after 3 frames and stays open (a half-open
    # connection): only the idle timeout gets ingest going again.
    faults = Faults(stall_stream_after_frames=3, stall_secs=3600)
    sim, target = await start_sim(nursery, faults=faults)
    start = sim.chain.tip.sequence_number
    pipeline = await start_pipeline(
        nursery, tmp_path, sim, target, cursor=start, stream=stream, idle_timeout_secs=0.5
    )
    began = trio.current_time()
    for _ in range(30):
        create_job(sim)
        create_job(sim)
        sim.seal()
        await trio.sleep(0.05)
    await pipeline.wait_for(lambda: len(pipeline.received) >= 60, within=20)
    await trio.sleep(0.3)
    elapsed = trio.current_time() - began

    assert pipeline.job_ids == list(range(1, 61))
    assert pipeline.positions == job_created_positions(sim, start)
    stalls = [
        r for r in caplog.records
        if r.name == "coordinator.sui" and "no message for 0.5 s" in r.getMessage()
    ]  # fmt: skip
    assert len(stalls) >= 2, [r.getMessage() for r in caplog.records]
    subscribe = "SubscribeEvents" if stream == "events" else "SubscribeCheckpoints"
    assert sim.rpc_counts[subscribe] >= 3
    assert elapsed < 15


# --- a malformed payload -----------------------------------------------------------------------


@pytest.mark.parametrize("stream", ["events", "checkpoints"])
async def test_malformed_payload_is_counted_once_and_skipped(
    stream: str, tmp_path: Path, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sim, target = await start_sim(nursery)
    start = sim.chain.tip.sequence_number
    pipeline = await start_pipeline(
        nursery, tmp_path, sim, target, cursor=start, stream=stream, idle_timeout_secs=0.5
    )
    create_job(sim)
    good = sim.chain.pending[-1].events[0].contents
    digest = sim.emit_raw(JOB_CREATED, good[: len(good) // 2])  # truncated
    create_job(sim)
    bad_checkpoint = sim.seal().sequence_number
    # Nothing more for a while: the idle timeout reconnects, and the checkpoint with
    # the bad payload, still the tip, is read again.
    await pipeline.wait_for(lambda: len(pipeline.received) >= 2, within=10)
    await trio.sleep(1.5)
    for _ in range(3):
        create_job(sim)
        sim.seal()
    await pipeline.wait_for(lambda: len(pipeline.received) >= 5, within=10)
    await trio.sleep(0.3)

    assert pipeline.job_ids == [1, 2, 3, 4, 5]
    assert pipeline.parser.malformed == 1
    assert pipeline.chain.malformed == 1
    assert pipeline.status.snapshot().malformed_events == 1
    warnings = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert f"checkpoint {bad_checkpoint} tx {digest} event 0" in warnings[0]
    assert JOB_CREATED in warnings[0]


# --- the dispatcher's log line follows the commit ------------------------------------------


async def test_an_event_is_logged_only_once_it_is_durably_handled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The line an operator reads ("event jobs::JobCreatedEvent ... job_id=N") means the
    event is durably handled: a batch whose commit fails (here a write raises; in life a
    crash or a full disk) logs nothing, and its replay after a restart logs it once."""
    caplog.set_level(logging.INFO)
    delivery = CoordinationEvent(
        LedgerPosition(checkpoint=5, tx_digest="TX", tx_index=0, event_index=0),
        "jobs", "JobCreatedEvent", "0x2", job_created(7),
    )  # fmt: skip
    store = await Store.open(tmp_path)

    def broken_write(ledger: Ledger) -> None:
        raise OSError("disk I/O error")

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.getMessage().startswith("event ")]

    async def dispatch(
        handle: Callable[[CoordinationEvent], list[LedgerWrite]],
    ) -> DispatchStatus:
        status = DispatchStatus()
        send, receive = trio.open_memory_channel[Delivery](8)
        async with send:
            await send.send(delivery)
            await send.send(CheckpointDone(5))
        await Dispatcher(store, receive, status, handle).run()
        return status

    with pytest.raises(OSError, match="disk I/O error"):
        await dispatch(lambda _: [broken_write])
    assert lines() == []
    assert await store.run(Ledger.cursor) is None
    assert await store.run(Ledger.seen_count) == 0

    status = await dispatch(lambda _: [])  # the restart: the same event again
    assert len(lines()) == 1 and "job_id=7" in lines()[0]
    assert status.events_by_type == {JOB_CREATED: 1} and status.cursor == 5
    assert await store.run(Ledger.cursor) == 5


# --- cursor sanity: a cursor past the tip never skips events in silence -----------------

FAR = 2**63 - 1


async def test_start_checkpoint_above_the_tip_starts_at_the_tip_with_a_warning(
    tmp_path: Path, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sim, target = await start_sim(nursery)
    tip = sim.chain.tip.sequence_number
    pipeline = await start_pipeline(nursery, tmp_path, sim, target, cursor=None,
                                    start_checkpoint=FAR)
    await pipeline.wait_for(lambda: pipeline.chain.state == "connected", 10, "connected")
    assert await pipeline.stored_cursor() == tip
    job_id = create_job(sim)
    sim.seal()
    await pipeline.wait_for(lambda: len(pipeline.received) == 1, within=10)
    assert pipeline.job_ids == [job_id]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"sui.start_checkpoint {FAR} is above the tip" in w for w in warnings), warnings


async def test_a_stored_cursor_far_past_the_tip_is_reported_and_nothing_is_skipped(
    tmp_path: Path, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sim, target = await start_sim(nursery)
    cursor = sim.chain.tip.sequence_number + CURSOR_AHEAD_TOLERANCE + 10
    pipeline = await start_pipeline(nursery, tmp_path, sim, target, cursor=cursor)
    create_job(sim)
    sim.seal()
    errors: list[str] = []

    def reported_twice() -> bool:
        errors[:] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        return len(errors) >= 2

    # Reported on every attempt, not once and then forgotten.
    await pipeline.wait_for(reported_twice, 10, "two ERROR lines")
    assert f"stored cursor (checkpoint {cursor}) is ahead of the tip" in errors[0], errors
    assert "python -m coordinator reset-cursor --config FILE" in errors[0], errors
    # What `python -m coordinator status` shows: the connection's last error.
    shown = pipeline.status.snapshot()
    assert "reset-cursor" in shown.connection.last_error
    assert (shown.cursor, shown.has_cursor) == (cursor, True)
    # Nothing was taken past: the job waits, the cursor stays.
    assert pipeline.received == []
    assert await pipeline.stored_cursor() == cursor


async def test_a_node_a_little_behind_the_cursor_is_followed_with_a_warning(
    tmp_path: Path, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sim, target = await start_sim(nursery)
    cursor = sim.chain.tip.sequence_number + 2  # e.g. another fullnode behind a balancer
    pipeline = await start_pipeline(nursery, tmp_path, sim, target, cursor=cursor)
    await pipeline.wait_for(lambda: pipeline.chain.state == "connected", 10, "connected")
    sim.seal()
    sim.seal()  # the node reaches the cursor
    job_id = create_job(sim)
    sim.seal()
    await pipeline.wait_for(lambda: len(pipeline.received) == 1, within=10)
    assert pipeline.job_ids == [job_id]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("is behind the stored cursor" in w for w in warnings), warnings
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
