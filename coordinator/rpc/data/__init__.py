"""The data-availability and secrets calls of the agent API: agents read what a
data availability store holds, and the secrets scoped to them or to their app
instance. Each call is a module of this package (a mixin of `AgentCalls`);
this module composes them into the area."""

from __future__ import annotations

from coordinator.rpc.calls import unserved
from coordinator.rpc.data.read_data import DataReads

__all__ = ["UNSERVED", "DataCalls"]

UNSERVED = {"RetrieveSecret": "a secrets store"}


@unserved(UNSERVED)
class DataCalls(DataReads):
    """ReadDataAvailability, RetrieveSecret."""
