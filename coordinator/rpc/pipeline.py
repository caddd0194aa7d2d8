"""What the proof pipeline's calls share: the caller's app instance's pipeline
read from the chain, data read from the proof store by descriptor, proof
events recorded, and the bounds of their requests.

Every such call acts on the app instance of the caller's running job (the one
authorization path, `AgentCalls`); the proofs, blocks, settlement and data
areas mix `PipelineAccess` in.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import purerpc

from coordinator.agent_writes import MAX_SEQUENCES
from coordinator.domain import Job
from coordinator.errors import describe
from coordinator.proof_rows import ProofEventRecord
from coordinator.proofs.errors import ProofStoreError
from coordinator.rpc.calls import AgentCalls, Refused
from coordinator.sui.client import SuiClient, SuiError
from coordinator.sui.pipeline_reads import PipelineState, pipeline_client, read_pipeline

__all__ = ["MAX_CHAIN_BYTES", "MAX_DESCRIPTOR_BYTES", "PipelineAccess", "check_text",
           "sequences_of"]

log = logging.getLogger("coordinator.rpc")

T = TypeVar("T")

# A settlement chain's name ("mina:devnet") and a descriptor as agents send them.
MAX_CHAIN_BYTES = 128
MAX_DESCRIPTOR_BYTES = 1024

Fail = Callable[[str], Exception]


def sequences_of(field: str, values: Sequence[int]) -> tuple[int, ...]:
    """A request's sequence list, as sent (at most MAX_SEQUENCES numbers)."""
    if len(values) > MAX_SEQUENCES:
        raise purerpc.InvalidArgumentError(f"{field} has more than {MAX_SEQUENCES} numbers")
    return tuple(values)


def check_text(field: str, value: str, limit: int) -> str:
    if len(value.encode()) > limit:
        raise purerpc.InvalidArgumentError(f"{field} is longer than {limit} bytes (UTF-8)")
    return value


class PipelineAccess(AgentCalls):
    """Reads of the caller's app instance's pipeline and of the proof store."""

    async def _pipeline(self, job: Job, read: Callable[[SuiClient, PipelineState], Awaitable[T]],
                        failed: str, fail: Fail = Refused) -> T:
        """`read` on the pipeline of `job`'s app instance as on chain now. The
        instance unreadable is `fail("Failed to fetch AppInstance: ...")`, the
        read failing `fail(f"{failed}: ...")` (upstream's words)."""
        if self.chain is None:
            raise fail("Failed to fetch AppInstance: this coordinator has no chain to read")
        stage = "Failed to fetch AppInstance"
        try:
            async with pipeline_client(self.chain, f"app instance {job.app_instance}") as client:
                state = await read_pipeline(client, job.app_instance)
                stage = failed
                return await read(client, state)
        except SuiError as exc:
            log.warning("pipeline of job %s not read: %s", job.ref, describe(exc))
            raise fail(f"{stage}: {exc}") from None

    async def _stored_text(self, descriptor: str) -> str:
        """The text stored under `descriptor` (proofs and states are strings);
        a `ProofStoreError` naming what failed."""
        if self.proofs is None:
            raise ProofStoreError("this coordinator has no proof store")
        data = await self.proofs.read(descriptor)
        try:
            return data.decode()
        except UnicodeDecodeError:
            raise ProofStoreError(f"{descriptor} does not hold UTF-8 text") from None

    async def _proof_event(self, job: Job, kind: str, block_number: int,
                           **details: Any) -> None:
        """Keep a proof event about `job` for the status and metrics (upstream
        sends it to its Silvana RPC service); `details`: the other fields of
        `ProofEventRecord`."""
        if self.proof_log is not None:
            await self.proof_log.record_event(ProofEventRecord(
                at=self.proof_log.clock(), app_instance=job.app_instance, job_id=job.job_id,
                kind=kind, block_number=block_number, **details))
