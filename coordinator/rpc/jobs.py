"""The job calls of the agent API: GetJob, CompleteJob, FailJob, TerminateJob and
AgentMessage.

They are thin: check the request, ask the `JobBook`, persist what changed,
answer. With a key, a job is handed out only once the chain says the claim is
ours (`_claimed`). Job data is never logged; an agent's words are logged
escaped and bounded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

import purerpc
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.domain import SETTLE_METHOD, AgentKey, Job, JobRef, JobState
from coordinator.errors import describe
from coordinator.instruments import socket_call
from coordinator.jobs import Session, SessionDenied
from coordinator.logs import escape, session_fingerprint
from coordinator.rpc.calls import (
    INVALID_SESSION,
    AgentCalls,
    AgentNote,
    JobRequest,
    Refused,
    answers_refusals,
)
from coordinator.rpc.checks import (
    MAX_MESSAGE_BYTES,
    bounded,
    check_name,
    clean_error,
    job_message,
    parse_job_id,
)
from coordinator.settlement import Claim
from coordinator.sui.app_instance import read_app_instance
from coordinator.sui.client import SuiError

__all__ = ["JobCalls"]

log = logging.getLogger("coordinator.rpc")

R = TypeVar("R")

# AgentMessage levels (upstream's LogLevel) as logging levels; unknown ones log as info.
_LEVELS = {
    pb.LOG_LEVEL_DEBUG: logging.DEBUG,
    pb.LOG_LEVEL_INFO: logging.INFO,
    pb.LOG_LEVEL_WARN: logging.WARNING,
    pb.LOG_LEVEL_ERROR: logging.ERROR,
    pb.LOG_LEVEL_FATAL: logging.CRITICAL,
}
# Why a settle job that no settlement of its app instance names is terminated.
ORPHANED_SETTLE = "settle job of no settlement chain: terminated"


class NoSettlement(Exception):
    """The app instance has no settlement whose job this `settle` job is."""

_LEVEL_NAMES = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn",
                logging.ERROR: "error", logging.CRITICAL: "fatal"}

# What the book does to a job the caller settles: (session, job number, app instance)
# -> the jobs it changed, the settled one first.
_Settle = Callable[[str | None, int, str | None], list[Job]]


def _short(session_id: str | None) -> str:
    """A session's name in the logs: its fingerprint, never (part of) the id,
    which is the agent's credential."""
    return "none" if session_id is None else session_fingerprint(session_id)


class JobCalls(AgentCalls):
    """The job calls over the `JobBook`, and the latest agent messages (`report`)."""

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        """The service's part of the status: the latest agent messages."""
        for note in reversed(self.agent_notes):
            shown = message.agent_messages.add(
                age_secs=now - note.at, level=_LEVEL_NAMES[note.level],
                developer=note.key.developer, agent=note.key.agent,
                agent_method=note.key.agent_method, text=note.text)
            if note.job_id is not None:
                shown.job_id = note.job_id

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

    async def _settle(self, request: JobRequest, act: _Settle,
                      answer: Callable[[list[Job], str | None], R]) -> R:
        """CompleteJob, FailJob and TerminateJob: the caller's job settled by the
        book (`act`), the change recorded, then `answer` from the changed jobs."""
        session_id, job_id, app_instance = self._job_request(request)

        async def call() -> R:
            with self._refusals():
                changed = act(session_id, job_id, app_instance)
            await self._persist(changed)
            return answer(changed, session_id)

        return await self._limited(call)

    async def _settles(self, job: Job) -> str | None:
        """The chain a `settle` job settles (upstream's `Job.chain`): the one of
        its app instance's settlements whose settlement job it is. None for
        other jobs, and when the chain cannot tell (no chain to read, a read
        that failed: logged; the agent decides without it). `NoSettlement`
        when the app instance says no settlement has the job."""
        if job.app_instance_method != SETTLE_METHOD or self.chain is None:
            return None
        try:
            instance = await read_app_instance(self.chain, job.app_instance)
        except SuiError as exc:
            log.warning("settlement chain of job %s not read: %s", job.ref, describe(exc))
            return None
        for chain, settlement in instance.settlements.items():
            if settlement.settlement_job == job.job_id:
                return chain
        raise NoSettlement

    async def _other_chain(self, key: AgentKey, session: Session | None, skip: set[JobRef],
                           chains: dict[JobRef, str | None]) -> bool:
        """Session pinning, as upstream: a session that settles one chain is
        handed no settle job of another. True when the job next in line was
        looked at here (its chain read, or skipped): look again, since the
        book may have changed meanwhile. The job handed out is then looked at
        with no wait between this check and `take`."""
        if session is None or session.settle_chain is None:
            return False
        job = self.book.next_pending(key, skip)
        if job is None or job.app_instance_method != SETTLE_METHOD:
            return False
        if job.ref not in chains:
            try:
                chains[job.ref] = await self._settles(job)
            except NoSettlement:
                chains[job.ref] = None  # terminated once taken (below in GetJob)
            return True
        chain = chains[job.ref]
        if chain is not None and chain != session.settle_chain:
            skip.add(job.ref)
            return True
        return False

    @socket_call("GetJob")
    @answers_refusals(pb.GetJobResponse)
    async def GetJob(self, input_message: pb.GetJobRequest) -> pb.GetJobResponse:
        request = input_message
        key = AgentKey(
            check_name("developer", request.developer),
            check_name("agent", request.agent),
            # Empty: the agent's default method (jobs created without a method name).
            check_name("agent_method", request.agent_method, may_be_empty=True),
        )
        # Empty means none: an agent may pass SESSION_ID straight from an unset
        # environment variable, and the original grpcurl call has none.
        session_id = self._caller(request.session_id)

        async def call() -> pb.GetJobResponse:
            skip: set[JobRef] = set()  # settle jobs of chains this session does not settle
            chains: dict[JobRef, str | None] = {}
            while True:
                session = self.book.sessions.get(session_id or "")
                reserved = None if session is None else session.reserved
                if await self._other_chain(key, session, skip, chains):
                    continue
                try:
                    job = self.book.take(key, session_id, skip)
                except SessionDenied as exc:
                    # Upstream: a session it does not know has no jobs.
                    return pb.GetJobResponse(success=True,
                                             message=f"No pending jobs found ({exc})")
                if job is None:
                    return pb.GetJobResponse(success=True,
                                             message=f"No pending jobs found for {key}")
                claim = None
                if self.settler is not None and job.ref != reserved:
                    claim = self.settler.expect_claim(job.ref)
                await self._persist([job])
                if claim is not None and not await self._claimed(job, session_id, claim):
                    # As upstream: "no job" at once. Looking for the next one here
                    # could keep the agent in this call for as long as another
                    # coordinator keeps winning; it asks again when it wants.
                    return pb.GetJobResponse(success=True,
                                             message=f"No pending jobs found for {key} "
                                                     f"(the claim of job {job.job_id} was lost)")
                try:
                    chain = await self._settles(job)
                except NoSettlement:
                    # As upstream: terminated, and the next job looked for.
                    log.warning("settle job %s is no settlement's job on chain", job.ref)
                    with self._refusals():
                        ended = self.book.terminate(session_id, job.job_id, job.app_instance,
                                                    ORPHANED_SETTLE)
                    await self._persist([ended])
                    continue
                if chain is not None and session is not None:
                    session.settle_chain = session.settle_chain or chain
                break
            if log.isEnabledFor(logging.DEBUG):  # its arguments cost more than the call
                log.debug("GetJob: job %s (%s) handed to session %s",
                          job.ref, key, _short(session_id), extra={"session": session_id})
            return pb.GetJobResponse(success=True, message=f"job {job.job_id}",
                                     job=job_message(job, chain))

        return await self._limited(call)

    @socket_call("CompleteJob")
    @answers_refusals(pb.CompleteJobResponse)
    async def CompleteJob(self, input_message: pb.CompleteJobRequest) -> pb.CompleteJobResponse:
        def answer(changed: list[Job], session_id: str | None) -> pb.CompleteJobResponse:
            job = changed[0]
            log.debug("CompleteJob: job %s completed (session %s)", job.ref, _short(session_id),
                      extra={"session": session_id})
            return pb.CompleteJobResponse(success=True, message=f"job {job.job_id} completed")

        return await self._settle(
            input_message, lambda *named: [self.book.complete(*named)], answer)

    @socket_call("FailJob")
    @answers_refusals(pb.FailJobResponse)
    async def FailJob(self, input_message: pb.FailJobRequest) -> pb.FailJobResponse:
        error = clean_error(input_message.error_message)

        def answer(changed: list[Job], session_id: str | None) -> pb.FailJobResponse:
            job = changed[0]
            if job.state is JobState.DEAD:
                outcome = f"job {job.job_id} failed; dead after {job.attempts} attempt(s)"
            else:
                outcome = (f"job {job.job_id} failed; it will be retried "
                           f"(attempt {job.attempts} of "
                           f"{self.book.attempts_allowed(job.app_instance)} used)")
            log.debug("FailJob: %s (job %s, session %s)", outcome, job.ref, _short(session_id),
                      extra={"session": session_id})
            return pb.FailJobResponse(success=True, message=outcome)

        return await self._settle(
            input_message,
            lambda session_id, job_id, app_instance: self.book.fail(
                session_id, job_id, error, app_instance),
            answer)

    @socket_call("TerminateJob")
    @answers_refusals(pb.TerminateJobResponse)
    async def TerminateJob(
        self, input_message: pb.TerminateJobRequest
    ) -> pb.TerminateJobResponse:
        def answer(changed: list[Job], session_id: str | None) -> pb.TerminateJobResponse:
            return pb.TerminateJobResponse(
                success=True, message=f"job {changed[0].job_id} terminated; not retried")

        return await self._settle(
            input_message, lambda *named: [self.book.terminate(*named)], answer)

    @socket_call("AgentMessage")
    async def AgentMessage(
        self, input_message: pb.AgentMessageRequest
    ) -> pb.AgentMessageResponse:
        """Logged under the job (or the session), escaped and bounded; the agent's
        words never reach the log raw. Always answered success, as upstream
        does (an agent never fails on its own log line); a message from a caller
        that is no running agent's session, or about a job not its own, is not
        logged (it is not an agent's word), and the answer says so."""
        request = input_message
        named = parse_job_id("job_id", request.job_id) if request.HasField("job_id") else None
        # Escaped for one log line (coordinator.logs.escape), then bounded.
        text = bounded(escape(request.message[: 2 * MAX_MESSAGE_BYTES]), MAX_MESSAGE_BYTES,
                       cut_from=request.message)
        level = _LEVELS.get(request.level, logging.INFO)

        async def call() -> pb.AgentMessageResponse:
            session_id = self._caller(request.session_id)
            if named is not None:
                job = self._job_of(session_id, *named)
                about = f"job {job.ref} ({job.key})"
                note = AgentNote(trio.current_time(), level, job.key, job.job_id, text)
            else:
                session = self.book.sessions.get(session_id or "")
                if session is None:
                    raise Refused(f"{INVALID_SESSION}: the message names no job and no "
                                  f"running agent's session")
                about = f"session {_short(session_id)} ({session.key})"
                note = AgentNote(trio.current_time(), level, session.key, None, text)
            log.log(level, "agent message, %s: %s", about, text)
            self.agent_notes.append(note)
            return pb.AgentMessageResponse(success=True, message="Message received and forwarded")

        try:
            return await self._limited(call)
        except Refused as exc:
            return pb.AgentMessageResponse(success=True, message=f"message not logged: {exc}")
