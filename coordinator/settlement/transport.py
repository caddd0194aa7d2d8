"""The settler's transport: one transaction at a time per app instance, signed
with our key, and what every send shares whatever it carries.

A send marks its operations sent, names the AppInstance as a shared object
(read once, then cached), executes, and counts gas and the transaction's fate.
A send the chain did not answer keeps its operations in the outbox, marked with
the error and retried with backoff (`_keep`). The address's SUI balance is read
every `settle.balance_interval_secs`; between reads our own charges are taken
off it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import trio
from pydantic import Field

from coordinator.backoff import Backoff
from coordinator.domain import ChainOperation, OperationKind
from coordinator.events.bcs import U64_MAX
from coordinator.events.models import app_instance_address
from coordinator.instruments import GAS_SPENT, TRANSACTIONS
from coordinator.section import Section
from coordinator.store import Ledger, Store
from coordinator.sui.client import SuiError
from coordinator.sui.executor import Executor, Outcome
from coordinator.sui.objects import Connect
from coordinator.sui.transactions import Operation, SharedObject

__all__ = ["POLL_SECS", "SEND_TIMEOUT_SECS", "SettleSettings", "Transport", "updating"]

log = logging.getLogger("coordinator.settlement")

# Without a new operation, the outbox is read again at least this often
# (operations written in another unit of work than the book's own commit).
POLL_SECS = 1.0

# The chain's answers are awaited per transaction by the executor; this bounds
# one send altogether (its retries included).
SEND_TIMEOUT_SECS = 120.0



class SettleSettings(Section):
    """`[settle]`: batching of the job operations sent on chain (coordinator.settlement),
    the key's balance, observing only."""

    batch_max: int = Field(default=50, ge=1, le=500)
    """Job operations (claims, completions, failures, terminations) of one app instance sent in
    one transaction (1 .. 500); more than one go as one `multicall_app_job_operations`."""
    batch_ms: int = Field(default=200, ge=0, le=60_000)
    """How long the first due settlement waits for others to join its transaction (0 .. 60000).
    A claim never waits: it goes at once when no transaction of its app instance is under way,
    with whatever else is due, and operations that come meanwhile share the next transaction.
    With 0 settlements go the same way: a burst is still batched, and jobs that trickle in cost
    a transaction per completion."""
    min_balance_mist: int = Field(default=1_000_000_000, ge=0, le=U64_MAX)
    """The status and the log warn when the key's address holds less SUI than this (MIST)."""
    balance_interval_secs: float = Field(default=30.0, gt=0, le=3600)
    """How often the address's SUI balance is read; between reads the gas our own transactions
    are charged is taken off it (no read per transaction)."""
    observe_only: bool = False
    """Follow the chain and show its jobs; claim, run and settle none (no runner, Docker
    unused), with a key too. Without a key, outside a local chain (`sui.chain = "localnet"`
    or `[simnet]`), the daemon starts only so: else exit 2, one line naming `sui.key_file`."""


def updating(batch: list[ChainOperation]) -> Callable[[Ledger], None]:
    """The ledger write that records `batch`'s new state."""
    def write(ledger: Ledger) -> None:
        for op in batch:
            ledger.update_operation(op)
    return write


class Transport:
    """Sends on chain for the settler (see the module doc). `executor` signs with
    our key; `connect` opens a `SuiClient` for reads (objects, balance)."""

    def __init__(self, store: Store, executor: Executor, connect: Connect,
                 settings: SettleSettings, clock: Callable[[], float], retry: Backoff) -> None:
        self.store = store
        self.executor = executor
        self.connect = connect
        self.settings = settings
        self.clock = clock
        self.retry = retry  # of a send the chain did not answer
        self.address = executor.key.address
        self.outbox: list[ChainOperation] = []  # as last read
        self._sending: set[str] = set()  # app instances with a transaction under way
        self._unchecked: set[int] = set()  # op ids left by an earlier process
        self._shared: dict[str, SharedObject] = {}
        self._kick = trio.Event()
        # What the status shows.
        self.balance: int | None = None
        self.gas_spent = 0
        self.transactions_ok = 0
        self.transactions_failed = 0
        self.last_error = ""

    def _wake(self) -> None:
        self._kick.set()
        self._kick = trio.Event()

    @asynccontextmanager
    async def _in_flight(self, app_instance: str) -> AsyncIterator[None]:
        """A send for `app_instance` (marked by the dispatch that started it):
        whatever its end, the instance is free again and the dispatch wakes."""
        try:
            yield
        finally:
            self._sending.discard(app_instance)
            self._wake()

    async def _transmit(self, app_instance: str, ops: list[ChainOperation],
                        calls: Sequence[Operation], *, dry_run: bool = False) -> Outcome:
        """`ops` marked sent, then `calls` executed on the app instance in one
        transaction (`dry_run`: always simulated first, see `Executor.execute`)."""
        for op in ops:
            op.state = "sent"
        await self.store.run(updating(ops))
        shared = await self._shared_object(app_instance)
        return await self.executor.execute(shared, calls, dry_run=dry_run)

    def _account(self, outcome: Outcome) -> bool:
        """Gas and the transaction's fate counted; whether it succeeded."""
        # The balance follows our own charges; the chain is asked every interval.
        if self.balance is not None:
            self.balance -= outcome.gas_charged
        self.gas_spent += max(0, outcome.gas_charged)
        GAS_SPENT.inc(max(0, outcome.gas_charged))
        if not outcome.success:
            self.transactions_failed += 1
            TRANSACTIONS.labels("failed").inc()
            return False
        self.transactions_ok += 1
        TRANSACTIONS.labels("ok").inc()
        return True

    async def _shared_object(self, app_instance: str) -> SharedObject:
        """The AppInstance as a transaction names it (its initial shared version)."""
        shared = self._shared.get(app_instance)
        if shared is None:
            object_id = app_instance_address(app_instance)
            async with self.connect() as client:
                obj = await client.get_object(object_id, read_mask=("object_id", "owner"))
            if not obj.owner.version:
                raise SuiError("GetObject", "NOT_SHARED",
                               f"app instance {object_id} is not a shared object")
            shared = self._shared[app_instance] = SharedObject(object_id, obj.owner.version,
                                                               True)
        return shared

    async def _keep(self, batch: list[ChainOperation], error: str) -> None:
        """No answer from the chain: the operations stay, retried after a backoff."""
        now = self.clock()
        for op in batch:
            op.state = "due"
            op.attempts += 1
            op.last_error = error
            op.next_try_at = now + self.retry.delay(op.attempts - 1)
        self.last_error = error
        # The AppInstance is read again before the next try: the failure may come
        # from a stale view of it (a chain that was reset under us, say).
        self._shared.pop(batch[0].app_instance, None)
        # Sent or not, its fate is the chain's to tell before it goes again.
        self._unchecked.update(op.op_id for op in batch if op.kind is not OperationKind.START)
        delay = batch[0].next_try_at - now
        log.warning("outbox: %d operation(s) of app instance %s not settled (%s); "
                    "retrying in %.0f s", len(batch), batch[0].app_instance, error, delay)
        with trio.CancelScope(shield=True):
            await self.store.run(updating(batch))

    async def _watch_balance(self) -> None:
        low = False
        while True:
            try:
                async with self.connect() as client:
                    self.balance = await client.balance(self.address)
            except SuiError as exc:
                log.debug("balance of %s not read: %s", self.address, exc)
            else:
                now_low = self.balance < self.settings.min_balance_mist
                if now_low and not low:
                    log.warning("address %s holds %d MIST, below settle.min_balance_mist %d: "
                                "fund it, or claims and settlements will fail",
                                self.address, self.balance, self.settings.min_balance_mist)
                low = now_low
            await trio.sleep(self.settings.balance_interval_secs)
