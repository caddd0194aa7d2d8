"""The agent API's request checks: every name, session id, job id and free text
an agent sends is checked here before anything is read or changed, so a bad
request is INVALID_ARGUMENT naming the field and nothing else happens.

A job's wire `job_id` is `<job_sequence>@<app instance>` (`wire_job_id`): job
numbers repeat across app instances, and upstream's agents treat the id as
opaque. A bare number is accepted too (grpcurl by hand).
"""

from __future__ import annotations

import re
from typing import NoReturn

import purerpc

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.domain import Job, JobState

__all__ = [
    "MAX_ERROR_BYTES",
    "MAX_MESSAGE_BYTES",
    "MAX_NAME_CHARS",
    "bounded",
    "check_name",
    "clean_error",
    "invalid",
    "job_message",
    "optional_session",
    "parse_job_id",
    "wire_job_id",
]

MAX_NAME_CHARS = 128
MAX_SESSION_CHARS = 64
MAX_ERROR_BYTES = 4096
MAX_MESSAGE_BYTES = 4096  # an AgentMessage as logged
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


def invalid(message: str) -> NoReturn:
    raise purerpc.InvalidArgumentError(message)


def check_name(field: str, value: str, *, may_be_empty: bool = False) -> str:
    if not value and not may_be_empty:
        invalid(f"{field} must not be empty")
    if len(value) > MAX_NAME_CHARS:
        invalid(f"{field} is longer than {MAX_NAME_CHARS} characters")
    if _CONTROL.search(value):
        invalid(f"{field} must not contain control characters")
    return value


def _check_session(field: str, value: str) -> str:
    if not _SESSION.fullmatch(value):
        invalid(f"{field} must be the container's SESSION_ID (a Sui address: 0x and "
                f"64 hex digits)")
    return value


def optional_session(value: str) -> str | None:
    """An empty session id means "no session"."""
    return _check_session("session_id", value) if value else None


def parse_job_id(field: str, value: str) -> tuple[int, str | None]:
    """(job number, app instance or None) from a wire job id."""
    match = _JOB_ID.fullmatch(value)
    if match is None or int(match.group(1)) >= 1 << 64:
        invalid(f"{field} must be a job id as GetJob gave it (<number>@<app instance>)")
    return int(match.group(1)), match.group(2)


def wire_job_id(job: Job) -> str:
    """The `job_id` an agent gets with a job and hands back to settle it."""
    return f"{job.job_id}@{job.app_instance}"


def bounded(text: str, limit: int, *, cut_from: str | None = None) -> str:
    """At most `limit` bytes of UTF-8, cut on a character boundary and marked
    when cut; `cut_from` is the text before any change (to tell it was cut)."""
    raw = text.encode()
    if len(raw) > limit or (cut_from is not None and len(cut_from) > 2 * limit):
        return raw[: limit - len(_TRUNCATED)].decode(errors="ignore") + _TRUNCATED
    return text


def clean_error(text: str) -> str:
    """Agent error text as kept: control characters (but newline and tab) removed,
    at most MAX_ERROR_BYTES of UTF-8, cut on a character boundary."""
    cleaned = _ERROR_CONTROL.sub("", text[: 2 * MAX_ERROR_BYTES]).strip()
    cleaned = bounded(cleaned, MAX_ERROR_BYTES, cut_from=text)
    return cleaned or "the agent reported a failure without a message"


def job_message(job: Job, chain: str | None = None) -> pb.Job:
    """The wire form of a job (upstream's `Job` message), every field filled as
    upstream fills it; `chain` is the settlement chain of a `settle` job."""
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
        sequences1=job.sequences1,
        sequences2=job.sequences2,
        data=job.data,
        # The chain counts starts (start_job adds one): a job handed out is on
        # its book attempts + 1, as upstream's agents read it.
        attempts=job.attempts + (1 if job.state is JobState.RUNNING else 0),
        created_at=max(job.created_at, 0),
        updated_at=max(job.updated_at, 0),
    )
    if job.description is not None:
        message.description = job.description
    if job.block_number is not None:
        message.block_number = job.block_number
    if chain is not None:
        message.chain = chain
    return message
