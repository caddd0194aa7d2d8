"""Effects as a fullnode gives them, read over loopback gRPC: the transactions
an executed one depended on, its events' digest, and a Move abort of the
coordination package located in that package (module, function, code)."""

from __future__ import annotations

import base58
import pytest
import trio

from coordinator.simnet import Simnet, serve
from coordinator.simnet.handlers import clever_error
from coordinator.sui.calls.block import Purge
from coordinator.sui.client import connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.keys import SuiKey
from coordinator.sui.transactions import (
    GasData,
    ObjectRef,
    Operation,
    SharedObject,
    StartJob,
    build_transaction,
    sign_transaction,
)
from tests.support import SUI, job_chain

TIMEOUT = 20
MASK = ("digest", "effects", "events", "checkpoint")


@pytest.fixture
async def served(nursery: trio.Nursery) -> tuple[Simnet, Endpoint]:
    sim = job_chain()
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    host, port = target.rsplit(":", 1)
    return sim, Endpoint("http", host=host, port=int(port))


def _pair(signed: tuple[bytes, bytes]) -> tuple[bytes, list[bytes]]:
    return signed[0], [signed[1]]


def signed(sim: Simnet, key: SuiKey, operation: Operation) -> tuple[bytes, bytes]:
    coin = sim.coins.owned_by(key.address)[0]
    app = sim.app_instance("app")
    data = build_transaction(
        package=sim.package_id,
        app_instance=SharedObject(app.id, app.initial_shared_version, True),
        operations=[operation], sender=key.address,
        gas=GasData((ObjectRef(coin.id, coin.version, coin.digest),), key.address, 1000, SUI // 10),
    ).to_bytes()  # fmt: skip
    return data, sign_transaction(key, data)


async def test_effects_name_their_dependencies_and_events(
    served: tuple[Simnet, Endpoint],
) -> None:
    sim, endpoint = served
    key = SuiKey.generate()
    created = sim.last_tx  # the job's creation last wrote the AppInstance
    sim.fund(key.address, SUI)
    funded = sim.last_tx  # the faucet wrote the coin
    sim.seal()
    assert created is not None and funded is not None
    with trio.fail_after(TIMEOUT):
        async with connect(endpoint, timeout=5) as sui:
            app_id, job_id = sim.app_instance("app").id, sim.job("app", 1).id
            before = {
                object_id: (await sui.get_object(object_id, ("digest", "owner"))).digest
                for object_id in (app_id, job_id, sim.coins.owned_by(key.address)[0].id)
            }
            executed = await sui.execute_transaction(
                *_pair(signed(sim, key, StartJob(1))), read_mask=MASK
            )
            read = await sui.get_transaction(executed.digest, MASK)
            faucet = await sui.get_transaction(funded.digest, MASK)
            sealed = await sui.get_checkpoint(
                read.checkpoint, ("transactions.digest", "transactions.effects")
            )
    effects = read.effects
    assert effects.status.success and effects.digest
    assert list(effects.dependencies) == sorted(
        [created.digest, funded.digest], key=base58.b58decode
    )
    assert effects.events_digest == read.events.digest != ""
    assert effects == executed.effects  # what executing it answered
    # Each object it wrote says what it was before: the digest a read gave then.
    assert {c.object_id: c.input_digest for c in effects.changed_objects} == before
    app = next(c for c in effects.changed_objects if c.object_id == app_id)
    assert app.input_owner.version == sim.app_instance("app").initial_shared_version
    # A checkpoint's transactions carry the same effects.
    assert [t.effects for t in sealed.transactions if t.digest == read.digest] == [effects]
    # The simulator's own transactions have effects of their own too.
    assert faucet.effects.status.success and faucet.effects.digest
    assert faucet.effects.version == 2 and not faucet.effects.HasField("events_digest")


async def test_an_abort_of_the_package_is_located_in_it(served: tuple[Simnet, Endpoint]) -> None:
    sim, endpoint = served
    key = SuiKey.generate()
    sim.fund(key.address, SUI)
    sim.seal()
    with trio.fail_after(TIMEOUT):
        async with connect(endpoint, timeout=5) as sui:
            executed = await sui.execute_transaction(*_pair(signed(sim, key, Purge(0))))
    status = executed.effects.status
    assert not status.success and status.error.command == 0
    abort = status.error.abort
    assert abort.location.package == sim.package_id
    assert (abort.location.module, abort.location.function_name) == ("app_instance", "purge")
    assert abort.abort_code == clever_error(802)



async def test_the_simulators_own_transactions_list_the_objects_they_wrote(
    served: tuple[Simnet, Endpoint],
) -> None:
    """A job created by the simulator itself (no signature) changed the
    AppInstance and created the job: its effects say so, as Sui's would, with
    the digests a read gives while nothing wrote them again."""
    sim, endpoint = served
    created = sim.last_tx  # the job's creation
    assert created is not None
    sim.seal()
    app = sim.app_instance("app")
    with trio.fail_after(TIMEOUT):
        async with connect(endpoint, timeout=5) as sui:
            read = await sui.get_transaction(created.digest, ("effects.changed_objects",))
            now = {object_id: (await sui.get_object(object_id, ("digest",))).digest
                   for object_id in (app.id, sim.job("app", 1).id)}
    changed = {c.object_id: c for c in read.effects.changed_objects}
    assert set(changed) == set(now)
    assert changed[app.id].object_type == f"{sim.package_id}::app_instance::AppInstance"
    assert changed[app.id].output_owner.version == app.initial_shared_version
    assert changed[app.id].HasField("input_version")  # it existed before
    assert not changed[sim.job("app", 1).id].HasField("input_version")  # created
    assert {object_id: c.output_digest for object_id, c in changed.items()} == now
