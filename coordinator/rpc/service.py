"""CoordinatorService: what agent containers (and operators) call on the Unix socket.

The calls are thin: validate the request, ask the `JobBook`, persist what changed,
answer. Book errors become gRPC statuses with the book's message:

    SessionDenied  -> PERMISSION_DENIED
    JobNotFound    -> NOT_FOUND
    JobNotRunning  -> FAILED_PRECONDITION
    a bad request  -> INVALID_ARGUMENT (the message names the field)

A servicer reports a status by raising one of purerpc's `RpcFailedError`
subclasses (`purerpc.InvalidArgumentError(message)`, ...); the server in
`coordinator.grpc` sends its code and message (percent-encoded, as gRPC
wants) in the trailers. Any other exception is logged and answered UNKNOWN.

At most `max_concurrent_requests` calls are served at once; the rest wait in
line (nothing is refused). Job data is never logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import NoReturn, TypeVar

import purerpc
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator._pb.silvana.coordinator.v1.coordinator_grpc import CoordinatorServiceServicer
from coordinator.domain import AgentKey, Job, JobState
from coordinator.jobs import JobBook, JobError, JobNotFound, SessionDenied
from coordinator.logs import session_fingerprint
from coordinator.metrics.instruments import socket_call

__all__ = [
    "MAX_ERROR_BYTES",
    "MAX_NAME_CHARS",
    "CoordinatorService",
    "job_message",
]

log = logging.getLogger("coordinator.rpc")

MAX_NAME_CHARS = 128
MAX_SESSION_CHARS = 64
MAX_ERROR_BYTES = 4096
_TRUNCATED = " [truncated]"

# C0 and C1 control characters, DEL, and the Unicode format / line / paragraph
# separators that can disguise a name in logs (bidi overrides, zero-width ...).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
# In error text: control characters except newline and tab.
_ERROR_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# The book's session ids are uuid4().hex; dashes are let through for UUID-shaped ids.
_SESSION = re.compile(rf"[0-9A-Fa-f-]{{1,{MAX_SESSION_CHARS}}}")

T = TypeVar("T")


def _invalid(message: str) -> NoReturn:
    raise purerpc.InvalidArgumentError(message)


def _check_name(field: str, value: str, *, may_be_empty: bool = False) -> str:
    if not value and not may_be_empty:
        _invalid(f"{field} must not be empty")
    if len(value) > MAX_NAME_CHARS:
        _invalid(f"{field} is longer than {MAX_NAME_CHARS} characters")
    if _CONTROL.search(value):
        _invalid(f"{field} must not contain control characters")
    return value


def _check_session(field: str, value: str) -> str:
    if not _SESSION.fullmatch(value):
        _invalid(f"{field} must be 1 to {MAX_SESSION_CHARS} hex digits "
                 f"(the container's SESSION_ID)")
    return value


def _optional_session(value: str) -> str | None:
    """An empty session id means "no session"."""
    return _check_session("session_id", value) if value else None


def _clean_error(text: str) -> str:
    """Agent error text as kept: control characters (but newline and tab) removed,
    at most MAX_ERROR_BYTES of UTF-8, cut on a character boundary."""
    cleaned = _ERROR_CONTROL.sub("", text[: 2 * MAX_ERROR_BYTES]).strip()
    raw = cleaned.encode()
    if len(raw) > MAX_ERROR_BYTES or len(text) > 2 * MAX_ERROR_BYTES:
        keep = MAX_ERROR_BYTES - len(_TRUNCATED)
        cleaned = raw[:keep].decode(errors="ignore") + _TRUNCATED
    return cleaned or "the agent reported a failure without a message"


def job_message(job: Job) -> pb.Job:
    """The wire form of a job (the original coordinator's `Job` message)."""
    message = pb.Job(
        job_id=job.job_id,
        developer=job.developer,
        agent=job.agent,
        agent_method=job.agent_method,
        app=job.app,
        app_instance=job.app_instance,
        app_instance_method=job.app_instance_method,
        sequences=job.sequences,
        data=job.data,
        attempts=job.attempts,
        created_at=max(job.created_at, 0),
        updated_at=max(job.updated_at, 0),
    )
    if job.description is not None:
        message.description = job.description
    return message


def _status_error(exc: JobError) -> purerpc.RpcFailedError:
    if isinstance(exc, SessionDenied):
        return purerpc.PermissionDeniedError(str(exc))
    if isinstance(exc, JobNotFound):
        return purerpc.NotFoundError(str(exc))
    # JobNotRunning, and any other refusal of the book: the job's state forbids it.
    return purerpc.FailedPreconditionError(str(exc))


def _short(session_id: str | None) -> str:
    """A session's name in the logs: its fingerprint, never (part of) the id,
    which is the agent's credential."""
    return "none" if session_id is None else session_fingerprint(session_id)


class CoordinatorService(CoordinatorServiceServicer):
    """silvana.coordinator.v1.CoordinatorService over a `JobBook`.

    `status` builds the GetStatus snapshot (the daemon owns that data).
    Serve it with `coordinator.rpc.serve`.
    """

    def __init__(
        self,
        book: JobBook,
        status: Callable[[], pb.GetStatusResponse],
        *,
        max_concurrent_requests: int = 64,
    ) -> None:
        if max_concurrent_requests < 1:
            raise ValueError("max_concurrent_requests must be at least 1")
        self.book = book
        self._status = status
        self.limiter = trio.CapacityLimiter(max_concurrent_requests)

    async def _limited(self, call: Callable[[], Awaitable[T]]) -> T:
        async with self.limiter:
            return await call()

    async def _persist(self, jobs: Iterable[Job]) -> None:
        """Write changed jobs before answering. Shielded: once the book has changed,
        the store must follow even if the caller hangs up meanwhile."""
        changed = list(jobs)
        with trio.CancelScope(shield=True):
            try:
                await self.book.commit()
            except Exception:
                log.exception("could not record job(s) %s",
                              ", ".join(str(job.ref) for job in changed))
                raise purerpc.InternalError("the coordinator could not record the job") from None

    # --- the calls ------------------------------------------------------------

    @socket_call("GetJob")
    async def GetJob(self, input_message: pb.GetJobRequest) -> pb.GetJobResponse:
        request = input_message
        key = AgentKey(
            _check_name("developer", request.developer),
            _check_name("agent", request.agent),
            # Empty: the agent's default method (jobs created without a method name).
            _check_name("agent_method", request.agent_method, may_be_empty=True),
        )
        # Empty means none, as in CompleteJob/FailJob: an agent may pass
        # SESSION_ID straight from an unset environment variable.
        session_id = _optional_session(request.session_id)

        async def call() -> pb.GetJobResponse:
            try:
                job = self.book.take(key, session_id)
            except JobError as exc:
                raise _status_error(exc) from None
            if job is None:
                return pb.GetJobResponse()
            await self._persist([job])
            log.debug("GetJob: job %s (%s) handed to session %s",
                      job.ref, key, _short(session_id), extra={"session": session_id})
            return pb.GetJobResponse(job=job_message(job))

        return await self._limited(call)

    @socket_call("CompleteJob")
    async def CompleteJob(self, input_message: pb.CompleteJobRequest) -> pb.CompleteJobResponse:
        request = input_message
        session_id = _optional_session(request.session_id)
        job_id = request.job_id

        async def call() -> pb.CompleteJobResponse:
            try:
                job = self.book.complete(session_id, job_id)
            except JobError as exc:
                raise _status_error(exc) from None
            await self._persist([job])
            log.debug("CompleteJob: job %s completed (session %s)", job.ref, _short(session_id),
                      extra={"session": session_id})
            return pb.CompleteJobResponse(success=True, message=f"job {job_id} completed")

        return await self._limited(call)

    @socket_call("FailJob")
    async def FailJob(self, input_message: pb.FailJobRequest) -> pb.FailJobResponse:
        request = input_message
        session_id = _optional_session(request.session_id)
        job_id = request.job_id
        error = _clean_error(request.error)

        async def call() -> pb.FailJobResponse:
            try:
                changed = self.book.fail(session_id, job_id, error)
            except JobError as exc:
                raise _status_error(exc) from None
            await self._persist(changed)
            job = changed[0]
            if job.state is JobState.DEAD:
                outcome = f"job {job_id} failed; dead after {job.attempts} attempt(s)"
            else:
                outcome = (f"job {job_id} failed; it will be retried "
                           f"(attempt {job.attempts} of {self.book.max_attempts} used)")
            log.debug("FailJob: %s (job %s, session %s)", outcome, job.ref, _short(session_id),
                      extra={"session": session_id})
            return pb.FailJobResponse(success=True, message=outcome)

        return await self._limited(call)

    @socket_call("GetStatus")
    async def GetStatus(self, input_message: pb.GetStatusRequest) -> pb.GetStatusResponse:
        async def call() -> pb.GetStatusResponse:
            return self._status()

        return await self._limited(call)
