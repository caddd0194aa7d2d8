"""The settler child: the outbox of chain operations -> batched transactions -> answers.

With a Sui key the chain is the system of record. The job book writes every
claim (`start`) and settlement (`complete`, `fail`, `terminate`) it decides to
the sqlite outbox, in the same transaction as the job change, before anything
is sent. The settler reads the due operations, groups them per app instance
(one transaction at a time per instance: they all write its shared object),
and sends a batch once it holds a claim (at once: an agent waits for it),
`settle.batch_max` operations, or its oldest has waited `settle.batch_ms`:
one operation as its own Move call, several as one
`multicall_app_job_operations`. So batching gathers what arrives while a
transaction of the instance is under way, and settlements that can wait.

    claims.py     the job operations: batches, answers, claims won and lost
    pipeline.py   the proof pipeline's calls: queued in the batches, or direct;
                  a refused batch split, a call refused alone dropped
    writes.py     agents' writes (and direct pipeline calls), each alone
    transport.py  what every send shares: shared object, execution, gas, retries
    operations.py batches as Move calls, what a left-over operation still needs

After a crash: claims of the earlier process are dropped (nobody waits for
them; a claim that did land leaves the job running under our address, which
the reconciler fails on chain); every other operation left over is checked
against the chain before it is sent again.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.backoff import Backoff
from coordinator.domain import ChainOperation, OperationKind
from coordinator.jobs import JobBook
from coordinator.settlement.claims import JobOperations
from coordinator.settlement.operations import dedupe
from coordinator.settlement.transport import POLL_SECS, SettleSettings
from coordinator.store import Ledger, Store
from coordinator.sui.executor import Executor
from coordinator.sui.keys import SuiKey
from coordinator.sui.objects import Connect
from coordinator.sui.package_versions import PackageVersions
from coordinator.sui.settings import SuiSettings

__all__ = ["NO_KEY_WARNING", "SETTLE_GRACE_SECS", "Settler", "open_settler"]

log = logging.getLogger("coordinator.settlement")

# The settler's graceful stop: the outbox gets this long to empty.
SETTLE_GRACE_SECS = 10.0

NO_KEY_WARNING = (
    "no Sui key (SUI_SECRET_KEY or sui.key_file): jobs are NEITHER CLAIMED NOR SETTLED ON "
    "CHAIN; they run here and settle locally, and another coordinator may run them too"
)



def open_settler(
    key: SuiKey | None, sui: SuiSettings, settle: SettleSettings, store: Store, book: JobBook,
    connect: Connect,
) -> Settler | None:
    """The settler for `key`; None without a key, said loudly (see NO_KEY_WARNING)."""
    if key is None:
        log.warning("%s", NO_KEY_WARNING)
        return None
    executor = Executor(key, connect, sui.package_id, sui.gas_budget,
                        versions=PackageVersions.of(sui))
    return Settler(store, book, executor, connect, settle)



class Settler(JobOperations):
    """Sends the outbox (see the module doc): the child's loop, its drain, and
    its part of the status."""

    def __init__(
        self,
        store: Store,
        book: JobBook,
        executor: Executor,
        connect: Connect,
        settings: SettleSettings,
        *,
        clock: Callable[[], float] = time.time,
        retry: Backoff | None = None,
    ) -> None:
        super().__init__(store, executor, connect, settings, clock,
                         retry or Backoff(initial=1.0, maximum=300.0))
        self.book = book
        self._claims = {}
        self._writes = {}
        self._limits = {}
        self._refusals = Counter()
        # What the status shows, besides the transport's.
        self.jobs_settled = 0
        self.claims_won = 0
        self.claims_lost = 0
        self.pipeline_calls_dropped = 0

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        left = await self.store.run(Ledger.operations)
        # A restart of this child keeps its waiters; a new process has none.
        stale = [op.op_id for op in left
                 if op.kind is OperationKind.START and op.ref not in self._claims]
        if stale:
            await self.store.run(lambda ledger: ledger.remove_operations(stale))
            log.info("%d claim(s) of an earlier run dropped from the outbox", len(stale))
        self._unchecked = {op.op_id for op in left if op.kind is not OperationKind.START}
        self._sending.clear()
        if self._unchecked:
            log.info("%d operation(s) left in the outbox; each is sent again only if the "
                     "job on chain still needs it", len(self._unchecked))
        task_status.started()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._watch_balance)
            nursery.start_soon(self._follow_book)
            while True:
                kicked = self._kick
                self.outbox = await self.store.run(Ledger.operations)
                wait = self._dispatch(nursery, self.clock())
                with trio.move_on_after(min(wait, POLL_SECS)):
                    await kicked.wait()

    async def _follow_book(self) -> None:
        """New operations in the outbox (the book's commit replaces its event)."""
        while True:
            await self.book.operations_written.wait()
            self._wake()

    def _dispatch(self, nursery: trio.Nursery, now: float) -> float:
        """Start a send for every app instance whose batch is ready; return the
        seconds until the next one may be."""
        groups: dict[str, list[ChainOperation]] = {}
        for op in self.outbox:
            if op.app_instance not in self._sending:
                groups.setdefault(op.app_instance, []).append(op)
        wait = POLL_SECS
        window = self.settings.batch_ms / 1000
        for app_instance, ops in groups.items():
            due = [op for op in ops if op.next_try_at <= now]
            if not due:
                wait = min(wait, min(op.next_try_at for op in ops) - now)
                continue
            if due[0].kind.agent_write:
                # Alone, at once: its abort must not take other operations with it.
                self._sending.add(app_instance)
                nursery.start_soon(self._send_write, app_instance, due[0])
                continue
            due = [op for op in due if not op.kind.agent_write]
            ready_at = min(op.created_at for op in due) + window
            # A claim goes at once (an agent waits for it); what comes meanwhile
            # gathers for the next transaction.
            claiming = any(op.kind is OperationKind.START for op in due)
            if len(due) < self.settings.batch_max and ready_at > now and not claiming:
                wait = min(wait, ready_at - now)
                continue
            batch = dedupe(due, self.batch_limit(app_instance))
            self._sending.add(app_instance)
            nursery.start_soon(self._send, app_instance, batch)
        return max(0.0, wait)

    async def drain(self) -> None:
        """Graceful stop: the operations written so far get their chance on chain
        within the shutdown budget; what is left stays in the outbox."""
        while self.outbox or self._sending:
            kicked = self._kick
            with trio.move_on_after(POLL_SECS):
                await kicked.wait()

    def oldest_age(self, now: float) -> float:
        return max((now - op.created_at for op in self.outbox), default=0.0)

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        """The settlement part of the status: address (never the key), balance,
        gas, outbox, claims."""
        part = message.settlement
        part.enabled = True
        part.address = self.address
        if self.balance is not None:
            part.balance_mist = self.balance
            part.has_balance = True
            part.low_balance = self.balance < self.settings.min_balance_mist
        part.min_balance_mist = self.settings.min_balance_mist
        part.gas_spent_mist = self.gas_spent
        part.jobs_settled = self.jobs_settled
        part.outbox_operations = len(self.outbox)
        part.outbox_oldest_age_secs = self.oldest_age(self.clock())
        part.claims_won = self.claims_won
        part.claims_lost = self.claims_lost
        part.transactions_ok = self.transactions_ok
        part.transactions_failed = self.transactions_failed
        part.last_error = self.last_error
        part.pipeline_calls_dropped = self.pipeline_calls_dropped
