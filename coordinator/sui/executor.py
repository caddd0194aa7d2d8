"""Executing the coordinator's job operations on chain: gas, signature, outcome, retries.

One `execute` call turns operations on one AppInstance into one transaction:

1. the reference gas price and SUI coins of the key's address, as the gas state
   keeps them (`gas_state`: read once, then followed from our own effects);
2. for a shape of transaction not seen yet, a dry run (`SimulateTransaction`)
   to size the budget the way Mysten's SDK does (computation + a safety
   overhead, plus storage net of rebates), capped by `sui.gas_budget` when set
   (without a dry run, the cap is the budget); a known shape takes the budget
   learned from the gas its last run used, with room;
3. sign and `ExecuteTransaction`; read the outcome from the effects (status, gas)
   and the events: each operation either took effect (its Job*Event, or `true` in
   the MulticallExecutedEvent) or did not (an OperationFailedEvent, `false`).

So a transaction in steady state is one call. A caller whose calls may
abort in Move (an agent's write, the proof pipeline's calls) asks for a dry
run every time (`dry_run`), which refuses them without gas.

The Move calls name the package's latest version (`package_versions`); the
events an outcome is read from are typed with its original id (`package`).

Retries. A broken connection or an overloaded node (retryable `SuiError`) after
the transaction was sent is retried with the *same* signed bytes: Sui executes a
transaction once, so resending cannot apply it twice. An owned object that moved
on (a gas coin spent by a transaction we did not see: version unavailable, or
locked by another transaction) and consensus congestion are retried from step 1
with fresh coins, and so, once, is a transaction built from the kept price and
coins that the node refused (they may be stale: a new epoch, a coin spent
elsewhere); a learned budget that the run outgrew is dry-run again. All
retries wait with `Backoff` (exponential, jittered) and stop after
`max_attempts`. What the chain refuses for good (bad signature, unknown
package) raises at once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Literal

import trio

from coordinator._pb.sui.rpc.v2 import effects_pb2, executed_transaction_pb2
from coordinator.backoff import Backoff
from coordinator.events.bcs import BcsError
from coordinator.events.layouts import event_model
from coordinator.events.models import BcsEvent, normalize_address
from coordinator.events.models_2025_11 import (
    JobCompletedEvent,
    JobCreatedEvent,
    JobFailedEvent,
    JobStartedEvent,
    JobTerminatedEvent,
    MulticallExecutedEvent,
    OperationFailedEvent,
)
from coordinator.sui.client import SuiClient, SuiError, SuiRejected, SuiUnimplemented
from coordinator.sui.gas_state import Coin, GasError, GasState, Shape, select_gas_coins
from coordinator.sui.keys import SuiKey
from coordinator.sui.package_versions import PackageVersions
from coordinator.sui.transactions import (
    CompleteJob,
    FailJob,
    GasData,
    Multicall,
    ObjectRef,
    Operation,
    SharedObject,
    StartJob,
    TerminateJob,
    build_transaction,
    sign_transaction,
    transaction_digest,
)

__all__ = [
    "MAX_GAS_BUDGET",
    "Executor",
    "GasError",
    "OperationResult",
    "Outcome",
    "gas_budget",
    "gas_charged",
    "operation_results",
    "select_gas_coins",
    "shape_of",
]

log = logging.getLogger("coordinator.sui.executor")

# Sui's protocol maximum for one transaction's budget (50 SUI).
MAX_GAS_BUDGET = 50_000_000_000
# Mysten's SDK adds this many gas units (at the gas price) to the simulated
# computation cost, so a transaction that touches slightly more state still fits.
GAS_SAFE_OVERHEAD = 1000

Kind = Literal["start", "complete", "fail", "terminate"]


@dataclass(frozen=True)
class OperationResult:
    """Whether one job operation took effect on chain (the Move call's `bool`)."""

    kind: Kind
    job_sequence: int
    applied: bool


@dataclass(frozen=True)
class Outcome:
    """An executed transaction: final, whether it succeeded or not."""

    digest: str
    success: bool
    error: str | None  # the chain's description when not `success`
    gas_charged: int  # MIST: computation + storage - rebate (a rebate can exceed the rest)
    results: tuple[OperationResult, ...]  # one per job operation, multicall ones included
    attempts: int
    # Jobs the transaction created (JobCreatedEvent: a CreateAppJob), and the
    # reasons of the calls it refused (OperationFailedEvent), in event order.
    created_jobs: tuple[int, ...] = ()
    refusals: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Signed:
    """A transaction ready to send, and the gas coins lent to it."""

    tx_bytes: bytes
    signature: bytes
    coins: list[Coin]
    generation: int
    shape: Shape
    kept: bool  # paid from a kept view (price, coins), not one read for it


# --- Pure parts -----------------------------------------------------------------------


def gas_charged(gas: effects_pb2.GasCostSummary) -> int:
    return gas.computation_cost + gas.storage_cost - gas.storage_rebate


def gas_budget(gas: effects_pb2.GasCostSummary, price: int, cap: int | None) -> int:
    """The budget for a transaction whose dry run used `gas`, as Mysten's SDK sizes it
    (computation + overhead, plus storage net of rebates when positive), at most
    `cap`. A need above the cap raises `GasError`: sending it would only fail."""
    computation = gas.computation_cost + GAS_SAFE_OVERHEAD * price
    need = max(computation, computation + gas.storage_cost - gas.storage_rebate)
    limit = MAX_GAS_BUDGET if cap is None else min(cap, MAX_GAS_BUDGET)
    if need > limit:
        what = "sui.gas_budget" if cap is not None else "Sui's maximum"
        raise GasError(f"the transaction needs a gas budget of {need} MIST, above {what} {limit}")
    return need


# What each event of the 2025-11 `jobs` module says took effect (the single
# operations' events start with the job's sequence).
_APPLIED_EVENT: dict[type[BcsEvent], Kind] = {
    JobStartedEvent: "start",
    JobCompletedEvent: "complete",
    JobFailedEvent: "fail",
    JobTerminatedEvent: "terminate",
}
_SINGLE = (JobStartedEvent, JobCompletedEvent, JobFailedEvent, JobTerminatedEvent)
_OUTCOME_EVENTS = frozenset({*_APPLIED_EVENT, MulticallExecutedEvent, JobCreatedEvent,
                             OperationFailedEvent})


def _expected(operations: Sequence[Operation]) -> list[tuple[Kind, int]]:
    """Every job operation in order, multicalls flattened in the Move call's order."""
    expected: list[tuple[Kind, int]] = []
    for operation in operations:
        match operation:
            case StartJob(sequence):
                expected.append(("start", sequence))
            case CompleteJob(sequence):
                expected.append(("complete", sequence))
            case FailJob(sequence, _):
                expected.append(("fail", sequence))
            case TerminateJob(sequence):
                expected.append(("terminate", sequence))
            case Multicall():
                expected += [("complete", job) for job in operation.complete]
                expected += [("fail", job) for job, _ in operation.fail]
                expected += [("terminate", job) for job in operation.terminate]
                expected += [("start", job) for job, _ in operation.start]
    return expected


def _our_events(events: Sequence[tuple[str, bytes]], package: str) -> list[BcsEvent]:
    """The events of `package` an outcome is read from, decoded (2025-11)."""
    ours: list[BcsEvent] = []
    package = normalize_address(package)
    for event_type, contents in events:
        address, _, rest = event_type.partition("::")
        module, _, name = rest.partition("::")
        try:
            if normalize_address(address) != package:
                continue
        except ValueError:
            continue
        model = event_model("2025-11", module, name)
        if model is None or model not in _OUTCOME_EVENTS:
            continue
        try:
            ours.append(model.from_bcs(contents))
        except BcsError as exc:
            log.warning("undecodable %s in a transaction outcome: %s", name, exc)
    return ours


def created_and_refused(
    events: Sequence[tuple[str, bytes]], package: str
) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The jobs a transaction created, and the reasons of the calls it refused."""
    ours = _our_events(events, package)
    return (tuple(e.job_sequence for e in ours if isinstance(e, JobCreatedEvent)),
            tuple(e.reason for e in ours if isinstance(e, OperationFailedEvent)))


def operation_results(
    operations: Sequence[Operation],
    events: Sequence[tuple[str, bytes]],
    package: str,
) -> tuple[OperationResult, ...]:
    """Read what took effect from the transaction's events (type, BCS contents).

    An operation with neither its event nor a `true` in a MulticallExecutedEvent
    did not take effect: a claim is ours only when the chain says so.
    """
    applied: set[tuple[Kind, int]] = set()
    for event in _our_events(events, package):
        if isinstance(event, MulticallExecutedEvent):
            groups: tuple[tuple[Kind, Sequence[int], Sequence[bool]], ...] = (
                ("complete", event.complete_jobs, event.complete_results),
                ("fail", event.fail_jobs, event.fail_results),
                ("terminate", event.terminate_jobs, event.terminate_results),
                ("start", event.start_jobs, event.start_results),
            )
            for kind, jobs, results in groups:
                applied.update((kind, job) for job, ok in zip(jobs, results, strict=False) if ok)
        elif isinstance(event, _SINGLE):
            applied.add((_APPLIED_EVENT[type(event)], event.job_sequence))
    return tuple(
        OperationResult(kind, sequence, (kind, sequence) in applied)
        for kind, sequence in _expected(operations)
    )


# A gas coin (or other owned input) moved on since we read it, or another
# transaction holds its lock: the node's own words (sui-types UserInputError).
_OBJECT_CONFLICT = re.compile(
    r"not available for consumption|already locked|ObjectLockConflict|"
    r"ObjectVersionUnavailableForConsumption|locked by (a )?different transaction",
    re.IGNORECASE,
)
# The node's words for gas coins that cannot cover a budget, or a budget under
# the least a transaction costs (sui-types UserInputError).
_GAS_SHORT = re.compile(r"Balance of gas object \d+ is lower than|is lower than min")
_CONGESTION = {
    effects_pb2.ExecutionError.EXECUTION_CANCELED_DUE_TO_CONSENSUS_OBJECT_CONGESTION,
}


def shape_of(operations: Sequence[Operation]) -> Shape:
    """What a transaction's gas depends on: its calls by kind, and its job
    operations by kind (a multicall's counted one by one)."""
    names = [type(op).__name__ for op in operations]
    names += [kind for kind, _ in _expected(operations)]
    return tuple(sorted({name: names.count(name) for name in names}.items()))


def is_object_conflict(error: SuiError) -> bool:
    return _OBJECT_CONFLICT.search(error.message) is not None


# --- The executor -------------------------------------------------------------------


@dataclass
class Executor:
    """Executes job operations as transactions signed by `key`.

    `connect` opens a `SuiClient` (e.g. `functools.partial(client.connect, endpoint,
    timeout=...)`); each `execute` uses a fresh connection, so a broken one costs
    one retry, not the executor.
    """

    key: SuiKey
    connect: Callable[[], AbstractAsyncContextManager[SuiClient]]
    package: str  # the original id: the events an outcome is read from
    gas_budget_cap: int | None = None
    max_attempts: int = 5
    backoff: Backoff = field(default_factory=lambda: Backoff(initial=0.2, maximum=5.0))
    # Where Move calls go (the latest version); None: to `package` itself.
    versions: PackageVersions | None = None

    def __post_init__(self) -> None:
        self.gas = GasState(self.key.address)

    async def execute(self, app_instance: SharedObject, operations: Sequence[Operation], *,
                      dry_run: bool = False) -> Outcome:
        """Execute `operations` on `app_instance` in one transaction; see the module doc.
        `dry_run`: simulate it first even when its shape's budget is known, so a
        call that aborts in Move (an agent's write) is refused without gas.

        Raises `GasError` when the address cannot pay, `SuiError` when the node
        refuses the transaction or stays unreachable past `max_attempts`.
        """
        backoff = Backoff(
            self.backoff.initial, self.backoff.maximum, self.backoff.factor, self.backoff.jitter
        )
        signed: _Signed | None = None
        fresh_retry = True  # one rebuild from fresh reads when a kept view was refused
        try:
            for attempt in range(1, self.max_attempts + 1):
                try:
                    async with self.connect() as sui:
                        if signed is None:
                            signed = await self._prepare(sui, app_instance, operations, dry_run)
                        executed = await sui.execute_transaction(signed.tx_bytes,
                                                                 [signed.signature])
                except SuiError as exc:
                    kept_view = signed is not None and signed.kept
                    if is_object_conflict(exc) or (signed is not None and not exc.retryable):
                        # Refused, so not executed: its coins are free, and what we
                        # kept (price, coin versions) may be why.
                        if signed is not None:
                            self.gas.give_back(signed.coins, signed.generation, None)
                        self.gas.forget()
                        signed = None
                    if attempt == self.max_attempts:
                        raise
                    if not (exc.retryable or is_object_conflict(exc)):
                        if not (kept_view and fresh_retry):
                            raise
                        fresh_retry = False
                    delay = backoff.next_delay()
                    log.info("transaction attempt %d failed (%s); retrying in %.1f s",
                             attempt, exc, delay)
                    await trio.sleep(delay)
                    continue
                lent, signed = signed, None
                self.gas.give_back(lent.coins, lent.generation, executed.effects)
                outcome = self._outcome(lent.tx_bytes, executed, operations, attempt)
                kind = executed.effects.status.error.kind
                if outcome.success:
                    self._learn(lent.shape, executed.effects.gas_used)
                elif attempt < self.max_attempts and (
                        kind in _CONGESTION
                        or (kind == effects_pb2.ExecutionError.INSUFFICIENT_GAS and lent.kept)):
                    # A learned budget the run outgrew is dry-run again.
                    self.gas.unlearn_budget(lent.shape)
                    await trio.sleep(backoff.next_delay())
                    continue
                return outcome
            raise AssertionError("unreachable: the last attempt returns or raises")
        finally:
            if signed is not None:  # its fate unknown: the coins are read again
                self.gas.give_back(signed.coins, signed.generation, None)
                self.gas.forget()

    def _learn(self, shape: Shape, used: effects_pb2.GasCostSummary) -> None:
        price = self.gas.price or 1
        try:
            need = gas_budget(used, price, self.gas_budget_cap)
        except GasError:
            return
        ceiling = MAX_GAS_BUDGET if self.gas_budget_cap is None else self.gas_budget_cap
        self.gas.learn_budget(shape, need, ceiling)

    async def _prepare(
        self, sui: SuiClient, app_instance: SharedObject, operations: Sequence[Operation],
        dry_run: bool,
    ) -> _Signed:
        """Price, coins, budget (a dry run for a shape not seen yet): the signed
        transaction, its coins lent from the gas state."""
        kept = self.gas.price is not None and self.gas.coins is not None
        price = await self.gas.gas_price(sui)
        target = self.package if self.versions is None else await self.versions.call_target(sui)
        shape = shape_of(operations)

        def build(budget: int, payment: Sequence[ObjectRef]) -> bytes:
            gas = GasData(tuple(payment), self.key.address, price, budget)
            return build_transaction(
                package=target,
                app_instance=app_instance,
                operations=operations,
                sender=self.key.address,
                gas=gas,
            ).to_bytes()

        budget = None if dry_run else self.gas.budget(shape)
        if budget is None:
            budget = await self._dry_run(sui, build, price)
        else:
            budget = min(budget, self.gas.balance or budget)
        lent, generation = await self.gas.checkout(sui, budget)
        tx_bytes = build(budget, [c.ref for c in lent])
        return _Signed(tx_bytes, sign_transaction(self.key, tx_bytes), lent, generation, shape,
                       kept)

    async def _dry_run(self, sui: SuiClient, build: Callable[[int, Sequence[ObjectRef]], bytes],
                       price: int) -> int:
        """The budget of a transaction from its dry run, sized as Mysten's SDK does."""
        coins = await self.gas.all_coins(sui)
        ceiling = MAX_GAS_BUDGET if self.gas_budget_cap is None else self.gas_budget_cap
        # The dry run may spend up to what the coins hold, at most the ceiling.
        total = sum(coin.balance for coin in coins)
        trial_budget = min(ceiling, total)
        payment = [c.ref for c in select_gas_coins(coins, max(trial_budget, 1), self.key.address)]
        try:
            simulated = await sui.simulate_transaction(
                build(trial_budget, payment),
                read_mask=("transaction.effects.status", "transaction.effects.gas_used"),
            )
        except SuiUnimplemented:
            if self.gas_budget_cap is None:
                raise
            return self.gas_budget_cap  # no dry run here: the configured cap is the budget
        except SuiRejected as exc:
            if self.versions is not None:
                self.versions.recheck()  # an upgrade may be why
            if _GAS_SHORT.search(exc.message):
                raise self._short(coins, trial_budget, exc.message) from None
            raise
        effects = simulated.transaction.effects
        if effects.status.error.kind == effects_pb2.ExecutionError.INSUFFICIENT_GAS:
            raise self._short(coins, trial_budget, "the dry run ran out of gas")
        if effects.HasField("status") and not effects.status.success:
            if self.versions is not None:
                self.versions.recheck()
            raise SuiRejected(
                "TransactionExecutionService/SimulateTransaction",
                "FAILED_DRY_RUN",
                effects.status.error.description or "the dry run failed",
            )
        return gas_budget(effects.gas_used, price, self.gas_budget_cap)

    def _short(self, coins: Sequence[Coin], budget: int, why: str) -> GasError:
        """One line for a transaction the address cannot pay for, with the numbers."""
        total = sum(coin.balance for coin in coins)
        capped = self.gas_budget_cap is not None and budget == self.gas_budget_cap < total
        limit = (
            f"sui.gas_budget {budget} MIST"
            if capped
            else f"{total} MIST in {len(coins)} SUI coin(s)"
        )
        return GasError(
            f"address {self.key.address} cannot pay for the transaction with {limit}: {why}"
        )

    def _outcome(
        self,
        tx_bytes: bytes,
        executed: executed_transaction_pb2.ExecutedTransaction,
        operations: Sequence[Operation],
        attempts: int,
    ) -> Outcome:
        effects = executed.effects
        success = effects.status.success
        error = None if success else (effects.status.error.description or "failed")
        events = [(event.event_type, event.contents.value) for event in executed.events.events]
        results = (
            operation_results(operations, events, self.package)
            if success
            else tuple(
                OperationResult(kind, sequence, False) for kind, sequence in _expected(operations)
            )
        )
        created, refused = created_and_refused(events, self.package) if success else ((), ())
        return Outcome(
            digest=executed.digest or transaction_digest(tx_bytes),
            success=success,
            error=error,
            gas_charged=gas_charged(effects.gas_used),
            results=results,
            attempts=attempts,
            created_jobs=created,
            refusals=refused,
        )
