"""`Simnet`: the simulated chain with the coordination package's Move modules.

The engine (`engine.Engine`: transactions, objects, gas coins, checkpoints
and time) knows no Move module; the modules of `coordinator.simnet.move`
hold their state and rules. `Simnet` puts them together and offers their
actions under one name, for the server, scenarios and tests. Every action is
one transaction, emitting the events the coordination package's Move code
emits (BCS through the `coordinator.events` models), and lands in the next
sealed checkpoint. Objects change at once, as on a fullnode that has executed
the transaction.
"""

from __future__ import annotations

from typing import Any

from coordinator.simnet.engine import Engine
from coordinator.simnet.move import app_instance, block, jobs, prover, settlement
from coordinator.simnet.move.app_instance import AppInstances
from coordinator.simnet.move.registry import Registries


class Simnet(Engine):
    """The simulator's state; serve it with `coordinator.simnet.server.serve`."""

    def __init__(self, *, registry_id: str | None = None, **options: Any) -> None:
        """`registry_id` is the registry object's (by default derived from the
        package id); `options` are the engine's (`Engine.__init__`)."""
        super().__init__(**options)
        # The Move calls a signed transaction may make, one table per Move module.
        self.handlers = {
            **jobs.HANDLERS, **app_instance.HANDLERS, **prover.HANDLERS, **block.HANDLERS,
            **settlement.HANDLERS,
        }

        # module `registry`: developers, agents, methods
        self.registries = Registries(self, registry_id)
        self.registry = self.registries.registry
        self.developer = self.registries.developer
        self.agent = self.registries.agent
        self.register_developer = self.registries.register_developer
        self.register_agent = self.registries.register_agent
        self.add_method = self.registries.add_method
        self.remove_method = self.registries.remove_method
        self.set_default_method = self.registries.set_default_method
        self.remove_default_method = self.registries.remove_default_method

        # module `app_instance` (with the job rules of module `jobs`)
        self.apps = AppInstances(self)
        self.app_instances = self.apps.by_name
        self.app_instance = self.apps.app_instance
        self.job = self.apps.job
        self.create_app_instance = self.apps.create_app_instance
        self.create_job = self.apps.create_job
        self.start_job = self.apps.start_job
        self.fail_job = self.apps.fail_job
        self.complete_job = self.apps.complete_job
        self.terminate_job = self.apps.terminate_job
        # modules `prover`, `sequence_state`, `block`, `settlement`: any call
        # of theirs (e.g. `sui.calls.block.IncreaseSequence`) as one transaction
        self.move_call = self.apps.move_call

    def stats(self) -> dict[str, int]:
        return {**super().stats(), "jobs_pending": self.apps.pending_count()}
