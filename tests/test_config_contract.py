"""The config contract as an operator meets it: a bad value exits 2 with one
line naming the key, before anything starts (no socket, no database).

Each case was found by a probe of bad configs run against the daemon as a
process: before it, each one was a traceback, a value taken that cannot be
meant, or a daemon retrying for ever.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import trio

from coordinator.simnet import Simnet, serve
from coordinator.store import DB_FILE
from tests.support import daemon_config, run_cli

U64_OVER = str(2**64)


def run(path: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("--config", str(path))


def assert_refused(result: subprocess.CompletedProcess[str], key: str, tmp_path: Path) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert key in lines[0], lines[0]
    assert not (tmp_path / "c.sock").exists()  # nothing started
    assert not (tmp_path / "state" / DB_FILE).exists()


@pytest.mark.parametrize(("extra", "key"), [
    ({"rpc": {"socket_path": '""'}}, "rpc.socket_path"),
    ({"settle": {"min_balance_mist": U64_OVER}}, "settle.min_balance_mist"),
    ({"sui": {"start_checkpoint": U64_OVER}}, "sui.start_checkpoint"),
    ({"state": {"dir": '""'}}, "state.dir"),
    ({"metrics": {"listen": '"127.0.0.1:0"'}}, "metrics.listen"),
    ({"simnet": {"enabled": "true", "listen": '"127.0.0.1:0"'}}, "simnet.listen"),
])
def test_a_bad_value_exits_2_in_one_line_naming_the_key(
    tmp_path: Path, extra: dict[str, dict[str, str]], key: str,
) -> None:
    assert_refused(run(daemon_config(tmp_path, extra)), key, tmp_path)


async def test_a_node_of_another_chain_exits_2_in_one_line_before_anything_starts(
    tmp_path: Path,
) -> None:
    sim = Simnet(checkpoint_interval_secs=0)
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        # Testnet's id (and name: a localnet with testnet's id is refused by the config).
        path = daemon_config(tmp_path, {"sui": {"chain_id": '"4c78adac"', "chain": '"testnet"'},
                                        "settle": {"observe_only": "true"}}, f"http://{target}")
        result = await trio.to_thread.run_sync(run, path)
        nursery.cancel_scope.cancel()
    assert_refused(result, "sui.chain_id", tmp_path)
    assert "not 4c78adac" in result.stderr


async def test_state_of_another_chain_exits_2_in_one_line_and_is_kept(tmp_path: Path) -> None:
    """A stored state made on another chain than the node serves: nothing is
    dropped (its unsent chain operation least of all); the line says the way out."""
    from coordinator.domain import ChainOperation, OperationKind
    from coordinator.store import Ledger, Store

    mainnet = "4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S"

    def fill(ledger: Ledger) -> None:
        ledger.bind_chain(mainnet)
        ledger.set_cursor(9)
        ledger.add_operations([ChainOperation(OperationKind.COMPLETE, "0xapp", 1)])

    (tmp_path / "state").mkdir(mode=0o700)  # private already: no warning
    store = await Store.open(tmp_path / "state")
    await store.run(fill)
    await store.close()
    sim = Simnet(checkpoint_interval_secs=0)
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        path = daemon_config(tmp_path, {"sui": {"chain": '"testnet"'},
                                        "settle": {"observe_only": "true"}}, f"http://{target}")
        result = await trio.to_thread.run_sync(run, path)
        nursery.cancel_scope.cancel()
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: state.dir: the state in ") and "Traceback" not in line
    assert "was made on chain 35834a8a" in line and "reset-cursor --chain" in line
    store = await Store.open(tmp_path / "state")
    try:
        assert await store.run(Ledger.chain_id) == mainnet
        assert await store.run(Ledger.cursor) == 9
        assert len(await store.run(Ledger.operations)) == 1
    finally:
        await store.close()
