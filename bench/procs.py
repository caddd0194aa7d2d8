"""The simulator and the daemon as processes, and grpcio clients for both.

The simulator runs as its own process (`python -m coordinator.simnet`), as a
fullnode is another machine: its work is not counted as the coordinator's.
The daemon is `python -m coordinator --config <tmp>.toml`, exactly as deployed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import field_mask_pb2

from bench.common import PACKAGE_ID, PY, BenchError, Process, free_port, wait_for
from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as cpb
from coordinator._pb.silvana.simnet.v1 import simnet_pb2
from coordinator._pb.sui.rpc.v2 import ledger_service_pb2
from coordinator.simnet.chain import derived_address

REGISTRY_ID = derived_address("registry", PACKAGE_ID)


def _unary(channel: grpc.Channel, path: str, response: Any) -> Any:
    return channel.unary_unary(
        path, request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response.FromString,
    )


class SimnetClient:
    """SimnetAdmin and the one Sui call the bench makes (after counting)."""

    def __init__(self, address: str) -> None:
        self.channel = grpc.insecure_channel(address)
        admin = "/silvana.simnet.v1.SimnetAdmin/"
        self._create = _unary(self.channel, admin + "CreateJob", simnet_pb2.CreateJobResponse)
        self._fund = _unary(self.channel, admin + "Fund", simnet_pb2.FundResponse)
        self._stats = _unary(self.channel, admin + "GetStats", simnet_pb2.GetStatsResponse)
        self._checkpoint = _unary(
            self.channel, "/sui.rpc.v2.LedgerService/GetCheckpoint",
            ledger_service_pb2.GetCheckpointResponse,
        )

    def create_job(self, method: str, app_instance: str = "bench") -> tuple[int, int]:
        """A JobCreatedEvent; returns (job id, checkpoint) once its checkpoint is sealed."""
        response = self.created(method, app_instance)
        return response.job_id, response.checkpoint

    def created(self, method: str, app_instance: str = "bench") -> simnet_pb2.CreateJobResponse:
        """A JobCreatedEvent, answered once its checkpoint is sealed."""
        response: simnet_pb2.CreateJobResponse = self._create(simnet_pb2.CreateJobRequest(
            developer="BenchDev", agent="BenchAgent", agent_method=method,
            app_instance=app_instance, data=bytes(range(32)), description="bench",
        ), timeout=30)
        return response

    def fund(self, address: str, amount: int) -> None:
        """SUI coins for `address` (gas), from the simulator's admin."""
        self._fund(simnet_pb2.FundRequest(address=address, amount=amount), timeout=10)

    def stats(self) -> simnet_pb2.GetStatsResponse:
        return self._stats(simnet_pb2.GetStatsRequest(), timeout=10)

    def checkpoint_time_ns(self, sequence: int) -> int:
        """When the simulator sealed (and so started sending) `sequence`: ms resolution."""
        request = ledger_service_pb2.GetCheckpointRequest(
            sequence_number=sequence,
            read_mask=field_mask_pb2.FieldMask(paths=["sequence_number", "summary.timestamp"]),
        )
        checkpoint = self._checkpoint(request, timeout=10).checkpoint
        return int(checkpoint.summary.timestamp.ToNanoseconds())

    def close(self) -> None:
        self.channel.close()


class DaemonClient:
    def __init__(self, socket_path: Path) -> None:
        self.channel = grpc.insecure_channel(f"unix:{socket_path}")
        self._status = _unary(
            self.channel, "/silvana.coordinator.v1.CoordinatorStatusService/GetStatus",
            cpb.GetStatusResponse)

    def status(self) -> cpb.GetStatusResponse:
        return self._status(cpb.GetStatusRequest(), timeout=10)

    def close(self) -> None:
        self.channel.close()


def start_simnet(directory: Path, scenario: str | None, interval: float) -> tuple[Process, str]:
    """A simulator on a free port of 127.0.0.1; returns it and its host:port."""
    address = f"127.0.0.1:{free_port()}"
    args = [PY, "-m", "coordinator.simnet", "--listen", address, "--package-id", PACKAGE_ID,
            "--checkpoint-interval", str(interval), "--log-level", "warning"]
    if scenario is not None:
        path = directory / "scenario.toml"
        path.write_text(scenario)
        args += ["--scenario", str(path)]
    sim = Process("simulator", args, directory / "simnet.log")
    client = SimnetClient(address)
    try:
        def up() -> bool:
            sim.check_alive()
            try:
                client.stats()
            except grpc.RpcError:
                return False
            return True

        wait_for(up, "the simulator to answer", 30, 0.1)
    except BaseException:
        sim.stop(5)
        raise
    finally:
        client.close()
    return sim, address


def daemon_config(directory: Path, simnet: str, **sections: dict[str, Any]) -> Path:
    """A TOML config for a daemon on `simnet`; `sections` add or override keys."""
    config: dict[str, dict[str, Any]] = {
        "sui": {"rpc_url": f"http://{simnet}", "package_id": PACKAGE_ID,
                "modules": ["agent", "jobs"], "idle_timeout_secs": 10},
        # TCP off unless a bench asks: a second run must not need port 50051.
        "rpc": {"socket_path": str(directory / "coordinator.sock"), "listen": ""},
        "state": {"dir": str(directory / "state")},
        "status": {"mode": "plain"},
        "log": {"level": "info"},
    }
    for name, values in sections.items():
        config.setdefault(name, {}).update(values)
    lines = []
    for name, values in config.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {_toml(value)}" for key, value in values.items()]
    path = directory / "coordinator.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def start_daemon(directory: Path, config: Path, name: str = "daemon") -> Process:
    return Process(name, [PY, "-m", "coordinator", "--config", str(config)],
                   directory / f"{name}.log")


def wait_daemon_ready(daemon: Process, client: DaemonClient, timeout: float = 60,
                      registry_size: int = 0) -> Any:
    """Until the daemon answers on its socket, is connected and done backfilling."""

    def ready() -> Any:
        daemon.check_alive()
        try:
            status = client.status()
        except grpc.RpcError:
            return None
        if (status.connection.state == "connected" and not status.backfilling
                and status.registry_size >= registry_size):
            return status
        return None

    try:
        return wait_for(ready, f"{daemon.name} to connect", timeout, 0.1)
    except BenchError as exc:
        raise BenchError(f"{exc}; its log:\n{daemon.tail()}") from None


def elapsed_since(start: float) -> str:
    return f"{time.monotonic() - start:.1f} s"
