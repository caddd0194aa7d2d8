"""Fault injection: the ways a real fullnode misbehaves, on demand.

`Faults` is plain data (set at construction, from the scenario's `[faults]`,
by the admin RPC, or by assigning `Simnet.faults` in a test). `FaultGate`
applies it: every Sui call passes `enter()` (counted, then maybe refused),
and every subscription stream is wrapped by `stream()` (dropped or stalled
after N frames). Stream settings are read when a stream opens.
"""

from __future__ import annotations

import collections
import logging
import math
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TypeVar

import purerpc
import trio

log = logging.getLogger("coordinator.simnet")

T = TypeVar("T")

# Every call of the Sui subset the simulator serves, by method name.
SUI_METHODS = frozenset(
    {
        "GetServiceInfo",
        "GetCheckpoint",
        "GetTransaction",
        "GetObject",
        "ListEvents",
        "SubscribeCheckpoints",
        "SubscribeEvents",
        "ListDynamicFields",
        "GetEpoch",
        "ListOwnedObjects",
        "GetBalance",
        "ExecuteTransaction",
        "SimulateTransaction",
        "BatchGetObjects",
        "ListBalances",
        "GetPackage",
        "GetDatatype",
        "GetFunction",
        "ListPackageVersions",
    }
)


# What a fullnode from before Sui 1.76 (2026-07) lacks: these calls (sui-apis ba0beea
# added them) and these fields (4560c72: an event's or transaction's ledger position),
# by message. Such a node refuses a read mask naming them (INVALID_ARGUMENT) and
# ignores a SubscribeCheckpoints filter, a field it does not know.
NEWER_METHODS = frozenset({"SubscribeEvents", "ListEvents"})
NEWER_FIELDS: dict[str, frozenset[str]] = {
    "sui.rpc.v2.Event": frozenset(
        {"checkpoint", "transaction_digest", "transaction_index", "event_index"}
    ),
    "sui.rpc.v2.ExecutedTransaction": frozenset({"transaction_index"}),
}


@dataclass
class Faults:
    """What to break. Zero (or empty) turns a fault off."""

    # End each subscription stream with UNAVAILABLE after this many frames.
    drop_stream_after_frames: int = 0
    # Stop sending after this many frames but keep the stream open for
    # `stall_secs` (a half-open connection), then end it with UNAVAILABLE.
    stall_stream_after_frames: int = 0
    stall_secs: float = 3600.0
    # After every `unavailable_every` Sui calls, the next `unavailable_burst` fail.
    unavailable_every: int = 0
    unavailable_burst: int = 0
    # Sui methods answering UNIMPLEMENTED (an older fullnode), e.g. {"SubscribeEvents"}.
    unimplemented: frozenset[str] = field(default_factory=frozenset)
    # ListEvents sees the chain this many checkpoints late (a lagging index).
    index_lag_checkpoints: int = 0
    # Imitate a fullnode without the 2026-07 APIs (`NEWER_METHODS`, `NEWER_FIELDS`).
    old_node: bool = False

    def __post_init__(self) -> None:
        self.unimplemented = frozenset(self.unimplemented)
        unknown = sorted(self.unimplemented - SUI_METHODS)
        if unknown:
            raise ValueError(
                f"unimplemented: unknown method(s) {unknown}; known: {sorted(SUI_METHODS)}"
            )
        for name in (
            "drop_stream_after_frames",
            "stall_stream_after_frames",
            "unavailable_every",
            "unavailable_burst",
            "index_lag_checkpoints",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if not (self.stall_secs >= 0 and math.isfinite(self.stall_secs)):
            raise ValueError("stall_secs must be a finite number >= 0")


class FaultGate:
    """Counts Sui calls and refuses or breaks them as `faults` says."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._faults = faults or Faults()
        self.rpc_counts: collections.Counter[str] = collections.Counter()
        self.open_streams = 0
        self._burst_calls = 0
        self._unavailable_until = -math.inf
        self._answers_to_lose = 0

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self._faults = faults
        self._burst_calls = 0

    def unavailable_for(self, seconds: float) -> None:
        """Refuse every Sui call with UNAVAILABLE for `seconds` from now (Trio clock)."""
        self._unavailable_until = trio.current_time() + seconds

    def lose_execute_answers(self, count: int) -> None:
        """The next `count` ExecuteTransaction calls are applied, then answered
        UNAVAILABLE: the answer lost on its way back, as a dropped connection
        loses it."""
        self._answers_to_lose = count

    def answer_lost(self) -> None:
        """Raise UNAVAILABLE when an executed transaction's answer is to be lost."""
        if self._answers_to_lose > 0:
            self._answers_to_lose -= 1
            raise purerpc.UnavailableError("simnet: the answer was lost (fault)")

    def enter(self, method: str) -> None:
        """Count a call of `method`; raise the status a fault calls for, if any."""
        self.rpc_counts[method] += 1
        faults = self._faults
        if method in faults.unimplemented or (faults.old_node and method in NEWER_METHODS):
            raise purerpc.UnimplementedError(f"simnet: {method} is not implemented (fault)")
        if trio.current_time() < self._unavailable_until:
            raise purerpc.UnavailableError("simnet: unavailable for a while (fault)")
        every, burst = faults.unavailable_every, faults.unavailable_burst
        if every and burst:
            position = self._burst_calls % (every + burst)
            self._burst_calls += 1
            if position >= every:
                raise purerpc.UnavailableError("simnet: unavailable burst (fault)")

    async def stream(self, method: str, frames: AsyncGenerator[T, None]) -> AsyncGenerator[T, None]:
        """Pass `frames` through, dropping or stalling the stream as the faults say."""
        drop = self._faults.drop_stream_after_frames
        stall = self._faults.stall_stream_after_frames
        stall_secs = self._faults.stall_secs
        sent = 0
        self.open_streams += 1
        try:
            async with aclosing(frames) as source:
                iterator: AsyncIterator[T] = source.__aiter__()
                while True:
                    if drop and sent >= drop:
                        log.debug("%s: dropping the stream after %d frames (fault)", method, sent)
                        raise purerpc.UnavailableError(
                            f"simnet: stream dropped after {sent} frames (fault)"
                        )
                    if stall and sent >= stall:
                        log.debug("%s: stalling the stream after %d frames (fault)", method, sent)
                        await trio.sleep(stall_secs)
                        raise purerpc.UnavailableError(
                            f"simnet: stream stalled after {sent} frames (fault)"
                        )
                    try:
                        frame = await iterator.__anext__()
                    except StopAsyncIteration:
                        return
                    yield frame
                    sent += 1
        finally:
            self.open_streams -= 1
