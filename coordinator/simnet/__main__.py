"""Command line of the simulator.

    python -m coordinator.simnet --listen 127.0.0.1:9000 --scenario FILE [--package-id 0x..]
    python -m coordinator.simnet create-job --target 127.0.0.1:9000 --developer D --agent A \\
        --method M --app-instance X --data 0x0102
    python -m coordinator.simnet add-method --target ... --developer D --agent A --method M \\
        --docker-image IMAGE [--default]
    python -m coordinator.simnet fund --target ... --address 0x.. --amount 10000000000
    python -m coordinator.simnet set-faults --target ... --drop-stream-after 37
    python -m coordinator.simnet stats --target ...

Exit status: 0 done (or stopped by SIGINT/SIGTERM), 1 the call or the server
failed, 2 bad arguments or scenario.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from typing import TypeVar

import purerpc
import trio
from google.protobuf.message import Message

from coordinator._pb.silvana.simnet.v1 import simnet_grpc, simnet_pb2
from coordinator.events import normalize_address
from coordinator.hostport import split_host_port
from coordinator.logs import setup_logging
from coordinator.simnet.faults import SUI_METHODS
from coordinator.simnet.scenario import ScenarioError, build_simnet, load_scenario
from coordinator.simnet.server import serve

ADMIN_TIMEOUT_SECS = 60.0
M = TypeVar("M", bound=Message)


def _address(value: str) -> tuple[str, int]:
    try:
        return split_host_port(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _hex(value: str) -> bytes:
    if not value.startswith("0x"):
        raise argparse.ArgumentTypeError("must be 0x-prefixed hex")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise argparse.ArgumentTypeError("must be 0x-prefixed hex, even length") from None


def _package(value: str) -> str:
    try:
        return normalize_address(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _mist(value: str) -> int:
    try:
        amount = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number of MIST") from None
    if not 0 < amount < 2**64:
        raise argparse.ArgumentTypeError("must be 1..2^64-1 MIST")
    return amount


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m coordinator.simnet",
        description="Embedded Sui simulator: serve it, or drive a running one.",
    )
    parser.add_argument("--listen", type=_address, default=("127.0.0.1", 9000), metavar="HOST:PORT")
    parser.add_argument("--scenario", type=Path,
                        help="scenario TOML (coordinator/configs/simnet/demo.toml)")
    parser.add_argument("--package-id", type=_package, help="wins over the scenario's")
    parser.add_argument(
        "--checkpoint-interval", type=float, metavar="SECS", help="0 seals only on demand"
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help)
        sub.add_argument(
            "--target", type=_address, default=("127.0.0.1", 9000), metavar="HOST:PORT"
        )
        return sub

    job = command("create-job", "create a job in a running simulator")
    job.add_argument("--developer", required=True)
    job.add_argument("--agent", required=True)
    job.add_argument("--method", required=True)
    job.add_argument("--app-instance", required=True, help="scenario name or object id")
    job.add_argument("--data", type=_hex, default=b"", help="0x-prefixed hex")
    job.add_argument("--description")
    job.add_argument("--app-instance-method")

    method = command("add-method", "add or update an agent method in a running simulator")
    method.add_argument("--developer", required=True)
    method.add_argument("--agent", required=True)
    method.add_argument("--method", required=True)
    method.add_argument("--docker-image", required=True)
    method.add_argument("--docker-sha256")
    method.add_argument("--min-memory-gb", type=int, default=1)
    method.add_argument("--min-cpu-cores", type=int, default=1)
    method.add_argument("--requires-tee", action="store_true")
    method.add_argument("--default", action="store_true", help="also make it the default")

    fund = command("fund", "give an address a SUI coin (gas) in a running simulator")
    fund.add_argument("--address", type=_package, required=True, help="0x-hex address")
    fund.add_argument("--amount", type=_mist, required=True, help="MIST (1 SUI = 10^9 MIST)")

    faults = command("set-faults", "replace the faults of a running simulator (unset = off)")
    faults.add_argument("--drop-stream-after", type=int, default=0, metavar="FRAMES")
    faults.add_argument("--stall-stream-after", type=int, default=0, metavar="FRAMES")
    faults.add_argument("--stall-secs", type=float, default=0.0)
    faults.add_argument("--unavailable-every", type=int, default=0, metavar="CALLS")
    faults.add_argument("--unavailable-burst", type=int, default=0, metavar="CALLS")
    faults.add_argument("--unimplemented", nargs="*", default=[], choices=sorted(SUI_METHODS))
    faults.add_argument("--index-lag", type=int, default=0, metavar="CHECKPOINTS")
    faults.add_argument("--unavailable-for", type=float, default=0.0, metavar="SECS")
    faults.add_argument("--old-node", action="store_true",
                        help="answer as a fullnode without the 2026-07 APIs")

    command("stats", "print the counters of a running simulator")
    return parser


async def _serve(args: argparse.Namespace) -> None:
    scenario = load_scenario(args.scenario) if args.scenario else None
    sim = build_simnet(
        scenario, package_id=args.package_id, checkpoint_interval_secs=args.checkpoint_interval
    )
    log = logging.getLogger("coordinator.simnet")
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            await nursery.start(serve, sim, *args.listen)
            # What a client's transactions name (docs/simulator.md).
            for name, app in sim.app_instances.items():
                log.info("app instance %s: %s", name, app.id)

            async def stop() -> None:
                async for signum in signals:
                    log.info("%s: stopping", signal.Signals(signum).name)
                    nursery.cancel_scope.cancel()

            nursery.start_soon(stop)


def _request(message_type: type[M], args: argparse.Namespace, **arguments: str) -> M:
    """A request whose fields are the arguments of the same names, or of the
    names `arguments` gives (field -> argument)."""
    return message_type(**{
        field.name: getattr(args, arguments.get(field.name, field.name))
        for field in message_type.DESCRIPTOR.fields
    })  # fmt: skip


async def _admin(args: argparse.Namespace) -> str:
    host, port = args.target
    with trio.fail_after(ADMIN_TIMEOUT_SECS):
        async with purerpc.insecure_channel(host, port) as channel:
            stub = simnet_grpc.SimnetAdminStub(channel)
            if args.command == "create-job":
                job = await stub.CreateJob(
                    _request(simnet_pb2.CreateJobRequest, args, agent_method="method")
                )
                return (
                    f"job {job.job_id} created in checkpoint {job.checkpoint} "
                    f"(transaction {job.transaction_digest})"
                )
            if args.command == "add-method":
                added = await stub.AddMethod(
                    _request(simnet_pb2.AddMethodRequest, args, set_default="default")
                )
                verb = "updated" if added.updated else "added"
                return (
                    f"method {args.method} {verb} on agent {added.agent_id} "
                    f"in checkpoint {added.checkpoint}"
                )
            if args.command == "fund":
                funded = await stub.Fund(_request(simnet_pb2.FundRequest, args))
                return (
                    f"coin {funded.coin_id} of {args.amount} MIST for {args.address} "
                    f"in checkpoint {funded.checkpoint}; balance {funded.balance} MIST"
                )
            if args.command == "set-faults":
                await stub.SetFaults(_request(
                    simnet_pb2.SetFaultsRequest, args,
                    drop_stream_after_frames="drop_stream_after",
                    stall_stream_after_frames="stall_stream_after",
                    index_lag_checkpoints="index_lag", unavailable_for_secs="unavailable_for",
                ))  # fmt: skip
                return "faults set"
            stats = await stub.GetStats(simnet_pb2.GetStatsRequest())
            lines = [
                f"{field.name}: {getattr(stats, field.name)}"
                for field in stats.DESCRIPTOR.fields
                if field.name != "rpc_counts"
            ]
            lines += [f"rpc {name}: {count}" for name, count in sorted(stats.rpc_counts.items())]
            return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        setup_logging(args.log_level)
        try:
            trio.run(_serve, args)
        except ScenarioError as exc:
            print(f"simnet: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            print(
                f"simnet: cannot listen on {args.listen[0]}:{args.listen[1]}: {exc}",
                file=sys.stderr,
            )
            return 1
        return 0
    try:
        print(trio.run(_admin, args))
    except Exception as exc:  # purerpc wraps failures in (nested) exception groups
        error = _leaf(exc)
        if isinstance(error, purerpc.RpcFailedError):
            print(f"simnet: {args.command} failed: {error.status}", file=sys.stderr)
        elif isinstance(error, OSError | trio.TooSlowError):
            host, port = args.target
            reason = "timed out" if isinstance(error, trio.TooSlowError) else str(error)
            print(f"simnet: cannot reach {host}:{port}: {reason}", file=sys.stderr)
        else:
            raise
        return 1
    return 0


def _leaf(exc: BaseException) -> BaseException:
    """The first non-group exception inside `exc`."""
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc


if __name__ == "__main__":
    sys.exit(main())
