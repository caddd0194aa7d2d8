"""The data-availability and secrets calls of the agent API: agents read what a
data availability store holds, and the secrets scoped to them or their app
instance.

Not served yet: each answers UNIMPLEMENTED naming what it needs. Serving one is
writing its handler here (it replaces the name below) and its test.
"""

from __future__ import annotations

from coordinator.rpc.calls import AgentCalls, unserved

__all__ = ["UNSERVED", "DataCalls"]

UNSERVED: dict[str, str] = {
    "ReadDataAvailability": "a data availability store (Walrus)",
    "RetrieveSecret": "a secrets store",
}


@unserved(UNSERVED)
class DataCalls(AgentCalls):
    """ReadDataAvailability, RetrieveSecret."""
