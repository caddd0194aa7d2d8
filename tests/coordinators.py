"""N coordinators on one app instance: daemon processes, each with its own key,
state dir and socket, on one simulator served on loopback (127.0.0.1 only), the
real demo agent in real containers. Used by tests/test_shares.py and by the
bench's `claims` and `scale` phases.

What it reports is what the chain and the daemons recorded: who started each
job (the chain's JobStartedEvents), who completed it, the claims each daemon
won and lost (its status), and the gas each key paid (the simulator's coins,
and the computation of its transactions' effects).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.events.models import normalize_address
from coordinator.events.models_2025_11 import JobCompletedEvent, JobStartedEvent
from coordinator.simnet import Simnet, serve
from coordinator.sui.keys import SuiKey
from coordinator.sui.transactions import TransactionData
from tests.e2e_support import (
    Daemon,
    DaemonProcess,
    get_status,
    instance_id_of,
    status_when,
    write_config,
)
from tests.support import AGENT, DEV, SUI, containers_of, register_app

APP = "shares-demo"
FUNDS = 100 * SUI


@dataclass
class Member:
    """One coordinator of the group."""

    name: str
    key: SuiKey
    daemon: Daemon
    process: DaemonProcess

    @property
    def address(self) -> str:
        return normalize_address(self.key.address)

    def status(self) -> pb.GetStatusResponse:
        return get_status(self.daemon.socket)


@dataclass
class Tally:
    """What a run of jobs left on chain and in the daemons."""

    started: dict[int, list[str]]  # job -> the coordinators that started it, in order
    completed: dict[int, list[str]]
    claims_won: dict[str, int]  # per member name
    claims_lost: dict[str, int]
    gas_mist: dict[str, int]  # what each key paid, net of storage rebates
    computation_mist: dict[str, int]  # of it, computation alone (no storage, no rebates)

    @property
    def lost_ratio(self) -> float:
        attempts = sum(self.claims_won.values()) + sum(self.claims_lost.values())
        return sum(self.claims_lost.values()) / attempts if attempts else 0.0

    def shares(self, members: Iterable[Member]) -> dict[str, int]:
        """Jobs completed per member."""
        by_address = Counter(who[0] for who in self.completed.values() if who)
        return {m.name: by_address.get(m.address, 0) for m in members}


@dataclass
class Coordinators:
    """The simulator and the daemons (see the module doc); `stop` kills them."""

    sim: Simnet
    tmp_path: Path
    sock_dir: Path
    members: list[Member] = field(default_factory=list)
    target: str = ""
    _names: itertools.count[int] = field(default_factory=itertools.count)

    @classmethod
    def with_app(cls, images: dict[str, str], tmp_path: Path, sock_dir: Path,
                 checkpoint_interval_secs: float = 0.05) -> Coordinators:
        sim = register_app(Simnet(checkpoint_interval_secs=checkpoint_interval_secs,
                                  layout="2025-11"), images, APP)
        return cls(sim, tmp_path, sock_dir)

    async def serve(self, nursery: trio.Nursery) -> None:
        self.target = await nursery.start(serve, self.sim, "127.0.0.1", 0)

    async def start(self, count: int, *, extra: str = "", max_concurrent: int = 3,
                    container_timeout_secs: float = 60) -> list[Member]:
        """`count` more daemons, each up and settling on chain when this returns."""
        started = []
        for _ in range(count):
            name = f"c{next(self._names)}"
            key = SuiKey.generate()
            self.sim.fund(key.address, FUNDS)
            (self.tmp_path / name).mkdir()
            (self.sock_dir / name).mkdir()
            daemon = write_config(self.tmp_path / name, self.sock_dir / name,
                                  f"http://{self.target}", key=key,
                                  max_concurrent=max_concurrent,
                                  container_timeout_secs=container_timeout_secs, extra=extra)
            member = Member(name, key, daemon,
                            DaemonProcess(daemon, self.tmp_path / f"{name}.log"))
            self.members.append(member)
            started.append(member)
        for member in started:
            await status_when(member.daemon.socket,
                              lambda s: s.settlement.enabled and s.connection.state == "connected",
                              within=60, what=f"{member.name} up, settling on chain")
        return started

    def stop(self, client: Any = None) -> None:
        """Kill the daemons; with a Docker client, remove the containers they left."""
        for member in self.members:
            member.process.kill()
        for member in self.members if client is not None else ():
            instance = instance_id_of(member.daemon)
            for container in containers_of(client, instance) if instance else []:
                container.remove(force=True)

    def create_jobs(self, count: int, method: str) -> list[int]:
        return [self.sim.create_job(APP, developer=DEV, agent=AGENT, method=method,
                                    data=bytes([n % 256, 7])).job_id for n in range(count)]

    def pending(self, jobs: Iterable[int]) -> list[int]:
        """Those of `jobs` still on chain (not completed)."""
        live = self.sim.app_instance(APP).jobs
        return [job for job in jobs if job in live]

    async def finish(self, jobs: list[int], within: float) -> None:
        """Wait until every one of `jobs` is completed on chain."""
        with trio.fail_after(within):
            while self.pending(jobs):  # noqa: ASYNC110
                await trio.sleep(0.1)

    async def warm_up(self, method: str, most: int = 30) -> int:
        """Jobs one at a time until every daemon has won a claim (each has seen the
        others claim on the app instance); the number of jobs it took."""
        for made in range(1, most + 1):
            jobs = self.create_jobs(1, method)
            await self.finish(jobs, 60)
            won = [await trio.to_thread.run_sync(m.status) for m in self.members]
            if all(s.settlement.claims_won > 0 for s in won):
                return made
        return most

    async def tally(self, jobs: Iterable[int]) -> Tally:
        """Who started and completed each of `jobs` (chain order), claims and gas."""
        wanted = set(jobs)
        self.sim.seal()  # the events of what already executed
        started: dict[int, list[str]] = {job: [] for job in wanted}
        completed: dict[int, list[str]] = {job: [] for job in wanted}
        for checkpoint in self.sim.chain.checkpoints:
            for _, _, record in checkpoint.events():
                name = record.event_type.rsplit("::", 1)[-1]
                if name == "JobStartedEvent":
                    started_event = JobStartedEvent.from_bcs(record.contents)
                    if started_event.job_sequence in wanted:
                        started[started_event.job_sequence].append(
                            normalize_address(started_event.coordinator))
                elif name == "JobCompletedEvent":
                    done = JobCompletedEvent.from_bcs(record.contents)
                    if done.job_sequence in wanted:
                        completed[done.job_sequence].append(normalize_address(done.coordinator))
        statuses = {m.name: await trio.to_thread.run_sync(m.status) for m in self.members}
        names = {m.address: m.name for m in self.members}
        computation = dict.fromkeys(names.values(), 0)
        for executed in self.sim.executed.values():
            sender = TransactionData.from_bytes(executed.transaction.bcs.value).sender
            name = names.get(normalize_address(sender))
            if name is not None:
                computation[name] += executed.effects.gas_used.computation_cost
        return Tally(
            started, completed,
            {name: s.settlement.claims_won for name, s in statuses.items()},
            {name: s.settlement.claims_lost for name, s in statuses.items()},
            {m.name: FUNDS - self.sim.coins.balance(m.key.address) for m in self.members},
            computation,
        )
