"""The coordinator's metric registry and the instruments that need a hook.

Most metrics are read from the status objects at scrape time (see
`coordinator.metrics.collector`); only what no status object keeps is counted
where it happens: restarts, reconnects, socket calls and their latency, image
pulls and pre-pulls, container outcomes, job outcomes, claims, transactions, gas and
reconciliation passes.

One registry for the process, not prometheus_client's global one: nothing a
library registers there (process and GC collectors, anything a dependency
adds) leaks into our exposition, and the names stay ours. Labels are closed
sets (states, outcome kinds, method and child names), never job or session ids.
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import purerpc
import trio
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_P = ParamSpec("_P")
_R = TypeVar("_R")

NAMESPACE = "silvana_coordinator"

REGISTRY = CollectorRegistry()


def _counter(name: str, documentation: str, *labels: str) -> Counter:
    return Counter(name, documentation, labels, namespace=NAMESPACE, registry=REGISTRY)


def _gauge(name: str, documentation: str, *labels: str) -> Gauge:
    return Gauge(name, documentation, labels, namespace=NAMESPACE, registry=REGISTRY)


def _histogram(name: str, documentation: str, *labels: str,
               buckets: tuple[float, ...]) -> Histogram:
    return Histogram(name, documentation, labels, namespace=NAMESPACE, registry=REGISTRY,
                     buckets=buckets)


SUPERVISOR_RESTARTS = _counter(
    "supervisor_restarts", "Restarts of supervised children, by child.",
    "supervisor", "child")
SUPERVISOR_CHILD_UP = _gauge(
    "supervisor_child_up",
    "1 while a supervised child runs, 0 while it waits to be restarted (/healthz reads it).",
    "supervisor", "child")
CHAIN_RECONNECTS = _counter(
    "chain_reconnects", "Reconnects of the Sui stream after an error or a cut.")
# The proof pipeline's chain events (coordinator.pipeline_tally), all app
# instances together (an instance label would be unbounded).
PIPELINE_PROOFS = _counter(
    "pipeline_proofs", "Proofs on chain: submitted (ProofSubmittedEvent), rejected.", "event")
PIPELINE_MERGES = _counter(
    "pipeline_merges", "Merge jobs on chain (method `merge`): created, completed.", "event")
PIPELINE_BLOCKS = _counter(
    "pipeline_blocks", "Blocks on chain: created (BlockCreatedEvent), proved (BlockProofEvent).",
    "event")
PIPELINE_SETTLEMENTS = _counter(
    "pipeline_settlements", "Blocks settled on a settlement chain (BlockSettledEvent, once per "
    "chain).")
PIPELINE_ATTRIBUTION = _counter(
    "pipeline_attribution",
    "Transactions of pipeline events that named no app instance, asked of the chain "
    "(coordinator.pipeline_attribution), by result: attributed, unattributed, failed.",
    "result")
PIPELINE_PROOF_EVENTS = _counter(
    "pipeline_proof_events",
    "Proof events kept (coordinator.proof_log: ProofEvent calls and what the pipeline calls "
    "imply), by kind: submitted, fetched, verified, unavailable, rejected.", "kind")
PIPELINE_CALLS_DROPPED = _counter(
    "pipeline_calls_dropped",
    "Queued pipeline calls dropped from the batch after the chain refused them alone "
    "MAX_REFUSALS_ALONE times (coordinator.settlement.pipeline).")
SOCKET_CALLS = _counter(
    "socket_calls", "Calls on the agents' socket, by method and gRPC status.",
    "method", "status")
# Why the trust model refused an agent call: a closed set (docs/trust-model.md,
# "Where this refuses what upstream allows", says what upstream does instead).
REFUSAL_REASONS = frozenset({"no_session", "other_session", "other_sessions_job",
                             "data_outside_instance", "reserved_method"})
AGENT_CALLS_REFUSED = _counter(
    "agent_calls_refused",
    "Agent calls the trust model refused, by method and reason: no_session (none given on "
    "an agent's socket or TCP), other_session (another container's on an agent's socket), "
    "other_sessions_job (a job running in another session), data_outside_instance (data "
    "the caller's app instance does not name), reserved_method (CreateAppJob of `merge`).",
    "method", "reason")
SOCKET_CALL_SECONDS = _histogram(
    "socket_call_duration_seconds", "Time to answer a call on the agents' socket.",
    "method",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
IMAGE_PULLS = _counter(
    "image_pulls", "Image pulls from a registry, by result (ok, failed, timeout).",
    "result")
IMAGE_PULL_SECONDS = _histogram(
    "image_pull_duration_seconds", "Time an image pull took, whatever its result.",
    buckets=(0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0),
)
IMAGE_PREPULLS = _counter(
    "image_prepulls",
    "Images pulled ahead of their first job, by result: ok, failed, invalid (a bad "
    "reference), cancelled (method removed, or shutdown), skipped (queue full or cap reached).",
    "result")
IMAGE_PREPULLS_ACTIVE = _gauge(
    "image_prepulls_active", "Pre-pulls now, by state: queued, pulling.", "state")
EVENTS_MALFORMED = _counter(
    "events_malformed", "Payloads of the package's events that did not decode, by type.",
    "type")
CONTAINER_OUTCOMES = _counter(
    "container_outcomes",
    "Agent containers by how they ended: succeeded, exit_nonzero, timeout, oom_killed, "
    "engine_error, image_error, docker_unavailable, docker_error, cancelled, error.",
    "outcome")
JOB_OUTCOMES = _counter(
    "job_outcomes",
    "Job state changes the job book recorded, by the state entered: completed, dead, "
    "dropped, or pending (a failed attempt to retry, or a job released at shutdown).",
    "state")
CLAIMS = _counter(
    "claims", "Claims of jobs on chain (start_app_job) by the chain's answer: won, lost.",
    "result")
SHARES_TAKEN = _counter(
    "shares_jobs_taken",
    "Jobs handed out here with [shares] on, by whose share they were: own, stolen (late "
    "jobs of another coordinator's share).",
    "share")
TRANSACTIONS = _counter(
    "transactions",
    "Transactions of job operations: ok (executed), failed (executed, the chain says it "
    "failed), error (no answer: node unreachable, refused, gas short).",
    "result")
GAS_SPENT = _counter(
    "gas_spent_mist", "Gas charged for the coordinator's transactions, in MIST.")

RECONCILE_PASSES = _counter(
    "reconcile_passes",
    "Reconciliation passes of the job book with the chain, by result: ok, partial "
    "(the pass's read budget ran out), error.",
    "result")
RECONCILE_JOBS = _counter(
    "reconcile_jobs",
    "Jobs reconciliation changed, by action: added (missed by the stream), dropped "
    "(taken or finished elsewhere), failed (left running on chain under our address).",
    "action")


# The agent API method being served in this task (`socket_call` sets it), so a
# refusal deep in the authorization path is counted under its method.
_CALL_METHOD: contextvars.ContextVar[str] = contextvars.ContextVar("call_method",
                                                                   default="unknown")


def count_refusal(reason: str) -> None:
    """Count one agent call refused by the trust model, under the method being
    served (`REFUSAL_REASONS`)."""
    if reason not in REFUSAL_REASONS:
        raise ValueError(f"not a refusal reason: {reason!r}")
    AGENT_CALLS_REFUSED.labels(_CALL_METHOD.get(), reason).inc()


# A method's metric children, each looked up once and kept (methods and
# statuses are closed sets): `labels()` checks and joins its values under a
# lock on every call, which costs more than the count itself.
@functools.cache
def _calls(method: str, status: str) -> Any:
    return SOCKET_CALLS.labels(method, status)


@functools.cache
def _seconds(method: str) -> Any:
    return SOCKET_CALL_SECONDS.labels(method)


def socket_call(
    method: str,
) -> Callable[
    [Callable[_P, Coroutine[Any, Any, _R]]], Callable[_P, Coroutine[Any, Any, _R]]
]:
    """Count and time one method of the agents' socket service, by the gRPC
    status it answered (a raised `RpcFailedError` carries it; anything else
    reaches the client as UNKNOWN)."""

    def wrap(
        call: Callable[_P, Coroutine[Any, Any, _R]],
    ) -> Callable[_P, Coroutine[Any, Any, _R]]:
        @functools.wraps(call)
        async def timed(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            status = "UNKNOWN"
            started = time.perf_counter()
            serving = _CALL_METHOD.set(method)
            try:
                result = await call(*args, **kwargs)
                status = "OK"
                return result
            except purerpc.RpcFailedError as exc:
                status = exc.status.status_code.name
                raise
            except trio.Cancelled:
                status = "CANCELLED"
                raise
            finally:
                _CALL_METHOD.reset(serving)
                _calls(method, status).inc()
                _seconds(method).observe(time.perf_counter() - started)

        return timed

    return wrap
