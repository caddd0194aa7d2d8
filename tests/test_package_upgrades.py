"""Package upgrades (docs/package-upgrades.md): the simulator upgrades its package
as Sui does (a new id, the same original id, types and events keep the original,
every version callable), and the coordinator's executor sends its calls to the
latest version while it reads outcomes by the original id."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import docker
import pytest
import trio

from coordinator import app
from coordinator._pb.sui.rpc.v2 import move_package_service_pb2 as packages_pb2
from coordinator.backoff import Backoff
from coordinator.config import load_settings
from coordinator.simnet import Simnet, serve
from coordinator.simnet.faults import Faults
from coordinator.sui.client import SuiNotFound, connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.executor import Executor, OperationResult
from coordinator.sui.keys import SuiKey
from coordinator.sui.package_versions import PackageVersions
from coordinator.sui.rpcs import PACKAGES, Rpc
from coordinator.sui.settings import SuiSettings
from coordinator.sui.transactions import SharedObject, StartJob
from tests.e2e_support import Daemon, status_when, write_config
from tests.support import AGENT, DEV, METHOD, ROOT, SUI, register_app

TIMEOUT = 30
APP = "upgrade-demo"
GET_PACKAGE = Rpc(PACKAGES, packages_pb2.GetPackageRequest, packages_pb2.GetPackageResponse)


async def upgrade(target: str) -> str:
    """The simulator's admin command line, `upgrade-package`: its one line of output."""
    with trio.fail_after(TIMEOUT):
        done = await trio.run_process(
            [sys.executable, "-m", "coordinator.simnet", "upgrade-package", "--target", target],
            cwd=ROOT, capture_stdout=True, capture_stderr=True, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode().strip()


class Chain:
    """A served simulator with four pending jobs and a funded key."""

    def __init__(self, sim: Simnet, target: str) -> None:
        self.sim, self.target = sim, target
        host, port = target.rsplit(":", 1)
        self.endpoint = Endpoint("http", host=host, port=int(port))
        self.key = SuiKey.generate()
        sim.fund(self.key.address, 10 * SUI)
        sim.seal()
        self.app = sim.app_instance("app")
        self.shared = SharedObject(self.app.id, self.app.initial_shared_version, True)

    def connect(self) -> Any:
        return connect(self.endpoint, timeout=5)

    def executor(self, versions: PackageVersions | None) -> Executor:
        return Executor(self.key, self.connect, self.sim.package_id,
                        backoff=Backoff(initial=0.01, maximum=0.05), versions=versions)

    async def upgrade(self) -> str:
        return await upgrade(self.target)

    def called(self, digest: str) -> str:
        """The package the transaction's Move call named, as the chain recorded it."""
        return self.sim.executed[digest].transaction.kind.programmable_transaction.commands[
            0
        ].move_call.package


@pytest.fixture
async def chain(nursery: trio.Nursery) -> Chain:
    sim = register_app(Simnet(checkpoint_interval_secs=0, layout="2025-11"), "img:1", "app")
    for _ in range(4):
        sim.create_job("app", developer=DEV, agent=AGENT, method=METHOD, data=b"\x01")
    sim.seal()
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    return Chain(sim, target)


async def test_the_simulator_upgrades_its_package_as_sui_does(chain: Chain) -> None:
    original = chain.sim.package_id
    with trio.fail_after(TIMEOUT):
        async with chain.connect() as sui:
            assert await sui.package_versions(original) == [(original, 1)]
            line = await chain.upgrade()
            upgraded = chain.sim.packages.latest.storage_id
            assert line.startswith(f"package {original} upgraded to version 2: {upgraded} ")
            assert upgraded != original
            # Any version's id lists them all, oldest first.
            both = [(original, 1), (upgraded, 2)]
            assert await sui.package_versions(upgraded) == both
            assert await sui.package_versions(original) == both
            described = (await sui._unary(
                GET_PACKAGE, packages_pb2.GetPackageRequest(package_id=upgraded), None
            )).package  # fmt: skip
            with pytest.raises(SuiNotFound):
                await sui.package_versions("0x" + "77" * 32)
    assert (described.storage_id, described.original_id, described.version) == (
        upgraded, original, 2
    )
    # Types keep the id of the version that defined them: the original.
    origins = {(o.module_name, o.datatype_name): o.package_id for o in described.type_origins}
    assert {("app_instance", "AppInstance"), ("jobs", "Job"), ("jobs", "JobStatus")} <= set(origins)
    assert set(origins.values()) == {original}
    assert all(d.defining_id == original for m in described.modules for d in m.datatypes)


async def test_every_version_stays_callable_and_events_keep_the_original_id(
    chain: Chain,
) -> None:
    original = chain.sim.package_id
    old = chain.executor(versions=None)  # a coordinator that never learns of upgrades
    new = chain.executor(PackageVersions(original, original, check_secs=3600))
    with trio.fail_after(TIMEOUT):
        await chain.upgrade()
        upgraded = chain.sim.packages.latest.storage_id
        before = await old.execute(chain.shared, [StartJob(1)])
        after = await new.execute(chain.shared, [StartJob(2)])
    # Sui refuses no call to an older version: its code runs (Silvana's package
    # guards no version), and each transaction names the version it called.
    assert chain.called(before.digest) == original
    assert chain.called(after.digest) == upgraded
    assert new.versions is not None and new.versions.version == 2
    # Both outcomes were read from events typed with the original id.
    assert before.results == (OperationResult("start", 1, True),)
    assert after.results == (OperationResult("start", 2, True),)
    for digest, called in ((before.digest, original), (after.digest, upgraded)):
        events = chain.sim.executed[digest].events.events
        assert {e.package_id for e in events} == {called}  # the version that emitted them
        assert f"{original}::jobs::JobStartedEvent" in [e.event_type for e in events]
        assert all(e.event_type.startswith(f"{original}::") for e in events)
    assert {chain.app.jobs[n].status.kind for n in (1, 2)} == {"running"}


async def test_the_executor_follows_an_upgrade_while_running(chain: Chain) -> None:
    original = chain.sim.package_id
    # Checked at every transaction: no wait in the test.
    versions = PackageVersions(original, original, check_secs=1e-9)
    executor = chain.executor(versions)
    with trio.fail_after(TIMEOUT):
        first = await executor.execute(chain.shared, [StartJob(1)])
        await chain.upgrade()
        second = await executor.execute(chain.shared, [StartJob(2)])
        await chain.upgrade()
        third = await executor.execute(chain.shared, [StartJob(3)])
    ids = [v.storage_id for v in chain.sim.packages.versions]
    assert [chain.called(o.digest) for o in (first, second, third)] == ids
    assert all(o.results[0].applied for o in (first, second, third))
    assert (versions.latest, versions.version) == (ids[2], 3)


async def test_a_pinned_latest_version_is_never_asked(chain: Chain) -> None:
    await chain.upgrade()
    upgraded = chain.sim.packages.latest.storage_id
    settings = SuiSettings(package_id=chain.sim.package_id, latest_package_id=upgraded)
    executor = chain.executor(PackageVersions.of(settings))
    asked = chain.sim.rpc_counts["ListPackageVersions"]
    with trio.fail_after(TIMEOUT):
        outcome = await executor.execute(chain.shared, [StartJob(1)])
    assert chain.called(outcome.digest) == upgraded and outcome.results[0].applied
    assert chain.sim.rpc_counts["ListPackageVersions"] == asked


async def test_a_later_version_configured_as_the_original_is_named(
    chain: Chain, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="coordinator.sui")
    await chain.upgrade()
    original, upgraded = chain.sim.package_id, chain.sim.packages.latest.storage_id
    versions = PackageVersions(upgraded, upgraded)
    with trio.fail_after(TIMEOUT):
        async with chain.connect() as sui:
            assert await versions.call_target(sui) == upgraded
    assert (
        f"sui.package_id {upgraded} is version 2 of package {original}: events carry the "
        f"original id, so set sui.package_id = {original}"
    ) in caplog.text


@pytest.mark.docker
async def test_jobs_keep_flowing_when_the_package_is_upgraded_under_the_daemon(
    agent_image: str, docker_client: docker.DockerClient, tmp_path: Path, sock_dir: Path,
    daemons: list[Daemon], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="coordinator")
    sim = register_app(Simnet(checkpoint_interval_secs=0.2, layout="2025-11"), agent_image, APP)
    key = SuiKey.generate()
    sim.fund(key.address, 10 * SUI)
    original = sim.package_id

    def create(count: int) -> list[int]:
        return [sim.create_job(APP, developer=DEV, agent=AGENT, method=METHOD,
                               data=bytes([n, 7])).job_id for n in range(count)]

    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        # The package asked for at every transaction, so the test waits on nothing.
        daemon = write_config(tmp_path, sock_dir, f"http://{target}", key=key,
                              sui="package_check_secs = 0.001")
        daemons.append(daemon)
        nursery.start_soon(app.run, load_settings(daemon.config, env={}))
        ids = create(2)
        await status_when(daemon.socket, lambda s: s.settlement.jobs_settled == 2,
                          within=90, what="2 jobs settled before the upgrade")
        await upgrade(target)  # mid-run, through the admin command line
        ids += create(2)
        status = await status_when(
            daemon.socket,
            lambda s: s.jobs_by_state["completed"] == 4 and s.settlement.jobs_settled == 4
            and s.settlement.outbox_operations == 0,
            within=90, what="4 jobs completed and settled across the upgrade",
        )
        nursery.cancel_scope.cancel()

    new = sim.packages.latest.storage_id
    assert [job_id for job_id in ids if job_id in sim.app_instance(APP).jobs] == []
    assert (status.settlement.claims_won, status.settlement.claims_lost) == (4, 0)
    # The daemon's calls, in order: the original version, then the new one for good.
    called = [
        tx.transaction.kind.programmable_transaction.commands[0].move_call.package
        for tx in sim.executed.values() if tx.transaction.sender == key.address
    ]
    assert called[0] == original and called[-1] == new
    assert called == sorted(called, key=lambda package: package == new)
    assert f"Move calls now go to version 2, {new}" in caplog.text


async def test_a_node_that_cannot_list_versions_leaves_calls_where_they_are(
    chain: Chain, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="coordinator.sui")
    chain.sim.faults = Faults(unimplemented=frozenset({"ListPackageVersions"}))
    original = chain.sim.package_id
    executor = chain.executor(PackageVersions(original, original, check_secs=1e-9))
    with trio.fail_after(TIMEOUT):
        first = await executor.execute(chain.shared, [StartJob(1)])
        second = await executor.execute(chain.shared, [StartJob(2)])
    assert [chain.called(o.digest) for o in (first, second)] == [original, original]
    assert all(o.results[0].applied for o in (first, second))
    said = f"package {original}: the node cannot list package versions; Move calls go to {original}"
    assert caplog.text.count(said) == 1  # said once, not at every transaction
