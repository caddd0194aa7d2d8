"""The metrics collector, the health verdicts and the HTTP endpoint (issue 14).

The collector is read through a registry of its own with prometheus_client's
text parser; the endpoint is asked over loopback by http.client, a real HTTP
client, in a worker thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import http.client
import json
import logging
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import purerpc
import pytest
import trio
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.config import ConfigError, Settings, SettleSettings, load_settings
from coordinator.dispatcher import DispatchStatus
from coordinator.domain import ChainOperation, JobRef, OperationKind, Session
from coordinator.instruments import REGISTRY, socket_call
from coordinator.jobs import JobBook
from coordinator.logs import PLAIN_FORMAT, JsonFormatter, session_fingerprint
from coordinator.metrics import endpoint
from coordinator.metrics.collector import DaemonCollector
from coordinator.metrics.endpoint import serve_metrics
from coordinator.metrics.health import readiness
from coordinator.metrics.observed import Observed
from coordinator.registry import Registry
from coordinator.rpc import CoordinatorService
from coordinator.runner import Runner
from coordinator.settlement import Settler
from coordinator.status import DaemonStatus
from coordinator.store import Store
from coordinator.sui.chain_status import ChainStatus
from coordinator.sui.client import connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.executor import Executor
from coordinator.sui.keys import SuiKey
from coordinator.supervisor import ChildSpec, Options, supervise, task
from tests.support import ADD_KEY, APP_INSTANCE, job

KEY = ADD_KEY
APP = APP_INSTANCE


def settings(listen: str = "127.0.0.1:0") -> Settings:
    return Settings.model_validate({
        "sui": {"package_id": "0x2", "idle_timeout_secs": 5},
        "metrics": {"listen": listen},
    })


@dataclass
class Daemon:
    observed: Observed

    @property
    def book(self) -> JobBook:
        return self.observed.book

    @property
    def runner(self) -> Runner:
        return self.observed.runner


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    store = await Store.open(tmp_path)
    book = await JobBook.load(store, max_attempts=3, lease_secs=60)
    registry = await Registry.load(store, None)
    runner = Runner(settings(), book, registry, "instance")
    chain, handled = ChainStatus(endpoint="http://127.0.0.1:1"), DispatchStatus()
    status = DaemonStatus([chain.report, handled.report, book.report, runner.report,
                           store.report], "instance")
    yield Daemon(Observed(status, chain, handled, book, registry, runner, store))
    await store.close()


def counted(name: str, **labels: str) -> float:
    """A hook instrument's value in the daemon's registry (0 before its first count)."""
    return REGISTRY.get_sample_value(f"silvana_coordinator_{name}", labels) or 0.0


def scrape(observed: Observed) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(DaemonCollector(observed))
    text = generate_latest(registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text) for sample in family.samples
    }


async def test_the_collector_reads_chain_jobs_and_containers_from_the_status(
    daemon: Daemon,
) -> None:
    observed, book = daemon.observed, daemon.book
    observed.chain.connected()
    observed.chain.tip = 120
    observed.handled.cursor = 100
    observed.handled.events_by_type["jobs::JobCreatedEvent"] += 3
    for job_id in (1, 2, 3):
        assert book.add_recovered(job(job_id))
    completed_before = counted("job_outcomes_total", state="completed")
    opened = book.open_session(KEY)
    assert opened is not None
    session, trigger = opened
    book.complete(session.session_id, trigger.job_id)
    book.close_session(session.session_id, None)

    samples = scrape(observed)
    assert samples[("silvana_coordinator_chain_tip_checkpoint", ())] == 120
    assert samples[("silvana_coordinator_chain_cursor_checkpoint", ())] == 100
    assert samples[("silvana_coordinator_chain_lag_checkpoints", ())] == 20
    states = {labels[0][1]: value for (name, labels), value in samples.items()
              if name == "silvana_coordinator_chain_state"}
    assert states == {"starting": 0, "connecting": 0, "backfilling": 0, "connected": 1,
                      "reconnecting": 0}
    assert samples[("silvana_coordinator_events_total",
                    (("type", "jobs::JobCreatedEvent"),))] == 3
    assert samples[("silvana_coordinator_jobs", (("state", "completed"),))] == 1
    assert samples[("silvana_coordinator_jobs", (("state", "pending"),))] == 2
    assert samples[("silvana_coordinator_jobs", (("state", "dead"),))] == 0
    assert samples[("silvana_coordinator_containers_running", ())] == 0
    assert samples[("silvana_coordinator_docker_up", ())] == 0  # the runner never connected
    assert counted("job_outcomes_total", state="completed") == completed_before + 1
    # No session or job id anywhere in the exposition.
    assert not any(session.session_id in str(labels) for _, labels in samples)


async def test_the_collector_leaves_out_a_cursor_it_does_not_have(daemon: Daemon) -> None:
    samples = scrape(daemon.observed)
    assert ("silvana_coordinator_chain_cursor_checkpoint", ()) not in samples
    assert ("silvana_coordinator_chain_lag_checkpoints", ()) not in samples
    assert samples[("silvana_coordinator_chain_state", (("state", "starting"),))] == 1


async def test_readiness_names_what_is_wrong(daemon: Daemon) -> None:
    status = daemon.observed
    verdict = readiness(status, idle_timeout_secs=5)
    assert not verdict.ok
    assert "chain: nothing received yet" in verdict.text
    assert "docker: connecting" in verdict.text

    status.chain.connected()
    status.chain.heard_at = trio.current_time()
    daemon.runner.docker_state = "connected"
    verdict = readiness(status, idle_timeout_secs=5)
    assert verdict.ok, verdict.text

    status.chain.heard_at = trio.current_time() - 6
    status.chain.reconnecting(1.0, "connection refused")
    verdict = readiness(status, idle_timeout_secs=5)
    assert not verdict.ok
    assert "nothing received for 6 s" in verdict.text and "connection refused" in verdict.text

    status.chain.heard_at = trio.current_time()
    daemon.runner.draining.set()
    assert not readiness(status, idle_timeout_secs=5).ok


async def test_socket_calls_are_counted_by_method_and_status() -> None:
    @socket_call("TestCall")
    async def call(fail: bool) -> str:
        if fail:
            raise purerpc.NotFoundError("no such job")
        return "ok"

    ok, failed = (counted("socket_calls_total", method="TestCall", status=status)
                  for status in ("OK", "NOT_FOUND"))
    timed = counted("socket_call_duration_seconds_count", method="TestCall")
    assert await call(False) == "ok"
    with pytest.raises(purerpc.RpcFailedError):
        await call(True)
    assert counted("socket_calls_total", method="TestCall", status="OK") == ok + 1
    assert counted("socket_calls_total", method="TestCall", status="NOT_FOUND") == failed + 1
    assert counted("socket_call_duration_seconds_count", method="TestCall") == timed + 2


# --- the endpoint, over loopback -------------------------------------------------


def get(address: str, path: str, method: str = "GET") -> tuple[int, str, str]:
    host, _, port = address.rpartition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read().decode()
    finally:
        connection.close()


async def fetch(address: str, path: str, method: str = "GET") -> tuple[int, str, str]:
    return await trio.to_thread.run_sync(get, address, path, method)


async def test_the_endpoint_serves_metrics_health_and_readiness(daemon: Daemon) -> None:
    status = daemon.observed

    async def crashing() -> None:
        raise RuntimeError("boom")

    async with trio.open_nursery() as nursery:
        address = await nursery.start(serve_metrics, settings(), status)
        code, content_type, body = await fetch(address, "/metrics")
        assert code == 200 and content_type.startswith("text/plain")
        names = {family.name for family in text_string_to_metric_families(body)}
        assert {"silvana_coordinator_chain_state", "silvana_coordinator_jobs",
                "silvana_coordinator_supervisor_restarts",
                "silvana_coordinator_container_outcomes"} <= names

        code, _, body = await fetch(address, "/readyz")
        assert code == 503 and "chain: nothing received yet" in body
        status.chain.connected()
        status.chain.heard_at = trio.current_time()
        daemon.runner.docker_state = "connected"
        code, _, body = await fetch(address, "/readyz")
        assert code == 200 and body.startswith("ok\n"), body

        # Liveness: every supervised child runs; a child waiting out its
        # restart backoff makes it 503.
        tree = trio.CancelScope()

        async def run_tree(children: list[ChildSpec]) -> None:
            with tree:
                await supervise("test", children, Options(backoff_initial=60, backoff_max=60))

        nursery.start_soon(run_tree, [ChildSpec("idle", task(trio.sleep_forever))])
        await trio.sleep(0.1)
        code, _, body = await fetch(address, "/healthz")
        assert code == 200 and "children running" in body, body
        tree.cancel()
        await trio.sleep(0.1)

        tree = trio.CancelScope()
        nursery.start_soon(run_tree, [ChildSpec("idle", task(trio.sleep_forever)),
                                      ChildSpec("crashy", task(crashing))])
        await trio.sleep(0.1)
        code, _, body = await fetch(address, "/healthz")
        assert code == 503 and "restarting test/crashy" in body, body
        samples = {s.name: s.value for f in text_string_to_metric_families(
            (await fetch(address, "/metrics"))[2]) for s in f.samples
            if s.labels.get("child") == "crashy"}
        assert samples["silvana_coordinator_supervisor_restarts_total"] >= 1
        assert samples["silvana_coordinator_supervisor_child_up"] == 0
        tree.cancel()

        assert (await fetch(address, "/nope"))[0] == 404
        assert (await fetch(address, "/metrics", "POST"))[0] == 405
        code, _, body = await fetch(address, "/metrics", "HEAD")
        assert code == 200 and body == ""
        nursery.cancel_scope.cancel()


async def test_the_endpoint_bounds_what_a_client_may_send(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(endpoint, "REQUEST_TIMEOUT_SECS", 0.5)
    async with trio.open_nursery() as nursery:
        address = await nursery.start(serve_metrics, settings(), daemon.observed)
        host, _, port = address.rpartition(":")
        stream = await trio.open_tcp_stream(host, int(port))
        await stream.send_all(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 20000)
        answer = await stream.receive_some(4096)
        assert answer.startswith(b"HTTP/1.1 431 "), answer
        await stream.aclose()

        # A client that sends half a request is cut off at the timeout.
        stream = await trio.open_tcp_stream(host, int(port))
        await stream.send_all(b"GET /metr")
        with trio.fail_after(3):
            assert await stream.receive_some(4096) == b""
        await stream.aclose()
        nursery.cancel_scope.cancel()


async def test_health_probes_are_answered_while_slow_clients_hold_every_place(
    daemon: Daemon,
) -> None:
    """64 slowloris clients (half a request head, never finished; each one
    closed reconnects at once) and 100 of 100 /healthz probes answered."""
    async with trio.open_nursery() as nursery:
        address = await nursery.start(serve_metrics, settings(), daemon.observed)
        host, _, port = address.rpartition(":")

        async def slow_client() -> None:
            while True:  # the attacker comes back as soon as it is pushed out
                stream = await trio.open_tcp_stream(host, int(port))
                async with stream:
                    await stream.send_all(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
                    with contextlib.suppress(trio.BrokenResourceError):
                        while await stream.receive_some(1024):
                            pass

        quiet = await fetch(address, "/healthz")  # the answer without the crowd
        for _ in range(endpoint.MAX_CONNECTIONS):
            nursery.start_soon(slow_client)
        await trio.sleep(0.5)  # every place taken
        answers = [await fetch(address, "/healthz") for _ in range(100)]
        assert answers.count(quiet) == 100, answers
        nursery.cancel_scope.cancel()


async def test_a_taken_port_is_logged_and_the_daemon_goes_on(
    daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with trio.open_nursery() as nursery:
            # Up at once (the children after it start), serving nothing yet.
            with trio.fail_after(5):
                where = await nursery.start(serve_metrics, settings(f"127.0.0.1:{port}"),
                                            daemon.observed)
            assert where == ""
            nursery.cancel_scope.cancel()
    assert f"metrics.listen 127.0.0.1:{port}: cannot listen (address in use)" in caplog.text


# --- config and logs -------------------------------------------------------------


def test_metrics_listen_and_log_format_are_validated(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[sui]\npackage_id = "0x2"\n[metrics]\nlisten = ""\n[log]\nformat = "json"\n')
    loaded = load_settings(config, env={})
    assert loaded.metrics.listen_address is None and loaded.log.format == "json"
    default = load_settings(None, env={"COORDINATION_PACKAGE_ID": "0x2"})
    assert default.metrics.listen == "127.0.0.1:9464" and default.log.format == "text"
    config.write_text('[sui]\npackage_id = "0x2"\n[metrics]\nlisten = "example.com:80"\n')
    with pytest.raises(ConfigError, match=r"metrics.listen: must be an IP address and port"):
        load_settings(config, env={})
    config.write_text('[sui]\npackage_id = "0x2"\n[log]\nformat = "xml"\n')
    with pytest.raises(ConfigError, match=r"log.format"):
        load_settings(config, env={})


def test_json_log_lines_carry_job_key_and_a_session_fingerprint() -> None:
    secret = "f" * 32
    session = Session(secret, KEY, started_at=0.0, private_key="suiprivkey1notreal")
    record = logging.LogRecord(
        "coordinator.jobs", logging.INFO, __file__, 1, "job %s (%s): %s",
        (JobRef(APP, 7), KEY, "completed"), None,
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "info" and line["logger"] == "coordinator.jobs"
    assert line["message"] == f"job 7@{APP[:12]} (AddExampleDev/AddAgent/prove): completed"
    assert line["job"] == f"7@{APP[:12]}" and line["key"] == "AddExampleDev/AddAgent/prove"
    assert line["time"].endswith("+00:00")

    record = logging.LogRecord("coordinator.rpc", logging.DEBUG, __file__, 1,
                               "session for %s opened", (session,), None)
    record.session = secret
    text = JsonFormatter().format(record)
    assert secret not in text
    assert json.loads(text)["session"] == session_fingerprint(secret)
    assert secret not in logging.Formatter(PLAIN_FORMAT).format(record)
    assert len(session_fingerprint(secret)) == 12


async def test_socket_service_lines_name_the_session_by_fingerprint_only(
    daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="coordinator.rpc")
    book = daemon.book
    assert book.add_recovered(job(1))
    opened = book.open_session(KEY)
    assert opened is not None
    session, _ = opened
    service = CoordinatorService(book)
    calls = counted("socket_calls_total", method="CompleteJob", status="OK")
    request = pb.CompleteJobRequest(session_id=session.session_id, job_id=f"1@{APP}")
    assert (await service.CompleteJob(request)).success
    assert counted("socket_calls_total", method="CompleteJob", status="OK") == calls + 1

    [record] = [r for r in caplog.records if r.getMessage().startswith("CompleteJob:")]
    line = json.loads(JsonFormatter().format(record))
    assert line["session"] == session_fingerprint(session.session_id)
    assert line["job"] == f"1@{APP[:12]}"
    for text in (JsonFormatter().format(record), logging.Formatter(PLAIN_FORMAT).format(record)):
        assert session.session_id not in text and session.session_id[:8] not in text, text


async def test_the_outbox_is_exported_and_a_stuck_one_is_not_ready(
    daemon: Daemon, tmp_path: Path
) -> None:
    observed = daemon.observed
    # Without a key there is no outbox: nothing exported, nothing checked.
    assert not any(name.startswith("silvana_coordinator_outbox") for name, _ in scrape(observed))
    assert "outbox" not in readiness(observed, idle_timeout_secs=5).text
    key = SuiKey.generate()
    executor = Executor(key, lambda: connect(Endpoint.parse("http://127.0.0.1:1")), "0x2")
    settler = Settler(daemon.book.store, daemon.book, executor,
                      lambda: connect(Endpoint.parse("http://127.0.0.1:1")), SettleSettings())
    with_settler = dataclasses.replace(observed, settler=settler)
    observed.chain.connected()
    observed.chain.heard_at = trio.current_time()
    daemon.runner.docker_state = "connected"
    now = time.time()
    settler.outbox = [ChainOperation(OperationKind.COMPLETE, APP, 1, created_at=now - 30),
                      ChainOperation(OperationKind.START, APP, 2, created_at=now - 1)]
    samples = scrape(with_settler)
    assert samples[("silvana_coordinator_outbox_operations", ())] == 2
    assert 29 <= samples[("silvana_coordinator_outbox_oldest_age_seconds", ())] < 60
    verdict = readiness(with_settler, idle_timeout_secs=5)
    assert verdict.ok and "outbox: ok (2 operation(s))" in verdict.text
    settler.outbox[0].created_at = now - 400
    settler.last_error = "GasError: address 0x… cannot pay"
    verdict = readiness(with_settler, idle_timeout_secs=5)
    assert not verdict.ok
    assert "outbox: stuck, oldest of 2 operation(s) waits 400 s" in verdict.text
    assert "GasError" in verdict.text


async def test_the_keys_balance_is_exported_once_read(daemon: Daemon) -> None:
    """The balance the settler reads on its interval, beside the configured floor
    (the pair the BalanceLow alert compares); no balance series before a read."""
    key = SuiKey.generate()
    connect_nowhere = functools.partial(connect, Endpoint.parse("http://127.0.0.1:1"))
    settler = Settler(daemon.book.store, daemon.book, Executor(key, connect_nowhere, "0x2"),
                      connect_nowhere, SettleSettings(min_balance_mist=5_000))
    with_settler = dataclasses.replace(daemon.observed, settler=settler)
    samples = scrape(with_settler)
    assert ("silvana_coordinator_balance_mist", ()) not in samples
    assert samples[("silvana_coordinator_min_balance_mist", ())] == 5_000
    settler.balance = 4_200
    assert scrape(with_settler)[("silvana_coordinator_balance_mist", ())] == 4_200
