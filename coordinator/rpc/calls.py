"""What every agent call shares: who calls, and the one way a call reaches a job.

Every call that names a job walks the same path, here and nowhere else:

    caller  -> `_caller`: the session the request acts for (checked against the
               socket it arrived on: the operator's, an agent container's own, TCP)
    session -> job: `_job_request` reads the wire job id, `_job_of` asks the book
               for that job running in that session (the check CompleteJob makes)
    job     -> app instance: the job's own (`job.app_instance`); an area reads or
               writes it only through the job

(CompleteJob, FailJob and TerminateJob hand the same three values to the book,
whose settling calls begin with that same `held` check.)

A refusal about the caller or its job is answered as upstream answers it: OK,
`success=false`, and upstream's words first (`Refused`, `answers_refusals`),
because upstream's SDK agents read `success` and log `message`, and a gRPC
error throws in them:

    no session, or not this socket's   -> "Invalid session ID: ..."
    SessionDenied (unknown session)    -> "Invalid session ID: ..."
    NotSessionsJob                     -> "Job does not belong to requesting session: ..."
    JobNotFound, JobNotRunning         -> "Job not found: ..." (upstream forgets a
                                          settled job; over TCP the job's state
                                          is not told)

The trust model's own refusals (no session or another container's on an
agent's socket or TCP, another session's job, data outside the caller's app
instance, a reserved method: `trust_refusal`) are counted in
`agent_calls_refused_total` by method and reason.

A malformed request (a name, a job id, a text out of bounds) stays
INVALID_ARGUMENT: upstream has no such checks, and an SDK agent sends none.

The calls upstream answers with gRPC errors instead (SubmitProof, RejectProof,
SubmitState, GetSequenceStates, SubmitSettlementProof, ProofEvent) raise the
same refusals as upstream's statuses (`raises_refusals`):

    "Invalid session ID: ..."                    -> UNAUTHENTICATED
    "Job does not belong to requesting session"  -> PERMISSION_DENIED
    "Job not found: ..."                         -> NOT_FOUND

At most `max_concurrent_requests` calls are served at once (`_limited`); the rest
wait in line (nothing is refused).

An area of upstream's service is a subclass of `AgentCalls` (`coordinator.rpc.jobs`,
`.app_state`, `.proofs`, `.blocks`, `.settlement`, `.data`); a call it does not
serve yet answers UNIMPLEMENTED naming what it needs (its area's `UNSERVED`
table, `unserved`), so serving it is writing its handler (and its test) in its
area and taking its name out of that table.
"""

from __future__ import annotations

import copy
import functools
import hmac
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn, ParamSpec, Protocol, TypeVar

import purerpc
import trio

from coordinator._pb.silvana.coordinator.v1.coordinator_grpc import CoordinatorServiceServicer
from coordinator.domain import AgentKey, Job
from coordinator.instruments import count_refusal
from coordinator.jobs import JobBook, JobError, JobNotRunning, NotSessionsJob, SessionDenied
from coordinator.promptly import promptly
from coordinator.proof_log import ProofLog
from coordinator.proofs.store import ProofStore
from coordinator.rpc.checks import optional_session, parse_job_id
from coordinator.settlement import Settler
from coordinator.sui.objects import Connect

__all__ = ["INVALID_SESSION", "MAX_WRITES_PER_SESSION", "AgentCalls", "AgentNote", "JobRequest",
           "Refused", "answers_refusals", "raises_refusals", "trust_refusal", "unserved"]

T = TypeVar("T")
P = ParamSpec("P")
C = TypeVar("C", bound=type)
A = TypeVar("A", bound="AgentCalls")

RECENT_AGENT_MESSAGES = 20  # shown in the status, newest first


@dataclass(frozen=True)
class AgentNote:
    """One AgentMessage as the status shows it (the text as logged)."""

    at: float  # trio clock
    level: int
    key: AgentKey
    job_id: int | None  # None: about the session
    text: str


class JobRequest(Protocol):
    """A request about one of the caller's jobs."""

    session_id: str
    job_id: str


INVALID_SESSION = "Invalid session ID"


class Refused(Exception):
    """A call refused as upstream refuses it: answered OK with success=false and
    this message (`answers_refusals`)."""


def trust_refusal(reason: str, message: str) -> Refused:
    """A refusal of the trust model's own (docs/trust-model.md), counted in
    `agent_calls_refused_total` under `reason` (`instruments.REFUSAL_REASONS`)."""
    count_refusal(reason)
    return Refused(message)


def _upstream_words(exc: JobError) -> str:
    """A refusal of the book as upstream words it, our reason after."""
    if isinstance(exc, NotSessionsJob):
        return f"Job does not belong to requesting session: {exc}"
    if isinstance(exc, SessionDenied):
        return f"{INVALID_SESSION}: {exc}"
    # JobNotFound, JobNotRunning: upstream no longer knows a settled job.
    return f"Job not found: {exc}"


def answers_refusals(
    response: Callable[..., T],
) -> Callable[[Callable[P, Coroutine[Any, Any, T]]], Callable[P, Coroutine[Any, Any, T]]]:
    """Decorator of a call: a `Refused` raised in it is the answer
    `response(success=False, message=...)`, as upstream answers."""

    def wrap(call: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
        @functools.wraps(call)
        async def answered(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return await call(*args, **kwargs)
            except Refused as exc:
                return response(success=False, message=str(exc))

        return answered

    return wrap


# A refusal's first words -> upstream's gRPC status for it (`raises_refusals`).
REFUSAL_STATUSES: tuple[tuple[str, type[purerpc.RpcFailedError]], ...] = (
    (INVALID_SESSION, purerpc.UnauthenticatedError),
    ("Job does not belong", purerpc.PermissionDeniedError),
    ("Job not found", purerpc.NotFoundError),
)


def raises_refusals(call: Callable[P, Coroutine[Any, Any, T]]
                    ) -> Callable[P, Coroutine[Any, Any, T]]:
    """Decorator of a call upstream answers with gRPC errors: a `Refused` raised
    in it is the status its message begins with (`REFUSAL_STATUSES`; INTERNAL
    for another message), with that message."""

    @functools.wraps(call)
    async def raised(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await call(*args, **kwargs)
        except Refused as exc:
            message = str(exc)
            status = next((error for words, error in REFUSAL_STATUSES
                           if message.startswith(words)), purerpc.InternalError)
            raise status(message) from None

    return raised


# Chain writes one session may have waiting for the chain at once: each holds a
# call slot (`rpc.max_concurrent_requests`) for up to a minute, so one agent
# must not be able to take them all.
MAX_WRITES_PER_SESSION = 4


class AgentCalls(CoordinatorServiceServicer):
    """The state and the authorization path every area of the agent API shares."""

    # Over TCP anyone who reaches the port may call: the session id is the only
    # credential, so every call must carry one (`over_tcp`).
    require_session = False

    def __init__(self, book: JobBook, *, max_concurrent_requests: int = 64,
                 settler: Settler | None = None, chain: Connect | None = None,
                 proofs: ProofStore | None = None, proof_log: ProofLog | None = None) -> None:
        if max_concurrent_requests < 1:
            raise ValueError("max_concurrent_requests must be at least 1")
        self.book = book
        # With a key, a job is handed out only once the chain says it is ours,
        # and agents' writes go to the chain through it.
        self.settler = settler
        # Reads of app instances (None: no chain to read, e.g. a test's book alone).
        self.chain = chain
        # The proof pipeline's data (None: not kept, e.g. a test's book alone):
        # proofs and states by descriptor, and the local records of upstream's
        # Silvana RPC (settlement proofs, proof events).
        self.proofs = proofs
        self.proof_log = proof_log
        self.limiter = trio.CapacityLimiter(max_concurrent_requests)
        self.bound_session: str | None = None  # None: the operator's socket
        self.agent_notes: deque[AgentNote] = deque(maxlen=RECENT_AGENT_MESSAGES)
        self.writes_waiting: Counter[str] = Counter()  # by session ("": none)

    def for_session(self: A, session_id: str) -> A:
        """This service as served on one agent container's socket: the same book,
        limiter and agent messages, acting for `session_id` only."""
        bound = copy.copy(self)
        bound.bound_session = session_id
        return bound

    def over_tcp(self: A) -> A:
        """This service (same book, same limiter) for TCP callers: a call without a
        session is refused, and a job that is not the session's is PERMISSION_DENIED
        without saying what became of it (it may be another agent's)."""
        tcp = copy.copy(self)
        tcp.require_session = True
        return tcp

    def _caller(self, given: str) -> str | None:
        """The session a request acts for: as given on the operator's socket; on an
        agent's socket, its own session, which the request must name; over TCP, a
        session it must name (an empty id means none: an agent may pass SESSION_ID
        straight from an unset variable)."""
        if not given and self.require_session:
            raise trust_refusal("no_session", f"{INVALID_SESSION}: session_id is required "
                                "over TCP (the container's SESSION_ID)")
        session_id = optional_session(given)
        if self.bound_session is None:
            return session_id
        if session_id is None:
            raise trust_refusal("no_session", f"{INVALID_SESSION}: a call on an agent "
                                "container's socket must carry its SESSION_ID")
        if not hmac.compare_digest(session_id.encode(), self.bound_session.encode()):
            raise trust_refusal("other_session", f"{INVALID_SESSION}: this socket serves its "
                                "own container's session only (SESSION_ID)")
        return session_id

    def _job_request(self, request: JobRequest) -> tuple[str | None, int, str | None]:
        """(caller's session, job number, app instance or None) of a request that
        names one of the caller's jobs; checked before the call waits in line."""
        session_id = self._caller(request.session_id)
        job_id, app_instance = parse_job_id("job_id", request.job_id)
        return session_id, job_id, app_instance

    @contextmanager
    def _refusals(self) -> Iterator[None]:
        """The book's refusals as upstream's (`Refused`); over TCP what became of
        a job the caller does not hold is not told."""
        try:
            yield
        except JobError as exc:
            if self.require_session and isinstance(exc, JobNotRunning):
                raise Refused("Job not found: the job is not running in this session") from None
            if isinstance(exc, NotSessionsJob):
                raise trust_refusal("other_sessions_job", _upstream_words(exc)) from None
            raise Refused(_upstream_words(exc)) from None

    def _job_of(self, session_id: str | None, job_id: int, app_instance: str | None) -> Job:
        """The caller's running job named by the request (CompleteJob's check)."""
        with self._refusals():
            return self.book.held(session_id, job_id, app_instance)

    def _session_jobs(self, session_id: str | None) -> list[Job]:
        """The jobs running in the caller's session (a call that names no job)."""
        if session_id is None:
            raise Refused(f"{INVALID_SESSION}: session_id is required")
        with self._refusals():
            return self.book.session_jobs(session_id)

    @contextmanager
    def _write_slot(self, job: Job) -> Iterator[None]:
        """One of the MAX_WRITES_PER_SESSION chain writes `job`'s session may have
        waiting at once; RESOURCE_EXHAUSTED when they are all taken."""
        holder = job.session_id or ""
        if self.writes_waiting[holder] >= MAX_WRITES_PER_SESSION:
            raise purerpc.ResourceExhaustedError(
                f"{MAX_WRITES_PER_SESSION} chain writes of this session are waiting for the "
                "chain already; send more once they are answered")
        self.writes_waiting[holder] += 1
        try:
            yield
        finally:
            self.writes_waiting[holder] -= 1
            if not self.writes_waiting[holder]:
                del self.writes_waiting[holder]

    async def _limited(self, call: Callable[[], Awaitable[T]]) -> T:
        async with promptly(self.limiter):
            return await call()


def unserved(needs: Mapping[str, str]) -> Callable[[C], C]:
    """Class decorator: each named call of upstream's answers UNIMPLEMENTED with a
    message naming the missing piece, so an agent's log says why instead of a
    bare "unimplemented". docs/agent-api.md's table of methods follows these."""

    def refuse(name: str, need: str) -> Callable[[Any, Any], Coroutine[Any, Any, NoReturn]]:
        message = f"{name} is not served by this coordinator: it needs {need}"

        async def call(self: Any, input_message: Any) -> NoReturn:
            raise purerpc.UnimplementedError(message)

        call.__name__ = call.__qualname__ = name
        return call

    def decorate(cls: C) -> C:
        for name, need in needs.items():
            setattr(cls, name, refuse(name, need))
        return cls

    return decorate
