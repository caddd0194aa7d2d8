"""The `registry` Move module of the coordination package, as the simulator runs it.

The shared `SilvanaRegistry` with its developers, their agents and the agents'
methods (`registry.move`, `developer.move`, `agent.move` of SilvanaOne/silvana):
every change is one `registry::*` transaction emitting the events those
modules emit. Only the simulator's own actions (a scenario, the admin API,
tests) reach it: a coordinator never writes the registry. Its objects render
the JSON a fullnode returns, as those of `coordinator.simnet.objects` do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from coordinator.events import (
    AgentCreatedEvent,
    BcsEvent,
    DefaultMethodRemovedEvent,
    DefaultMethodSetEvent,
    DeveloperCreatedEvent,
    MethodAddedEvent,
    MethodRemovedEvent,
    MethodUpdatedEvent,
    bcs,
    normalize_address,
)
from coordinator.simnet.chain import derived_address
from coordinator.simnet.engine import Engine
from coordinator.simnet.errors import SimnetError, UnknownObject
from coordinator.simnet.move_object import Json, MoveObject
from coordinator.simnet.objects import STRING_TYPE, table, vec_map


@dataclass
class AgentMethod:
    docker_image: str
    docker_sha256: str | None = None
    min_memory_gb: int = 1
    min_cpu_cores: int = 1
    requires_tee: bool = False

    def json(self) -> Json:
        return {
            "docker_image": self.docker_image,
            "docker_sha256": self.docker_sha256,
            "min_memory_gb": self.min_memory_gb,
            "min_cpu_cores": self.min_cpu_cores,
            "requires_tee": self.requires_tee,
        }


@dataclass
class Agent(MoveObject):
    type_name: ClassVar[str] = "agent::Agent"
    name: str = ""
    image: str | None = None
    description: str | None = None
    site: str | None = None
    chains: tuple[str, ...] = ()
    methods: dict[str, AgentMethod] = field(default_factory=dict)
    default_method: AgentMethod | None = None
    created_at: int = 0
    updated_at: int = 0
    version: int = 1

    def json(self) -> Json:
        return {
            **self._as_is("id", "name", "image", "description", "site"),
            "chains": list(self.chains),
            "methods": vec_map({name: method.json() for name, method in self.methods.items()}),
            "default_method": self.default_method.json() if self.default_method else None,
            **self._as_u64("created_at", "updated_at", "version"),
        }


@dataclass
class Developer(MoveObject):
    type_name: ClassVar[str] = "developer::Developer"
    name: str = ""
    github: str = ""
    image: str | None = None
    description: str | None = None
    site: str | None = None
    owner: str = ""
    agents_table: str = ""
    agents: dict[str, Agent] = field(default_factory=dict)
    created_at: int = 0
    updated_at: int = 0
    version: int = 1

    def json(self) -> Json:
        return {
            **self._as_is("id", "name", "github", "image", "description", "site"),
            "agents": table(self.agents_table, len(self.agents)),
            "owner": self.owner,
            **self._as_u64("created_at", "updated_at", "version"),
        }


@dataclass
class Registry(MoveObject):
    type_name: ClassVar[str] = "registry::SilvanaRegistry"
    name: str = "silvana"
    version: int = 1
    admin: str = ""
    developers_table: str = ""
    developers: dict[str, Developer] = field(default_factory=dict)
    developers_index_table: str = ""
    apps_table: str = ""
    apps_index_table: str = ""

    def json(self) -> Json:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "admin": self.admin,
            "developers": table(self.developers_table, len(self.developers)),
            "developers_index": table(self.developers_index_table, 0),
            "apps": table(self.apps_table, 0),
            "apps_index": table(self.apps_index_table, 0),
        }


class Registries:
    """The registry object and the actions that change it."""

    def __init__(self, engine: Engine, registry_id: str | None = None) -> None:
        self.engine = engine
        ids = engine.ids
        self.registry = Registry(
            id=normalize_address(registry_id or derived_address("registry", engine.package_id)),
            object_version=1,
            admin=engine.sender,
            developers_table=ids.new(),
            developers_index_table=ids.new(),
            apps_table=ids.new(),
            apps_index_table=ids.new(),
        )
        registry = self.registry
        engine.objects.add(registry)
        engine.objects.add_table(
            registry.developers_table, STRING_TYPE, bcs.STRING, registry.developers
        )

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
        engine = self.engine
        if name in self.registry.developers:
            raise SimnetError(f"developer {name!r} exists")
        now = engine.now()
        dev = Developer(
            id=engine.ids.new(), object_version=0, name=name, github=github, image=image,
            description=description, site=site, owner=normalize_address(owner or engine.sender),
            agents_table=engine.ids.new(), created_at=now, updated_at=now,
        )  # fmt: skip
        self.registry.developers[name] = dev
        engine.create(dev, self.registry)
        engine.objects.add_table(dev.agents_table, STRING_TYPE, bcs.STRING, dev.agents)
        event = DeveloperCreatedEvent(
            id=dev.id, name=name, github=github, image=image, description=description,
            site=site, owner=dev.owner, created_at=now,
        )  # fmt: skip
        engine.submit("registry::add_developer", [event])
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
        engine = self.engine
        dev = self.developer(developer)
        if name in dev.agents:
            raise SimnetError(f"developer {developer!r} already has agent {name!r}")
        now = engine.now()
        agent = Agent(
            id=engine.ids.new(), object_version=0, name=name, image=image,
            description=description, site=site, chains=tuple(chains),
            created_at=now, updated_at=now,
        )  # fmt: skip
        dev.agents[name] = agent
        engine.create(agent, dev)
        event = AgentCreatedEvent(
            id=agent.id, name=name, image=image, description=description, site=site,
            chains=agent.chains, created_at=now,
        )  # fmt: skip
        engine.submit("registry::add_agent", [event])
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
        now = self.engine.now()
        agent.version += 1
        agent.updated_at = now
        self.engine.touch(agent)
        return now

    def _method(self, developer: str, agent: str, method: str) -> tuple[Agent, AgentMethod]:
        target = self.agent(developer, agent)
        if method not in target.methods:
            raise UnknownObject(f"agent {developer}/{agent} has no method {method!r}")
        return target, target.methods[method]

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
        return self.engine.submit(
            "registry::update_method" if update else "registry::add_method", [event]
        )

    def remove_method(self, developer: str, agent: str, method: str) -> str:
        target, _ = self._method(developer, agent, method)
        del target.methods[method]
        now = self._change_agent(target)
        event = MethodRemovedEvent(
            agent_id=target.id, developer_name=developer, agent_name=agent,
            method_name=method, agent_version=target.version, removed_at=now,
        )  # fmt: skip
        return self.engine.submit("registry::remove_method", [event])

    def set_default_method(self, developer: str, agent: str, method: str) -> str:
        """Make a copy of `method` the agent's default (DefaultMethodSetEvent)."""
        target, spec = self._method(developer, agent, method)
        target.default_method = AgentMethod(**vars(spec))
        now = self._change_agent(target)
        fields = self._method_event_fields(developer, target, method, spec)
        event = DefaultMethodSetEvent.model_validate({**fields, "set_at": now})
        return self.engine.submit("registry::set_default_method", [event])

    def remove_default_method(self, developer: str, agent: str) -> str:
        target = self.agent(developer, agent)
        target.default_method = None
        now = self._change_agent(target)
        event = DefaultMethodRemovedEvent(
            agent_id=target.id, developer_name=developer, agent_name=agent,
            agent_version=target.version, removed_at=now,
        )  # fmt: skip
        return self.engine.submit("registry::remove_default_method", [event])
