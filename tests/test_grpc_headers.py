"""The server's header encoder: what it sends is what hpack's own would send.

`RepeatingEncoder` hands back a remembered block for a header list encoded
before while the table is unchanged. Fed the same sequence as a plain
`hpack.Encoder` (answers, trailers, errors with changing messages, new
headers, table size changes from the client's SETTINGS), it must give the
same bytes at every step, and a client's decoder must read every block back.
"""

from __future__ import annotations

import random

import hpack  # type: ignore[import-untyped]

from coordinator.grpc.connection import RepeatingEncoder

ANSWER = [(":status", "200"), ("content-type", "application/grpc+proto")]
TRAILERS = [("grpc-status", "0")]


def _headers(rng: random.Random, step: int) -> list[tuple[str, str]]:
    kind = rng.random()
    if kind < 0.4:
        return ANSWER
    if kind < 0.8:
        return TRAILERS
    if kind < 0.9:  # an error: a message seen before or a new one
        return [("grpc-status", "7"), ("grpc-message", f"denied {rng.randrange(3)}")]
    return [("x-new", f"value {step}" * rng.randrange(1, 40))]


def test_the_same_bytes_as_hpack_for_any_sequence() -> None:
    for seed in range(20):
        rng = random.Random(seed)
        ours, plain, client = RepeatingEncoder(), hpack.Encoder(), hpack.Decoder()
        reused = 0
        for step in range(400):
            if rng.random() < 0.02:  # the client's SETTINGS_HEADER_TABLE_SIZE
                size = rng.choice([0, 64, 256, 4096])
                ours.header_table_size = plain.header_table_size = size
                client.header_table_size = size
            headers = _headers(rng, step)
            before = len(ours._blocks)
            block = ours.encode(headers)
            assert block == plain.encode(headers), (seed, step, headers)
            assert client.decode(block) == headers
            reused += len(ours._blocks) == before and headers in (ANSWER, TRAILERS)
        assert reused > 100  # the repeated answers were served from memory


def test_a_block_is_not_reused_once_the_table_moved() -> None:
    ours = RepeatingEncoder()
    first = ours.encode(ANSWER)
    again = ours.encode(ANSWER)  # now indexed from the table: remembered
    assert ours.encode(ANSWER) is again
    ours.encode([("x-other", "value")])  # a new entry shifts every index
    moved = ours.encode(ANSWER)
    assert moved != again and moved != first
    assert hpack.Decoder().decode(first) == ANSWER
