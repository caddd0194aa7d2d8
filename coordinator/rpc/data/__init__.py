"""The data-availability and secrets calls of the agent API: agents read what a
data availability store holds, and the secrets scoped to them or to their app
instance. Neither is served yet (`unserved`)."""

from __future__ import annotations

from coordinator.rpc.calls import AgentCalls, unserved

__all__ = ["UNSERVED", "DataCalls"]

UNSERVED = {"ReadDataAvailability": "a data availability store (Walrus)",
            "RetrieveSecret": "a secrets store"}


@unserved(UNSERVED)
class DataCalls(AgentCalls):
    """ReadDataAvailability, RetrieveSecret."""
