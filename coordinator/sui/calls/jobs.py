"""The job operations a coordinator sends: `start_app_job`, `complete_app_job`,
`fail_app_job`, `terminate_app_job` and `multicall_app_job_operations` of
`app_instance.move`, which run the rules of module `jobs` on the instance's
`Jobs`. Each returns a bool on chain (false: not applied).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coordinator.events.bcs import STRING, U64, vector
from coordinator.sui.calls.base import MoveFunction

_U64S = vector(U64)
_STRINGS = vector(STRING)


@dataclass(frozen=True)
class OneJob:
    """An operation on one job of the app instance, named by its sequence."""

    job_sequence: int


class StartJob(OneJob):
    """Claim a pending job (`start_app_job`): the lock that makes the job ours."""


class CompleteJob(OneJob):
    """`complete_app_job`: a running job is done (deleted, or rescheduled if periodic)."""


class TerminateJob(OneJob):
    """`terminate_app_job`: the job is removed, whatever its status."""


@dataclass(frozen=True)
class FailJob:
    """`fail_app_job`: a running job failed with `error` (retried while attempts remain)."""

    job_sequence: int
    error: str


@dataclass(frozen=True)
class Multicall:
    """`multicall_app_job_operations`: many operations, one result each in the
    MulticallExecutedEvent. `start` pairs a job with its memory requirement."""

    complete: tuple[int, ...] = ()
    fail: tuple[tuple[int, str], ...] = ()
    terminate: tuple[int, ...] = ()
    start: tuple[tuple[int, int], ...] = ()
    available_memory: int = 0


JobOperation = StartJob | CompleteJob | FailJob | TerminateJob | Multicall


def _multicall_values(operation: Multicall) -> list[object]:
    return [
        operation.complete,
        [job for job, _ in operation.fail],
        [error for _, error in operation.fail],
        operation.terminate,
        [job for job, _ in operation.start],
        [memory for _, memory in operation.start],
        operation.available_memory,
    ]


def _multicall(values: Sequence[Any]) -> Multicall:
    complete, fail_jobs, fail_errors, terminate, start_jobs, memory, available = values
    if len(fail_jobs) != len(fail_errors) or len(start_jobs) != len(memory):
        raise ValueError("paired vectors differ in length")
    return Multicall(
        tuple(complete),
        tuple(zip(fail_jobs, fail_errors, strict=True)),
        tuple(terminate),
        tuple(zip(start_jobs, memory, strict=True)),
        available,
    )


FUNCTIONS: tuple[MoveFunction[Any], ...] = (
    MoveFunction(StartJob, "start_app_job", (U64,),
                 lambda op: [op.job_sequence], lambda v: StartJob(v[0])),
    MoveFunction(CompleteJob, "complete_app_job", (U64,),
                 lambda op: [op.job_sequence], lambda v: CompleteJob(v[0])),
    MoveFunction(FailJob, "fail_app_job", (U64, STRING),
                 lambda op: [op.job_sequence, op.error], lambda v: FailJob(v[0], v[1])),
    MoveFunction(TerminateJob, "terminate_app_job", (U64,),
                 lambda op: [op.job_sequence], lambda v: TerminateJob(v[0])),
    MoveFunction(Multicall, "multicall_app_job_operations",
                 (_U64S, _U64S, _STRINGS, _U64S, _U64S, _U64S, U64),
                 _multicall_values, _multicall),
)  # fmt: skip
