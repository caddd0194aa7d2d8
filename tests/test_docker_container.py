"""The per-container supervisor against the real engine: env, labels, limits,
exit codes, timeouts (SIGTERM honoured or ignored), OOM, bounded output, TEE
mode, and clean-up on every path."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docker
import pytest
import trio

import coordinator.docker.removal as removal_module
from coordinator.config import DockerSettings
from coordinator.docker import (
    ContainerOptions,
    ContainerOutcome,
    DockerEngine,
    DockerError,
    DockerUnavailable,
    run_container,
)
from coordinator.logs import session_fingerprint
from tests.docker_support import make_options, make_spec
from tests.support import containers_of

# The coordinator's Sui address, which its agents get as COORDINATOR_ID.
COORDINATOR_ADDRESS = "0x" + "c0" * 32

MiB = 1 << 20


async def wait_for_container(client: docker.DockerClient, instance_id: str) -> Any:
    """The test's container once it runs (polled through the engine)."""
    with trio.fail_after(30):
        while True:
            found = await trio.to_thread.run_sync(containers_of, client, instance_id)
            running = [container for container in found if container.status == "running"]
            if running:
                return running[0]
            await trio.sleep(0.05)


async def test_env_labels_limits_exit_code_and_removal(
    engine: DockerEngine, docker_client: docker.DockerClient, instance_id: str,
    socket_path: Path,
) -> None:
    script = (
        "env | grep -E '^(JOB_ID|JOB_DATA|DEVELOPER|AGENT|AGENT_METHOD|METHOD|APP_INSTANCE"
        "|SESSION_ID|SESSION_PRIVATE_KEY|CHAIN|COORDINATOR_ID|COORDINATOR_SOCKET|EXTRA"
        "|COORDINATION_LAYER_ID|COORDINATION_LAYER_TYPE|OPERATION_MODE)=' "
        "| sort; "
        "env | grep -q '^SECRET_' && echo secrets-set; "
        'test -S "$COORDINATOR_SOCKET" && echo socket-mounted; '
        "grep CapEff /proc/self/status; "
        "echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes); "
        "echo pids=$(cat /sys/fs/cgroup/pids/pids.max); "
        "sleep 1; exit 3"
    )
    spec = make_spec(
        42, script, session_id="s-42", job_data=bytes.fromhex("00ff10"),
        memory_limit_bytes=96 * MiB, cpu_cores=1, socket_dir=socket_path.parent,
    )
    options = make_options(instance_id, pids_limit=64, extra_env={"EXTRA": "x"},
                           chain="localnet", coordinator_id=COORDINATOR_ADDRESS)
    seen: dict[str, Any] = {}
    async with trio.open_nursery() as nursery:

        async def inspect_while_running() -> None:
            container = await wait_for_container(docker_client, instance_id)
            seen.update(container.attrs)

        nursery.start_soon(inspect_while_running)
        outcome = await run_container(engine, spec, options)

    assert outcome.exit_code == 3 and outcome.reason == "exited with code 3"
    assert not outcome.succeeded and not outcome.timed_out and not outcome.oom_killed
    assert outcome.logs.decode().splitlines() == [
        "AGENT=agent",
        "AGENT_METHOD=method",  # upstream's contract, and METHOD below, the seed's
        "APP_INSTANCE=0xapp",
        "CHAIN=localnet",
        "COORDINATION_LAYER_ID=sui-localnet",  # upstream's layer variables
        "COORDINATION_LAYER_TYPE=sui",
        f"COORDINATOR_ID={COORDINATOR_ADDRESS}",  # the key's address, not the label's id
        "COORDINATOR_SOCKET=/run/silvana/coordinator.sock",
        "DEVELOPER=dev",
        "EXTRA=x",
        "JOB_DATA=0x00ff10",
        "JOB_ID=42",
        "METHOD=method",
        "OPERATION_MODE=multicall",
        "SESSION_ID=s-42",
        f"SESSION_PRIVATE_KEY={spec.session_private_key}",
        "socket-mounted",
        "CapEff:\t0000000000000000",
        f"mem={96 * MiB}",
        "pids=64",
    ]
    assert outcome.logs_dropped_bytes == 0
    assert 1.0 <= outcome.duration_secs < 10

    assert seen["Config"]["Labels"] == {
        "silvana.coordinator": instance_id, "silvana.job": "42",
        "silvana.session": session_fingerprint("s-42"),
    }
    host = seen["HostConfig"]
    assert host["Privileged"] is False and host["SecurityOpt"] == ["no-new-privileges"]
    assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
    assert host["NanoCpus"] == 1_000_000_000 and host["Memory"] == 96 * MiB
    assert host["NetworkMode"] == "none"
    assert host["LogConfig"] == {"Type": "json-file",
                                 "Config": {"max-file": "2", "max-size": str(2 * MiB)}}
    # The session's directory, not the socket file (a new socket in it is seen).
    assert [(m["Source"], m["Destination"]) for m in seen["Mounts"]] == [
        (str(socket_path.parent), "/run/silvana")]
    assert containers_of(docker_client, instance_id) == []


async def _timed(run: Any) -> tuple[ContainerOutcome, float]:
    started = time.monotonic()
    outcome = await run
    return outcome, time.monotonic() - started


async def test_timeout_stops_with_sigterm(
    engine: DockerEngine, docker_client: docker.DockerClient, instance_id: str,
    socket_path: Path,
) -> None:
    script = "trap 'echo got TERM; exit 143' TERM; echo started; sleep 60 & wait"
    options = make_options(instance_id, timeout_secs=2, stop_grace_secs=5)
    outcome, wall = await _timed(run_container(engine, make_spec(1, script), options))
    assert outcome.timed_out and outcome.exit_code == 143
    assert outcome.reason == "timed out after 2 s; stopped by SIGTERM, exit code 143"
    assert outcome.logs == b"started\ngot TERM\n"
    # It went at the SIGTERM, well before the grace period ran out.
    assert 2 <= outcome.duration_secs < 2 + 2
    assert wall < 2 + 5
    assert containers_of(docker_client, instance_id) == []


async def test_timeout_kills_a_container_ignoring_sigterm(
    engine: DockerEngine, docker_client: docker.DockerClient, instance_id: str,
    socket_path: Path,
) -> None:
    options = make_options(instance_id, timeout_secs=2, stop_grace_secs=2)
    spec = make_spec(2, "trap '' TERM; sleep 60")
    outcome, wall = await _timed(run_container(engine, spec, options))
    assert outcome.timed_out and outcome.exit_code == 137
    assert outcome.reason == "timed out after 2 s; killed after the 2 s grace"
    assert 2 + 2 <= outcome.duration_secs < 2 + 2 + 1.5
    assert wall < 2 + 2 + 3
    assert containers_of(docker_client, instance_id) == []


async def test_memory_limit_reports_oom(
    engine: DockerEngine, instance_id: str, socket_path: Path
) -> None:
    # tail holds a line without newline in memory: 300 MB against a 64 MiB limit.
    spec = make_spec(3, "head -c 300m /dev/zero | tail", memory_limit_bytes=64 * MiB)
    outcome = await run_container(engine, spec, make_options(instance_id))
    assert outcome.oom_killed and not outcome.succeeded
    assert outcome.reason.startswith("out of memory (limit 64 MiB)")


def _memory_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


def _reset_peak_memory() -> None:
    """VmHWM starts again from the current RSS (proc(5), clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


async def test_100_mb_of_output_keeps_a_bounded_tail(
    engine: DockerEngine, instance_id: str, socket_path: Path
) -> None:
    options = make_options(instance_id, log_limit_bytes=1 * MiB)
    # Warm up threads and connection pools so they do not count as growth.
    await run_container(engine, make_spec(4, "echo warm"), options)
    before = _memory_kib("VmRSS")
    _reset_peak_memory()
    line = "x" * 999
    script = f"yes {line} | head -c 100000000; echo done"
    outcome = await run_container(engine, make_spec(5, script), options)
    peak = _memory_kib("VmHWM")
    assert outcome.exit_code == 0
    assert len(outcome.logs) == 1 * MiB and outcome.logs.endswith(b"x\ndone\n")
    # Every byte is accounted for: kept + dropped = what the container wrote.
    assert len(outcome.logs) + outcome.logs_dropped_bytes == 100_000_000 + len("done\n")
    growth_mib = (peak - before) / 1024
    assert growth_mib < 6, f"RSS grew by {growth_mib:.1f} MiB for 100 MB of output"


async def test_tee_mode_host_network_and_polling(
    engine: DockerEngine, docker_client: docker.DockerClient, instance_id: str,
    socket_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Dropping this machine's page cache would slow everything else down.
    drop_caches = tmp_path / "drop_caches"
    monkeypatch.setattr(removal_module, "DROP_CACHES", drop_caches)
    options = make_options(instance_id, use_tee=True, tee_poll_interval_secs=2)
    seen: dict[str, Any] = {}
    async with trio.open_nursery() as nursery:

        async def inspect_while_running() -> None:
            seen.update((await wait_for_container(docker_client, instance_id)).attrs)

        nursery.start_soon(inspect_while_running)
        spec = make_spec(6, "sleep 1; echo tee; exit 5")
        outcome = await run_container(engine, spec, options)
        returned = datetime.now(UTC)
    assert seen["HostConfig"]["NetworkMode"] == "host"
    assert outcome.exit_code == 5 and outcome.reason == "exited with code 5"
    assert outcome.logs == b"tee\n" and outcome.duration_secs < 2
    # The first poll saw it running; the exit was noticed by the next poll, 2 s
    # later, not at once as Docker's wait call would have.
    assert outcome.finished_at
    assert (returned - outcome.finished_at).total_seconds() >= 0.6
    assert containers_of(docker_client, instance_id) == []
    assert drop_caches.read_text() == "3\n"  # the TEE clean-up ran

    # A timeout under polling ends the same way as in standard mode.
    polling = make_options(instance_id, use_tee=True, timeout_secs=1,
                           stop_grace_secs=0, tee_poll_interval_secs=0.2)
    timed_out = await run_container(engine, make_spec(7, "sleep 60"), polling)
    assert timed_out.timed_out and timed_out.exit_code == 137


async def test_cancelled_supervisor_stops_and_removes_its_container(
    engine: DockerEngine, docker_client: docker.DockerClient, instance_id: str,
    socket_path: Path,
) -> None:
    options = make_options(instance_id, stop_grace_secs=1)
    started = time.monotonic()
    async with trio.open_nursery() as nursery:

        async def supervise() -> None:
            await run_container(engine, make_spec(8, "sleep 60"), options)
            raise AssertionError("run_container returned instead of being cancelled")

        nursery.start_soon(supervise)
        await wait_for_container(docker_client, instance_id)
        nursery.cancel_scope.cancel()
    assert containers_of(docker_client, instance_id) == []
    assert time.monotonic() - started < 10


async def test_create_errors_are_clear_and_leave_nothing(
    engine: DockerEngine, docker_client: docker.DockerClient, instance_id: str, tmp_path: Path,
) -> None:
    options = make_options(instance_id)
    with pytest.raises(DockerError, match=r"no-such-dir") as caught:
        await run_container(engine, make_spec(9, "true", socket_dir=tmp_path / "no-such-dir"),
                            options)
    assert not isinstance(caught.value, DockerUnavailable)
    assert containers_of(docker_client, instance_id) == []


async def test_tee_clean_up_warns_once_where_the_page_cache_cannot_be_dropped(
    engine: DockerEngine, instance_id: str, socket_path: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    # A path that cannot be written stands in for a read-only /proc/sys.
    monkeypatch.setattr(removal_module, "DROP_CACHES", tmp_path / "absent" / "drop_caches")
    monkeypatch.setattr(removal_module, "_page_cache_warned", False)
    options = make_options(instance_id, use_tee=True, tee_poll_interval_secs=0.1)
    for job_id in (10, 11):
        outcome = await run_container(engine, make_spec(job_id, "true"), options)
        assert outcome.exit_code == 0
    warnings = [r for r in caplog.records if "cannot drop the page cache" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelname == "WARNING"


async def test_cap_add_from_settings_gives_back_only_that_capability(
    engine: DockerEngine, instance_id: str, socket_path: Path
) -> None:
    settings = DockerSettings(cap_add=["net_admin"], stop_grace_secs=3, network_mode="none")
    options = ContainerOptions.from_settings(settings, instance_id=instance_id)
    assert (options.cap_add, options.stop_grace_secs, options.timeout_secs) == (
        ("NET_ADMIN",), 3, 300)
    outcome = await run_container(engine, make_spec(12, "grep CapEff /proc/self/status"), options)
    # CAP_NET_ADMIN is capability 12.
    assert outcome.logs == b"CapEff:\t%016x\n" % (1 << 12)


@pytest.mark.parametrize(
    ("network_mode", "host_line"),
    [("host", "127.0.0.1\thost.docker.internal"), ("bridge", "\thost.docker.internal"),
     ("none", None)],
)
async def test_agents_find_the_host_as_host_docker_internal(
    engine: DockerEngine, instance_id: str, network_mode: str, host_line: str | None,
) -> None:
    """Upstream's agents dial host.docker.internal; only /etc/hosts is read here."""
    options = make_options(instance_id, network_mode=network_mode,
                           coordinator_url="http://host.docker.internal:50051")
    spec = make_spec(8, "grep host.docker.internal /etc/hosts; echo url=$COORDINATOR_URL")
    outcome = await run_container(engine, spec, options)
    lines = outcome.logs.decode().splitlines()
    assert lines[-1] == "url=http://host.docker.internal:50051"
    named = lines[:-1]
    if host_line is None:
        assert named == []  # no network, no name for the host
    elif network_mode == "host":
        assert named == [host_line]
    else:
        # The engine's gateway on the bridge, whatever its address.
        assert len(named) == 1 and named[0].endswith(host_line), named
