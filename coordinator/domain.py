"""The coordinator's own vocabulary: plain values shared by the store, the job
layer, the registry, the socket service and the container supervisors.

Boundary models (config, chain events, RPC messages) are pydantic or protobuf;
inside the daemon a job is this small mutable dataclass.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


class AgentKey(NamedTuple):
    """Jobs queue and containers run per (developer, agent, agent method)."""

    developer: str
    agent: str
    agent_method: str

    def __str__(self) -> str:
        return f"{self.developer}/{self.agent}/{self.agent_method}"


class JobRef(NamedTuple):
    """Job ids are numbered per app instance, so a job is named by both."""

    app_instance: str
    job_id: int

    def __str__(self) -> str:
        return f"{self.job_id}@{self.app_instance[:12]}"


# The app-instance methods of the proof pipeline's own jobs (upstream's names):
# a settle job settles proved blocks on one chain, a merge job merges two proofs.
SETTLE_METHOD = "settle"
MERGE_METHOD = "merge"


class JobState(StrEnum):
    PENDING = "pending"  # waiting for a container (or for its retry time)
    RUNNING = "running"  # handed to a container session
    COMPLETED = "completed"
    DEAD = "dead"  # failed with no attempts left; the last error is kept
    DROPPED = "dropped"  # completed or deleted on chain by someone else

    @property
    def terminal(self) -> bool:
        return self not in (JobState.PENDING, JobState.RUNNING)


@dataclass(frozen=True, order=True)
class EventId:
    """An event's identity on chain: (transaction digest, index in that transaction)."""

    tx_digest: str
    event_index: int

    def __str__(self) -> str:
        return f"{self.tx_digest}#{self.event_index}"


@dataclass(slots=True)  # thousands wait in the book: no __dict__ each
class Job:
    app_instance: str
    job_id: int
    developer: str
    agent: str
    agent_method: str
    app: str = ""
    app_instance_method: str = ""
    description: str | None = None
    # What the job is about, as the chain's Job object says (upstream's `Job`):
    # the block, the sequences, and for a merge the two sequence ranges.
    block_number: int | None = None
    sequences: tuple[int, ...] = ()
    sequences1: tuple[int, ...] = ()
    sequences2: tuple[int, ...] = ()
    data: bytes = b""
    created_at: int = 0  # chain time, ms
    updated_at: int = 0
    state: JobState = JobState.PENDING
    attempts: int = 0
    last_error: str = ""
    session_id: str | None = None
    # Wall-clock seconds: a retried job waits until then; a job handed out
    # without a session must be settled before `lease_until`.
    not_before: float = 0.0
    lease_until: float = 0.0

    def __post_init__(self) -> None:
        # The pending jobs of an app instance share its id and a few names:
        # one copy each, not one per job (read from sqlite or decoded, each is new).
        self.app_instance = sys.intern(self.app_instance)
        self.developer = sys.intern(self.developer)
        self.agent = sys.intern(self.agent)
        self.agent_method = sys.intern(self.agent_method)
        self.app = sys.intern(self.app)
        self.app_instance_method = sys.intern(self.app_instance_method)

    @property
    def ref(self) -> JobRef:
        return JobRef(self.app_instance, self.job_id)

    @property
    def handout_order(self) -> tuple[bool, bool, int, int, int, int]:
        """Which of a key's ready jobs is handed out first (upstream's job
        searcher): settle jobs, then by block ascending (no block last), fewer
        sequences first, then the job's sequence (and arrival, across instances)."""
        return (self.app_instance_method != SETTLE_METHOD, self.block_number is None,
                self.block_number or 0, len(self.sequences), self.job_id, self.created_at)

    @property
    def key(self) -> AgentKey:
        return AgentKey(self.developer, self.agent, self.agent_method)


@dataclass(frozen=True)
class AgentMethod:
    """How to run an agent method: the chain's `AgentMethod` struct."""

    docker_image: str
    docker_sha256: str | None = None
    min_memory_gb: int = 0
    min_cpu_cores: int = 0
    requires_tee: bool = False
    agent_id: str = ""  # the Agent object, to invalidate on AgentUpdated/Deleted


@dataclass
class Session:
    """One agent container's right to take and settle jobs of its key."""

    session_id: str = field(repr=False)  # the agent's credential: never in a log line
    key: AgentKey
    started_at: float
    # The session key as `suiprivkey1...` (SESSION_PRIVATE_KEY), whose address is
    # the session id, as upstream makes sessions; a secret like the id.
    private_key: str = field(repr=False)
    held: set[JobRef] = field(default_factory=set)
    # The job the container was started for, until GetJob hands it over.
    reserved: JobRef | None = None
    # The settlement chain of the first settle job handed to this session: a
    # session settles one chain (upstream locks it), its later settle jobs
    # must be of that chain.
    settle_chain: str | None = None


class OperationKind(StrEnum):
    """The coordinator's Move calls on a job (`app_instance::*_app_job`), the
    app-instance calls it makes for its agents (`coordinator.agent_writes`), and
    the proof pipeline's calls (`coordinator.pipeline_writes`)."""

    START = "start"  # the claim: the job is ours once the chain says true
    COMPLETE = "complete"
    FAIL = "fail"
    TERMINATE = "terminate"
    SET_KV = "set_kv"
    DELETE_KV = "delete_kv"
    ADD_METADATA = "add_metadata"
    CREATE_APP_JOB = "create_app_job"
    # The pipeline's queued calls: in the app instance's batch, after its job
    # operations, in upstream's command order (`batched`).
    UPDATE_STATE = "update_state_for_sequence"
    SUBMIT_PROOF = "submit_proof"
    CREATE_SETTLE_JOB = "create_settle_job"  # a `create_app_job` naming a chain
    CREATE_MERGE_JOB = "create_merge_job"
    # The pipeline's direct calls: each alone in a transaction, like agent writes.
    REJECT_PROOF = "reject_proof"
    TRY_CREATE_BLOCK = "try_create_block"
    BLOCK_STATE_DA = "update_block_state_data_availability"
    BLOCK_PROOF_DA = "update_block_proof_data_availability"
    SETTLEMENT_TX_HASH = "update_block_settlement_tx_hash"
    SETTLEMENT_INCLUDED = "update_block_settlement_tx_included_in_block"
    PURGE = "purge"

    @property
    def agent_write(self) -> bool:
        """Sent in a transaction of its own, answered to whoever waits (an agent's
        write, or a direct pipeline call)."""
        return self in _AGENT_WRITES or self in _PIPELINE_DIRECT

    @property
    def pipeline_direct(self) -> bool:
        """A direct pipeline call: sent at most once (its effect may be undone by
        a repeat, e.g. a state descriptor wiping the proof descriptor)."""
        return self in _PIPELINE_DIRECT

    @property
    def batched(self) -> bool:
        """A queued pipeline call: it rides in the app instance's batch after the
        job operations, answered by nobody (the agent was answered at queueing)."""
        return self in PIPELINE_BATCHED

    @property
    def job_operation(self) -> bool:
        """start, complete, fail, terminate: in `multicall_app_job_operations`."""
        return self in _JOB_OPERATIONS


_JOB_OPERATIONS = frozenset({OperationKind.START, OperationKind.COMPLETE, OperationKind.FAIL,
                             OperationKind.TERMINATE})
_AGENT_WRITES = frozenset({OperationKind.SET_KV, OperationKind.DELETE_KV,
                           OperationKind.ADD_METADATA, OperationKind.CREATE_APP_JOB})
# Upstream's command order within a transaction (after the job operations'
# multicall): states, proofs, app jobs (settle), merges.
PIPELINE_BATCHED = (OperationKind.UPDATE_STATE, OperationKind.SUBMIT_PROOF,
                    OperationKind.CREATE_SETTLE_JOB, OperationKind.CREATE_MERGE_JOB)
_PIPELINE_DIRECT = frozenset({
    OperationKind.REJECT_PROOF, OperationKind.TRY_CREATE_BLOCK, OperationKind.BLOCK_STATE_DA,
    OperationKind.BLOCK_PROOF_DA, OperationKind.SETTLEMENT_TX_HASH,
    OperationKind.SETTLEMENT_INCLUDED, OperationKind.PURGE})


@dataclass
class ChainOperation:
    """One job operation in the outbox: written before it is sent, removed once
    the chain has answered it (true or false), so a crash loses none."""

    kind: OperationKind
    app_instance: str
    job_sequence: int
    error: str = ""  # the failure reason a `fail` reports on chain
    created_at: float = 0.0  # wall clock
    state: str = "due"  # due (to send, maybe after `next_try_at`) | sent (answer awaited)
    op_id: int = 0  # the outbox row, 0 until written
    attempts: int = 0  # sends that got no answer from the chain
    next_try_at: float = 0.0  # wall clock; after a failed send
    last_error: str = ""
    # An agent write's arguments (JSON, `coordinator.agent_writes`); its
    # `job_sequence` is the job of the agent that asked.
    args: str = ""

    @property
    def ref(self) -> JobRef:
        return JobRef(self.app_instance, self.job_sequence)
