"""The data-availability and secrets calls of the agent API: agents read what a
data availability store holds (not served yet, `unserved`), and the secrets
scoped to them or to their app instance (`retrieve_secret`)."""

from __future__ import annotations

from coordinator.rpc.calls import unserved
from coordinator.rpc.data.retrieve_secret import RetrieveSecretCall

__all__ = ["UNSERVED", "DataCalls"]

UNSERVED = {"ReadDataAvailability": "a data availability store (Walrus)"}


@unserved(UNSERVED)
class DataCalls(RetrieveSecretCall):
    """ReadDataAvailability, RetrieveSecret."""
