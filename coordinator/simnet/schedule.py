"""`Schedule`: when the simulated chain seals checkpoints and runs timed actions.

Checkpoints are sealed every `checkpoint_interval_secs` by `run()` (or on
demand with `seal()`; never by themselves when the interval is 0), with
background traffic of other packages when `noise` is on. Scenario actions can
be pinned to a checkpoint or to a delay after `run()` starts.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

import trio

from coordinator.events import Writer, normalize_address
from coordinator.simnet.chain import Chain, CheckpointRecord, EventRecord, TxRecord, derived_address
from coordinator.simnet.errors import SimnetError

log = logging.getLogger("coordinator.simnet")

NOISE_PACKAGE_ID = normalize_address("0xdec0de")


class Schedule:
    """Checkpoint sealing and timed actions over a `Chain`."""

    def __init__(
        self,
        chain: Chain,
        package_id: str,
        sender: str,
        *,
        checkpoint_interval_secs: float,
        noise: bool,
        retain_checkpoints: int | None,
    ) -> None:
        self.chain = chain
        self.checkpoint_interval_secs = checkpoint_interval_secs
        self.noise = noise
        self.retain_checkpoints = retain_checkpoints
        # This package's background event: the package and the sender it comes from.
        self._noise_source = (package_id, sender)
        # Actions due before a checkpoint's seal; actions due a delay after run()
        # starts, and the nursery run() gives them once it runs.
        self._at_checkpoint: dict[int, list[Callable[[], object]]] = {}
        self._after_secs: list[tuple[float, Callable[[], object]]] = []
        self._nursery: trio.Nursery | None = None

    def at_checkpoint(self, sequence: int, action: Callable[[], object]) -> None:
        """Run `action` just before checkpoint `sequence` is sealed (its transaction lands
        in that checkpoint), or before the next seal when that one is already sealed."""
        sequence = max(sequence, len(self.chain.checkpoints))
        self._at_checkpoint.setdefault(sequence, []).append(action)

    def after_secs(self, seconds: float, action: Callable[[], object]) -> None:
        """Run `action` `seconds` after `run()` starts (from now when it runs already)."""
        if self._nursery is not None:
            self._nursery.start_soon(self._timer, trio.current_time() + seconds, action)
        else:
            self._after_secs.append((seconds, action))

    def _run_action(self, action: Callable[[], object]) -> None:
        try:
            action()
        except SimnetError as exc:
            log.error("scheduled action failed: %s", exc)

    def seal(self) -> CheckpointRecord:
        """Seal the queued transactions (and noise, when on) into the next checkpoint."""
        sequence = len(self.chain.checkpoints)
        for action in self._at_checkpoint.pop(sequence, []):
            self._run_action(action)
        if self.noise:
            self._add_noise(sequence)
        record = self.chain.seal()
        if self.retain_checkpoints is not None:
            self.chain.prune(sequence - self.retain_checkpoints + 1)
        _log_checkpoint(record)
        return record

    def _add_noise(self, sequence: int) -> None:
        """Background traffic: another package's event every checkpoint, an event of
        another module of this package every other checkpoint."""
        writer = Writer()
        writer.address(derived_address("pool", NOISE_PACKAGE_ID))
        writer.u64(sequence * 7)
        writer.u64(sequence * 5)
        sender = derived_address("trader", NOISE_PACKAGE_ID)
        swap = EventRecord(
            NOISE_PACKAGE_ID, "dex", sender, f"{NOISE_PACKAGE_ID}::dex::SwapEvent",
            writer.getvalue(), noise=True,
        )  # fmt: skip
        self.chain.submit(sender, f"{NOISE_PACKAGE_ID}::dex::swap", [swap])
        if sequence % 2 == 0:
            package, sender = self._noise_source
            writer = Writer()
            writer.u64(sequence)
            block = EventRecord(
                package, "block", sender,
                f"{package}::block::BlockCreatedEvent", writer.getvalue(), noise=True,
            )  # fmt: skip
            self.chain.submit(sender, f"{package}::block::create_block", [block])

    async def settle(self, tx: TxRecord) -> int:
        """Wait until `tx` is sealed (sealing at once without an interval); its checkpoint."""
        if tx.checkpoint is None and self.checkpoint_interval_secs == 0:
            self.seal()
        return await self.chain.wait_sealed(tx)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Seal a checkpoint every `checkpoint_interval_secs` (never when 0) and run the
        timed actions; forever."""
        start = trio.current_time()
        interval = self.checkpoint_interval_secs
        # Armed once: a second run() (a restarted child) does not repeat them.
        timers, self._after_secs = sorted(self._after_secs, key=lambda item: item[0]), []
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                for delay, action in timers:
                    nursery.start_soon(self._timer, start + delay, action)
                task_status.started()
                if interval == 0:
                    await trio.sleep_forever()
                beat = start
                while True:
                    beat += interval
                    await trio.sleep_until(beat)
                    self.seal()
        finally:
            self._nursery = None

    async def _timer(self, deadline: float, action: Callable[[], object]) -> None:
        await trio.sleep_until(deadline)
        self._run_action(action)
        if self.checkpoint_interval_secs == 0:
            self.seal()


def _log_checkpoint(record: CheckpointRecord) -> None:
    names = Counter(
        event.event_type.rsplit("::", 1)[-1]
        for _, _, event in record.events()
        if not event.noise
    )
    if not names:
        what = "background events only" if record.transactions else "empty"
        log.debug("checkpoint %d sealed (%s)", record.sequence_number, what)
        return
    summary = ", ".join(f"{name} x{count}" for name, count in sorted(names.items()))
    log.info(
        "checkpoint %d sealed: %d transaction(s), %s",
        record.sequence_number,
        len(record.transactions),
        summary,
    )
