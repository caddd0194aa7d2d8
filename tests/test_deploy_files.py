"""The deployment files in deploy/, each checked by the tool its platform uses.

- systemd: `systemd-analyze verify` (directives, specifiers, the executable:
  the project's own entry point, installed here in .venv where the unit says
  /opt/silvana-coordinator) and `systemd-analyze security --offline` (the
  sandbox's exposure score stays low); the unit's promises (no restart on a
  configuration error, its own user, the Docker group, the key as a
  credential) and its example config agreeing with it.
- compose: `docker-compose config` (Debian's docker-compose, the compose
  file schema) and `promtool check config` of its Prometheus.
- Kubernetes: kubernetes-validate --strict (the API's schemas, offline) and
  the ConfigMaps' contents: the coordinator's TOML and Prometheus's config.

Each linter is shown to refuse a broken copy, so a pass means something.
Every coordinator config shipped in deploy/ validates against the settings
models.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from coordinator.config import Settings
from tests.support import ROOT, need

DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "systemd" / "silvana-coordinator@.service"
INSTALLED = "/opt/silvana-coordinator"  # where docs/deployment.md installs the project
MAX_EXPOSURE = 2.5  # systemd-analyze security: "OK" is below 4.0


def tool(name: str) -> str:
    """A command on PATH, or beside this Python (the venv's, for kubernetes-validate)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        need(f"{name} is missing (scripts/setup.sh installs it, or the [test] extras)")
    assert found is not None
    return found


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), check=False, capture_output=True, text=True, timeout=120,
                          cwd=cwd)


def unit_directives(text: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            name, _, value = line.partition("=")
            directives.setdefault(name, []).append(value)
    return directives


# --- systemd ---------------------------------------------------------------------------


@pytest.fixture(name="instance_unit")
def instance_unit_fixture(tmp_path: Path) -> Path:
    """The template as instance `testnet`, its executable this checkout's entry point."""
    entry = Path(sys.executable).parent / "silvana-coordinator"
    assert entry.is_file(), "the project's console script is not installed in .venv"
    text = UNIT.read_text()
    assert f"ExecStart={INSTALLED}/bin/silvana-coordinator " in text
    path = tmp_path / "silvana-coordinator@testnet.service"
    path.write_text(text.replace(f"{INSTALLED}/bin/silvana-coordinator", str(entry)))
    return path


def test_the_systemd_unit_verifies_and_is_sandboxed(instance_unit: Path) -> None:
    analyze = tool("systemd-analyze")
    verified = run(analyze, "verify", str(instance_unit))
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr
    # --threshold is the score in tenths: exit 1 above it.
    security = run(analyze, "security", "--offline=true", f"--threshold={MAX_EXPOSURE * 10:.0f}",
                   str(instance_unit))
    assert security.returncode == 0, security.stdout[-3000:] + security.stderr
    score = re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout)
    assert score is not None and float(score.group(1)) <= MAX_EXPOSURE, security.stdout[-500:]
    broken = instance_unit.parent / "broken" / instance_unit.name
    broken.parent.mkdir()
    broken.write_text(instance_unit.read_text().replace("RestartSec=5s", "RestartSec=soon"))
    refused = run(analyze, "verify", str(broken))
    assert "Failed to parse sec value, ignoring: soon" in refused.stderr, refused.stderr


def test_the_unit_keeps_its_promises_and_its_config_agrees() -> None:
    unit = unit_directives(UNIT.read_text())
    assert unit["RestartPreventExitStatus"] == ["2"]  # a config error: exit 2
    assert unit["Restart"] == ["on-failure"]
    assert unit["DynamicUser"] == ["yes"] and unit["SupplementaryGroups"] == ["docker"]
    assert unit["NoNewPrivileges"] == ["yes"] and unit["ProtectSystem"] == ["strict"]
    assert unit["CapabilityBoundingSet"] == [""]
    [credential] = unit["LoadCredential"]
    name, _, source = credential.partition(":")
    assert source == "/etc/silvana-coordinator/%i.key"
    assert "--grpc-socket-path %t/silvana-coordinator/%i/" in unit["ExecStart"][0]
    assert unit["RuntimeDirectory"] == ["silvana-coordinator/%i"]
    assert unit["StateDirectory"] == ["silvana-coordinator/%i"]
    config = coordinator_config(DEPLOY / "systemd" / "testnet.toml")
    assert config.sui.key_credential == name
    assert config.sui.key_file is None
    assert str(config.state.dir) == "/var/lib/silvana-coordinator/testnet"  # %S/.../%i


def coordinator_config(path: Path, text: str | None = None) -> Settings:
    tree = tomllib.loads(path.read_text() if text is None else text)
    return Settings.model_validate(tree)


# --- compose ---------------------------------------------------------------------------


@pytest.fixture(name="compose_dir")
def compose_dir_fixture(tmp_path: Path) -> Path:
    """deploy/ copied as it is laid out, with the key file the operator adds."""
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy)
    key = copy / "compose" / "sui.key"
    key.write_text("suiprivkey1 goes here\n")
    key.chmod(0o600)
    return copy / "compose"


def test_the_compose_file_is_valid_and_mounts_what_the_daemon_needs(compose_dir: Path) -> None:
    compose = tool("docker-compose")
    checked = run(compose, "-f", "compose.yaml", "config", cwd=compose_dir)
    assert checked.returncode == 0, checked.stderr
    resolved = yaml.safe_load(checked.stdout)
    coordinator = resolved["services"]["coordinator"]
    assert coordinator["image"] == "silvana-coordinator-normal:latest"
    assert coordinator["network_mode"] == "host"
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in coordinator["volumes"]}
    assert mounts["/var/run/docker.sock"] == "/var/run/docker.sock"
    # The agents' socket directories: the same path for the container and the engine.
    assert mounts["/run/silvana-coordinator"] == "/run/silvana-coordinator"
    config = coordinator_config(compose_dir / "coordinator.toml")
    assert config.rpc.socket_path.parent == Path("/run/silvana-coordinator")
    assert str(config.sui.key_file) == "/run/secrets/sui_key"
    assert [s["source"] for s in coordinator["secrets"]] == ["sui_key"]
    assert config.metrics.listen in prometheus_targets(compose_dir / "prometheus.yml")
    broken = compose_dir / "broken.yaml"
    broken.write_text((compose_dir / "compose.yaml").read_text()
                      .replace("restart: unless-stopped", "restart: 5", 1))
    assert run(compose, "-f", "broken.yaml", "config", "-q", cwd=compose_dir).returncode != 0


def prometheus_targets(path: Path, text: str | None = None) -> list[str]:
    config: dict[str, Any] = yaml.safe_load(path.read_text() if text is None else text)
    [job] = config["scrape_configs"]
    assert job["job_name"] == "silvana-coordinator"  # what alerts.yml's CoordinatorDown reads
    targets: list[str] = job["static_configs"][0]["targets"]
    return targets


def test_the_compose_prometheus_config_loads_the_alert_rules(compose_dir: Path) -> None:
    promtool = tool("promtool")
    # As compose mounts them: alerts.yml beside prometheus.yml.
    alerts = compose_dir.parent / "prometheus" / "alerts.yml"
    shutil.copy(alerts, compose_dir / "alerts.yml")
    rules = sum(len(group["rules"]) for group in yaml.safe_load(alerts.read_text())["groups"])
    checked = run(promtool, "check", "config", "prometheus.yml", cwd=compose_dir)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Every rule of alerts.yml loaded through the compose config, none lost.
    assert f"{rules} rules found" in checked.stdout + checked.stderr


# --- Kubernetes ------------------------------------------------------------------------


def manifests() -> list[dict[str, Any]]:
    return [doc for path in sorted((DEPLOY / "kubernetes").glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_the_kubernetes_manifests_match_the_api_schemas(tmp_path: Path) -> None:
    validate = tool("kubernetes-validate")
    files = sorted(str(p) for p in (DEPLOY / "kubernetes").glob("*.yaml"))
    checked = run(validate, "--strict", *files)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count(" passed for resource ") == len(manifests())
    broken = tmp_path / "broken.yaml"
    broken.write_text((DEPLOY / "kubernetes" / "coordinator.yaml").read_text()
                      .replace("terminationGracePeriodSeconds:", "terminationGracePeriod:"))
    assert run(validate, "--strict", str(broken)).returncode != 0


def test_the_kubernetes_configmaps_hold_a_valid_config_and_scrape_config(tmp_path: Path) -> None:
    by_name = {(doc["kind"], doc["metadata"]["name"]): doc for doc in manifests()}
    toml = by_name[("ConfigMap", "silvana-coordinator")]["data"]["coordinator.toml"]
    config = coordinator_config(Path("configmap"), toml)
    deployment = by_name[("Deployment", "silvana-coordinator")]["spec"]["template"]["spec"]
    [container] = deployment["containers"]
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert str(config.sui.key_file) in mounts  # a plain file (subPath), not a symlink
    assert mounts[str(config.sui.key_file)]["subPath"] == "sui-key"
    assert str(config.state.dir) in mounts
    assert str(config.rpc.socket_path.parent) in mounts
    hostpaths = {v["name"]: v["hostPath"]["path"] for v in deployment["volumes"] if "hostPath" in v}
    sockets = mounts[str(config.rpc.socket_path.parent)]["name"]
    assert hostpaths[sockets] == str(config.rpc.socket_path.parent)  # same path on the node
    port = config.metrics.listen.rpartition(":")[2]
    assert {"name": "metrics", "containerPort": int(port), "protocol": "TCP"} in container["ports"]
    scrape = by_name[("ConfigMap", "prometheus")]["data"]["prometheus.yml"]
    assert f"silvana-coordinator.silvana.svc:{port}" in prometheus_targets(Path(), scrape)
    shutil.copy(DEPLOY / "prometheus" / "alerts.yml", tmp_path / "alerts.yml")
    (tmp_path / "prometheus.yml").write_text(
        scrape.replace("/etc/prometheus/rules/alerts.yml", str(tmp_path / "alerts.yml")))
    checked = run(tool("promtool"), "check", "config", str(tmp_path / "prometheus.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
