"""Scenario files, the [simnet] settings, run_simnet, and the command line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import purerpc
import pytest
import trio
import trio.testing

from coordinator._pb.sui.rpc.v2 import ledger_service_grpc, ledger_service_pb2
from coordinator.config import ConfigError, load_settings
from coordinator.events.models_2025_11 import JobCreatedEvent
from coordinator.simnet import ScenarioError, build_simnet, load_scenario, run_simnet
from coordinator.simnet.objects import AppMethod
from coordinator.simnet.server import simnet_from_settings
from tests.support import CONFIGS, ROOT

DEMO = CONFIGS / "simnet" / "demo.toml"
PKG = "0x" + "ab" * 32


def test_demo_scenario_builds_the_registry() -> None:
    scenario = load_scenario(DEMO)
    sim = build_simnet(scenario)
    assert sim.chain.tip.sequence_number == 1 and not sim.chain.pending  # setup sealed
    agent = sim.agent("AddExampleDev", "AddAgent")
    assert agent.methods["prove"].docker_image == "silvana-demo/agent:latest"
    assert agent.default_method == agent.methods["prove"]
    demo = sim.app_instance("add-demo")
    assert demo.app == "add"
    assert demo.methods["add"] == AppMethod("AddExampleDev", "AddAgent", "prove",
                                            "adds, then proves")
    assert demo.json()["methods"]["contents"][0]["value"]["agent_method"] == "prove"
    times = sorted(job.at_secs or 0 for job in scenario.jobs)
    assert len(times) >= 3 and times[-1] <= 20 and sim.noise


async def test_demo_jobs_arrive_on_schedule(autojump_clock: trio.testing.MockClock) -> None:
    sim = build_simnet(load_scenario(DEMO))
    async with trio.open_nursery() as nursery:
        await nursery.start(sim.run)
        await trio.sleep(21.5)
        nursery.cancel_scope.cancel()
    created = [
        (record.sequence_number, JobCreatedEvent.from_bcs(event.contents))
        for record in sim.chain.checkpoints
        for _, _, event in record.events()
        if event.event_type.endswith("::jobs::JobCreatedEvent")
    ]
    assert [job.job_sequence for _, job in created] == [1, 2, 3, 4]  # the demo is 2025-11
    # Checkpoint n + 1 is sealed n s after start; a job due then lands in it or the next.
    for (sequence, _), due in zip(created, (3, 8, 14, 20), strict=True):
        assert sequence - 1 - due in (0, 1)
    assert created[0][1].data == b"\x01\x02" and created[2][1].sequences == (1, 2)


def scenario_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"scenario {path}: ")
    return message.removeprefix(f"scenario {path}: ")


JOB = 'developer = "d"\nagent = "a"\nmethod = "m"\napp_instance = "app"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[chain]\nintervall = 1\n", "unknown key chain.intervall"),
        (
            '[[developers]]\nname = "d"\n[[developers.agents]]\nname = "a"\n'
            '[[developers.agents.methods]]\nname = "m"\ndocker_image = "i"\nmemory = 2\n',
            "unknown key developers[0].agents[0].methods[0].memory",
        ),
        (
            f'[[app_instances]]\nname = "app"\n[[jobs]]\nat_secs = 1\n{JOB}data = "zz"\n',
            "jobs[0].data: must be 0x-prefixed hex",
        ),
        (
            f'[[app_instances]]\nname = "app"\n[[jobs]]\nat_secs = 1\nat_checkpoint = 3\n{JOB}',
            "jobs[0]: give exactly one of at_secs and at_checkpoint",
        ),
        (f"[[jobs]]\nat_secs = 1\n{JOB}", "app instance 'app', which is not in [[app_instances]]"),
        ('[[jobs]]\nat_secs = 1\ndeveloper = "d"\n', "jobs[0].agent is required"),
        ('[faults]\nunimplemented = ["Nope"]\n', "faults.unimplemented: 'Nope' is not one of"),
        ("[chain]\ncheckpoint_interval_secs = -1\n", "chain.checkpoint_interval_secs: Input"),
        ('[chain]\npackage_id = "0xzz"\n', "chain.package_id: address must be 0x"),
        ("[chain\n", "not valid TOML"),
        (
            '[[app_instances]]\nname = "app"\n' + '[[app_instances.methods]]\nname = "m"\n'
            'developer = "d"\nagent = "a"\nagent_method = "p"\n' * 2,
            "app_instances[0]: method names must be unique; repeated: ['m']",
        ),
        (
            '[[app_instances]]\nname = "app"\n[[app_instances.methods]]\nname = "m"\n',
            "app_instances[0].methods[0].developer is required",
        ),
    ],
)
def test_scenario_errors_are_one_line_naming_the_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert expected in scenario_error(tmp_path, text)


def test_a_scenario_can_imitate_an_old_node(tmp_path: Path) -> None:
    path = tmp_path / "old.toml"
    path.write_text("[faults]\nold_node = true\n")
    assert build_simnet(load_scenario(path)).faults.old_node
    path.write_text("[faults]\nunimplemented = []\n")
    assert not build_simnet(load_scenario(path)).faults.old_node


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.toml")


def test_simnet_settings(tmp_path: Path) -> None:
    local = load_settings(CONFIGS / "local.toml", env={})
    # The scenario is named beside the config, wherever the daemon starts.
    assert local.simnet.scenario == DEMO
    assert local.simnet.checkpoint_interval_secs == 1.0
    defaults = load_settings(None, env={"COORDINATION_PACKAGE_ID": "0x2"}).simnet
    assert defaults.scenario is None and defaults.checkpoint_interval_secs == 1.0
    path = tmp_path / "c.toml"
    for bad, message in (
        ('listen = "9000"', "simnet.listen: must be host:port"),
        ("checkpoint_interval_secs = -2", "simnet.checkpoint_interval_secs"),
    ):
        path.write_text(f'[sui]\npackage_id = "0x2"\n[simnet]\n{bad}\n')
        with pytest.raises(ConfigError, match=re.escape(message)):
            load_settings(path, env={})


async def test_run_simnet_uses_the_coordinators_package(
    tmp_path: Path, nursery: trio.Nursery
) -> None:
    registry = "0x" + "cd" * 32
    path = tmp_path / "c.toml"
    path.write_text(
        f'[sui]\npackage_id = "{PKG}"\nregistry_id = "{registry}"\nrpc_url = "http://127.0.0.1:1"\n'
        f'[simnet]\nenabled = true\nlisten = "127.0.0.1:0"\nscenario = "{DEMO}"\n'
        "checkpoint_interval_secs = 0\n"
    )
    settings = load_settings(path, env={})
    sim = simnet_from_settings(
        settings.simnet, package_id=settings.sui.package_id, registry_id=settings.sui.registry_id
    )
    target: str = await nursery.start(run_simnet, settings.simnet, sim)
    host, port = target.rsplit(":", 1)
    with trio.fail_after(10):
        async with purerpc.insecure_channel(host, int(port)) as channel:
            ledger = ledger_service_grpc.LedgerServiceStub(channel)
            info = await ledger.GetServiceInfo(ledger_service_pb2.GetServiceInfoRequest())
            registry_object = await ledger.GetObject(
                ledger_service_pb2.GetObjectRequest(
                    object_id=registry, read_mask={"paths": ["object_type"]}
                )
            )
    assert info.chain == "simnet" and info.checkpoint_height == 1  # interval 0: no new ones
    assert registry_object.object.object_type == f"{PKG}::registry::SilvanaRegistry"


def test_command_line_serves_and_creates_a_job(tmp_path: Path) -> None:
    """`python -m coordinator.simnet` on 127.0.0.1:0, then `create-job` against it.
    The demo's registry and app instance without its job schedule: its first job
    (at 3 s) would otherwise race this one on a loaded machine."""
    demo = DEMO.read_text()
    scenario = tmp_path / "demo-unscheduled.toml"
    scenario.write_text(demo[:demo.index("[[jobs]]")])
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "coordinator.simnet", "--listen", "127.0.0.1:0",
         "--scenario", str(scenario), "--checkpoint-interval", "0.2"],
        stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    watchdog = threading.Timer(60, server.kill)
    watchdog.start()
    try:
        assert server.stderr is not None
        target = None
        for line in server.stderr:
            match = re.search(r"simnet listening on (127\.0\.0\.1:\d+)", line)
            if match:
                target = match.group(1)
                break
        assert target, "the server did not report its address"
        common = [sys.executable, "-m", "coordinator.simnet"]
        created = subprocess.run(
            [*common, "create-job", "--target", target, "--developer", "AddExampleDev",
             "--agent", "AddAgent", "--method", "prove", "--app-instance", "add-demo",
             "--data", "0x0105"],
            capture_output=True, text=True, timeout=30, cwd=ROOT,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        assert re.match(r"job 1 created in checkpoint \d+ \(transaction \w+\)", created.stdout)
        refused = subprocess.run(
            [*common, "create-job", "--target", target, "--developer", "d", "--agent", "a",
             "--method", "m", "--app-instance", "nope"],
            capture_output=True, text=True, timeout=30, cwd=ROOT,
        )  # fmt: skip
        assert refused.returncode == 1
        assert "NOT_FOUND: no app instance 'nope'" in refused.stderr
        stats = subprocess.run(
            [*common, "stats", "--target", target],
            capture_output=True, text=True, timeout=30, cwd=ROOT,
        )  # fmt: skip
        assert "jobs_created: 1" in stats.stdout
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0
    finally:
        watchdog.cancel()
        server.kill()
        server.wait()


def test_command_line_rejects_a_bad_scenario(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[chain]\nnope = 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "coordinator.simnet", "--listen", "127.0.0.1:0",
         "--scenario", str(path)],
        capture_output=True, text=True, timeout=30, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == f"simnet: scenario {path}: unknown key chain.nope"
