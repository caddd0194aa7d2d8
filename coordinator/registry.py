"""Agent methods: what image runs a (developer, agent, method), and how.

The cache is fed by the agent module's events and persisted, so a restart
knows every method it saw. On a miss, with `sui.registry_id` configured, the
method is looked up on chain (registry -> developer -> agent objects, see
`ChainLookup`), and a miss there is remembered for a while; without it, the
job waits ("unknown agent method") until a MethodAddedEvent arrives.

The default method of an agent is stored under the method name "" and serves
jobs whose method name is empty.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.domain import AgentKey, AgentMethod
from coordinator.events import bcs
from coordinator.events.models import (
    AgentDeletedEvent,
    AgentUpdatedEvent,
    DefaultMethodRemovedEvent,
    DefaultMethodSetEvent,
    MethodAddedEvent,
    MethodRemovedEvent,
    MethodUpdatedEvent,
)
from coordinator.events.parser import CoordinationEvent
from coordinator.store import Ledger, LedgerWrite, Store
from coordinator.sui.client import SuiError
from coordinator.sui.objects import Connect, object_json, table_child

log = logging.getLogger("coordinator.registry")

MethodWatcher = Callable[[AgentKey, "AgentMethod | None"], None]
"""Told of every method the chain's events set (its new value) or remove (None)."""

# A method not found on chain is not asked for again before this.
MISS_TTL_SECS = 60.0


class Registry:
    def __init__(
        self,
        methods: dict[AgentKey, AgentMethod],
        lookup: ChainLookup | None = None,
        clock: Callable[[], float] = trio.current_time,
    ) -> None:
        self.methods = methods
        self.lookup = lookup
        self.clock = clock
        self._misses: dict[AgentKey, float] = {}
        self.changed = trio.Event()  # set when a method appears or changes
        self._watchers: list[MethodWatcher] = []

    @classmethod
    async def load(cls, store: Store, lookup: ChainLookup | None) -> Registry:
        return cls(await store.run(Ledger.methods), lookup)

    def __len__(self) -> int:
        return len(self.methods)

    def report(self, message: pb.GetStatusResponse, now: float) -> None:
        """The registry's part of the status."""
        message.registry_size = len(self.methods)

    def unknown_hint(self) -> str:
        """What gets a job whose agent method is unknown going."""
        if self.lookup is None:
            return ("a method registered before this coordinator first watched the chain is "
                    "known only from the registry: set sui.registry_id (env SILVANA_REGISTRY) "
                    "to look it up there; else the job waits for the method's MethodAddedEvent")
        return (f"not in registry {self.lookup.registry_id} either; the job waits for the "
                "method's MethodAddedEvent")

    def watch(self, watcher: MethodWatcher) -> None:
        """Call `watcher` on every method change the chain's events make (the
        image pre-puller's announcements)."""
        self._watchers.append(watcher)

    def cached(self, key: AgentKey) -> AgentMethod | None:
        return self.methods.get(key)

    async def resolve(self, key: AgentKey) -> AgentMethod | None:
        """The method from cache, else from chain when configured (cached too)."""
        method = self.methods.get(key)
        if method is not None or self.lookup is None:
            return method
        missed_at = self._misses.get(key)
        if missed_at is not None and self.clock() - missed_at < MISS_TTL_SECS:
            return None
        try:
            method = await self.lookup.method(key)
        except SuiError as exc:
            log.warning("looking up %s on chain failed: %s", key, exc)
            method = None
        if method is None:
            self._misses[key] = self.clock()
            return None
        self.methods[key] = method
        log.info("agent method %s found on chain: %s", key, method.docker_image)
        return method

    def _set(self, key: AgentKey, method: AgentMethod | None) -> list[LedgerWrite]:
        if method is None:
            self.methods.pop(key, None)
        else:
            self.methods[key] = method
            self._misses.pop(key, None)
            self.changed.set()
            self.changed = trio.Event()
        for watcher in self._watchers:
            watcher(key, method)
        return [lambda ledger: ledger.save_method(key, method)]

    def on_chain_event(self, event: CoordinationEvent) -> list[LedgerWrite]:
        """Apply an `agent` module event; return the writes that persist it."""
        payload = event.event
        if isinstance(payload, MethodAddedEvent | MethodUpdatedEvent | DefaultMethodSetEvent):
            name = "" if isinstance(payload, DefaultMethodSetEvent) else payload.method_name
            method = AgentMethod(
                docker_image=payload.docker_image, docker_sha256=payload.docker_sha256,
                min_memory_gb=payload.min_memory_gb, min_cpu_cores=payload.min_cpu_cores,
                requires_tee=payload.requires_tee, agent_id=payload.agent_id,
            )
            return self._set(AgentKey(payload.developer_name, payload.agent_name, name), method)
        if isinstance(payload, MethodRemovedEvent):
            key = AgentKey(payload.developer_name, payload.agent_name, payload.method_name)
            return self._set(key, None)
        if isinstance(payload, DefaultMethodRemovedEvent):
            return self._set(AgentKey(payload.developer_name, payload.agent_name, ""), None)
        if isinstance(payload, AgentUpdatedEvent | AgentDeletedEvent):
            # The agent changed as a whole: forget its methods; events that
            # follow (or a chain lookup) say what holds now.
            stale = [key for key, m in self.methods.items() if m.agent_id == payload.id]
            return [write for key in stale for write in self._set(key, None)]
        return []


class ChainLookup:
    """Finds an agent method by names on chain, from the SilvanaRegistry object:
    registry.developers (table) -> Developer.agents (table) -> Agent.methods."""

    def __init__(self, connect: Connect, registry_id: str) -> None:
        self._connect = connect
        self.registry_id = registry_id

    async def method(self, key: AgentKey) -> AgentMethod | None:
        async with self._connect() as client:
            registry = await object_json(client, self.registry_id)
            developer_id = await table_child(
                client, registry["developers"]["id"], bcs.STRING.to_bytes(key.developer)
            )
            if developer_id is None:
                return None
            developer = await object_json(client, developer_id)
            agent_id = await table_child(
                client, developer["agents"]["id"], bcs.STRING.to_bytes(key.agent)
            )
            if agent_id is None:
                return None
            agent = await object_json(client, agent_id)
        if key.agent_method == "":
            value = agent.get("default_method")
        else:
            entries = agent.get("methods", {}).get("contents", [])
            value = next((e["value"] for e in entries if e.get("key") == key.agent_method), None)
        if not value:
            return None
        return AgentMethod(
            docker_image=str(value["docker_image"]),
            docker_sha256=value.get("docker_sha256") or None,
            min_memory_gb=int(value.get("min_memory_gb", 0)),
            min_cpu_cores=int(value.get("min_cpu_cores", 0)),
            requires_tee=bool(value.get("requires_tee", False)),
            agent_id=agent_id,
        )
