"""Checkpoint decoding and filtering, as the ingest does it on the checkpoint stream.

Mainnet-shaped checkpoints under the coordinator's read mask
(`coordinator.sui.ingest.CHECKPOINT_READ_MASKS`): 50 transactions each, 1 to 9
events per transaction (5 on average), about 1% of events from our package
(real BCS of the coordination package's events, made by the simulator's own
actions), the rest from 40 other packages with random payloads of mainnet-like
sizes (16 bytes to 2 KB, median about 120) and type names (some generic).

Each is serialized once (the bytes off the wire), then, on one core:
- ours: `Checkpoint.FromString` + `EventParser.from_checkpoint` (filter on
  package and module, BCS-decode and validate ours): what ingest does per frame,
  with `2025-08` payloads (`parse_checkpoints_per_s`, the figure kept since
  before layouts) and with `2025-11` payloads (`..._2025_11`: checkpoints of
  the same shape with today's package's events as ours);
- baseline: `Checkpoint.FromString` only (protobuf decode, no filtering);
- also shown: decode + read every event's type (the least any Python-side
  filter must do), to tell the parser's own cost from the protobuf access.
"""

from __future__ import annotations

import base64
import os
import random
import time
from collections.abc import Callable

from bench.common import Results, median, progress
from coordinator._pb.sui.rpc.v2 import (
    bcs_pb2,
    checkpoint_pb2,
    event_pb2,
    executed_transaction_pb2,
)
from coordinator.events.layouts import Layout
from coordinator.events.parser import EventParser
from coordinator.simnet.sim import Simnet

PACKAGE_ID = "0x5117a7a"
MODULES = ["agent", "jobs"]
CHECKPOINTS = 100
TRANSACTIONS = 50
OUR_SHARE = 0.01
ROUND_SECS = 1.0
ROUNDS = 3
_B58 = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_TO_B58 = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    (_B58 * 2)[:64],
)


def _digest(rng: random.Random) -> str:
    """A 44-character string shaped like a base58 Sui digest."""
    return base64.b64encode(rng.randbytes(33)).translate(_TO_B58).decode()


def _address(rng: random.Random) -> str:
    return "0x" + rng.randbytes(32).hex()


def our_events(layout: Layout) -> list[tuple[str, str, bytes]]:
    """(entry module, event type, BCS) of the coordination package, from simulator actions."""
    sim = Simnet(package_id=PACKAGE_ID, checkpoint_interval_secs=0, layout=layout)
    sim.register_developer("BenchDev", github="bench")
    sim.register_agent("BenchDev", "BenchAgent", description="bench agent")
    sim.add_method("BenchDev", "BenchAgent", "prove", docker_image="silvana-demo/agent:latest")
    sim.create_app_instance("bench-app")
    for n in range(1, 41):
        job = sim.create_job("bench-app", developer="BenchDev", agent="BenchAgent",
                             method="prove", data=os.urandom(64 + n), description=f"job {n}",
                             sequences=[n, n + 1])
        if n % 4 == 0:
            sim.fail_job("bench-app", job.job_id, "bench failure")
        else:
            sim.complete_job("bench-app", job.job_id)
    record = sim.seal()
    return [
        (event.module, event.event_type, event.contents)
        for _, _, event in record.events()
        if event.event_type.split("::")[1] in MODULES
    ]


def _foreign_types(rng: random.Random) -> list[tuple[str, str, str]]:
    """(package, module, event type) of other packages, some generic as on mainnet."""
    names = ["SwapEvent", "OrderPlaced", "OrderFilled", "PriceFeedUpdateEvent", "DepositEvent",
             "WithdrawEvent", "MintEvent", "TransferEvent", "LiquidityAdded", "RewardClaimed"]
    modules = ["pool", "clob_v2", "pyth", "vault", "router", "staking", "market", "lending"]
    coins = ["0x2::sui::SUI", f"{_address(rng)}::usdc::USDC", f"{_address(rng)}::coin::COIN"]
    types = []
    for _ in range(40):
        package, module = _address(rng), rng.choice(modules)
        for name in rng.sample(names, 3):
            event_type = f"{package}::{module}::{name}"
            if rng.random() < 0.4:
                event_type += f"<{rng.choice(coins)}, {rng.choice(coins)}>"
            types.append((package, module, event_type))
    return types


def build_checkpoints(
    seed: int = 1, layout: Layout = "2025-08"
) -> tuple[list[bytes], int, int]:
    """Serialized checkpoints, with the number of events and of ours in them."""
    rng = random.Random(seed)
    ours = our_events(layout)
    foreign = _foreign_types(rng)
    senders = [_address(rng) for _ in range(200)]
    our_sender = _address(rng)
    payloads, events_total, ours_total = [], 0, 0
    for sequence in range(200_000_000, 200_000_000 + CHECKPOINTS):
        transactions = []
        for index in range(TRANSACTIONS):
            events = []
            for _ in range(rng.randint(1, 9)):
                if rng.random() < OUR_SHARE:
                    module, event_type, contents = rng.choice(ours)
                    package, sender = PACKAGE_ID, our_sender
                    ours_total += 1
                else:
                    package, module, event_type = rng.choice(foreign)
                    size = min(2048, max(16, int(rng.lognormvariate(4.8, 0.7))))
                    contents, sender = rng.randbytes(size), rng.choice(senders)
                events.append(event_pb2.Event(
                    package_id=package, module=module, sender=sender, event_type=event_type,
                    contents=bcs_pb2.Bcs(name=event_type, value=contents),
                ))
            events_total += len(events)
            transactions.append(executed_transaction_pb2.ExecutedTransaction(
                digest=_digest(rng), transaction_index=index,
                events=event_pb2.TransactionEvents(events=events),
            ))
        message = checkpoint_pb2.Checkpoint(sequence_number=sequence, transactions=transactions)
        payloads.append(message.SerializeToString())
    return payloads, events_total, ours_total


def _rate(work: Callable[[bytes], object], payloads: list[bytes]) -> float:
    """Checkpoints per second of `work` over ROUND_SECS (whole passes over the payloads)."""
    done = 0
    start = time.perf_counter()
    while True:
        for payload in payloads:
            work(payload)
        done += len(payloads)
        elapsed = time.perf_counter() - start
        if elapsed >= ROUND_SECS:
            return done / elapsed


def _parser_for(payloads: list[bytes], ours: int, layout: Layout) -> Callable[[bytes], object]:
    """What ingest does per frame, checked once to find every one of ours."""
    parser = EventParser(PACKAGE_ID, MODULES, layout)
    found = sum(
        len(list(parser.from_checkpoint(checkpoint_pb2.Checkpoint.FromString(p))))
        for p in payloads
    )
    if found != ours or parser.malformed:
        raise RuntimeError(f"{layout} parser found {found} of {ours} events "
                           f"({parser.malformed} malformed)")

    def parse(payload: bytes) -> object:
        return list(parser.from_checkpoint(checkpoint_pb2.Checkpoint.FromString(payload)))

    return parse


def run(results: Results) -> None:
    payloads, events, ours = build_checkpoints()
    size = sum(map(len, payloads)) / len(payloads)
    progress(f"parse: {len(payloads)} checkpoints, {events / len(payloads):.0f} events and "
             f"{size / 1024:.0f} KiB each, {100 * ours / events:.2f}% ours")
    parse = _parser_for(payloads, ours, "2025-08")
    # The same shape and seed, with 2025-11 events for ours.
    payloads_11, _, ours_11 = build_checkpoints(layout="2025-11")
    parse_11 = _parser_for(payloads_11, ours_11, "2025-11")

    def decode(payload: bytes) -> object:
        return checkpoint_pb2.Checkpoint.FromString(payload)

    def scan(payload: bytes) -> object:
        checkpoint = checkpoint_pb2.Checkpoint.FromString(payload)
        prefix = PACKAGE_ID
        return [e for tx in checkpoint.transactions for e in tx.events.events
                if e.event_type.startswith(prefix)]

    affinity = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(affinity)})  # one core
    try:
        rates: dict[str, list[float]] = {"ours": [], "ours_2025_11": [], "decode": [],
                                         "scan": []}
        for _ in range(ROUNDS):  # interleaved, so drift hits all alike
            rates["ours"].append(_rate(parse, payloads))
            rates["ours_2025_11"].append(_rate(parse_11, payloads_11))
            rates["decode"].append(_rate(decode, payloads))
            rates["scan"].append(_rate(scan, payloads))
    finally:
        os.sched_setaffinity(0, affinity)
    ours_rate, decode_rate, scan_rate = (median(rates[k]) for k in ("ours", "decode", "scan"))
    results.details["parse"] = {
        "checkpoints": len(payloads), "events_per_checkpoint": events / len(payloads),
        "our_share": ours / events, "bytes_per_checkpoint": size, "rates": rates,
    }
    results.add("parse_checkpoints_per_s", ours_rate, "checkpoints/s",
                "ours: decode + filter + BCS-decode ours (2025-08 payloads), one core")
    results.add("parse_checkpoints_per_s_2025_11", median(rates["ours_2025_11"]),
                "checkpoints/s", "the same with 2025-11 payloads (today's package), one core")
    results.add("parse_checkpoints_per_s_decode_only", decode_rate, "checkpoints/s",
                "baseline: protobuf decode only")
    results.add("parse_vs_decode_only_ratio", ours_rate / decode_rate, "x",
                "ours/decode-only checkpoints per second; higher is better (at most 1)")
    results.add("parse_checkpoints_per_s_decode_and_scan", scan_rate, "checkpoints/s",
                "reference: decode + read every event type, no parsing")
    results.add("parse_events_per_s", ours_rate * events / len(payloads), "events/s",
                "ours, all events looked at")
