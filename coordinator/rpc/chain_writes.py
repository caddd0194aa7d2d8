"""What the proof pipeline's write calls share (SubmitProof, SubmitState,
RejectProof, TryCreateBlock, the UpdateBlock* calls): their checks, the proof
store, and the two ways to the chain through the settler's outbox (queued in
the batch, or direct).

Every one acts only on the caller's running job and that job's app instance
(`AgentCalls._job_of`): upstream checks the job's agent for SubmitProof,
RejectProof and SubmitState, and only that the job exists for TryCreateBlock
and the UpdateBlock* calls; we check the session and the job for all
(docs/pipeline-writes.md).

Two refusal styles, as upstream: SubmitProof, RejectProof and SubmitState
answer a gRPC error for an unknown session or job (`raises_refusals`:
UNAUTHENTICATED "Invalid session ID", PERMISSION_DENIED "Job does not belong
to requesting session", NOT_FOUND "Job not found: ..."); the others answer OK
with success=false (`answers_refusals`). Both go through `_job_of`.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import purerpc

from coordinator.agent_writes import MAX_SEQUENCES
from coordinator.domain import Job
from coordinator.pipeline_writes import BatchedCall, DirectCall
from coordinator.proofs.descriptor import Descriptor
from coordinator.proofs.errors import ObjectTooLarge, ProofStoreError
from coordinator.proofs.store import ProofStore
from coordinator.rpc.app_state import NO_KEY
from coordinator.rpc.calls import JobRequest, Refused
from coordinator.rpc.checks import invalid
from coordinator.rpc.pipeline import PipelineAccess
from coordinator.settlement import Settler, WriteAnswer

__all__ = ["NO_STORE", "PipelineWrites", "check_sequences"]

log = logging.getLogger("coordinator.rpc")

R = TypeVar("R")

NO_STORE = "{call} stores data and needs a proof store (the [proofs] settings)"


def check_sequences(field: str, values: Sequence[int], *, may_be_empty: bool = False
                    ) -> tuple[int, ...]:
    """A sequence list from a request: sorted ascending (upstream's check, its
    words), bounded, non-empty unless allowed (the chain aborts an empty one,
    which a queued call would carry into every batch)."""
    if not values and not may_be_empty:
        invalid(f"{field} must not be empty")
    if len(values) > MAX_SEQUENCES:
        invalid(f"{field} holds more than {MAX_SEQUENCES} sequences")
    if any(a > b for a, b in itertools.pairwise(values)):
        invalid("Sequences must be sorted" if field == "sequences"
                else f"Merged {field.replace('merged_', '').replace('_', ' ')} must be sorted")
    return tuple(values)


class PipelineWrites(PipelineAccess):
    """The store and the settler for the pipeline's writes."""

    def _pipeline_settler(self, call: str) -> Settler:
        if self.settler is None:
            raise purerpc.FailedPreconditionError(NO_KEY.format(call=call))
        return self.settler

    def _store_of(self, call: str) -> ProofStore:
        if self.proofs is None:
            raise purerpc.FailedPreconditionError(NO_STORE.format(call=call))
        return self.proofs

    async def _store(self, store: ProofStore, field: str, data: str) -> Descriptor:
        """`data` durably stored; its descriptor. Over the store's cap is the
        caller's error (INVALID_ARGUMENT); any other store failure raises
        ProofStoreError for the call to answer in its style."""
        try:
            return await store.store(data.encode())
        except ObjectTooLarge:
            invalid(f"{field}: {len(data.encode())} bytes, over the proof store's cap of "
                    f"{store.max_object_bytes}")
        except ProofStoreError as exc:
            log.error("proof store: %s not stored: %s", field, exc)
            raise

    async def _queue(self, settler: Settler, job: Job, call: BatchedCall) -> None:
        """`call` queued in the job's app instance's next batch (durable now)."""
        await settler.queue(call, job.app_instance, job.job_id)
        log.info("%s queued for job %s", type(call).__name__, job.ref)

    async def _direct(self, settler: Settler, job: Job, call: DirectCall) -> WriteAnswer:
        """`call` alone in a transaction for `job`; the chain's answer. At most
        MAX_WRITES_PER_SESSION of one session wait for the chain at once."""
        with self._write_slot(job):
            answer = await settler.send_direct(call, job.app_instance, job.job_id)
        log.info("%s for job %s: %s", type(call).__name__, job.ref, answer.message)
        return answer

    async def _job_write(self, name: str, request: JobRequest,
                         make: Callable[[Job], Awaitable[tuple[DirectCall, str]]],
                         response: Callable[..., R], failed: str) -> R:
        """A success=false-style direct write (TryCreateBlock, the UpdateBlock*
        calls): the caller's job (`Refused`), then `make(job)` -> (the call, the
        message of success), sent alone; a chain refusal or no answer is
        success=false, `failed` then the chain's reason, as upstream words it."""
        named = self._job_request(request)

        async def call() -> R:
            job = self._job_of(*named)
            settler = self._pipeline_settler(name)
            write, done = await make(job)
            answer = await self._direct(settler, job, write)
            if not answer.success:
                return response(success=False, message=f"{failed}: {answer.message}",
                                tx_hash=answer.digest)
            return response(success=True, message=done, tx_hash=answer.digest)

        return await self._limited(call)

    async def _stored_or_refused(self, name: str, field: str, data: str, failed: str) -> str:
        """`data` stored; its descriptor, or success=false `failed: why`."""
        try:
            return str(await self._store(self._store_of(name), field, data))
        except ProofStoreError as exc:
            raise Refused(f"{failed}: {exc}") from None
