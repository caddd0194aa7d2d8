"""`Simnet`: the simulated chain and the actions that change it.

Every action is one transaction, emitting the events the coordination
package's Move code emits (BCS through the `coordinator.events` models), and
lands in the next sealed checkpoint. Objects change at once, as on a fullnode
that has executed the transaction.

Event.package_id / Event.module name the *top-level Move call*, as on Sui:
agent and developer actions are calls of `registry::*`, job actions of
`app_instance::*` (SilvanaOne/silvana, move/coordination). So an
`emit_module = PKG::jobs` filter matches nothing here, just as on the real
chain; `event_type = PKG::jobs` does. `event_module="type"` makes
Event.module the event type's module instead, for clients that assume it.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import trio

from coordinator._pb.sui.rpc.v2.executed_transaction_pb2 import ExecutedTransaction
from coordinator.events import (
    AgentCreatedEvent,
    AppInstanceCreatedEvent,
    BcsEvent,
    DefaultMethodRemovedEvent,
    DefaultMethodSetEvent,
    DeveloperCreatedEvent,
    JobCompletedEvent,
    JobCreatedEvent,
    JobDeletedEvent,
    JobFailedEvent,
    JobStatus,
    JobUpdatedEvent,
    MethodAddedEvent,
    MethodRemovedEvent,
    MethodUpdatedEvent,
    Writer,
    bcs,
    normalize_address,
)
from coordinator.events.layouts import DEFAULT_LAYOUT, LAYOUT_EVENTS, SHARED_EVENTS, Layout
from coordinator.simnet import movejobs
from coordinator.simnet.chain import Chain, CheckpointRecord, EventRecord, TxRecord, hash_parts
from coordinator.simnet.coins import Coins, GasCoin
from coordinator.simnet.faults import FaultGate, Faults
from coordinator.simnet.objects import (
    STRING_TYPE,
    U64_TYPE,
    Agent,
    AgentMethod,
    AppInstance,
    AppMethod,
    Developer,
    Ids,
    Job,
    MoveObject,
    ObjectStore,
    Registry,
)

log = logging.getLogger("coordinator.simnet")

DEFAULT_PACKAGE_ID = normalize_address("0x5117a7a")
NOISE_PACKAGE_ID = normalize_address("0xdec0de")
EventModule = Literal["entry", "type"]

_TYPE_MODULE = {
    model: module
    for models in (SHARED_EVENTS, *LAYOUT_EVENTS.values())
    for (module, _), model in models.items()
}
_PENDING = JobStatus(kind="pending")
_RUNNING = JobStatus(kind="running")


def derived_address(kind: str, package_id: str) -> str:
    """A stable address for `kind` on a package (registry id, default sender)."""
    return "0x" + hash_parts(kind.encode(), normalize_address(package_id)).hex()


class SimnetError(Exception):
    """An action the chain would refuse: an unknown name or a job in the wrong state."""


class UnknownObject(SimnetError):
    pass


class Simnet:
    """The simulator's state; serve it with `coordinator.simnet.server.serve`."""

    def __init__(
        self,
        *,
        package_id: str = DEFAULT_PACKAGE_ID,
        registry_id: str | None = None,
        checkpoint_interval_secs: float = 1.0,
        faults: Faults | None = None,
        noise: bool = False,
        event_module: EventModule = "entry",
        retain_checkpoints: int | None = None,
        sender: str | None = None,
        clock_ms: Callable[[], int] | None = None,
        layout: Layout = DEFAULT_LAYOUT,
        reference_gas_price: int = 1000,
    ) -> None:
        if not (checkpoint_interval_secs >= 0 and math.isfinite(checkpoint_interval_secs)):
            raise ValueError("checkpoint_interval_secs must be a finite number >= 0")
        if retain_checkpoints is not None and retain_checkpoints < 1:
            raise ValueError("retain_checkpoints must be >= 1")
        self.package_id = normalize_address(package_id)
        # The package version imitated: its job events, rules and objects.
        self.layout: Layout = layout
        self.checkpoint_interval_secs = checkpoint_interval_secs
        self.noise = noise
        self.event_module: EventModule = event_module
        self.retain_checkpoints = retain_checkpoints
        if reference_gas_price < 1:
            raise ValueError("reference_gas_price must be >= 1 MIST")
        self.reference_gas_price = reference_gas_price
        self.sender = normalize_address(sender or derived_address("sender", self.package_id))
        self.clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self.chain = Chain(self.clock_ms)
        self.objects = ObjectStore(self.package_id)
        self.coins = Coins(self.package_id)
        # Signed transactions executed, by digest: their answer, to give again.
        self.executed: dict[str, ExecutedTransaction] = {}
        self.gate = FaultGate(faults)
        self.app_instances: dict[str, AppInstance] = {}
        self.jobs_created = 0
        self.last_tx: TxRecord | None = None
        self._ids = Ids(self.package_id)
        self._lamport = 1
        self._at_checkpoint: dict[int, list[Callable[[], object]]] = {}
        self._after_secs: list[tuple[float, Callable[[], object]]] = []
        self._nursery: trio.Nursery | None = None

        ids = self._ids
        self.registry = Registry(
            id=normalize_address(registry_id or derived_address("registry", self.package_id)),
            object_version=1,
            admin=self.sender,
            developers_table=ids.new(),
            developers_index_table=ids.new(),
            apps_table=ids.new(),
            apps_index_table=ids.new(),
        )
        registry = self.registry
        self.objects.add(registry)
        self.objects.add_table(
            registry.developers_table,
            STRING_TYPE,
            lambda: [(bcs.STRING.to_bytes(name), dev) for name, dev in registry.developers.items()],
        )

    # --- faults and counters ----------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self.gate.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self.gate.faults = faults

    @property
    def rpc_counts(self) -> Counter[str]:
        """Sui calls by method name (refused ones included), for RPCs-per-job figures."""
        return self.gate.rpc_counts

    # --- the transaction machinery --------------------------------------------------

    def _now(self) -> int:
        return self.clock_ms()

    def _touch(self, *objects: MoveObject) -> None:
        for obj in objects:
            obj.object_version = self._lamport

    def _record(self, event: BcsEvent, entry_module: str, sender: str | None = None) -> EventRecord:
        type_module = _TYPE_MODULE[type(event)]
        return EventRecord(
            package_id=self.package_id,
            module=entry_module if self.event_module == "entry" else type_module,
            sender=sender or self.sender,
            event_type=f"{self.package_id}::{type_module}::{type(event).__name__}",
            contents=event.to_bcs(),
        )

    def _submit(
        self, function: str, events: Sequence[BcsEvent], sender: str | None = None
    ) -> str:
        """One transaction calling `module::function` of the package; returns its digest."""
        module = function.split("::", 1)[0]
        tx = self.chain.submit(
            sender or self.sender,
            f"{self.package_id}::{function}",
            [self._record(event, module, sender) for event in events],
        )
        self.objects.wrote(self._lamport, tx.digest)
        self._lamport += 1
        self.last_tx = tx
        return tx.digest

    @property
    def next_version(self) -> int:
        """The version the next transaction gives every object it writes (Sui's
        Lamport version: above any version an input has)."""
        return self._lamport

    def event_record(self, event: BcsEvent, sender: str) -> EventRecord:
        """An event of an `app_instance::*` call sent by `sender`."""
        return self._record(event, "app_instance", sender)

    def submit_transaction(
        self, function: str, events: Sequence[BcsEvent], *, sender: str, tx_digest: str
    ) -> TxRecord:
        """Queue a signed transaction (its objects already written at
        `next_version`) with its events for the next checkpoint."""
        tx = self.chain.submit(
            sender, function, [self.event_record(e, sender) for e in events], tx_digest
        )
        self.objects.wrote(self._lamport, tx.digest)
        self._lamport += 1
        self.last_tx = tx
        return tx

    def app_by_id(self, object_id: str) -> AppInstance | None:
        try:
            wanted = normalize_address(object_id)
        except ValueError:
            return None
        return next((a for a in self.app_instances.values() if a.id == wanted), None)

    # --- gas coins ----------------------------------------------------------------------

    def fund(self, address: str, amount: int) -> GasCoin:
        """A new SUI coin of `amount` MIST for `address`, as a faucet's transfer
        (a transaction without events); ValueError for a bad amount or address."""
        coin = self.coins.mint(normalize_address(address), amount, self._lamport)
        tx = self.chain.submit(self.sender, "0x2::pay::split_and_transfer", [])
        self._lamport += 1
        self.last_tx = tx
        return coin

    # --- registry: developers, agents, methods ------------------------------------------

    def developer(self, name: str) -> Developer:
        try:
            return self.registry.developers[name]
        except KeyError:
            raise UnknownObject(f"no developer {name!r}") from None

    def agent(self, developer: str, name: str) -> Agent:
        try:
            return self.developer(developer).agents[name]
        except KeyError:
            raise UnknownObject(f"developer {developer!r} has no agent {name!r}") from None

    def register_developer(
        self,
        name: str,
        *,
        github: str = "",
        image: str | None = None,
        description: str | None = None,
        site: str | None = None,
        owner: str | None = None,
    ) -> Developer:
        if name in self.registry.developers:
            raise SimnetError(f"developer {name!r} exists")
        now = self._now()
        dev = Developer(
            id=self._ids.new(),
            object_version=0,
            name=name,
            github=github,
            image=image,
            description=description,
            site=site,
            owner=normalize_address(owner or self.sender),
            agents_table=self._ids.new(),
            created_at=now,
            updated_at=now,
        )
        self.registry.developers[name] = dev
        self.objects.add(dev)
        self.objects.add_table(
            dev.agents_table,
            STRING_TYPE,
            lambda: [(bcs.STRING.to_bytes(agent_name), a) for agent_name, a in dev.agents.items()],
        )
        self._touch(self.registry, dev)
        event = DeveloperCreatedEvent(
            id=dev.id,
            name=name,
            github=github,
            image=image,
            description=description,
            site=site,
            owner=dev.owner,
            created_at=now,
        )
        self._submit("registry::add_developer", [event])
        return dev

    def register_agent(
        self,
        developer: str,
        name: str,
        *,
        image: str | None = None,
        description: str | None = None,
        site: str | None = None,
        chains: Sequence[str] = (),
    ) -> Agent:
        dev = self.developer(developer)
        if name in dev.agents:
            raise SimnetError(f"developer {developer!r} already has agent {name!r}")
        now = self._now()
        agent = Agent(
            id=self._ids.new(),
            object_version=0,
            name=name,
            image=image,
            description=description,
            site=site,
            chains=tuple(chains),
            created_at=now,
            updated_at=now,
        )
        dev.agents[name] = agent
        self.objects.add(agent)
        self._touch(dev, agent)
        event = AgentCreatedEvent(
            id=agent.id,
            name=name,
            image=image,
            description=description,
            site=site,
            chains=agent.chains,
            created_at=now,
        )
        self._submit("registry::add_agent", [event])
        return agent

    def _method_event_fields(
        self, developer: str, agent: Agent, name: str, method: AgentMethod
    ) -> dict[str, object]:
        return {
            "agent_id": agent.id,
            "developer_name": developer,
            "agent_name": agent.name,
            "method_name": name,
            "docker_image": method.docker_image,
            "docker_sha256": method.docker_sha256,
            "min_memory_gb": method.min_memory_gb,
            "min_cpu_cores": method.min_cpu_cores,
            "requires_tee": method.requires_tee,
            "agent_version": agent.version,
        }

    def _change_agent(self, agent: Agent) -> int:
        now = self._now()
        agent.version += 1
        agent.updated_at = now
        self._touch(agent)
        return now

    def add_method(
        self,
        developer: str,
        agent: str,
        method: str,
        *,
        docker_image: str,
        docker_sha256: str | None = None,
        min_memory_gb: int = 1,
        min_cpu_cores: int = 1,
        requires_tee: bool = False,
        update: bool = False,
    ) -> str:
        """Add a method (MethodAddedEvent); with `update`, replace one (MethodUpdatedEvent)."""
        target = self.agent(developer, agent)
        exists = method in target.methods
        if exists != update:
            state = "already has" if exists else "has no"
            raise SimnetError(f"agent {developer}/{agent} {state} method {method!r}")
        spec = AgentMethod(docker_image, docker_sha256, min_memory_gb, min_cpu_cores, requires_tee)
        target.methods[method] = spec
        now = self._change_agent(target)
        fields = self._method_event_fields(developer, target, method, spec)
        if update:
            event: BcsEvent = MethodUpdatedEvent.model_validate({**fields, "updated_at": now})
        else:
            event = MethodAddedEvent.model_validate({**fields, "added_at": now})
        return self._submit(
            "registry::update_method" if update else "registry::add_method", [event]
        )

    def update_method(
        self,
        developer: str,
        agent: str,
        method: str,
        *,
        docker_image: str,
        docker_sha256: str | None = None,
        min_memory_gb: int = 1,
        min_cpu_cores: int = 1,
        requires_tee: bool = False,
    ) -> str:
        return self.add_method(
            developer,
            agent,
            method,
            docker_image=docker_image,
            docker_sha256=docker_sha256,
            min_memory_gb=min_memory_gb,
            min_cpu_cores=min_cpu_cores,
            requires_tee=requires_tee,
            update=True,
        )

    def remove_method(self, developer: str, agent: str, method: str) -> str:
        target = self.agent(developer, agent)
        if target.methods.pop(method, None) is None:
            raise UnknownObject(f"agent {developer}/{agent} has no method {method!r}")
        now = self._change_agent(target)
        event = MethodRemovedEvent(
            agent_id=target.id,
            developer_name=developer,
            agent_name=agent,
            method_name=method,
            agent_version=target.version,
            removed_at=now,
        )
        return self._submit("registry::remove_method", [event])

    def set_default_method(self, developer: str, agent: str, method: str) -> str:
        """Make a copy of `method` the agent's default (DefaultMethodSetEvent)."""
        target = self.agent(developer, agent)
        if method not in target.methods:
            raise UnknownObject(f"agent {developer}/{agent} has no method {method!r}")
        spec = target.methods[method]
        target.default_method = AgentMethod(**vars(spec))
        now = self._change_agent(target)
        fields = self._method_event_fields(developer, target, method, spec)
        event = DefaultMethodSetEvent.model_validate({**fields, "set_at": now})
        return self._submit("registry::set_default_method", [event])

    def remove_default_method(self, developer: str, agent: str) -> str:
        target = self.agent(developer, agent)
        target.default_method = None
        now = self._change_agent(target)
        event = DefaultMethodRemovedEvent(
            agent_id=target.id,
            developer_name=developer,
            agent_name=agent,
            agent_version=target.version,
            removed_at=now,
        )
        return self._submit("registry::remove_default_method", [event])

    # --- app instances and jobs ---------------------------------------------------------

    def app_instance(self, name_or_id: str) -> AppInstance:
        """An app instance by scenario name or by object id."""
        if name_or_id in self.app_instances:
            return self.app_instances[name_or_id]
        for app in self.app_instances.values():
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
    ) -> AppInstance:
        """An app instance; `methods` are the app's methods (what CreateAppJob may name)."""
        if name in self.app_instances:
            raise SimnetError(f"app instance {name!r} exists")
        if not 1 <= max_attempts <= 255:
            raise SimnetError("max_attempts must be 1..255 (a u8)")
        now = self._now()
        instance = AppInstance(
            id=self._ids.new(),
            object_version=0,
            name=name,
            app=app or name,
            admin=normalize_address(admin or self.sender),
            jobs_uid=self._ids.new(),
            jobs_table=self._ids.new(),
            max_attempts=max_attempts,
            layout=self.layout,
            description=description,
            methods=dict(methods or {}),
            created_at=now,
            updated_at=now,
        )
        self.app_instances[name] = instance
        self.objects.add(instance)
        self.objects.add_table(
            instance.jobs_table,
            U64_TYPE,
            lambda: [(bcs.U64.to_bytes(job_id), job) for job_id, job in instance.jobs.items()],
        )
        self._touch(instance)
        instance.initial_shared_version = instance.object_version
        event = AppInstanceCreatedEvent(
            app_instance_address=instance.id, admin=instance.admin, created_at=now
        )
        self._submit("app_instance::create_app_instance", [event])
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
    ) -> Job:
        """A pending job (JobCreatedEvent); ids count up per app instance from 1.
        `interval_ms` (2025-11) makes it periodic, first due at once."""
        app = self.app_instance(app_instance)
        now = self._now()
        job = Job(
            id=self._ids.new(),
            object_version=0,
            job_id=app.next_job_id,
            layout=self.layout,
            description=description,
            developer=developer,
            agent=agent,
            agent_method=method,
            app=app.app,
            app_instance=app.app_instance,
            app_instance_method=app_instance_method or method,
            sequences=None if sequences is None else tuple(sequences),
            data=bytes(data),
            status=_PENDING,
            created_at=now,
            updated_at=now,
        )
        if self.layout == "2025-11":
            job.block_number, job.interval_ms = block_number, interval_ms
            job.next_scheduled_at = None if interval_ms is None else now
            created, events = movejobs.create_job(app, job, self._call(now))
            if not created:
                raise SimnetError(f"create_job refused: {events}")
            app.updated_at = now
            self.objects.add(job)
            self._touch(app, job)
            self._submit("app_instance::create_app_job", events)
            self.jobs_created += 1
            return job
        event = JobCreatedEvent(
            job_id=job.job_id,
            description=description,
            developer=developer,
            agent=agent,
            agent_method=method,
            app=job.app,
            app_instance=job.app_instance,
            app_instance_method=job.app_instance_method,
            sequences=job.sequences,
            data=job.data,
            status=_PENDING,
            created_at=now,
        )
        app.next_job_id += 1
        app.jobs[job.job_id] = job
        app.pending_jobs.append(job.job_id)
        app.updated_at = now
        self.objects.add(job)
        self._touch(app, job)
        self._submit("app_instance::create_app_job", [event])
        self.jobs_created += 1
        return job

    def _start(self, app: AppInstance, job: Job, now: int) -> JobUpdatedEvent:
        if job.status.kind != "pending":
            raise SimnetError(f"job {job.job_id} is {job.status.kind}, not pending")
        job.status = _RUNNING
        job.attempts += 1
        job.updated_at = now
        app.pending_jobs.remove(job.job_id)
        return JobUpdatedEvent(
            job_id=job.job_id, status=_RUNNING, attempts=job.attempts, updated_at=now
        )

    def _started(self, app: AppInstance, job: Job, now: int) -> list[BcsEvent]:
        """Start a pending job first (one transaction doing both, like a multicall)."""
        return [self._start(app, job, now)] if job.status.kind == "pending" else []

    def _delete(self, app: AppInstance, job: Job, now: int) -> JobDeletedEvent:
        del app.jobs[job.job_id]
        if job.job_id in app.pending_jobs:
            app.pending_jobs.remove(job.job_id)
        self.objects.remove(job.id)
        return JobDeletedEvent(job_id=job.job_id, deleted_at=now)

    def _call(self, now: int, sender: str | None = None) -> movejobs.Call:
        return movejobs.Call(sender=sender or self.sender, now=now)

    def _move(self, app: AppInstance, function: str,
              operation: Callable[[], list[BcsEvent]], sender: str | None = None) -> str:
        """Land a 2025-11 job operation as one transaction: the objects of jobs
        it removed from the table are deleted, the ones it changed written (as
        on Sui: a job the call did not change keeps its version and writer)."""
        before = dict(app.jobs)
        rendered = {sequence: job.json() for sequence, job in before.items()}
        events = operation()
        for sequence, job in before.items():
            if sequence not in app.jobs:
                self.objects.remove(job.id)
        app.updated_at = self._now()
        self._touch(app, *[job for sequence, job in app.jobs.items()
                           if rendered.get(sequence) != job.json()])
        return self._submit(f"app_instance::{function}", events, sender)

    def _move_started(self, app: AppInstance, job_id: int, now: int) -> list[BcsEvent]:
        """Start a pending job first (a start and the settling call in one transaction)."""
        job = app.jobs.get(job_id)
        if job is None or job.status.kind != "pending":
            return []
        return movejobs.start_job(app, job_id, self._call(now))[1]

    def start_job(self, app_instance: str, job_id: int, *, sender: str | None = None) -> str:
        """Pending -> running, attempts + 1 (JobUpdatedEvent; 2025-11: and JobStartedEvent),
        sent by `sender` (a coordinator's address; default the simulator's own)."""
        app, job = self.app_instance(app_instance), self.job(app_instance, job_id)
        now = self._now()
        sender = None if sender is None else normalize_address(sender)
        if self.layout == "2025-11":
            call = self._call(now, sender)
            return self._move(app, "start_app_job",
                              lambda: movejobs.start_job(app, job_id, call)[1], sender)
        event = self._start(app, job, now)
        self._touch(app, job)
        return self._submit("app_instance::start_app_job", [event], sender)

    def fail_job(self, app_instance: str, job_id: int, error: str) -> str:
        """JobFailedEvent, then JobUpdatedEvent(Pending) or, at max attempts, JobDeletedEvent.

        A pending job is started first in the same transaction.
        """
        app, job = self.app_instance(app_instance), self.job(app_instance, job_id)
        now = self._now()
        if self.layout == "2025-11":
            return self._move(app, "fail_app_job", lambda: self._move_started(app, job_id, now)
                              + movejobs.fail_job(app, job_id, error, self._call(now))[1])
        events = self._started(app, job, now)
        events.append(
            JobFailedEvent(
                job_id=job_id,
                app_instance=job.app_instance,
                error=error,
                attempts=job.attempts,
                failed_at=now,
            )
        )
        if job.attempts < app.max_attempts:
            job.status = _PENDING
            job.updated_at = now
            app.pending_jobs.append(job_id)
            events.append(
                JobUpdatedEvent(
                    job_id=job_id, status=_PENDING, attempts=job.attempts, updated_at=now
                )
            )
            self._touch(job)
        else:
            events.append(self._delete(app, job, now))
        self._touch(app)
        return self._submit("app_instance::fail_app_job", events)

    def complete_job(self, app_instance: str, job_id: int) -> str:
        """JobCompletedEvent then JobDeletedEvent; a pending job is started first."""
        app, job = self.app_instance(app_instance), self.job(app_instance, job_id)
        now = self._now()
        if self.layout == "2025-11":
            return self._move(app, "complete_app_job", lambda: self._move_started(app, job_id, now)
                              + movejobs.complete_job(app, job_id, self._call(now))[1])
        events = self._started(app, job, now)
        events.append(
            JobCompletedEvent(job_id=job_id, app_instance=job.app_instance, completed_at=now)
        )
        events.append(self._delete(app, job, now))
        self._touch(app)
        return self._submit("app_instance::complete_app_job", events)

    def terminate_job(self, app_instance: str, job_id: int) -> str:
        """Remove a job as terminate_app_job does (2025-11: JobTerminated then
        JobDeleted; 2025-08: JobDeleted)."""
        app, job = self.app_instance(app_instance), self.job(app_instance, job_id)
        if self.layout == "2025-11":
            call = self._call(self._now())
            return self._move(app, "terminate_app_job",
                              lambda: movejobs.terminate_job(app, job_id, call)[1])
        event = self._delete(app, job, self._now())
        self._touch(app)
        return self._submit("app_instance::terminate_app_job", [event])

    def emit_raw(
        self,
        event_type: str,
        contents: bytes,
        *,
        module: str | None = None,
        sender: str | None = None,
    ) -> str:
        """Emit any bytes as an event of `event_type` (`0xPKG::module::Name`, or
        `module::Name` in this package), e.g. a malformed payload."""
        parts = event_type.split("::")
        if len(parts) == 2:
            parts.insert(0, self.package_id)
        if len(parts) != 3:
            raise SimnetError(f"event type {event_type!r} is not [0xPKG::]module::Name")
        package = normalize_address(parts[0])
        call_module = module or parts[1]
        record = EventRecord(
            package_id=package,
            module=call_module,
            sender=normalize_address(sender or self.sender),
            event_type=f"{package}::{parts[1]}::{parts[2]}",
            contents=bytes(contents),
        )
        tx = self.chain.submit(record.sender, f"{package}::{call_module}::emit", [record])
        self.last_tx = tx
        return tx.digest

    # --- checkpoints and time -------------------------------------------------------------

    def at_checkpoint(self, sequence: int, action: Callable[[], object]) -> None:
        """Run `action` just before checkpoint `sequence` is sealed (its transaction lands
        in that checkpoint), or before the next seal when that one is already sealed."""
        sequence = max(sequence, len(self.chain.checkpoints))
        self._at_checkpoint.setdefault(sequence, []).append(action)

    def after_secs(self, seconds: float, action: Callable[[], object]) -> None:
        """Run `action` `seconds` after `run()` starts (from now when it runs already)."""
        if self._nursery is not None:
            self._nursery.start_soon(self._timer, trio.current_time() + seconds, action)
        else:
            self._after_secs.append((seconds, action))

    def _run_action(self, action: Callable[[], object]) -> None:
        try:
            action()
        except SimnetError as exc:
            log.error("scheduled action failed: %s", exc)

    def seal(self) -> CheckpointRecord:
        """Seal the queued transactions (and noise, when on) into the next checkpoint."""
        sequence = len(self.chain.checkpoints)
        for action in self._at_checkpoint.pop(sequence, []):
            self._run_action(action)
        if self.noise:
            self._add_noise(sequence)
        record = self.chain.seal()
        if self.retain_checkpoints is not None:
            self.chain.prune(sequence - self.retain_checkpoints + 1)
        self._log_checkpoint(record)
        return record

    def _add_noise(self, sequence: int) -> None:
        """Background traffic: another package's event every checkpoint, an event of
        another module of this package every other checkpoint."""
        writer = Writer()
        writer.address(derived_address("pool", NOISE_PACKAGE_ID))
        writer.u64(sequence * 7)
        writer.u64(sequence * 5)
        sender = derived_address("trader", NOISE_PACKAGE_ID)
        swap = EventRecord(
            NOISE_PACKAGE_ID, "dex", sender, f"{NOISE_PACKAGE_ID}::dex::SwapEvent",
            writer.getvalue(), noise=True,
        )  # fmt: skip
        self.chain.submit(sender, f"{NOISE_PACKAGE_ID}::dex::swap", [swap])
        if sequence % 2 == 0:
            writer = Writer()
            writer.u64(sequence)
            block = EventRecord(
                self.package_id, "block", self.sender,
                f"{self.package_id}::block::BlockCreatedEvent", writer.getvalue(), noise=True,
            )  # fmt: skip
            self.chain.submit(self.sender, f"{self.package_id}::block::create_block", [block])

    def _log_checkpoint(self, record: CheckpointRecord) -> None:
        names = Counter(
            event.event_type.rsplit("::", 1)[-1]
            for _, _, event in record.events()
            if not event.noise
        )
        if not names:
            what = "background events only" if record.transactions else "empty"
            log.debug("checkpoint %d sealed (%s)", record.sequence_number, what)
            return
        summary = ", ".join(f"{name} x{count}" for name, count in sorted(names.items()))
        log.info(
            "checkpoint %d sealed: %d transaction(s), %s",
            record.sequence_number,
            len(record.transactions),
            summary,
        )

    async def settle(self, tx: TxRecord) -> int:
        """Wait until `tx` is sealed (sealing at once without an interval); its checkpoint."""
        if tx.checkpoint is None and self.checkpoint_interval_secs == 0:
            self.seal()
        return await self.chain.wait_sealed(tx)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Seal a checkpoint every `checkpoint_interval_secs` (never when 0) and run the
        timed actions; forever."""
        start = trio.current_time()
        interval = self.checkpoint_interval_secs
        # Armed once: a second run() (a restarted child) does not repeat them.
        timers, self._after_secs = sorted(self._after_secs, key=lambda item: item[0]), []
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                for delay, action in timers:
                    nursery.start_soon(self._timer, start + delay, action)
                task_status.started()
                if interval == 0:
                    await trio.sleep_forever()
                beat = start
                while True:
                    beat += interval
                    await trio.sleep_until(beat)
                    self.seal()
        finally:
            self._nursery = None

    async def _timer(self, deadline: float, action: Callable[[], object]) -> None:
        await trio.sleep_until(deadline)
        self._run_action(action)
        if self.checkpoint_interval_secs == 0:
            self.seal()

    def stats(self) -> dict[str, int]:
        return {
            "checkpoint_height": self.chain.tip.sequence_number,
            "lowest_available_checkpoint": self.chain.lowest_available,
            "transactions": self.chain.transaction_count,
            "events": self.chain.event_count,
            "jobs_created": self.jobs_created,
            "jobs_pending": sum(len(a.pending_jobs) for a in self.app_instances.values()),
            "open_streams": self.gate.open_streams,
        }
