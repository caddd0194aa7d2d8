"""Mysten's TypeScript SDK (`@mysten/sui`, `SuiGrpcClient` over native gRPC)
against the simulator on loopback: it builds, signs, executes and waits for the
package's job calls with no help (SimulateTransaction resolves them), reads
the results back with its own parsers, and sees failures as a fullnode gives
them. The SDK and its Node.js come from the npm registry (scripts/setup.sh's
`ensure_sdk`); under CI=true a failed install fails these tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import trio

from coordinator.simnet import Simnet, serve
from coordinator.simnet.objects import AppInstance
from coordinator.sui.keys import SuiKey
from tests.support import ROOT, job_chain, need

SUI = 1_000_000_000  # MIST
SCRIPTS = ROOT / "tests" / "sdk"
TIMEOUT = 180


@pytest.fixture(scope="module")
def sdk() -> Path:
    """The installed SDK's directory (installed now if it is not yet)."""
    try:
        done = subprocess.run(
            ["bash", "-c", "source scripts/setup.sh && ensure_sdk && sdk_dir"],
            cwd=ROOT, capture_output=True, text=True, timeout=600, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        stderr = getattr(exc, "stderr", "") or ""
        need(f"Mysten's SDK could not be installed: {exc} {stderr[-2000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


class Chain:
    """A served simulator (2025-11, sealing per transaction) with one app
    instance whose method `add` names a registered agent method, and a funded key."""

    def __init__(self, sim: Simnet, target: str) -> None:
        self.sim, self.target = sim, target
        self.key = SuiKey.generate()
        sim.fund(self.key.address, 10 * SUI)
        sim.seal()
        self.app: AppInstance = sim.app_instance("app")

    async def run(self, sdk: Path, script: str, **env: str) -> dict[str, Any]:
        """Run one of tests/sdk's scripts with the SDK's Node.js (`env` added to
        the environment); its JSON output."""
        # ESM resolves packages from the script's own folder: run it from the SDK's.
        for name in (script, "client.mjs"):
            shutil.copy(SCRIPTS / name, sdk / name)
        env = {
            **os.environ, "SIMNET": self.target, "SUI_SECRET": self.key.export(),
            "PACKAGE_ID": self.sim.package_id, "APP_INSTANCE": self.app.id, "METHOD": "add",
            **env,
        }  # fmt: skip
        with trio.fail_after(TIMEOUT):
            done = await trio.run_process(
                [sdk / "node_modules" / ".bin" / "node", sdk / script],
                env=env, capture_stdout=True, capture_stderr=True, check=False,
            )  # fmt: skip
        if done.returncode != 0:
            sys.stderr.write(done.stderr.decode(errors="replace"))
        assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
        result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
        return result


@pytest.fixture
async def chain(nursery: trio.Nursery) -> Chain:
    sim = job_chain()
    sim.seal()
    target: str = await nursery.start(serve, sim, "127.0.0.1", 0)
    return Chain(sim, target)


async def test_the_sdk_builds_signs_executes_and_waits_for_job_calls(
    chain: Chain, sdk: Path
) -> None:
    # docs/simulator.md's example: create a job, start it, read it back.
    example = await chain.run(sdk, "example.mjs")
    job = int(example["job"])
    assert example["started_by"] == chain.key.address
    assert chain.app.jobs[job].status.kind == "running" and job != 1
    balance = chain.sim.coins.balance(chain.key.address)
    assert balance < 10 * SUI
    # Then complete it, and start the pending job 1 through a multicall.
    out = await chain.run(sdk, "app_jobs.mjs", JOB=str(job), PENDING="1")
    assert out["address"] == chain.key.address
    assert out["completed"] == 1 and job not in chain.app.jobs
    assert out["kind_bytes"] > 0  # a transaction kind alone, resolved
    assert out["multicall_start"] == [1] and out["multicall_results"] == [True]
    assert chain.app.jobs[1].status.kind == "running"
    # Read back with the SDK's parsers: the transaction in a checkpoint, signed,
    # its effects and the types of the objects it changed.
    fetched = out["fetched"]
    assert fetched["effects_status"] is True and fetched["signatures"] == 1
    assert int(fetched["checkpoint"]) <= chain.sim.chain.tip.sequence_number
    pkg = chain.sim.package_id
    assert {f"{pkg}::app_instance::AppInstance", f"{pkg}::jobs::Job"} <= set(
        fetched["object_types"]
    )
    # The transaction itself as the SDK parses it, and the effects' links.
    assert fetched["move_call"] == [pkg, "complete_app_job"]
    # The job number first: the script makes it before the call that names it.
    assert fetched["inputs"] == ["Pure", "Object", "Object"] and fetched["bcs_bytes"] > 0
    # One dependency: the example's last transaction wrote both the AppInstance and the coin.
    assert fetched["dependencies"] == 1 and fetched["events_digest"]
    assert out["app_instance"] == {"type": f"{pkg}::app_instance::AppInstance", "owner": "Shared"}
    # The reads an app makes around its transactions.
    sui = "0x" + "0" * 63 + "2::sui::SUI"
    assert out["chain"]["balances"] == [[sui, str(balance)]]
    assert out["chain"]["reference_gas_price"] == str(chain.sim.reference_gas_price)
    assert out["chain"]["epoch"] == "0" and int(out["chain"]["protocol_version"]) > 0
    assert out["chain"]["epoch_start_ms"] == str(chain.sim.chain.checkpoints[0].timestamp_ms)
    assert out["start_app_job"] == {
        "visibility": "public",
        "parameters": [["mutable", "datatype"], [None, "u64"], ["immutable", "datatype"],
                       ["mutable", "datatype"]],
        "returns": ["bool"],
    }
    # A Job's fields, in the order the Move source declares them.
    job_type = out["job_datatype"]
    assert job_type["defining_id"] == pkg
    fields = dict(job_type["fields"])
    assert list(fields)[:3] == ["id", "job_sequence", "description"]
    assert list(fields)[-2:] == ["created_at", "updated_at"] and len(fields) == 20
    assert fields["status"] == f"{pkg}::jobs::JobStatus"
    assert fields["id"] == "0x" + "0" * 63 + "2::object::UID"
    # Gas as the balance changes say, and as the coins hold.
    after = chain.sim.coins.balance(chain.key.address)
    assert out["balance_before"] == str(balance)
    assert out["balance_after"] == out["coin_balance_after"] == str(after)
    # Completing a job deletes its object: the storage rebate may outweigh the cost.
    assert int(out["gas"]) == after - balance != 0


def test_the_documented_example_is_the_one_tested() -> None:
    doc = (ROOT / "docs" / "simulator.md").read_text()
    for script in ("client.mjs", "example.mjs"):
        assert (SCRIPTS / script).read_text() in doc, f"docs/simulator.md lacks {script}"


async def test_failures_reach_the_sdk_as_a_fullnode_gives_them(chain: Chain, sdk: Path) -> None:
    out = await chain.run(sdk, "errors.mjs")
    abort = out["abort"]
    assert (abort["name"], abort["kind"]) == ("SimulationError", "MoveAbort")
    assert abort["abort"]["abortCode"] == "0"
    assert abort["abort"]["location"]["module"] == "vec_map"
    assert abort["abort"]["location"]["functionName"] == "insert"
    bad = out["badSignature"]
    assert (bad["name"], bad["code"]) == ("RpcError", "INVALID_ARGUMENT")
    # grpc-message decoded as sent: no percent-encoding left over.
    assert bad["message"].startswith(
        f"Invalid user signature: Required Signature from {chain.key.address} is absent"
    )
    stale = out["stale"]
    assert stale["code"] == "INVALID_ARGUMENT"
    assert "is not available for consumption, current version: 0x" in stale["message"]
    gas = out["insufficientGas"]
    assert gas["name"] == "SimulationError" and gas["message"].endswith("InsufficientGas")
    # A non-generic function given a type argument fails in execution, not as bad input.
    generic = out["typeArguments"]
    assert generic["name"] == "SimulationError"
    assert generic["message"].endswith("TypeArityMismatch in command 0")


async def test_the_sdk_calls_an_upgraded_package_and_reads_the_original_types(
    chain: Chain, sdk: Path
) -> None:
    original = chain.sim.package_id
    latest = chain.sim.upgrade_package().storage_id
    chain.sim.seal()
    out = await chain.run(sdk, "upgraded.mjs", LATEST=latest, PENDING="1")
    assert out["success"] is True and chain.app.jobs[1].status.kind == "running"
    # The new version's function takes the AppInstance of the original id.
    assert out["first_parameter"] == f"{original}::app_instance::AppInstance"
    # Events name the version called; their types, and the objects', the original.
    assert out["events"] and {package for package, _ in out["events"]} == {latest}
    assert all(event_type.startswith(f"{original}::") for _, event_type in out["events"])
    assert f"{original}::jobs::Job" in out["object_types"]
