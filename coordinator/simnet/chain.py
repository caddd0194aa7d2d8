"""The simulated ledger: transactions queued by actions, sealed into checkpoints.

Like Sui, a checkpoint is a numbered, timestamped batch of executed
transactions, each with the events it emitted; digests are base58 of a
32-byte hash and the chain id is the digest of checkpoint 0 (genesis).
Sealed checkpoints never change. Pruning is logical: records stay in memory
(live streams read them) but the read calls treat checkpoints below
`lowest_available` as gone.

Ledger positions order every event of the chain: (checkpoint, transaction
index, event index). A cursor is such a position, or the start or end of a
checkpoint, encoded as opaque bytes (`encode_cursor`).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import base58
import trio

from coordinator.events import normalize_address


def hash_parts(*parts: bytes | str | int) -> bytes:
    """SHA-256 over length-prefixed parts (unambiguous, unlike plain concatenation)."""
    hasher = hashlib.sha256()
    for part in parts:
        if isinstance(part, int):
            part = part.to_bytes(16, "big")
        elif isinstance(part, str):
            part = part.encode()
        hasher.update(len(part).to_bytes(4, "big") + part)
    return hasher.digest()


def derived_address(kind: str, package_id: str) -> str:
    """A stable address for `kind` on a package (registry id, default sender)."""
    return "0x" + hash_parts(kind.encode(), normalize_address(package_id)).hex()


def digest(*parts: bytes | str | int) -> str:
    """A Sui-style digest: base58 (Bitcoin alphabet) of a 32-byte hash of `parts`."""
    return base58.b58encode(hash_parts(*parts)).decode("ascii")


@dataclass(frozen=True)
class EventRecord:
    package_id: str  # of the top-level Move call that emitted it
    module: str  # likewise (Event.module on the wire)
    sender: str
    event_type: str  # 0xPKG::module::Name
    contents: bytes  # BCS
    noise: bool = False  # background traffic, not a scenario action


@dataclass
class TxRecord:
    """One transaction: a Move call and the events it emitted.

    `checkpoint`, `index` and `timestamp_ms` are set when it is sealed.
    """

    digest: str
    sender: str
    function: str  # the top-level Move call, 0xPKG::module::function
    events: tuple[EventRecord, ...]
    events_digest: str
    checkpoint: int | None = None
    index: int = 0
    timestamp_ms: int = 0


@dataclass(frozen=True)
class CheckpointRecord:
    sequence_number: int
    digest: str
    epoch: int
    timestamp_ms: int
    transactions: tuple[TxRecord, ...]

    def events(self) -> Iterator[tuple[TxRecord, int, EventRecord]]:
        for tx in self.transactions:
            for index, event in enumerate(tx.events):
                yield tx, index, event


# --- cursors ------------------------------------------------------------------

# (checkpoint, phase, transaction index, event index); tuples compare in ledger order.
Position = tuple[int, int, int, int]
_BEFORE, _AT, _AFTER = 0, 1, 2
_CURSOR = struct.Struct(">BQBQI")
_CURSOR_VERSION = 1


def event_position(checkpoint: int, tx_index: int, event_index: int) -> Position:
    return (checkpoint, _AT, tx_index, event_index)


def checkpoint_start(checkpoint: int) -> Position:
    """Just before the first event of `checkpoint`."""
    return (checkpoint, _BEFORE, 0, 0)


def checkpoint_end(checkpoint: int) -> Position:
    """Just after the last event of `checkpoint`."""
    return (checkpoint, _AFTER, 0, 0)


def encode_cursor(position: Position) -> bytes:
    return _CURSOR.pack(_CURSOR_VERSION, *position)


def decode_cursor(data: bytes) -> Position:
    """Parse a cursor made by `encode_cursor`; ValueError for anything else."""
    if len(data) != _CURSOR.size:
        raise ValueError(f"cursor must be {_CURSOR.size} bytes, got {len(data)}")
    version, checkpoint, phase, tx_index, event_index = _CURSOR.unpack(data)
    if version != _CURSOR_VERSION or phase not in (_BEFORE, _AT, _AFTER):
        raise ValueError("not a cursor of this server")
    return (checkpoint, phase, tx_index, event_index)


# --- the chain ----------------------------------------------------------------


@dataclass
class Chain:
    """Checkpoints (index = sequence number) and the transactions waiting for the next one."""

    clock_ms: Callable[[], int]
    epoch: int = 0
    checkpoints: list[CheckpointRecord] = field(default_factory=list)
    pending: list[TxRecord] = field(default_factory=list)
    lowest_available: int = 0
    transaction_count: int = 0
    event_count: int = 0
    _by_digest: dict[str, TxRecord] = field(default_factory=dict)
    _checkpoint_by_digest: dict[str, int] = field(default_factory=dict)
    _sealed: trio.Event = field(default_factory=trio.Event)
    _nonce: int = 0

    def __post_init__(self) -> None:
        if not self.checkpoints:
            self.seal()  # genesis

    @property
    def tip(self) -> CheckpointRecord:
        return self.checkpoints[-1]

    @property
    def chain_id(self) -> str:
        return self.checkpoints[0].digest

    def submit(
        self, sender: str, function: str, events: list[EventRecord], tx_digest: str | None = None
    ) -> TxRecord:
        """Queue a transaction for the next checkpoint; `tx_digest` is a signed
        transaction's own digest (actions without one get a made-up digest)."""
        self._nonce += 1
        contents = [part for e in events for part in (e.event_type, e.contents)]
        tx = TxRecord(
            digest=tx_digest or digest(b"transaction", self._nonce, sender, function, *contents),
            sender=sender,
            function=function,
            events=tuple(events),
            events_digest=digest(b"events", *contents),
        )
        self.pending.append(tx)
        return tx

    def seal(self) -> CheckpointRecord:
        """Seal the queued transactions (possibly none) into the next checkpoint."""
        sequence = len(self.checkpoints)
        previous = self.checkpoints[-1] if self.checkpoints else None
        timestamp = self.clock_ms()
        if previous is not None:
            timestamp = max(timestamp, previous.timestamp_ms)  # monotonic, may repeat
        transactions, self.pending = tuple(self.pending), []
        for index, tx in enumerate(transactions):
            tx.checkpoint, tx.index, tx.timestamp_ms = sequence, index, timestamp
            self._by_digest[tx.digest] = tx
            self.event_count += len(tx.events)
        self.transaction_count += len(transactions)
        record = CheckpointRecord(
            sequence_number=sequence,
            digest=digest(
                b"checkpoint",
                previous.digest if previous else b"",
                sequence,
                timestamp,
                *(tx.digest for tx in transactions),
            ),
            epoch=self.epoch,
            timestamp_ms=timestamp,
            transactions=transactions,
        )
        self.checkpoints.append(record)
        self._checkpoint_by_digest[record.digest] = sequence
        sealed, self._sealed = self._sealed, trio.Event()
        sealed.set()
        return record

    def available(self, sequence: int) -> CheckpointRecord | None:
        """The checkpoint, unless it does not exist (yet) or is pruned."""
        if self.lowest_available <= sequence < len(self.checkpoints):
            return self.checkpoints[sequence]
        return None

    def by_digest(self, checkpoint_digest: str) -> CheckpointRecord | None:
        sequence = self._checkpoint_by_digest.get(checkpoint_digest)
        return None if sequence is None else self.available(sequence)

    def transaction(self, tx_digest: str) -> TxRecord | None:
        """A sealed, unpruned transaction."""
        tx = self._by_digest.get(tx_digest)
        if tx is None or tx.checkpoint is None or tx.checkpoint < self.lowest_available:
            return None
        return tx

    def prune(self, before: int) -> None:
        """Forget checkpoints below `before` (never the tip)."""
        self.lowest_available = max(self.lowest_available, min(before, self.tip.sequence_number))

    async def wait_for(self, sequence: int) -> CheckpointRecord:
        """Wait until checkpoint `sequence` is sealed, and return it."""
        while sequence >= len(self.checkpoints):
            await self._sealed.wait()
        return self.checkpoints[sequence]

    async def wait_sealed(self, tx: TxRecord) -> int:
        """Wait until `tx` is in a checkpoint; return its sequence number."""
        while tx.checkpoint is None:
            await self._sealed.wait()
        return tx.checkpoint
