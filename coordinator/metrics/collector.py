"""Metrics read from the daemon's status record at scrape time.

The owners' state (`Observed`: the chain connection, what the dispatcher
handled, the job book, the registry, the runner) already holds what the
console shows, so this collector turns that into Prometheus families on each
scrape instead of the daemon updating gauges as it goes. It runs on the Trio thread (the
endpoint calls it), like every other reader of that record.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

import trio
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from coordinator.domain import JobState
from coordinator.instruments import NAMESPACE
from coordinator.metrics.observed import Observed
from coordinator.status import MODES

CHAIN_STATES = ("starting", "connecting", "backfilling", "connected", "reconnecting")


def _name(suffix: str) -> str:
    return f"{NAMESPACE}_{suffix}"


class DaemonCollector(Collector):
    def __init__(self, observed: Observed) -> None:
        self.observed = observed

    def describe(self) -> list[GaugeMetricFamily]:
        # Nothing to describe ahead: the families depend on the record at scrape time.
        return []

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        status, chain = self.observed.status, self.observed.chain
        handled = self.observed.handled
        now = trio.current_time()
        wall = time.time()

        yield GaugeMetricFamily(
            _name("start_time_seconds"), "When the daemon started (Unix time).",
            value=wall - (now - status.started_at),
        )
        yield _one_hot(
            "mode", "How jobs are worked (1 for the current mode): chain (claimed, run "
            "and settled on chain), local (no key, local chain), observe (none run).",
            "mode", MODES, status.mode,
        )
        yield GaugeMetricFamily(
            _name("draining"), "1 while the daemon drains for shutdown.",
            value=self.observed.runner.draining.is_set(),
        )
        yield GaugeMetricFamily(
            _name("state_disk_full"),
            "1 while the state database's disk is full: no new work is taken.",
            value=self.observed.store.full_since is not None,
        )
        yield _one_hot("chain_state",
                       "The Sui stream's connection state (1 for the current one).",
                       "state", CHAIN_STATES, chain.state)
        yield GaugeMetricFamily(
            _name("chain_tip_checkpoint"), "Highest checkpoint the node reported.",
            value=chain.tip,
        )
        if handled.cursor is not None:
            yield GaugeMetricFamily(
                _name("chain_cursor_checkpoint"),
                "Checkpoint through which events are durably handled.", value=handled.cursor,
            )
            yield GaugeMetricFamily(
                _name("chain_lag_checkpoints"), "Checkpoints between the tip and the cursor.",
                value=max(0, chain.tip - handled.cursor),
            )
        if chain.heard_at is not None:
            yield GaugeMetricFamily(
                _name("chain_last_frame_timestamp_seconds"),
                "When the node last sent a stream frame or a checkpoint was done (Unix time).",
                value=wall - (now - chain.heard_at),
            )
        yield GaugeMetricFamily(
            _name("chain_backfilling"), "1 while a backfill of missed checkpoints runs.",
            value=chain.backfill_from is not None,
        )
        events = CounterMetricFamily(
            _name("events"), "Coordination events durably handled, by type.", labels=["type"],
        )
        for type_name, count in sorted(handled.events_by_type.items()):
            events.add_metric([type_name], count)
        yield events
        yield CounterMetricFamily(
            _name("events_duplicate"), "Replayed events the dispatcher skipped.",
            value=handled.duplicates,
        )
        yield from self._jobs()
        yield from self._runner()
        yield from self._outbox()
        yield from self._balance()

    def _balance(self) -> Iterator[GaugeMetricFamily]:
        settler = self.observed.settler
        if settler is None:
            return  # no key: no balance, rather than a made-up 0
        # The settler reads the balance every settle.balance_interval_secs (and
        # takes its own charges off between reads); before its first answer
        # there is no series.
        if settler.balance is not None:
            yield GaugeMetricFamily(
                _name("balance_mist"),
                "SUI held by the key's address, in MIST: settlement stops when it runs dry.",
                value=settler.balance,
            )
        yield GaugeMetricFamily(
            _name("min_balance_mist"),
            "settle.min_balance_mist: below it the daemon warns that settlement will stop.",
            value=settler.settings.min_balance_mist,
        )

    def _outbox(self) -> Iterator[GaugeMetricFamily]:
        settler = self.observed.settler
        if settler is None:
            return  # no key: no outbox, rather than a made-up 0
        yield GaugeMetricFamily(
            _name("outbox_operations"), "Job operations in the outbox, not yet answered on chain.",
            value=len(settler.outbox),
        )
        yield GaugeMetricFamily(
            _name("outbox_oldest_age_seconds"), "Age of the oldest operation in the outbox.",
            value=settler.oldest_age(time.time()),
        )

    def _jobs(self) -> Iterator[GaugeMetricFamily]:
        counts = self.observed.book.counts()
        jobs = GaugeMetricFamily(
            _name("jobs"), "Jobs in the job book, by state (finished ones are kept "
            "up to a bound).", labels=["state"],
        )
        for state in JobState:
            jobs.add_metric([state.value], counts.get(state.value, 0))
        yield jobs
        yield GaugeMetricFamily(
            _name("agent_methods"), "Agent methods known to the registry.",
            value=len(self.observed.registry),
        )

    def _runner(self) -> Iterator[GaugeMetricFamily]:
        runner = self.observed.runner
        yield GaugeMetricFamily(
            _name("containers_running"), "Agent containers running now.",
            value=len(runner.running),
        )
        yield GaugeMetricFamily(
            _name("containers_max"), "docker.max_concurrent: containers allowed at once.",
            value=runner.slots.max_concurrent,
        )
        yield GaugeMetricFamily(
            _name("keys_waiting"),
            "Agent keys with ready jobs that cannot start (unknown method, TEE needed).",
            value=len(runner.waiting),
        )
        yield GaugeMetricFamily(
            _name("docker_up"), "1 when the runner's last contact with the Docker engine worked.",
            value=runner.docker_state == "connected",
        )


def _one_hot(name: str, text: str, label: str, values: Iterable[str],
             current: str) -> GaugeMetricFamily:
    """A gauge with one series per possible value, 1 for the current one."""
    gauge = GaugeMetricFamily(_name(name), text, labels=[label])
    for value in values:
        gauge.add_metric([value], 1.0 if current == value else 0.0)
    return gauge
