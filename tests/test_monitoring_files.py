"""The shipped monitoring files against what the daemon exports (issue 27).

`deploy/prometheus/alerts.yml` is checked and unit-tested by Debian's own
`promtool` (each alert fires on a coordinator in trouble and stays quiet on a
healthy one beside it: `alerts.test.yml`); every series an alert or a
dashboard panel names is one the daemon exports; and every metric the daemon
exports has a panel in `config/grafana-dashboard.json`. "Exported" is the
daemon's own exposition: the hook instruments' registry and the collector
over owners in the state where every family is present (a key's settler with
a balance read, a cursor, a node heard from).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import trio

from coordinator.config import SettleSettings
from coordinator.instruments import REGISTRY
from coordinator.settlement import Settler
from coordinator.sui.client import connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.executor import Executor
from coordinator.sui.keys import SuiKey
from tests.support import ROOT, need
from tests.test_metrics import Daemon, scrape
from tests.test_metrics import daemon as daemon  # the fixture, shared

PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "config" / "grafana-dashboard.json"
NAME = re.compile(r"silvana_coordinator_\w+")
# How a family's name appears in PromQL, by the suffixes of its samples.
SAMPLE_SUFFIXES = ("", "_total", "_bucket", "_count", "_sum")


@pytest.fixture(name="promtool")
def promtool_fixture() -> str:
    found = shutil.which("promtool")
    if found is None:
        need("promtool is missing (Debian's prometheus; scripts/setup.sh installs it)")
    assert found is not None
    return found


def run_promtool(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], check=False, capture_output=True, text=True,
                          timeout=60, cwd=PROMETHEUS_DIR)


@pytest.fixture(name="exported")
async def exported_fixture(daemon: Daemon) -> set[str]:
    """Family names in the daemon's exposition, every conditional one included."""
    observed = daemon.observed
    observed.chain.connected()
    observed.chain.heard_at = trio.current_time()
    observed.handled.cursor = 10
    observed.handled.events_by_type["JobCreatedEvent"] = 1
    nowhere = functools.partial(connect, Endpoint.parse("http://127.0.0.1:1"))
    settler = Settler(daemon.book.store, daemon.book,
                      Executor(SuiKey.generate(), nowhere, "0x2"), nowhere, SettleSettings())
    settler.balance = 1
    samples = scrape(dataclasses.replace(observed, settler=settler))
    names = {name for name, _ in samples}
    names |= {family.name for family in REGISTRY.collect()}
    return {name.removesuffix("_total") for name in names}


def spellings(families: set[str]) -> set[str]:
    return {family + suffix for family in families for suffix in SAMPLE_SUFFIXES}


def dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_the_alert_rules_pass_promtools_check_and_unit_tests(promtool: str) -> None:
    checked = run_promtool(promtool, "check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = run_promtool(promtool, "test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout + tested.stderr


def test_every_alert_the_issue_asks_for_is_there_and_unit_tested() -> None:
    rules = (PROMETHEUS_DIR / "alerts.yml").read_text()
    tests = (PROMETHEUS_DIR / "alerts.test.yml").read_text()
    alerts = re.findall(r"- alert: (\w+)", rules)
    for wanted in ("CoordinatorBalanceLow", "CoordinatorStreamStalled",
                   "CoordinatorOutboxGrowing", "CoordinatorClaimsFailing",
                   "CoordinatorContainersFailing"):
        assert wanted in alerts
    for alert in alerts:  # each has a case where it is expected to fire
        assert re.search(rf"alertname: {alert}\n\s+exp_alerts:", tests), alert


async def test_the_alerts_name_only_series_the_daemon_exports(exported: set[str]) -> None:
    rules = (PROMETHEUS_DIR / "alerts.yml").read_text()
    used = set(NAME.findall(rules))
    assert used and used <= spellings(exported), used - spellings(exported)


async def test_every_exported_metric_has_a_dashboard_panel(exported: set[str]) -> None:
    used = {name for expr in dashboard_exprs() for name in NAME.findall(expr)}
    missing = {family for family in exported
               if not any(family + suffix in used for suffix in SAMPLE_SUFFIXES)}
    assert not missing, f"metrics without a dashboard panel: {sorted(missing)}"
    assert used <= spellings(exported), used - spellings(exported)


def test_every_dashboard_query_is_promql(promtool: str, tmp_path: Path) -> None:
    """promtool parses each panel's query (as a recording rule): no Grafana needed."""
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:panel_{n}", "expr": expr.replace("$instance", ".*")}
        for n, expr in enumerate(dashboard_exprs())]}]}
    path = tmp_path / "dashboard-rules.json"  # JSON is YAML
    path.write_text(json.dumps(rules))
    checked = run_promtool(promtool, "check", "rules", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
