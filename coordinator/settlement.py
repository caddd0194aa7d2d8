"""The settler child: the outbox of chain operations -> batched transactions -> answers.

With a Sui key the chain is the system of record. The job book writes every
claim (`start`) and settlement (`complete`, `fail`, `terminate`) it decides to
the sqlite outbox, in the same transaction as the job change, before anything
is sent. The settler reads the due operations, groups them per app instance
(one transaction at a time per instance: they all write its shared object),
and sends a batch once it holds `settle.batch_max` operations or its oldest
has waited `settle.batch_ms`: one operation as its own Move call, several as
one `multicall_app_job_operations`. The chain answers each operation with a
`bool` (its event, or its entry in the MulticallExecutedEvent); an answered
operation leaves the outbox whatever the answer, and a claim's answer goes to
whoever waits for it (`expect_claim`). A send the chain did not answer (node
unreachable, gas short, the transaction failed) keeps its operations, marked
with the error and retried with backoff; the daemon goes on.

After a crash: claims of the earlier process are dropped (nobody waits for
them; a claim that did land leaves the job running under our address, which
the reconciler fails on chain). Every other operation left over is checked
against the job on chain before it is sent again: a `complete` or `fail` only
while the job is still `Running`, a `terminate` only while the job exists.
So no completion is sent twice and none is lost.

Agents' writes to their app instance (`coordinator.agent_writes`) go through
the same outbox, each in a transaction of its own (`write`), so a call that
aborts fails alone; its answer (success, digest, the created job) goes to the
waiting RPC. A Move abort or a refusal is final; a send without an answer is
retried like a settlement, except a CreateAppJob, which is sent at most once.

Also here: the address's SUI balance (read every `settle.balance_interval_secs`,
a warning below `settle.min_balance_mist`), gas spent, claims won and lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import trio
from pydantic import Field

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.agent_writes import still_needed as write_still_needed
from coordinator.agent_writes import write_of
from coordinator.backoff import Backoff
from coordinator.domain import ChainOperation, JobRef, OperationKind
from coordinator.errors import describe
from coordinator.events.models import app_instance_address, normalize_address
from coordinator.instruments import CLAIMS, GAS_SPENT, TRANSACTIONS
from coordinator.jobs import JobBook
from coordinator.section import Section
from coordinator.store import Ledger, Store
from coordinator.sui.app_instance import AppInstanceObject, read_app_instance
from coordinator.sui.app_jobs import read_app_job, sender_of
from coordinator.sui.client import SuiError, SuiNotFound
from coordinator.sui.executor import Executor, GasError, Outcome
from coordinator.sui.keys import SuiKey
from coordinator.sui.objects import Connect
from coordinator.sui.settings import SuiSettings
from coordinator.sui.transactions import (
    CompleteJob,
    FailJob,
    Multicall,
    Operation,
    SharedObject,
    StartJob,
    TerminateJob,
)
from coordinator.supervisor import Child, ChildSpec

__all__ = [
    "CLAIM_TIMEOUT_SECS",
    "NO_KEY_WARNING",
    "WRITE_TIMEOUT_SECS",
    "Claim",
    "Settler",
    "WriteAnswer",
    "batch_operation",
    "job_status",
    "open_settler",
    "settler_child",
    "still_needed",
]

log = logging.getLogger("coordinator.settlement")

# Without a new operation, the outbox is read again at least this often
# (operations written in another unit of work than the book's own commit).
POLL_SECS = 1.0
# The chain's answers are awaited per transaction by the executor; this bounds
# one send altogether (its retries included).
SEND_TIMEOUT_SECS = 120.0
# A claim not answered by then (node down, no gas): its job goes back, with a
# fail on chain in case the claim lands later.
CLAIM_TIMEOUT_SECS = 120.0
# An agent's write not answered by then: the RPC says so; the write stays in
# the outbox (it may still land).
WRITE_TIMEOUT_SECS = 60.0
# The node's code for a transaction whose dry run failed (a Move abort).
FAILED_DRY_RUN = "FAILED_DRY_RUN"
# `available_memory` of a multicall: claims here ask for no memory (0 each),
# so every start is tried.
NO_MEMORY = 0
# The settler's graceful stop: the outbox gets this long to empty.
SETTLE_GRACE_SECS = 10.0
NO_KEY_WARNING = (
    "no Sui key (SUI_SECRET_KEY or sui.key_file): jobs are NEITHER CLAIMED NOR SETTLED ON "
    "CHAIN; they run here and settle locally, and another coordinator may run them too"
)


class SettleSettings(Section):
    """Batching of the job operations sent on chain (coordinator.settlement)."""

    # Operations of one app instance in one transaction (a multicall when > 1).
    batch_max: int = Field(default=50, ge=1, le=500)
    # How long the first due operation waits for others to join its batch.
    batch_ms: int = Field(default=200, ge=0, le=60_000)
    # The status warns when the key's address holds less than this (MIST).
    min_balance_mist: int = Field(default=1_000_000_000, ge=0)
    # How often the address's SUI balance is read.
    balance_interval_secs: float = Field(default=30.0, gt=0, le=3600)



@dataclass
class Claim:
    """The answer to one claim, once the chain gave it."""

    ref: JobRef
    done: trio.Event = field(default_factory=trio.Event)
    won: bool = False

    async def answer(self) -> bool | None:
        """True: ours; False: another coordinator's; None: no answer within
        CLAIM_TIMEOUT_SECS (the caller gives the job back)."""
        with trio.move_on_after(CLAIM_TIMEOUT_SECS):
            await self.done.wait()
        return self.won if self.done.is_set() else None


@dataclass(frozen=True)
class WriteAnswer:
    """The chain's answer to an agent's write, as the RPC gives it."""

    success: bool
    message: str
    digest: str = ""
    job_sequence: int = 0  # the job a CreateAppJob created


@dataclass
class _PendingWrite:
    done: trio.Event = field(default_factory=trio.Event)
    answer: WriteAnswer | None = None


def open_settler(
    key: SuiKey | None, sui: SuiSettings, settle: SettleSettings, store: Store, book: JobBook,
    connect: Connect,
) -> Settler | None:
    """The settler for `key`; None without a key, said loudly (see NO_KEY_WARNING)."""
    if key is None:
        log.warning("%s", NO_KEY_WARNING)
        return None
    executor = Executor(key, connect, sui.package_id, sui.gas_budget)
    return Settler(store, book, executor, connect, settle)


def settler_child(settler: Settler) -> ChildSpec:
    return ChildSpec("settler", lambda: Child(settler.run, settler.drain),
                     shutdown_secs=SETTLE_GRACE_SECS)


def batch_operation(batch: Sequence[ChainOperation]) -> Operation:
    """One operation as its own Move call; several as one multicall."""
    if len(batch) == 1:
        op = batch[0]
        match op.kind:
            case OperationKind.START:
                return StartJob(op.job_sequence)
            case OperationKind.COMPLETE:
                return CompleteJob(op.job_sequence)
            case OperationKind.FAIL:
                return FailJob(op.job_sequence, op.error)
            case OperationKind.TERMINATE:
                return TerminateJob(op.job_sequence)

    def of(kind: OperationKind) -> list[ChainOperation]:
        return [op for op in batch if op.kind is kind]

    return Multicall(
        complete=tuple(op.job_sequence for op in of(OperationKind.COMPLETE)),
        fail=tuple((op.job_sequence, op.error) for op in of(OperationKind.FAIL)),
        terminate=tuple(op.job_sequence for op in of(OperationKind.TERMINATE)),
        start=tuple((op.job_sequence, NO_MEMORY) for op in of(OperationKind.START)),
        available_memory=NO_MEMORY,
    )


def still_needed(op: ChainOperation, status: str | None) -> bool:
    """Whether a left-over operation still has work to do, given the job's
    status on chain (None: the job is gone, completed or deleted)."""
    if status is None:
        return False
    if op.kind in (OperationKind.COMPLETE, OperationKind.FAIL):
        return status == "running"
    if op.kind is OperationKind.TERMINATE:
        return True
    return status == "pending"


async def job_status(connect: Connect, app_instance: str, job_sequence: int) -> str | None:
    """The job's status on chain (`pending`, `running`, `failed`), None when the
    AppInstance no longer holds it. Raises `SuiError` when the chain cannot say."""
    async with connect() as client:
        entry = await read_app_job(client, app_instance, job_sequence)
    return None if entry is None else entry.job.status.kind


def _dedupe(ops: Sequence[ChainOperation], limit: int) -> list[ChainOperation]:
    """At most `limit` operations, one per (kind, job): the chain answers per
    (kind, job), so a second one waits for the next transaction."""
    chosen: list[ChainOperation] = []
    seen: set[tuple[OperationKind, int]] = set()
    for op in ops:
        if (op.kind, op.job_sequence) in seen:
            continue
        seen.add((op.kind, op.job_sequence))
        chosen.append(op)
        if len(chosen) == limit:
            break
    return chosen


class Settler:
    """Sends the outbox (see the module doc). `executor` signs with our key;
    `connect` opens a `SuiClient` for reads (objects, balance)."""

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
        self.store = store
        self.book = book
        self.executor = executor
        self.connect = connect
        self.settings = settings
        self.clock = clock
        self.retry = retry or Backoff(initial=1.0, maximum=300.0)
        self.address = executor.key.address
        self.outbox: list[ChainOperation] = []  # as last read
        self._claims: dict[JobRef, Claim] = {}
        self._writes: dict[int, _PendingWrite] = {}  # by outbox id
        self._sending: set[str] = set()  # app instances with a transaction under way
        self._unchecked: set[int] = set()  # op ids left by an earlier process
        self._shared: dict[str, SharedObject] = {}
        self._kick = trio.Event()
        self._balance_stale = trio.Event()
        # What the status shows.
        self.balance: int | None = None
        self.gas_spent = 0
        self.jobs_settled = 0
        self.claims_won = 0
        self.claims_lost = 0
        self.transactions_ok = 0
        self.transactions_failed = 0
        self.last_error = ""

    # --- what others call -----------------------------------------------------

    def expect_claim(self, ref: JobRef) -> Claim:
        """Register for the answer to the claim the book just queued for `ref`;
        call it before the book's commit, so no answer can come first."""
        claim = self._claims[ref] = Claim(ref)
        return claim

    def forget_claim(self, ref: JobRef) -> None:
        self._claims.pop(ref, None)

    async def write(self, op: ChainOperation) -> WriteAnswer:
        """Queue an agent's write (`agent_writes.outbox_entry`) and wait, at most
        WRITE_TIMEOUT_SECS, for the chain's answer."""
        pending = _PendingWrite()
        with trio.CancelScope(shield=True):
            await self.store.run(lambda ledger: ledger.add_operations([op]))
        self._writes[op.op_id] = pending
        self._wake()
        with trio.move_on_after(WRITE_TIMEOUT_SECS):
            await pending.done.wait()
        self._writes.pop(op.op_id, None)
        if pending.answer is not None:
            return pending.answer
        return WriteAnswer(False, f"the chain did not answer within {WRITE_TIMEOUT_SECS:g} s "
                                  f"({self.last_error or 'no answer yet'}); the write stays in "
                                  "the outbox and may still land")

    def _answer_write(self, op: ChainOperation, answer: WriteAnswer) -> None:
        pending = self._writes.pop(op.op_id, None)
        if pending is not None:
            pending.answer = answer
            pending.done.set()

    # --- the child ------------------------------------------------------------

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

    def _wake(self) -> None:
        self._kick.set()
        self._kick = trio.Event()

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
            if len(due) < self.settings.batch_max and ready_at > now:
                wait = min(wait, ready_at - now)
                continue
            batch = _dedupe(due, self.settings.batch_max)
            self._sending.add(app_instance)
            nursery.start_soon(self._send, app_instance, batch)
        return max(0.0, wait)

    async def _send(self, app_instance: str, batch: list[ChainOperation]) -> None:
        try:
            try:
                with trio.fail_after(SEND_TIMEOUT_SECS):
                    batch = await self._drop_unneeded(app_instance, batch)
                    if not batch:
                        return
                    for op in batch:
                        op.state = "sent"
                    await self.store.run(_updating(batch))
                    shared = await self._shared_object(app_instance)
                    outcome = await self.executor.execute(shared, [batch_operation(batch)])
            except (SuiError, GasError, trio.TooSlowError) as exc:
                TRANSACTIONS.labels("error").inc()
                await self._keep(batch, describe(exc))
                return
            with trio.CancelScope(shield=True):
                await self._answered(batch, outcome)
        finally:
            self._sending.discard(app_instance)
            self._wake()

    async def _send_write(self, app_instance: str, op: ChainOperation) -> None:
        try:
            try:
                write = write_of(op)
            except ValueError as exc:
                log.error("outbox: %s; dropped", exc)
                await self._settle_write(op, WriteAnswer(False, str(exc)))
                return
            try:
                with trio.fail_after(SEND_TIMEOUT_SECS):
                    if op.op_id in self._unchecked:
                        instance = await self._instance_or_none(app_instance)
                        self._unchecked.discard(op.op_id)
                        if not write_still_needed(op, write, instance):
                            await self._settle_write(op, _not_resent(op))
                            return
                    op.state = "sent"
                    await self.store.run(_updating([op]))
                    shared = await self._shared_object(app_instance)
                    outcome = await self.executor.execute(shared, [write])
            except SuiError as exc:
                if exc.code == FAILED_DRY_RUN:
                    # A Move abort in the dry run: the chain refuses it as asked.
                    TRANSACTIONS.labels("failed").inc()
                    await self._settle_write(op, WriteAnswer(
                        False, f"{op.kind.value} refused by the chain: {exc.message}"))
                    return
                await self._write_unanswered(op, describe(exc))
                return
            except (GasError, trio.TooSlowError) as exc:
                await self._write_unanswered(op, describe(exc))
                return
            with trio.CancelScope(shield=True):
                await self._write_answered(op, outcome)
        finally:
            self._sending.discard(app_instance)
            self._wake()

    async def _instance_or_none(self, app_instance: str) -> AppInstanceObject | None:
        try:
            return await read_app_instance(self.connect, app_instance)
        except SuiNotFound:
            return None

    async def _write_unanswered(self, op: ChainOperation, error: str) -> None:
        """No answer: retried like a settlement; a CreateAppJob is not (at most once)."""
        TRANSACTIONS.labels("error").inc()
        if op.kind is OperationKind.CREATE_APP_JOB:
            self.last_error = error
            log.warning("outbox: create_app_job for job %s not answered (%s); not sent again "
                        "(a job is created at most once)", op.ref, error)
            await self._settle_write(op, WriteAnswer(
                False, f"the chain did not answer ({error}); the job may or may not have been "
                       "created, and it is not sent again"))
            return
        await self._keep([op], error)

    async def _write_answered(self, op: ChainOperation, outcome: Outcome) -> None:
        self._balance_stale.set()
        self.gas_spent += max(0, outcome.gas_charged)
        GAS_SPENT.inc(max(0, outcome.gas_charged))
        if not outcome.success:
            self.transactions_failed += 1
            TRANSACTIONS.labels("failed").inc()
            answer = WriteAnswer(False, f"{op.kind.value} failed on chain: {outcome.error}",
                                 outcome.digest)
        else:
            self.transactions_ok += 1
            TRANSACTIONS.labels("ok").inc()
            answer = WriteAnswer(True, f"{op.kind.value} done", outcome.digest)
            if op.kind is OperationKind.CREATE_APP_JOB:
                if outcome.created_jobs:
                    answer = WriteAnswer(True, f"job {outcome.created_jobs[0]} created",
                                         outcome.digest, outcome.created_jobs[0])
                else:
                    why = "; ".join(outcome.refusals) or "create_app_job returned none"
                    answer = WriteAnswer(False, f"no job created: {why}", outcome.digest)
        log.debug("transaction %s: %s for job %s (gas %d MIST)", outcome.digest,
                  op.kind.value, op.ref, outcome.gas_charged)
        await self._settle_write(op, answer)

    async def _settle_write(self, op: ChainOperation, answer: WriteAnswer) -> None:
        """The write leaves the outbox; whoever waits gets `answer`."""
        with trio.CancelScope(shield=True):
            await self.store.run(lambda ledger: ledger.remove_operations([op.op_id]))
        self._answer_write(op, answer)

    async def _drop_unneeded(
        self, app_instance: str, batch: list[ChainOperation]
    ) -> list[ChainOperation]:
        """Operations left by an earlier process go only if the job still needs them."""
        needed, dropped = [], []
        for op in batch:
            if op.op_id in self._unchecked:
                status = await job_status(self.connect, app_instance, op.job_sequence)
                self._unchecked.discard(op.op_id)
                if not still_needed(op, status):
                    log.info("outbox: %s of job %s not sent again: the job is %s on chain",
                             op.kind.value, op.ref, status or "gone")
                    dropped.append(op.op_id)
                    continue
            needed.append(op)
        if dropped:
            await self.store.run(lambda ledger: ledger.remove_operations(dropped))
        return needed

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
            await self.store.run(_updating(batch))

    async def _answered(self, batch: list[ChainOperation], outcome: Outcome) -> None:
        self._balance_stale.set()
        self.gas_spent += max(0, outcome.gas_charged)
        GAS_SPENT.inc(max(0, outcome.gas_charged))
        if not outcome.success:
            self.transactions_failed += 1
            TRANSACTIONS.labels("failed").inc()
            await self._keep(batch, f"transaction {outcome.digest} failed: {outcome.error}")
            return
        self.transactions_ok += 1
        TRANSACTIONS.labels("ok").inc()
        applied: dict[tuple[str, int], bool] = {
            (r.kind, r.job_sequence): r.applied for r in outcome.results}
        late: list[ChainOperation] = []
        for op in batch:
            ok = applied.get((op.kind.value, op.job_sequence), False)
            if op.kind is OperationKind.START:
                if not ok and op.attempts > 0:
                    ok = await self._claimed_by_an_earlier_try(op)
                late += self._claim_answered(op, ok)
            elif ok:
                self.jobs_settled += 1
            else:
                log.warning("chain refused %s of job %s (the job is no longer running "
                            "under us there)", op.kind.value, op.ref)
        removed = [op.op_id for op in batch]

        def write(ledger: Ledger) -> None:
            ledger.remove_operations(removed)
            ledger.add_operations(late)

        await self.store.run(write)
        log.debug("transaction %s settled %d operation(s), gas %d MIST", outcome.digest,
                  len(batch), outcome.gas_charged)

    async def _claimed_by_an_earlier_try(self, op: ChainOperation) -> bool:
        """A claim sent again after a try the chain did not answer is refused when
        that try did land: the job is ours if it runs there under a transaction
        sent from our address."""
        try:
            with trio.fail_after(SEND_TIMEOUT_SECS):
                async with self.connect() as client:
                    entry = await read_app_job(client, op.app_instance, op.job_sequence)
                    if (entry is None or entry.job.status.kind != "running"
                            or entry.previous_transaction is None):
                        return False
                    sender = await sender_of(client, entry.previous_transaction)
        except (SuiError, trio.TooSlowError) as exc:
            log.warning("claim of job %s refused, and whether an earlier try of ours "
                        "landed cannot be read (%s): taken as lost", op.ref, describe(exc))
            return False
        ours = sender is not None and normalize_address(sender) == self.address
        if ours:
            log.info("claim of job %s: an earlier try, whose answer was lost, landed", op.ref)
        return ours

    def _claim_answered(self, op: ChainOperation, won: bool) -> list[ChainOperation]:
        CLAIMS.labels("won" if won else "lost").inc()
        if won:
            self.claims_won += 1
        else:
            self.claims_lost += 1
        claim = self._claims.pop(op.ref, None)
        if claim is not None:
            claim.won = won
            claim.done.set()
            return []
        if not won:
            return []
        # Ours on chain, but whoever asked is gone: give the job back.
        return [ChainOperation(OperationKind.FAIL, op.app_instance, op.job_sequence,
                               "claimed after its container gave up waiting",
                               created_at=self.clock())]

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
            # Read again after the interval, or sooner once gas was spent.
            self._balance_stale = trio.Event()
            with trio.move_on_after(self.settings.balance_interval_secs):
                await self._balance_stale.wait()

    async def drain(self) -> None:
        """Graceful stop: the operations written so far get their chance on chain
        within the shutdown budget; what is left stays in the outbox."""
        while self.outbox or self._sending:
            kicked = self._kick
            with trio.move_on_after(POLL_SECS):
                await kicked.wait()

    # --- status -----------------------------------------------------------------

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


def _not_resent(op: ChainOperation) -> WriteAnswer:
    """The answer to a left-over write that is not sent again (`still_needed`)."""
    log.info("outbox: %s for job %s not sent again: the chain has its effect, or it may "
             "have landed already", op.kind.value, op.ref)
    if op.kind in (OperationKind.SET_KV, OperationKind.DELETE_KV):
        return WriteAnswer(True, f"{op.kind.value}: the chain already has it")
    return WriteAnswer(False, f"{op.kind.value} not sent again: it may have landed already "
                              "(the key is there, or the job may have been created)")


def _updating(batch: list[ChainOperation]) -> Callable[[Ledger], None]:
    def write(ledger: Ledger) -> None:
        for op in batch:
            ledger.update_operation(op)
    return write

