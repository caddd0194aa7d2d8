"""The job book's agent side: sessions tie jobs to one agent container.

The trigger job goes to the container by env; more come through GetJob (each
claimed on chain first, with an address); CompleteJob/FailJob/TerminateJob
settle them; when the container ends, `close_session` fails the rest: a job
the agent never said complete is not complete, whatever the exit code (as
upstream: "container terminated"). A job handed to a container is not the
container's until its claim is confirmed. The book's refusals are `JobError`s,
which the agent API answers as upstream does (success=false and a message).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from coordinator.domain import AgentKey, Job, JobRef, JobState, OperationKind, Session
from coordinator.jobs.core import BookCore
from coordinator.logs import session_fingerprint
from coordinator.sui.keys import SuiKey

__all__ = ["EXITED_HOLDING_JOBS", "AgentSessions", "JobError", "JobNotFound", "JobNotRunning",
           "NotSessionsJob", "SessionDenied"]

# The reason a job fails when its container exits 0 still holding it (upstream
# fails it as "container terminated").
EXITED_HOLDING_JOBS = "container terminated (exit code 0) without completing the job"


class JobError(Exception):
    """A request about jobs that cannot be honoured; the message says why."""


class SessionDenied(JobError):
    """Unknown session, or a session of another key."""


class NotSessionsJob(SessionDenied):
    """The job is another session's."""


class JobNotFound(JobError):
    pass


class JobNotRunning(JobError):
    """The job exists but is not running in this session (already settled?)."""


class AgentSessions(BookCore):
    """Agent containers' sessions and the calls that hand out and settle jobs."""

    def open_session(self, key: AgentKey) -> tuple[Session, Job] | None:
        """Start a session for a new container with the next ready job as trigger."""
        job = self.next_pending(key)
        if job is None:
            return None
        # As upstream's coordinator: the session is a fresh Ed25519 key, its id
        # the key's Sui address (unguessable, so it is also the credential).
        session_key = SuiKey.generate()
        session = Session(session_key.address, key, started_at=self.clock(),
                          private_key=session_key.export())
        self.sessions[session.session_id] = session
        self._start(job, session)
        session.reserved = job.ref
        return session, job

    @property
    def claims(self) -> bool:
        """Whether a job handed out must first be claimed on chain."""
        return self.address is not None

    def lose_claim(self, ref: JobRef, coordinator: str = "another coordinator") -> list[Job]:
        """The chain refused our claim (`start` returned false): the job is taken
        elsewhere (or no longer pending) and leaves the book; no attempt spent."""
        changed = self._drop(ref, f"claim lost on chain (taken by {coordinator})")
        if changed:
            self._wake()
        return changed

    def _start(self, job: Job, session: Session | None) -> None:
        if self.shares is not None:
            self.shares.taken(job)
        self._dequeue(job)
        job.state = JobState.RUNNING
        # As the chain's start_job stamps the job (chain time, ms).
        job.updated_at = max(job.updated_at, int(self.clock() * 1000))
        self._touch(job)
        self._settle(OperationKind.START, job)
        if session is None:
            job.session_id, job.lease_until = None, self.clock() + self.lease_secs
        else:
            job.session_id = session.session_id
            session.held.add(job.ref)

    def take(self, key: AgentKey, session_id: str | None,
             skip: Collection[JobRef] = ()) -> Job | None:
        """GetJob: the next ready job of `key`, now running for that session.

        Without a session (the original agents' call) the job is leased and
        fails if not settled within `lease_secs`. A session's first call gets
        the job its container was started for, unless the agent settled it
        already (from JOB_ID): upstream's agents learn their job only this way.
        Jobs in `skip` stay pending (settle jobs of another chain than the
        session's, `rpc.jobs`).
        """
        session = self._session(session_id, key) if session_id is not None else None
        if session is not None and session.reserved is not None:
            reserved, session.reserved = session.reserved, None
            if reserved in session.held:
                return self.jobs[reserved]
        job = self.next_pending(key, skip)
        if job is not None:
            self._start(job, session)
        return job

    def _session(self, session_id: str, key: AgentKey | None = None) -> Session:
        session = self.sessions.get(session_id)
        if session is None:
            # The fingerprint, not the id: the id is a credential.
            raise SessionDenied(f"session {session_fingerprint(session_id)} does not belong "
                                f"to a running agent")
        if key is not None and session.key != key:
            raise SessionDenied(f"session {session_fingerprint(session_id)} belongs to "
                                f"{session.key}, not {key}")
        return session

    def session_jobs(self, session_id: str) -> list[Job]:
        """The jobs running in a session now (SessionDenied for an unknown one)."""
        return [self.jobs[ref] for ref in self._session(session_id).held]

    def held(self, session_id: str | None, job_id: int, app_instance: str | None = None) -> Job:
        """The running job `job_id` of this session (or a leased one without);
        `app_instance`, when given, tells apart jobs of one number in two instances."""
        def named(ref: JobRef) -> bool:
            return ref.job_id == job_id and app_instance in (None, ref.app_instance)

        if session_id is not None:
            session = self._session(session_id)
            for ref in session.held:
                if named(ref):
                    return self.jobs[ref]
            known = [job for ref, job in self.jobs.items() if named(ref)]
            if any(job.session_id not in (None, session_id) for job in known):
                raise NotSessionsJob(f"job {job_id} is not this session's")
        else:
            known = [job for ref, job in self.jobs.items()
                     if named(ref) and job.session_id is None]
            running = [job for job in known if job.state is JobState.RUNNING]
            if running:
                return running[0]
        if not known:
            raise JobNotFound(f"job {job_id} is not known to this coordinator")
        raise JobNotRunning(f"job {job_id} is {known[0].state.value}, not running in this session")

    def complete(self, session_id: str | None, job_id: int,
                 app_instance: str | None = None) -> Job:
        job = self.held(session_id, job_id, app_instance)
        self._release(job)
        job.state = JobState.COMPLETED
        self._touch(job)
        self._settle(OperationKind.COMPLETE, job)
        self._record(job, "completed")
        return job

    def fail(self, session_id: str | None, job_id: int, error: str,
             app_instance: str | None = None) -> list[Job]:
        return self._fail(self.held(session_id, job_id, app_instance), error)

    def terminate(self, session_id: str | None, job_id: int,
                  app_instance: str | None = None, reason: str = "terminated by the agent",
                  ) -> Job:
        """TerminateJob: the agent gives the job up for good (or the coordinator
        does, for `reason`). Upstream removes it on chain with no retry; here it
        is dead at once, attempts left or not."""
        job = self.held(session_id, job_id, app_instance)
        self._release(job)
        job.state = JobState.DEAD
        job.last_error = reason
        self._touch(job)
        self._settle(OperationKind.TERMINATE, job)
        self._record(job, f"{reason}; not retried")
        return job

    def close_session(
        self,
        session_id: str,
        failure: str | None,
        *,
        exit_code: int | None = None,
        duration_secs: float = 0.0,
    ) -> list[Job]:
        """The container ended: the jobs it still holds fail, with `failure` as
        the reason, or with EXITED_HOLDING_JOBS when it exited 0 (`failure`
        None) without completing them."""
        session = self.sessions.pop(session_id, None)
        if session is None:
            return []
        changed: list[Job] = []
        for ref in sorted(session.held):
            job = self.jobs[ref]
            job.session_id = None
            changed += self._fail(job, failure or EXITED_HOLDING_JOBS)
            if self.outcomes and self.outcomes[-1].ref == ref:
                self.outcomes[-1] = replace(
                    self.outcomes[-1], exit_code=exit_code, duration_secs=duration_secs
                )
        self._wake()  # the key may have more work, and a slot is free
        return changed

    def abandon_session(self, session_id: str, reason: str) -> list[Job]:
        """Shutdown: the session's running jobs go back to pending, no attempt spent
        (with an address, the chain spends one: see below)."""
        session = self.sessions.pop(session_id, None)
        if session is None:
            return []
        changed = []
        for ref in sorted(session.held):
            job = self.jobs[ref]
            job.session_id = None
            job.state = JobState.PENDING
            if self.address is not None:
                # Running under our address on chain: only a fail gives it back
                # (an attempt spent, the chain's retry interval).
                self._settle(OperationKind.FAIL, job, reason)
                job.not_before = self._chain_retry_at()
            self._enqueue(job)
            self._touch(job)
            self._record(job, reason)
            changed.append(job)
        return changed

    def expire_leases(self) -> list[Job]:
        """Fail jobs handed out without a session and not settled in time."""
        now = self.clock()
        expired = [job for job in self.jobs.values()
                   if job.state is JobState.RUNNING and job.session_id is None
                   and job.lease_until <= now]
        changed: list[Job] = []
        for job in expired:
            changed += self._fail(job, f"not settled within {self.lease_secs:g} s of GetJob")
        return changed
