"""CoordinatorService (upstream's agent API) and CoordinatorStatusService (ours).

The job calls are thin: validate the request, ask the `JobBook`, persist what
changed, answer. Book errors become gRPC statuses with the book's message:

    SessionDenied  -> PERMISSION_DENIED
    JobNotFound    -> NOT_FOUND
    JobNotRunning  -> FAILED_PRECONDITION
    a bad request  -> INVALID_ARGUMENT (the message names the field)

A servicer reports a status by raising one of purerpc's `RpcFailedError`
subclasses (`purerpc.InvalidArgumentError(message)`, ...); the server in
`coordinator.grpc` sends its code and message (percent-encoded, as gRPC
wants) in the trailers. Any other exception is logged and answered UNKNOWN.

Who calls is known by where the call arrives. On the operator's socket the
service acts for whoever names a session, or for none (the seed's grpcurl call).
On an agent container's own socket the service is bound to that container's
session (`for_session`): a request must carry that session's id, so it acts on
the session's jobs only; anything else is PERMISSION_DENIED and changes nothing.

At most `max_concurrent_requests` calls are served at once; the rest wait in
line (nothing is refused). Job data is never logged. Upstream's calls that need
more than the job book and the app instance answer UNIMPLEMENTED
(`coordinator.rpc.unserved`).

The app-instance calls act on the app instance of the request's job, which must
be running in the caller's session (the check CompleteJob makes). Reads
(GetAppInstance, GetKV, GetMetadata) read the AppInstance object from the chain
(UNAVAILABLE when it cannot be read). Writes (SetKV, DeleteKV, AddMetadata,
CreateAppJob) need a Sui key (FAILED_PRECONDITION without); they go through the
settler's outbox as Move calls and answer the chain's outcome: success and the
transaction digest, or success=false with the chain's reason (a Move abort).

A job's wire `job_id` is `<job_sequence>@<app instance>` (`wire_job_id`): job
numbers repeat across app instances, and upstream's agents treat the id as
opaque. A bare number is accepted too (grpcurl by hand).
"""

from __future__ import annotations

import copy
import hmac
import logging
import re
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import NoReturn, Protocol, TypeVar

import purerpc
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator._pb.silvana.coordinator.v1.coordinator_grpc import (
    CoordinatorStatusServiceServicer,
)
from coordinator.agent_writes import outbox_entry
from coordinator.domain import AgentKey, Job, JobState
from coordinator.errors import describe
from coordinator.jobs import JobBook, JobError, JobNotFound, JobNotRunning, SessionDenied
from coordinator.logs import escape, session_fingerprint
from coordinator.metrics.instruments import socket_call
from coordinator.promptly import promptly
from coordinator.rpc.app_instance import (
    app_instance_data,
    check_key,
    check_value,
    create_app_job,
    metadata_message,
)
from coordinator.rpc.unserved import UnservedCalls
from coordinator.settlement import Claim, Settler, WriteAnswer
from coordinator.sui.app_instance import AppInstanceObject, read_app_instance
from coordinator.sui.client import SuiError
from coordinator.sui.objects import Connect
from coordinator.sui.transactions import AddMetadata, AgentWrite, DeleteKV, SetKV

__all__ = [
    "MAX_ERROR_BYTES",
    "MAX_MESSAGE_BYTES",
    "MAX_NAME_CHARS",
    "CoordinatorService",
    "StatusService",
    "job_message",
    "wire_job_id",
]

log = logging.getLogger("coordinator.rpc")

MAX_NAME_CHARS = 128
MAX_SESSION_CHARS = 64
MAX_ERROR_BYTES = 4096
MAX_MESSAGE_BYTES = 4096  # an AgentMessage as logged
# Chain writes one session may have waiting for the chain at once: each holds a
# call slot (`rpc.max_concurrent_requests`) for up to a minute, so one agent
# must not be able to take them all.
MAX_WRITES_PER_SESSION = 4
_TRUNCATED = " [truncated]"

# C0 and C1 control characters, DEL, and the Unicode format / line / paragraph
# separators that can disguise a name in logs (bidi overrides, zero-width ...).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
# In error text: control characters except newline and tab.
_ERROR_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# The book's session ids are Sui addresses (0x and 64 hex digits, as upstream's);
# dashes are let through for UUID-shaped ids.
_SESSION = re.compile(rf"0x[0-9A-Fa-f]{{64}}|[0-9A-Fa-f-]{{1,{MAX_SESSION_CHARS}}}")
# A wire job id: the job number, then optionally `@` and the app instance.
_JOB_ID = re.compile(r"(\d{1,20})(?:@(\S{1,128}))?")
# In an AgentMessage: every control character, newline and tab included (one log line).

# AgentMessage levels (upstream's LogLevel) as logging levels; unknown ones log as info.
_LEVELS = {
    pb.LOG_LEVEL_DEBUG: logging.DEBUG,
    pb.LOG_LEVEL_INFO: logging.INFO,
    pb.LOG_LEVEL_WARN: logging.WARNING,
    pb.LOG_LEVEL_ERROR: logging.ERROR,
    pb.LOG_LEVEL_FATAL: logging.CRITICAL,
}
_LEVEL_NAMES = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn",
                logging.ERROR: "error", logging.CRITICAL: "fatal"}
RECENT_AGENT_MESSAGES = 20  # shown in the status, newest first


@dataclass(frozen=True)
class AgentNote:
    """One AgentMessage as the status shows it (the text as logged)."""

    at: float  # trio clock
    level: int
    key: AgentKey
    job_id: int | None  # None: about the session
    text: str

T = TypeVar("T")


class _JobRequest(Protocol):
    """A request about one of the caller's jobs."""

    session_id: str
    job_id: str

NO_KEY = ("{call} writes to the chain and needs a Sui key: set sui.key_file or "
          "SUI_SECRET_KEY in the coordinator's configuration")


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
        _invalid(f"{field} must be the container's SESSION_ID (a Sui address: 0x and "
                 f"64 hex digits)")
    return value


def _optional_session(value: str) -> str | None:
    """An empty session id means "no session"."""
    return _check_session("session_id", value) if value else None


def _job_id(field: str, value: str) -> tuple[int, str | None]:
    """(job number, app instance or None) from a wire job id."""
    match = _JOB_ID.fullmatch(value)
    if match is None or int(match.group(1)) >= 1 << 64:
        _invalid(f"{field} must be a job id as GetJob gave it (<number>@<app instance>)")
    return int(match.group(1)), match.group(2)


def wire_job_id(job: Job) -> str:
    """The `job_id` an agent gets with a job and hands back to settle it."""
    return f"{job.job_id}@{job.app_instance}"


def _bounded(text: str, limit: int, *, cut_from: str | None = None) -> str:
    """At most `limit` bytes of UTF-8, cut on a character boundary and marked
    when cut; `cut_from` is the text before any change (to tell it was cut)."""
    raw = text.encode()
    if len(raw) > limit or (cut_from is not None and len(cut_from) > 2 * limit):
        return raw[: limit - len(_TRUNCATED)].decode(errors="ignore") + _TRUNCATED
    return text


def _clean_error(text: str) -> str:
    """Agent error text as kept: control characters (but newline and tab) removed,
    at most MAX_ERROR_BYTES of UTF-8, cut on a character boundary."""
    cleaned = _ERROR_CONTROL.sub("", text[: 2 * MAX_ERROR_BYTES]).strip()
    cleaned = _bounded(cleaned, MAX_ERROR_BYTES, cut_from=text)
    return cleaned or "the agent reported a failure without a message"


def job_message(job: Job) -> pb.Job:
    """The wire form of a job (upstream's `Job` message)."""
    message = pb.Job(
        job_sequence=job.job_id,
        job_id=wire_job_id(job),
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


class CoordinatorService(UnservedCalls):
    """silvana.coordinator.v1.CoordinatorService over a `JobBook`: the job calls and
    AgentMessage; upstream's other calls answer UNIMPLEMENTED (`UnservedCalls`).
    Serve it, with a `StatusService`, through `coordinator.rpc.serve`.
    """

    # Over TCP anyone who reaches the port may call: the session id is the only
    # credential, so every call must carry one (`over_tcp`).
    require_session = False

    def __init__(self, book: JobBook, *, max_concurrent_requests: int = 64,
                 settler: Settler | None = None, chain: Connect | None = None) -> None:
        if max_concurrent_requests < 1:
            raise ValueError("max_concurrent_requests must be at least 1")
        self.book = book
        # With a key, a job is handed out only once the chain says it is ours,
        # and agents' writes go to the chain through it.
        self.settler = settler
        # Reads of app instances (None: no chain to read, e.g. a test's book alone).
        self.chain = chain
        self.limiter = trio.CapacityLimiter(max_concurrent_requests)
        self.bound_session: str | None = None  # None: the operator's socket
        self.agent_notes: deque[AgentNote] = deque(maxlen=RECENT_AGENT_MESSAGES)
        self.writes_waiting: Counter[str] = Counter()  # by session ("": none)

    def for_session(self, session_id: str) -> CoordinatorService:
        """This service as served on one agent container's socket: the same book,
        limiter and agent messages, acting for `session_id` only."""
        bound = copy.copy(self)
        bound.bound_session = session_id
        return bound

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        """The service's part of the status: the latest agent messages."""
        for note in reversed(self.agent_notes):
            shown = message.agent_messages.add(
                age_secs=now - note.at, level=_LEVEL_NAMES[note.level],
                developer=note.key.developer, agent=note.key.agent,
                agent_method=note.key.agent_method, text=note.text)
            if note.job_id is not None:
                shown.job_id = note.job_id

    def _caller(self, given: str) -> str | None:
        """The session a request acts for: as given on the operator's socket; on an
        agent's socket, its own session, which the request must name; over TCP, a
        session it must name (an empty id means none: an agent may pass SESSION_ID
        straight from an unset variable)."""
        if not given and self.require_session:
            raise purerpc.PermissionDeniedError(
                "session_id is required over TCP (the container's SESSION_ID)")
        session_id = _optional_session(given)
        if self.bound_session is None:
            return session_id
        if session_id is None:
            raise purerpc.PermissionDeniedError(
                "a call on an agent container's socket must carry its SESSION_ID")
        if not hmac.compare_digest(session_id.encode(), self.bound_session.encode()):
            raise purerpc.PermissionDeniedError(
                "this socket serves its own container's session only (SESSION_ID)")
        return session_id

    def over_tcp(self) -> CoordinatorService:
        """This service (same book, same limiter) for TCP callers: a call without a
        session is refused, and a job that is not the session's is PERMISSION_DENIED
        without saying what became of it (it may be another agent's)."""
        tcp = copy.copy(self)
        tcp.require_session = True
        return tcp

    def _refusal(self, exc: JobError) -> purerpc.RpcFailedError:
        if self.require_session and isinstance(exc, JobNotRunning):
            return purerpc.PermissionDeniedError("the job is not running in this session")
        return _status_error(exc)

    async def _limited(self, call: Callable[[], Awaitable[T]]) -> T:
        async with promptly(self.limiter):
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

    async def _claimed(self, job: Job, session_id: str | None, claim: Claim) -> bool:
        """Wait for the chain's answer to the claim of `job`; a lost claim takes
        the job out of the book, no answer in time gives it back (a fail)."""
        assert self.settler is not None
        won = await claim.answer()
        if won:
            return True
        if won is False:
            changed = self.book.lose_claim(job.ref)
        else:
            self.settler.forget_claim(job.ref)
            changed = self.book.fail(session_id, job.job_id, "claim not answered on chain",
                                     job.app_instance)
        await self._persist(changed)
        return False

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
        # Empty means none: an agent may pass SESSION_ID straight from an unset
        # environment variable, and the original grpcurl call has none.
        session_id = self._caller(request.session_id)

        async def call() -> pb.GetJobResponse:
            while True:
                try:
                    session = self.book.sessions.get(session_id or "")
                    reserved = None if session is None else session.reserved
                    job = self.book.take(key, session_id)
                except JobError as exc:
                    raise self._refusal(exc) from None
                if job is None:
                    return pb.GetJobResponse(success=True, message=f"no pending job for {key}")
                claim = None
                if self.settler is not None and job.ref != reserved:
                    claim = self.settler.expect_claim(job.ref)
                await self._persist([job])
                if claim is None or await self._claimed(job, session_id, claim):
                    break
            log.debug("GetJob: job %s (%s) handed to session %s",
                      job.ref, key, _short(session_id), extra={"session": session_id})
            return pb.GetJobResponse(success=True, message=f"job {job.job_id}",
                                     job=job_message(job))

        return await self._limited(call)

    @socket_call("CompleteJob")
    async def CompleteJob(self, input_message: pb.CompleteJobRequest) -> pb.CompleteJobResponse:
        request = input_message
        session_id = self._caller(request.session_id)
        job_id, app_instance = _job_id("job_id", request.job_id)

        async def call() -> pb.CompleteJobResponse:
            try:
                job = self.book.complete(session_id, job_id, app_instance)
            except JobError as exc:
                raise self._refusal(exc) from None
            await self._persist([job])
            log.debug("CompleteJob: job %s completed (session %s)", job.ref, _short(session_id),
                      extra={"session": session_id})
            return pb.CompleteJobResponse(success=True, message=f"job {job_id} completed")

        return await self._limited(call)

    @socket_call("FailJob")
    async def FailJob(self, input_message: pb.FailJobRequest) -> pb.FailJobResponse:
        request = input_message
        session_id = self._caller(request.session_id)
        job_id, app_instance = _job_id("job_id", request.job_id)
        error = _clean_error(request.error_message)

        async def call() -> pb.FailJobResponse:
            try:
                changed = self.book.fail(session_id, job_id, error, app_instance)
            except JobError as exc:
                raise self._refusal(exc) from None
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

    @socket_call("TerminateJob")
    async def TerminateJob(
        self, input_message: pb.TerminateJobRequest
    ) -> pb.TerminateJobResponse:
        request = input_message
        session_id = self._caller(request.session_id)
        job_id, app_instance = _job_id("job_id", request.job_id)

        async def call() -> pb.TerminateJobResponse:
            try:
                job = self.book.terminate(session_id, job_id, app_instance)
            except JobError as exc:
                raise self._refusal(exc) from None
            await self._persist([job])
            return pb.TerminateJobResponse(success=True,
                                           message=f"job {job_id} terminated; not retried")

        return await self._limited(call)

    @socket_call("AgentMessage")
    async def AgentMessage(
        self, input_message: pb.AgentMessageRequest
    ) -> pb.AgentMessageResponse:
        """Logged under the job (or the session), escaped and bounded; the agent's
        words never reach the log raw."""
        request = input_message
        session_id = self._caller(request.session_id)
        named = _job_id("job_id", request.job_id) if request.HasField("job_id") else None
        # Escaped for one log line (coordinator.logs.escape), then bounded.
        text = _bounded(escape(request.message[: 2 * MAX_MESSAGE_BYTES]), MAX_MESSAGE_BYTES,
                        cut_from=request.message)
        level = _LEVELS.get(request.level, logging.INFO)

        async def call() -> pb.AgentMessageResponse:
            try:
                if named is not None:
                    job = self.book.held(session_id, *named)
                    about = f"job {job.ref} ({job.key})"
                    note = AgentNote(trio.current_time(), level, job.key, job.job_id, text)
                elif session_id is not None:
                    session = self.book.sessions.get(session_id)
                    if session is None:
                        raise purerpc.PermissionDeniedError(
                            "the session does not belong to a running agent")
                    about = f"session {_short(session_id)} ({session.key})"
                    note = AgentNote(trio.current_time(), level, session.key, None, text)
                else:
                    _invalid("an AgentMessage needs a session_id or a job_id")
            except JobError as exc:
                raise self._refusal(exc) from None
            log.log(level, "agent message, %s: %s", about, text)
            self.agent_notes.append(note)
            return pb.AgentMessageResponse(success=True, message="logged")

        return await self._limited(call)


    # --- the app instance of the caller's job -------------------------------------

    def _job_of(self, session_id: str | None, wire_id: tuple[int, str | None]) -> Job:
        """The caller's running job named by the request (CompleteJob's check)."""
        try:
            return self.book.held(session_id, *wire_id)
        except JobError as exc:
            raise self._refusal(exc) from None

    async def _instance(self, job: Job) -> AppInstanceObject:
        if self.chain is None:
            raise purerpc.UnavailableError("this coordinator has no chain to read")
        try:
            return await read_app_instance(self.chain, job.app_instance)
        except SuiError as exc:
            log.warning("app instance of job %s not read: %s", job.ref, describe(exc))
            raise purerpc.UnavailableError(
                f"the app instance could not be read from the chain: {describe(exc)}"
            ) from None

    def _writer(self, call: str) -> Settler:
        if self.settler is None:
            raise purerpc.FailedPreconditionError(NO_KEY.format(call=call))
        return self.settler

    async def _write(self, settler: Settler, job: Job, write: AgentWrite) -> WriteAnswer:
        holder = job.session_id or ""
        if self.writes_waiting[holder] >= MAX_WRITES_PER_SESSION:
            raise purerpc.ResourceExhaustedError(
                f"{MAX_WRITES_PER_SESSION} chain writes of this session are waiting for the "
                "chain already; send more once they are answered")
        self.writes_waiting[holder] += 1
        try:
            answer = await settler.write(outbox_entry(write, job.app_instance, job.job_id,
                                                      settler.clock()))
        finally:
            self.writes_waiting[holder] -= 1
            if not self.writes_waiting[holder]:
                del self.writes_waiting[holder]
        log.info("%s for job %s: %s", type(write).__name__, job.ref, answer.message)
        return answer

    @socket_call("GetAppInstance")
    async def GetAppInstance(
        self, input_message: pb.GetAppInstanceRequest
    ) -> pb.GetAppInstanceResponse:
        request = input_message
        session_id = self._caller(request.session_id)
        wire_id = _job_id("job_id", request.job_id)

        async def call() -> pb.GetAppInstanceResponse:
            instance = await self._instance(self._job_of(session_id, wire_id))
            return pb.GetAppInstanceResponse(
                success=True, message=f"app instance {instance.id}",
                app_instance=app_instance_data(instance))

        return await self._limited(call)

    @socket_call("GetKV")
    async def GetKV(self, input_message: pb.GetKVRequest) -> pb.GetKVResponse:
        request = input_message
        session_id = self._caller(request.session_id)
        wire_id = _job_id("job_id", request.job_id)
        key = check_key(request.key)

        async def call() -> pb.GetKVResponse:
            instance = await self._instance(self._job_of(session_id, wire_id))
            if key not in instance.kv:
                # Upstream: a missing key is a success without a value.
                return pb.GetKVResponse(success=True, message=f"Key '{key}' not found")
            return pb.GetKVResponse(success=True, message="found", value=instance.kv[key])

        return await self._limited(call)

    @socket_call("GetMetadata")
    async def GetMetadata(self, input_message: pb.GetMetadataRequest) -> pb.GetMetadataResponse:
        request = input_message
        session_id = self._caller(request.session_id)
        wire_id = _job_id("job_id", request.job_id)
        key = check_key(request.key) if request.HasField("key") else None

        async def call() -> pb.GetMetadataResponse:
            instance = await self._instance(self._job_of(session_id, wire_id))
            if key is None:
                message = "app instance info"
            elif key in instance.metadata:
                message = "found"
            else:
                message = f"Key '{key}' not found"
            return pb.GetMetadataResponse(success=True, message=message,
                                          metadata=metadata_message(instance, key))

        return await self._limited(call)

    async def _simple_write(
        self, name: str, request: _JobRequest, make: Callable[[], AgentWrite]
    ) -> WriteAnswer:
        """SetKV, DeleteKV and AddMetadata: the caller and job checked, then the
        write's own fields (`make`), then the write for the caller's job."""
        session_id = self._caller(request.session_id)
        wire_id = _job_id("job_id", request.job_id)
        write = make()

        async def call() -> WriteAnswer:
            job = self._job_of(session_id, wire_id)
            return await self._write(self._writer(name), job, write)

        return await self._limited(call)

    @socket_call("SetKV")
    async def SetKV(self, input_message: pb.SetKVRequest) -> pb.SetKVResponse:
        request = input_message
        answer = await self._simple_write(
            "SetKV", request, lambda: SetKV(check_key(request.key), check_value(request.value)))
        return pb.SetKVResponse(success=answer.success, message=answer.message,
                                tx_hash=answer.digest)

    @socket_call("DeleteKV")
    async def DeleteKV(self, input_message: pb.DeleteKVRequest) -> pb.DeleteKVResponse:
        request = input_message
        answer = await self._simple_write(
            "DeleteKV", request, lambda: DeleteKV(check_key(request.key)))
        return pb.DeleteKVResponse(success=answer.success, message=answer.message,
                                   tx_hash=answer.digest)

    @socket_call("AddMetadata")
    async def AddMetadata(self, input_message: pb.AddMetadataRequest) -> pb.AddMetadataResponse:
        request = input_message
        answer = await self._simple_write(
            "AddMetadata", request,
            lambda: AddMetadata(check_key(request.key), check_value(request.value)))
        return pb.AddMetadataResponse(success=answer.success, message=answer.message,
                                      tx_hash=answer.digest)

    @socket_call("CreateAppJob")
    async def CreateAppJob(
        self, input_message: pb.CreateAppJobRequest
    ) -> pb.CreateAppJobResponse:
        request = input_message
        session_id = self._caller(request.session_id)
        wire_id = _job_id("job_id", request.job_id)
        write = create_app_job(request)

        async def call() -> pb.CreateAppJobResponse:
            job = self._job_of(session_id, wire_id)
            settler = self._writer("CreateAppJob")
            instance = await self._instance(job)
            if write.method_name not in instance.methods:
                known = ", ".join(sorted(instance.methods)) or "none"
                raise purerpc.InvalidArgumentError(
                    f"method_name {write.method_name!r} is not a method of app instance "
                    f"{instance.id} (its methods: {known})")
            answer = await self._write(settler, job, write)
            return pb.CreateAppJobResponse(success=answer.success, message=answer.message,
                                           tx_hash=answer.digest,
                                           job_sequence=answer.job_sequence)

        return await self._limited(call)


class StatusService(CoordinatorStatusServiceServicer):
    """silvana.coordinator.v1.CoordinatorStatusService: `status` builds the snapshot
    (the daemon owns that data). It shares the job calls' `limiter`."""

    def __init__(
        self, status: Callable[[], pb.GetStatusResponse], limiter: trio.CapacityLimiter
    ) -> None:
        self._status = status
        self.limiter = limiter

    @socket_call("GetStatus")
    async def GetStatus(self, input_message: pb.GetStatusRequest) -> pb.GetStatusResponse:
        async with self.limiter:
            return self._status()
