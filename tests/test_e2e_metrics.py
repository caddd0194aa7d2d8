"""Monitoring end to end (issue 14): Debian's real Prometheus scrapes the daemon.

The daemon runs as a process (`python -m coordinator`) with `[metrics] listen`
on a loopback port; the simulator runs in the test on a fixed port so it can be
stopped and started again; Docker and the demo agent image are real. What is
checked is what an operator's monitoring sees: the series Prometheus stored,
asked over its HTTP API, and the answers of /healthz and /readyz.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest
import trio

from coordinator.simnet import Simnet, serve
from tests.e2e_support import (
    Daemon,
    DaemonProcess,
    free_port,
    status_when,
    write_config,
)
from tests.support import AGENT, DEMO_APP, DEV, ROOT, register_app

pytestmark = pytest.mark.docker

APP = DEMO_APP
GOOD, BAD = "prove", "refuse"


def http_get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


async def answer(port: int, path: str) -> tuple[int, str]:
    """(status, body), or (0, why) while nothing listens."""
    try:
        return await trio.to_thread.run_sync(http_get, port, path)
    except OSError as exc:
        return 0, str(exc)


async def answer_when(port: int, path: str, code: int, within: float) -> str:
    last: tuple[int, str] = (0, "")
    with trio.move_on_after(within):
        while True:
            last = await answer(port, path)
            if last[0] == code:
                return last[1]
            await trio.sleep(0.3)
    raise AssertionError(f"{path} did not answer {code} within {within:g} s; last: {last}")


# --- Prometheus --------------------------------------------------------------------


class Prometheus:
    def __init__(self, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
        self.port = port
        self.process = process
        self.log = log

    def query(self, expr: str) -> list[dict[str, object]]:
        """The instant vector of `expr`, via /api/v1/query."""
        path = "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        code, body = http_get(self.port, path)
        assert code == 200, body
        reply = json.loads(body)
        assert reply["status"] == "success", reply
        result: list[dict[str, object]] = reply["data"]["result"]
        return result

    async def value_when(self, expr: str, expected: float, within: float) -> None:
        """Poll until `expr` is one series with value `expected`."""
        last: list[dict[str, object]] = []
        with trio.move_on_after(within):
            while True:
                last = await trio.to_thread.run_sync(self.query, expr)
                if len(last) == 1 and float(last[0]["value"][1]) == expected:  # type: ignore[index]
                    return
                await trio.sleep(0.5)
        raise AssertionError(f"Prometheus: {expr} is not {expected} within {within:g} s: {last}")


@pytest.fixture(name="prometheus_binary")
def prometheus_binary_fixture() -> str:
    found = shutil.which("prometheus")
    if found is None:
        message = "Debian's prometheus is not installed (scripts/setup.sh installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(name="prometheus_for")
def prometheus_for_fixture(
    prometheus_binary: str, tmp_path: Path
) -> Iterator[Callable[[int], Prometheus]]:
    """`prometheus_for(target_port)`: a Prometheus on loopback scraping
    127.0.0.1:target_port every second, with its own storage; stopped after."""
    started: list[Prometheus] = []

    def start(target: int) -> Prometheus:
        home = tmp_path / "prometheus"
        home.mkdir()
        config = home / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: coordinator\n    scrape_timeout: 1s\n"
            f"    static_configs:\n      - targets: ['127.0.0.1:{target}']\n"
        )
        port = free_port()
        log = home / "prometheus.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [prometheus_binary, f"--config.file={config}",
                 f"--storage.tsdb.path={home / 'data'}",
                 f"--web.listen-address=127.0.0.1:{port}"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            )
        prometheus = Prometheus(port, process, log)
        started.append(prometheus)
        return prometheus

    yield start
    for prometheus in started:
        prometheus.process.terminate()
        try:
            prometheus.process.wait(10)
        except subprocess.TimeoutExpired:
            prometheus.process.kill()
            prometheus.process.wait()


async def prometheus_ready(prometheus: Prometheus, within: float = 30) -> None:
    with trio.move_on_after(within):
        while prometheus.process.poll() is None:
            if (await answer(prometheus.port, "/-/ready"))[0] == 200:
                return
            await trio.sleep(0.3)
    raise AssertionError(f"Prometheus did not start:\n{prometheus.log.read_text()[-3000:]}")


# --- the dashboard -------------------------------------------------------------------

DASHBOARD = ROOT / "config" / "grafana-dashboard.json"
# Panels for what only a daemon with a key exports (claims, settlement, the key's balance).
RESERVED = {"claims_total", "transactions_total", "gas_spent_mist_total", "outbox_operations",
            "outbox_oldest_age_seconds", "balance_mist", "min_balance_mist"}
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"),
            "gauge": ("",)}


async def check_dashboard(prometheus: Prometheus, exposition: str) -> None:
    """Every panel query is PromQL Prometheus accepts, over names the daemon exports
    (or reserves for the claim and settlement work)."""
    exported = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            exported |= {name.removesuffix("_total") + suffix for suffix in SUFFIXES[kind]}
    reserved = {"silvana_coordinator_" + name for name in RESERVED}
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert exprs
    for expr in exprs:
        names = set(re.findall(r"silvana_coordinator_\w+", expr))
        assert names and names <= exported | reserved, (expr, names - exported - reserved)
        await trio.to_thread.run_sync(prometheus.query, expr.replace("$instance", ".*"))


# --- the test ------------------------------------------------------------------------


def chain(good_image: str, bad_image: str) -> Simnet:
    return register_app(Simnet(checkpoint_interval_secs=0.2),
                        {GOOD: good_image, BAD: bad_image})


async def test_prometheus_sees_the_jobs_and_readyz_follows_the_chain(
    agent_image: str, agent_variant: Callable[[str], str], docker_client: docker.DockerClient,
    prometheus_for: Callable[[int], Prometheus], tmp_path: Path, sock_dir: Path,
    daemons: list[Daemon],
) -> None:
    sim = chain(agent_image, agent_variant("fail"))
    chain_port, metrics_port = free_port(), free_port()
    daemon = write_config(
        tmp_path, sock_dir, f"http://127.0.0.1:{chain_port}",
        extra=f'\n[metrics]\nlisten = "127.0.0.1:{metrics_port}"\n\n[jobs]\nmax_attempts = 1\n',
    )
    daemons.append(daemon)
    prometheus = prometheus_for(metrics_port)
    process = DaemonProcess(daemon, tmp_path / "daemon.log")
    try:
        async with trio.open_nursery() as nursery:
            simnet = trio.CancelScope()

            async def run_simnet(*, task_status: trio.TaskStatus[str]) -> None:
                nonlocal simnet
                simnet = trio.CancelScope()
                with simnet:
                    await serve(sim, "127.0.0.1", chain_port, task_status=task_status)

            await nursery.start(run_simnet)
            await prometheus_ready(prometheus)
            await process.wait_for_log("metrics on http://", within=30)
            assert (await answer_when(metrics_port, "/healthz", 200, within=10)).startswith("ok")
            await answer_when(metrics_port, "/readyz", 200, within=30)

            # Three jobs the agent completes, one it fails (dead: one attempt allowed).
            for n in range(3):
                sim.create_job(APP, developer=DEV, agent=AGENT, method=GOOD, data=bytes([n, 7]))
            sim.create_job(APP, developer=DEV, agent=AGENT, method=BAD, data=b"\x01")
            await status_when(
                daemon.socket,
                lambda s: s.jobs_by_state["completed"] == 3 and s.jobs_by_state["dead"] == 1
                and not s.running,
                within=120, what="3 jobs completed, 1 dead, no container running",
            )

            metric = "silvana_coordinator_"
            await prometheus.value_when('up{job="coordinator"}', 1, within=15)
            await prometheus.value_when(metric + 'jobs{state="completed"}', 3, within=15)
            await prometheus.value_when(metric + 'jobs{state="dead"}', 1, within=15)
            await prometheus.value_when(metric + 'jobs{state="running"}', 0, within=15)
            await prometheus.value_when(
                metric + 'job_outcomes_total{state="completed"}', 3, within=15)
            await prometheus.value_when(metric + 'job_outcomes_total{state="dead"}', 1, within=15)
            await prometheus.value_when(
                metric + 'events_total{type="jobs::JobCreatedEvent"}', 4, within=15)
            await prometheus.value_when(
                metric + 'socket_calls_total{method="CompleteJob",status="OK"}', 3, within=15)
            await prometheus.value_when(
                metric + 'socket_calls_total{method="FailJob",status="OK"}', 1, within=15)
            await prometheus.value_when(
                metric + 'socket_call_duration_seconds_count{method="CompleteJob"}', 3,
                within=15)
            await prometheus.value_when(metric + "containers_running", 0, within=15)
            outcomes = await trio.to_thread.run_sync(
                prometheus.query, metric + "container_outcomes_total")
            kinds = {str(s["metric"]["outcome"]): float(s["value"][1])  # type: ignore[index]
                     for s in outcomes}
            # Each key ran in its own container(s); none hit an engine or image error.
            assert kinds.get("succeeded", 0) >= 1, kinds
            assert set(kinds) <= {"succeeded", "exit_nonzero"}, kinds
            await prometheus.value_when(f'{metric}chain_state{{state="connected"}}', 1, within=15)
            await check_dashboard(prometheus, (await answer(metrics_port, "/metrics"))[1])
            lag = await trio.to_thread.run_sync(prometheus.query, metric + "chain_lag_checkpoints")
            assert len(lag) == 1 and float(lag[0]["value"][1]) < 50, lag  # type: ignore[index]

            # The chain goes away: not ready (after the idle timeout), still alive.
            simnet.cancel()
            body = await answer_when(metrics_port, "/readyz", 503, within=30)
            assert "chain: nothing received for" in body, body
            assert (await answer(metrics_port, "/healthz"))[0] == 200
            # ... and comes back on the same address: ready again.
            await nursery.start(run_simnet)
            await answer_when(metrics_port, "/readyz", 200, within=90)
            reconnects = await trio.to_thread.run_sync(
                prometheus.query, metric + "chain_reconnects_total")
            assert reconnects and float(reconnects[0]["value"][1]) >= 1  # type: ignore[index]
            nursery.cancel_scope.cancel()
    finally:
        process.kill()


async def test_readyz_is_503_while_the_docker_engine_is_unreachable(
    tmp_path: Path, sock_dir: Path, daemons: list[Daemon], monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = Simnet(checkpoint_interval_secs=0.2)
    metrics_port = free_port()
    async with trio.open_nursery() as nursery:
        target = await nursery.start(serve, sim, "127.0.0.1", 0)
        # `extra` starts inside [log]: this daemon logs JSON lines.
        daemon = write_config(
            tmp_path, sock_dir, f"http://{target}",
            extra=f'format = "json"\n\n[metrics]\nlisten = "127.0.0.1:{metrics_port}"\n',
        )
        daemons.append(daemon)
        # A socket path where no engine listens.
        monkeypatch.setenv("DOCKER_HOST", f"unix://{sock_dir}/no-docker.sock")
        process = DaemonProcess(daemon, tmp_path / "daemon.log")
        try:
            await process.wait_for_log("metrics on http://", within=30)
            # The chain is fine, the engine is not.
            await process.wait_for_log("following events", within=30)
            body = await answer_when(metrics_port, "/readyz", 503, within=10)
            assert "chain: ok" in body and "docker: connecting" in body, body
            assert (await answer(metrics_port, "/healthz"))[0] == 200
            code, text = await answer(metrics_port, "/metrics")
            assert code == 200 and "silvana_coordinator_docker_up 0.0" in text
            lines = [json.loads(line) for line in process.log().splitlines() if line]
            assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
            assert any(line["logger"] == "coordinator.docker.engine"
                       and "no-docker.sock" in line["message"] for line in lines), lines
        finally:
            process.kill()
        nursery.cancel_scope.cancel()
