"""The owners whose state the metrics and the health checks read.

Each owner keeps its own state (see `coordinator.status`); the metrics read it
at scrape time, on the Trio thread, instead of the daemon updating gauges as
it goes. `app.py` hands them over in one `Observed`.
"""

from __future__ import annotations

from dataclasses import dataclass

from coordinator.dispatcher import DispatchStatus
from coordinator.jobs import JobBook
from coordinator.registry import Registry
from coordinator.runner import Runner
from coordinator.settlement import Settler
from coordinator.status import DaemonStatus
from coordinator.store import Store
from coordinator.sui.chain_status import ChainStatus


@dataclass(frozen=True)
class Observed:
    status: DaemonStatus
    chain: ChainStatus
    handled: DispatchStatus
    book: JobBook
    registry: Registry
    runner: Runner
    store: Store
    settler: Settler | None = None  # None without a key: nothing settles on chain
