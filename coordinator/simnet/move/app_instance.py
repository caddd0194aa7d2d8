"""The `app_instance` Move module of the coordination package, as the simulator runs it.

The calls an agent reaches through its coordinator: `set_kv`, `delete_kv`,
`add_metadata` and `create_app_job` of `app_instance.move` (SilvanaOne/silvana
d1563ea), and those that tie jobs to the proof pipeline: `create_merge_job`
(a merge's proofs reserved, then its job), a settle job's chain
(`settlement_job`, set by `create_app_job`, cleared by `terminate_app_job`
and a multicall's terminations). Like the job rules (`jobs`), each function
changes the app instance in place and returns whether it applied and the
events it emits. Unlike the job calls, one of them aborts: `add_metadata` of
a key the instance already has fails in `vec_map::insert` (`MoveAbort`),
which fails the whole transaction. `HANDLERS` registers them with the
engine; `AppInstances` holds the instances and the simulator's own entry
calls (`pipeline` has the pipeline's).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from coordinator.events import AppInstanceCreatedEvent, BcsEvent, bcs, normalize_address
from coordinator.events.models import KVDeletedEvent, KVSetEvent, MetadataAddedEvent
from coordinator.events.models_2025_11 import OperationFailedEvent
from coordinator.simnet import handlers, tables
from coordinator.simnet.engine import Engine
from coordinator.simnet.errors import SimnetError, UnknownObject
from coordinator.simnet.handlers import Call, Handler, Handlers, MoveAbort, NewId, Result
from coordinator.simnet.move import block, jobs, jobs_2025_08, prover
from coordinator.simnet.objects import U64_TYPE, AppInstance, AppMethod, Job
from coordinator.simnet.pipeline_objects import MIN_TIME_BETWEEN_BLOCKS_MS, Pipeline, SequenceStates
from coordinator.sui.calls import Operation, move_function
from coordinator.sui.calls.app_instance import AddMetadata, CreateAppJob, DeleteKV, SetKV
from coordinator.sui.calls.jobs import Multicall, TerminateJob
from coordinator.sui.calls.prover import CreateMergeJob, StartProving

# sui::vec_map's abort code for an insert of a key it holds.
VEC_MAP_KEY_ALREADY_EXISTS = 0
# app_instance.move's reasons (its error constants).
METHOD_NOT_FOUND = "Method not found in app instance"
SETTLEMENT_CHAIN_NOT_FOUND = "Settlement chain not found"
SETTLEMENT_JOB_EXISTS = "Settlement job already exists for this chain"


def set_kv(app: AppInstance, request: SetKV, call: Call, new_id: NewId) -> Result:
    """Replace or add the key (a replaced key moves to the end, as remove + insert do)."""
    key, value = request.key, request.value
    app.kv.pop(key, None)
    app.kv[key] = value
    return True, [KVSetEvent(app_instance_address=app.id, key=key, value=value)]


def delete_kv(app: AppInstance, request: DeleteKV, call: Call, new_id: NewId) -> Result:
    """Remove the key; a missing key changes nothing and emits nothing."""
    if request.key not in app.kv:
        return True, []
    del app.kv[request.key]
    return True, [KVDeletedEvent(app_instance_address=app.id, key=request.key)]


def add_metadata(app: AppInstance, request: AddMetadata, call: Call, new_id: NewId) -> Result:
    """Insert the key; aborts when the instance has it (metadata is written once)."""
    key, value = request.key, request.value
    if key in app.metadata:
        raise MoveAbort("vec_map", "insert", VEC_MAP_KEY_ALREADY_EXISTS)
    app.metadata[key] = value
    return True, [MetadataAddedEvent(app_instance_address=app.id, key=key, value=value)]


def create_app_job(app: AppInstance, request: CreateAppJob, call: Call, new_id: NewId) -> Result:
    """A pending job for one of the instance's methods (`new_id` gives the new
    object's id); an unknown method or settlement chain is refused with an
    OperationFailedEvent and no job, as on chain."""
    object_id = new_id()  # drawn even when refused: each call of a transaction has its own
    method = app.methods.get(request.method_name)
    chain = request.settlement_chain
    settlement = None if chain is None else app.pipeline.settlements.get(chain)
    reason = None
    if method is None:
        reason = METHOD_NOT_FOUND
    elif chain is not None and settlement is None:
        reason = SETTLEMENT_CHAIN_NOT_FOUND
    elif settlement is not None and settlement.settlement_job is not None:
        reason = SETTLEMENT_JOB_EXISTS
    if method is None or reason is not None:
        return False, [OperationFailedEvent(
            operation="create_job", entity_type="app_instance", entity_id=0,
            reason=reason or METHOD_NOT_FOUND, caller=call.sender, timestamp=call.now,
            additional_data=request.method_name.encode(),
        )]
    job = Job(
        id=object_id, object_version=0, layout=app.layout,
        description=request.description, developer=method.developer, agent=method.agent,
        agent_method=method.agent_method, app=app.app, app_instance=app.app_instance,
        app_instance_method=request.method_name, block_number=request.block_number,
        sequences=request.sequences, sequences1=request.sequences1,
        sequences2=request.sequences2, data=request.data, interval_ms=request.interval_ms,
        next_scheduled_at=request.next_scheduled_at,
    )
    created, events = jobs.create_job(app, job, call)
    if created and settlement is not None:
        settlement.settlement_job = job.job_id
    return created, events


def create_merge_job(app: AppInstance, request: CreateMergeJob, call: Call, new_id: NewId
                     ) -> Result:
    """Reserve the merge's two proofs, then its `merge` job (no job, and an
    OperationFailedEvent, when they cannot be reserved)."""
    started, events = prover.start_proving_call(app, StartProving(
        request.block_number, request.sequences, request.merged_sequences_1,
        request.merged_sequences_2), call, new_id)
    if not started:
        return False, [*events, OperationFailedEvent(
            operation="create_merge_job", entity_type="app_instance", entity_id=0,
            reason="Failed to reserve proofs for merge", caller=call.sender,
            timestamp=call.now, additional_data=None,
        )]  # fmt: skip
    created, job_events = create_app_job(app, CreateAppJob(
        "merge", request.job_description, request.block_number, request.sequences,
        request.merged_sequences_1, request.merged_sequences_2), call, new_id)
    return created, events + job_events


def _clear_settlement_job(app: AppInstance, sequence: int, *, first_only: bool) -> None:
    """A settle job that goes frees its chain for the next one."""
    for settlement in app.pipeline.settlements.values():
        if settlement.settlement_job == sequence:
            settlement.settlement_job = None
            if first_only:
                return


def terminate_app_job(app: AppInstance, sequence: int, call: Call) -> Result:
    """`terminate_app_job`: an existing job's chain (the first that names it)
    is freed, then the job terminated."""
    if sequence in app.jobs:
        _clear_settlement_job(app, sequence, first_only=True)
    return jobs.terminate_job(app, sequence, call)


def _multicall(app: AppInstance, request: Multicall, call: Call, new_id: NewId) -> Result:
    """Every chain naming a job to terminate is freed first, whether the job exists or not."""
    for sequence in request.terminate:
        _clear_settlement_job(app, sequence, first_only=False)
    return jobs.HANDLERS[Multicall].run(app, request, call, new_id)


HANDLERS: Handlers = {
    SetKV: Handler(set_kv),
    DeleteKV: Handler(delete_kv),
    AddMetadata: Handler(add_metadata),
    CreateAppJob: Handler(create_app_job),
    CreateMergeJob: Handler(create_merge_job),
    TerminateJob: Handler(lambda app, request, call, new_id: terminate_app_job(
        app, request.job_sequence, call), jobs.HANDLERS[TerminateJob].jobs),
    Multicall: Handler(_multicall, jobs.HANDLERS[Multicall].jobs),
}


@dataclass(frozen=True)
class JobRules:
    """A layout's job rules as the simulator's own calls run them: each changes
    the instance and returns the events it emits."""

    start: Callable[[AppInstance, int, Call], list[BcsEvent]]
    fail: Callable[[AppInstance, int, str, Call], list[BcsEvent]]
    complete: Callable[[AppInstance, int, Call], list[BcsEvent]]
    terminate: Callable[[AppInstance, int, Call], list[BcsEvent]]


def _started(app: AppInstance, job_id: int, call: Call) -> list[BcsEvent]:
    """Start a pending job first (a start and the settling call in one transaction)."""
    job = app.jobs.get(job_id)
    if job is None or job.status.kind != "pending":
        return []
    return jobs.start_job(app, job_id, call)[1]


RULES_2025_11 = JobRules(
    start=lambda app, job_id, call: jobs.start_job(app, job_id, call)[1],
    fail=lambda app, job_id, error, call: (
        _started(app, job_id, call) + jobs.fail_job(app, job_id, error, call)[1]
    ),
    complete=lambda app, job_id, call: (
        _started(app, job_id, call) + jobs.complete_job(app, job_id, call)[1]
    ),
    terminate=lambda app, job_id, call: terminate_app_job(app, job_id, call)[1],
)
RULES_2025_08 = JobRules(
    jobs_2025_08.start_job, jobs_2025_08.fail_job, jobs_2025_08.complete_job,
    jobs_2025_08.terminate_job,
)


class AppInstances:
    """The app instances on the simulated chain, and the simulator's own calls of
    `app_instance::*` (create an instance or a job, start, fail, complete or
    terminate a job), each one transaction landed through the engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.by_name: dict[str, AppInstance] = {}

    def app_instance(self, name_or_id: str) -> AppInstance:
        """An app instance by scenario name or by object id."""
        if name_or_id in self.by_name:
            return self.by_name[name_or_id]
        for app in self.by_name.values():
            if name_or_id.lower() in (app.id, app.app_instance):
                return app
        raise UnknownObject(f"no app instance {name_or_id!r}")

    def job(self, app_instance: str, job_id: int) -> Job:
        app = self.app_instance(app_instance)
        try:
            return app.jobs[job_id]
        except KeyError:
            raise UnknownObject(f"app instance {app.name!r} has no job {job_id}") from None

    def create_app_instance(
        self, name: str, *, app: str | None = None, admin: str | None = None, max_attempts: int = 3,
        description: str | None = None, methods: Mapping[str, AppMethod] | None = None,
        settlement_chains: Mapping[str, str | None] | None = None,
        min_time_between_blocks: int = MIN_TIME_BETWEEN_BLOCKS_MS, commits_actions: bool = True,
    ) -> AppInstance:
        """An app instance; `methods` are the app's methods (what CreateAppJob may
        name), `settlement_chains` its chains with their settlement addresses;
        `commits_actions` False stands for an app whose rollback log stays
        empty (its `purge` aborts, as on chain)."""
        engine = self.engine
        if name in self.by_name:
            raise SimnetError(f"app instance {name!r} exists")
        if not 1 <= max_attempts <= 255:
            raise SimnetError("max_attempts must be 1..255 (a u8)")
        if min_time_between_blocks < MIN_TIME_BETWEEN_BLOCKS_MS:  # EMinTimeBetweenBlocksTooLow
            raise SimnetError(f"min_time_between_blocks must be >= {MIN_TIME_BETWEEN_BLOCKS_MS}")
        now = engine.now()
        instance = AppInstance(
            id=engine.ids.new(),
            object_version=0,
            name=name,
            app=app or name,
            admin=normalize_address(admin or engine.sender),
            jobs_uid=engine.ids.new(),
            jobs_table=engine.ids.new(),
            max_attempts=max_attempts,
            layout=engine.layout,
            description=description,
            methods=dict(methods or {}),
            created_at=now,
            updated_at=now,
            pipeline=Pipeline(
                engine.ids.new(), engine.ids.new(),
                SequenceStates(engine.ids.new(), engine.ids.new()),
                min_time_between_blocks=min_time_between_blocks, commits_actions=commits_actions,
            ),
        )
        events = block.genesis(instance, list((settlement_chains or {}).items()),
                               Call(engine.sender, now), engine.ids.new)
        self.by_name[name] = instance
        engine.create(instance)
        engine.objects.add_table(instance.jobs_table, U64_TYPE, bcs.U64, instance.jobs)
        tables.register(engine.objects, instance)
        engine.touch(*instance.pipeline.children())
        instance.initial_shared_version = instance.object_version
        engine.submit("app_instance::create_app_instance", [*events, AppInstanceCreatedEvent(
            app_instance_address=instance.id, admin=instance.admin, created_at=now
        )])  # fmt: skip
        return instance

    def create_job(
        self,
        app_instance: str,
        *,
        developer: str,
        agent: str,
        method: str,
        data: bytes = b"",
        description: str | None = None,
        app_instance_method: str | None = None,
        sequences: Sequence[int] | None = None,
        interval_ms: int | None = None,
        block_number: int | None = None,
        sequences1: Sequence[int] | None = None,
        sequences2: Sequence[int] | None = None,
        settlement_chain: str | None = None,
    ) -> Job:
        """A pending job (JobCreatedEvent); ids count up per app instance from 1.
        2025-11 only: `interval_ms` makes it periodic, first due at once; a
        block number and a merge's two sequence lists; `settlement_chain` makes
        it that settlement's job, as `create_app_job` does."""
        engine = self.engine
        app = self.app_instance(app_instance)
        now = engine.now()
        job = Job(
            id=engine.ids.new(),
            object_version=0,
            job_id=app.next_job_id,
            layout=engine.layout,
            description=description,
            developer=developer,
            agent=agent,
            agent_method=method,
            app=app.app,
            app_instance=app.app_instance,
            app_instance_method=app_instance_method or method,
            sequences=None if sequences is None else tuple(sequences),
            data=bytes(data),
            status=jobs.PENDING,
            created_at=now,
            updated_at=now,
        )
        if engine.layout == "2025-11":
            job.block_number, job.interval_ms = block_number, interval_ms
            job.sequences1 = None if sequences1 is None else tuple(sequences1)
            job.sequences2 = None if sequences2 is None else tuple(sequences2)
            job.next_scheduled_at = None if interval_ms is None else now
            created, events = jobs.create_job(app, job, Call(engine.sender, now))
            if not created:
                raise SimnetError(f"create_job refused: {events}")
            if settlement_chain is not None:
                app.pipeline.settlements[settlement_chain].settlement_job = job.job_id
        else:
            events = jobs_2025_08.create_job(app, job, now)
        app.updated_at = now
        engine.create(job, app)
        engine.submit("app_instance::create_app_job", events)
        engine.jobs_created += 1
        return job

    def _job_call(self, app_instance: str, job_id: int, function: str,
                  rule: Callable[[AppInstance, Call], list[BcsEvent]],
                  sender: str | None = None) -> str:
        """`app_instance::function` on a job, which must exist (`_transaction`)."""
        self.job(app_instance, job_id)
        return self._transaction(self.app_instance(app_instance), function, rule, sender)

    def _transaction(self, app: AppInstance, function: str,
                     rule: Callable[[AppInstance, Call], list[BcsEvent]],
                     sender: str | None = None) -> str:
        """`app_instance::function` by `rule`, at the Clock's time, landed as one
        transaction: the objects of jobs and pipeline entries it removed are
        deleted, the ones it created or changed written (as on Sui: an object
        the call did not change keeps its version and writer)."""
        engine = self.engine
        before = dict(app.jobs)
        rendered = {sequence: job.json() for sequence, job in before.items()}
        children = tables.snapshot(app)
        events = rule(app, Call(sender or engine.sender, engine.now()))
        for sequence, job in before.items():
            if sequence not in app.jobs:
                engine.objects.remove(job.id)
        for sequence, job in app.jobs.items():
            if sequence not in before:
                engine.objects.add(job)
                engine.jobs_created += 1
        if engine.layout == "2025-11":
            app.updated_at = engine.now()
        engine.touch(app, *[job for sequence, job in app.jobs.items()
                            if rendered.get(sequence) != job.json()],
                     *tables.sync(engine.objects, app, children))
        return engine.submit(f"app_instance::{function}", events, sender)

    def move_call(self, app_instance: str, operation: Operation, *,
                  sender: str | None = None) -> str:
        """Any call a signed transaction may make (the proof pipeline's among
        them: `IncreaseSequence`, `SubmitProof`, ...), run directly as one
        transaction sent by `sender` (default the simulator's own address),
        for a test or an app developer driving an instance without keys or
        gas. A Move abort raises SimnetError and changes nothing."""
        engine = self.engine
        app = self.app_instance(app_instance)
        handler = engine.handlers.get(type(operation))
        if handler is None:
            raise SimnetError(f"{type(operation).__name__} is not a call of this package")
        caller = normalize_address(sender or engine.sender)
        seed = (engine.package_id, "move_call", engine.next_version)
        try:  # on a copy first: an abort must leave the instance as it was
            handler.run(copy.deepcopy(app), operation, Call(caller, engine.now()),
                        handlers.derived_ids(*seed))
        except MoveAbort as abort:
            raise SimnetError(str(abort)) from None
        return self._transaction(
            app, move_function(operation),
            lambda live, call: handler.run(live, operation, call, handlers.derived_ids(*seed))[1],
            caller,
        )  # fmt: skip

    @property
    def _rules(self) -> JobRules:
        return RULES_2025_11 if self.engine.layout == "2025-11" else RULES_2025_08

    def start_job(self, app_instance: str, job_id: int, *, sender: str | None = None) -> str:
        """Pending -> running, attempts + 1 (JobUpdatedEvent; 2025-11: and JobStartedEvent),
        sent by `sender` (a coordinator's address; default the simulator's own)."""
        start = self._rules.start
        return self._job_call(
            app_instance, job_id, "start_app_job", lambda app, call: start(app, job_id, call),
            None if sender is None else normalize_address(sender),
        )  # fmt: skip

    def fail_job(self, app_instance: str, job_id: int, error: str) -> str:
        """JobFailedEvent, then JobUpdatedEvent(Pending) or, at max attempts, JobDeletedEvent.

        A pending job is started first in the same transaction.
        """
        fail = self._rules.fail
        return self._job_call(app_instance, job_id, "fail_app_job",
                              lambda app, call: fail(app, job_id, error, call))

    def complete_job(self, app_instance: str, job_id: int) -> str:
        """JobCompletedEvent then JobDeletedEvent; a pending job is started first."""
        complete = self._rules.complete
        return self._job_call(app_instance, job_id, "complete_app_job",
                              lambda app, call: complete(app, job_id, call))

    def terminate_job(self, app_instance: str, job_id: int) -> str:
        """Remove a job as terminate_app_job does (2025-11: JobTerminated then
        JobDeleted; 2025-08: JobDeleted)."""
        terminate = self._rules.terminate
        return self._job_call(app_instance, job_id, "terminate_app_job",
                              lambda app, call: terminate(app, job_id, call))

    def pending_count(self) -> int:
        return sum(len(app.pending_jobs) for app in self.by_name.values())
