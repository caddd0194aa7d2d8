"""Reconciliation: the job book compared with the chain every few minutes.

Events are how the book learns, but a stream can miss some (a node's pruned
history, a reconnect gap, another coordinator's transaction seen late) and
a coordinator can die holding jobs. So every `reconcile.interval_secs` the
jobs of every app instance the book knows are read from chain
(`coordinator.sui.app_jobs`) and the book is brought in line:

- a job pending on chain that the book does not have is added (pending, ours
  to try); one the book dropped is pending again;
- a job the book has pending (or running) that is gone from the chain was
  completed or deleted elsewhere: dropped; one the book has pending that runs
  on chain under another coordinator's address, or failed for good, is
  dropped too;
- a job running on chain under this coordinator's address (the sender of the
  transaction that last wrote the job: the one that started it) for longer
  than the container timeout, with no container of ours on it, was left by a
  crash or a lost settlement: it is handed to `fail_on_chain`;
- a job running on chain under ANY address for longer than
  `reconcile.stale_running_secs` (upstream's stuck-job limit, never below the
  container timeout) was left by a coordinator that died or lost its way: it
  is handed to `fail_on_chain` too (`fail_app_job` takes any sender), so the
  chain makes it pending again and a live coordinator runs it. This is how N
  coordinators on one package survive one of them dying.

Each pass reads at most `MAX_READS_PER_PASS` times (an app instance of n jobs
is 1 + n/100 reads; the next pass goes on where a cut pass stopped); every
read runs under the client's deadline and the pass under `PASS_TIMEOUT_SECS`.
A failed pass is one log line; the next pass tries again.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import trio
from pydantic import Field, field_validator

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.docker.settings import DockerSettings
from coordinator.domain import JobRef, JobState
from coordinator.errors import describe
from coordinator.events.models import normalize_address
from coordinator.instruments import RECONCILE_JOBS, RECONCILE_PASSES
from coordinator.jobs import JobBook
from coordinator.section import Section
from coordinator.sui.app_jobs import AppJobs, ChainJobEntry, pending_job, read_app_jobs, sender_of
from coordinator.sui.client import SuiClient, SuiError
from coordinator.sui.objects import PAGE_SIZE, Connect

log = logging.getLogger("coordinator.reconciler")

FailOnChain = Callable[[str, int, str], Awaitable[None]]
"""`fail_on_chain(app_instance, job_sequence, reason)`: have a job that runs on
chain with no container of ours on it (under our address, or stale under any)
failed there (the settler's outbox when there is one).
Raising is an error of the pass: the job is seen again next pass."""

FIRST_PASS_DELAY_SECS = 5.0  # after ingest is up: the stream's first news first
MAX_READS_PER_PASS = 200
PASS_TIMEOUT_SECS = 120.0
SENDERS_KEPT = 1024  # transaction -> sender, for running jobs seen pass after pass

PassResult = Literal["ok", "partial", "error"]


class ReconcileSettings(Section):
    """`[reconcile]`: how often the job book is compared with the app instances' jobs on
    chain (docs/jobs.md, Reconciliation)."""

    interval_secs: float = Field(default=300.0, ge=0, le=86400)
    """Seconds between reconciliation passes (the job book compared with the app instances'
    jobs on chain, docs/jobs.md, Reconciliation); the first pass 5 s after start; `0` turns
    it off; else 1 .. 86400."""

    @field_validator("interval_secs")
    @classmethod
    def _check_interval(cls, value: float) -> float:
        if 0 < value < 1:
            raise ValueError("must be 0 (off) or 1 .. 86400 seconds")
        return value

    # A job running on chain this long, under any coordinator's address, is
    # failed there (upstream's STUCK_JOB_TIMEOUT_SECS); never below
    # docker.container_timeout_secs (see `stale_after_secs`).
    stale_running_secs: int = Field(default=600, ge=1, le=7 * 24 * 3600)
    """A job running on chain under ANY coordinator's address for longer than this (by its
    `updated_at`) is failed there by reconciliation, so a live coordinator takes over a dead
    one's jobs (upstream's stuck-job limit); never below `docker.container_timeout_secs`
    (set below it: a configuration error; left at the default: the container timeout is
    used)."""

    def stale_after_secs(self, docker: DockerSettings) -> int:
        """The stale limit in force: a live coordinator's container may run for
        the whole container timeout, so the limit is never below it."""
        return max(self.stale_running_secs, docker.container_timeout_secs)



class _BudgetSpent(Exception):
    """The pass has read all it may; the rest waits for the next pass."""


@dataclass
class PassReport:
    """What one pass did, for the status."""

    ended_at: float = 0.0  # wall clock
    result: PassResult | Literal[""] = ""
    error: str = ""
    added: int = 0
    dropped: int = 0
    failed: int = 0
    app_instances: int = 0


def fail_through_book(book: JobBook) -> FailOnChain:
    """`fail_on_chain` through the job book: with an address, the book's failure
    is written to the outbox and the settler sends it; without (no key), the
    job is failed in the book only, and the log says so."""

    async def fail(app_instance: str, job_sequence: int, reason: str) -> None:
        ref = JobRef(app_instance, job_sequence)
        if book.address is None:
            log.warning("job %s would be failed on chain (%s), but jobs are not settled on "
                        "chain here; failed in the book only", ref, reason)
        else:
            log.warning("job %s runs on chain with no container here (%s); "
                        "failing it on chain", ref, reason)
        book.fail_abandoned(ref, reason)
        await book.commit()

    return fail


def reconciler_for(settings: ReconcileSettings, docker: DockerSettings, connect: Connect,
                   book: JobBook) -> Reconciler | None:
    """The daemon's reconciler, None when `reconcile.interval_secs` is 0. Our
    address is the book's (the key's); failures go through the book."""
    if not settings.interval_secs:
        return None
    return Reconciler(
        connect, book, address=book.address, fail_on_chain=fail_through_book(book),
        interval_secs=settings.interval_secs,
        running_timeout_secs=docker.container_timeout_secs,
        stale_running_secs=settings.stale_after_secs(docker),
    )


class Reconciler:
    def __init__(
        self,
        connect: Connect,
        book: JobBook,
        *,
        address: str | None,
        fail_on_chain: FailOnChain,
        interval_secs: float,
        running_timeout_secs: float,
        stale_running_secs: float | None = None,
        max_reads: int = MAX_READS_PER_PASS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.connect = connect
        self.book = book
        # Ours (from the key); None: no key, so no job runs on chain under our address.
        self.address = None if address is None else normalize_address(address)
        self.fail_on_chain = fail_on_chain
        self.interval_secs = interval_secs
        self.running_timeout_secs = running_timeout_secs
        # Running this long under any address: abandoned (None: only ours are failed).
        self.stale_running_secs = stale_running_secs
        self.max_reads = max_reads
        self.clock = clock
        self.last = PassReport()
        self.next_pass_at: float | None = None  # trio clock
        self._start_at = 0  # index of the app instance the next pass begins with
        self._senders: OrderedDict[str, str | None] = OrderedDict()
        # Jobs handed to `fail_on_chain`, by the transaction that last wrote
        # them: handed once while the chain shows them unchanged.
        self._handed: dict[JobRef, str | None] = {}
        self._reads = 0

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """A pass soon after start, then one every `interval_secs`, for ever."""
        task_status.started()
        self.next_pass_at = trio.current_time() + FIRST_PASS_DELAY_SECS
        while True:
            await trio.sleep_until(self.next_pass_at)
            await self.reconcile_once()
            self.next_pass_at = trio.current_time() + self.interval_secs

    async def reconcile_once(self) -> PassReport:
        """One pass over the app instances the book knows; never raises a chain error."""
        report = PassReport()
        result: PassResult = "ok"
        try:
            with trio.fail_after(PASS_TIMEOUT_SECS):
                if not await self._pass(report):
                    result = "partial"
        except (SuiError, OSError, trio.TooSlowError) as exc:
            result = "error"
            report.error = describe(exc) if not isinstance(exc, trio.TooSlowError) else (
                f"the pass took longer than {PASS_TIMEOUT_SECS:g} s")
            log.warning("reconciliation with the chain failed (%s); next pass in %g s",
                        report.error, self.interval_secs)
        finally:
            await self.book.commit()
        report.result, report.ended_at = result, self.clock()
        self.last = report
        RECONCILE_PASSES.labels(result).inc()
        for action, count in (("added", report.added), ("dropped", report.dropped),
                              ("failed", report.failed)):
            if count:
                RECONCILE_JOBS.labels(action).inc(count)
        if report.added or report.dropped or report.failed or result == "partial":
            log.info("reconciled %d app instance(s) with the chain (%s): %d job(s) added, "
                     "%d dropped, %d failed", report.app_instances, result, report.added,
                     report.dropped, report.failed)
        return report

    async def _pass(self, report: PassReport) -> bool:
        """Reconcile app instances, from where the last pass stopped, until the
        read budget is spent; True when every one was done."""
        names = sorted({ref.app_instance for ref in self.book.jobs})
        if not names:
            return True
        start = self._start_at % len(names)
        order = names[start:] + names[:start]
        self._reads = 0
        async with self.connect() as client:
            for done, name in enumerate(order):
                # Unfinished jobs the book knew before reading: only these
                # can be missing from the chain (a newer one may not be read yet).
                known = {ref for ref, job in self.book.jobs.items()
                         if ref.app_instance == name and not job.state.terminal}
                try:
                    self._spend(1)
                    found = await read_app_jobs(client, name)
                    if found is not None:
                        # Read already: counted, never a reason to stop (an
                        # instance larger than the budget would stop every pass).
                        self._reads += math.ceil(len(found.jobs) / PAGE_SIZE)
                        await self._reconcile(client, name, found, known, report)
                except _BudgetSpent:
                    self._start_at = start + done
                    return False
                report.app_instances += 1
        self._start_at = 0
        return True

    def _spend(self, reads: int) -> None:
        """Count reads about to be made; stop the pass when they would exceed the
        budget (the first read of a pass is always made: each pass gets somewhere)."""
        if self._reads + reads > self.max_reads and self._reads > 0:
            raise _BudgetSpent
        self._reads += reads

    async def _reconcile(
        self, client: SuiClient, name: str, found: AppJobs, known: set[JobRef],
        report: PassReport,
    ) -> None:
        book = self.book
        book.chain_max_attempts[name] = found.max_attempts
        for ref in sorted(known):
            if ref.job_id not in found.jobs and book.drop(
                ref, "gone from chain: completed or deleted elsewhere (reconciliation)"
            ):
                report.dropped += 1
        for sequence, entry in sorted(found.jobs.items()):
            ref = JobRef(name, sequence)
            job, status = book.jobs.get(ref), entry.job.status
            if status.kind == "pending" and sequence in found.pending:
                not_before = (entry.job.next_scheduled_at or 0) / 1000
                if job is None and book.add_recovered(pending_job(entry.job)):
                    report.added += 1
                elif job is not None and book.reopen(
                    ref, not_before, "pending on chain again (reconciliation)"
                ):
                    report.added += 1
            elif status.kind == "running":
                await self._running(client, ref, entry, report)
            elif status.kind == "failed" and job is not None and job.state is JobState.PENDING:
                # Failed for good on chain (no attempts left): a restart brings it back.
                if book.drop(ref, f"failed on chain: {status.error} (reconciliation)"):
                    report.dropped += 1
        # Forget what was handed to fail_on_chain once the chain shows it changed.
        for ref in [ref for ref in self._handed if ref.app_instance == name]:
            now_there = found.jobs.get(ref.job_id)
            if now_there is None or now_there.previous_transaction != self._handed[ref]:
                del self._handed[ref]

    async def _running(
        self, client: SuiClient, ref: JobRef, entry: ChainJobEntry, report: PassReport
    ) -> None:
        book = self.book
        if book.live_here(ref):
            return
        job = book.jobs.get(ref)
        running_ms = self.clock() * 1000 - entry.job.updated_at
        stale = running_ms > self.running_timeout_secs * 1000
        pending_here = job is not None and job.state is JobState.PENDING
        if (self.address is not None and self.stale_running_secs is not None
                and running_ms > self.stale_running_secs * 1000):
            # Whoever holds it: a live coordinator's container ends within the
            # container timeout, this is past it.
            if self._handed.get(ref, "") != entry.previous_transaction:
                reason = (f"running on chain for {running_ms / 1000:.0f} s (over "
                          f"{self.stale_running_secs:g} s, whoever holds it)")
                await self.fail_on_chain(ref.app_instance, ref.job_id, reason)
                self._handed[ref] = entry.previous_transaction
                report.failed += 1
            return
        if not pending_here and not (stale and self.address is not None):
            return
        owner = await self._owner(client, entry) if self.address is not None else None
        if owner is not None and owner == self.address:
            if stale and self._handed.get(ref, "") != entry.previous_transaction:
                reason = (f"left running on chain for {running_ms / 1000:.0f} s (over "
                          f"{self.running_timeout_secs:g} s) with no container here")
                await self.fail_on_chain(ref.app_instance, ref.job_id, reason)
                self._handed[ref] = entry.previous_transaction
                report.failed += 1
            return  # ours, started lately: its container is on its way, or the timeout comes
        if pending_here and book.drop(
            ref, f"started on chain by coordinator {owner or 'unknown'} (reconciliation)"
        ):
            report.dropped += 1

    async def _owner(self, client: SuiClient, entry: ChainJobEntry) -> str | None:
        """The coordinator that runs a job on chain: the sender of the transaction
        that last wrote it (start_app_job; nothing else writes a running job)."""
        digest = entry.previous_transaction
        if digest is None:
            return None
        if digest not in self._senders:
            self._spend(1)
            sender = await sender_of(client, digest)
            self._senders[digest] = None if sender is None else normalize_address(sender)
            while len(self._senders) > SENDERS_KEPT:
                self._senders.popitem(last=False)
        return self._senders[digest]

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        """The reconciler's part of the status: its last pass."""
        last = self.last
        message.reconcile.CopyFrom(pb.ReconcileStatus(
            interval_secs=self.interval_secs, last_pass_at=last.ended_at,
            last_result=last.result, last_error=last.error, added=last.added,
            dropped=last.dropped, failed=last.failed, app_instances=last.app_instances,
            next_pass_in_secs=0.0 if self.next_pass_at is None
            else max(0.0, self.next_pass_at - now),
        ))
