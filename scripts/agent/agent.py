"""Silvana demo agent: runs inside silvana-demo/agent (built by
scripts/build-agent-image) with Debian's python3, python3-grpcio and
python3-protobuf (4.21).

Contract (see ../shared/DESIGN.md, "Contracts with agent containers"):
  env JOB_ID, JOB_DATA (hex, 0x-prefixed)  the trigger job, handed by env
  env DEVELOPER, AGENT, AGENT_METHOD       the key asked for in GetJob
                                           (METHOD, the seed's name, if unset)
  env APP_INSTANCE, SESSION_ID             SESSION_ID goes into every call
  env SESSION_PRIVATE_KEY                  the session's key (only noted as given)
  env COORDINATOR_URL (optional)           http://host:port of the service on TCP
                                           (upstream SDK's name); when set, it is
                                           used instead of the socket
  env COORDINATOR_SOCKET                   the bind-mounted Unix socket
  env AGENT_MODE (optional)                comma-separated: how each job is
      settled, `complete` (default), `fail` (FailJob), `terminate`
      (TerminateJob) or `mixed` (the first byte of the job's data mod 3: 0
      complete, 1 fail, 2 terminate); `sleep:<secs>` (sleep first);
      `work:<secs>` (each job takes that long, like real proving work);
      `fields` (the env job too is taken through GetJob, and every field of
      each job is printed: `fields <sequence> <name>=<value> ...`, and upstream's
      container variables once: `env CHAIN=... COORDINATOR_ID=...`)
  env AGENT_RPC_TIMEOUT_SECS (optional)    deadline of each call, default 10

It first does the env job (its wire id is JOB_ID@APP_INSTANCE), then calls
GetJob until the response has no `job`, tells the coordinator its proof of each
job (AgentMessage, level info: shown in the coordinator's status; a refusal
of it is printed and does not stop the agent), and settles each job by its
`job_id` with CompleteJob, FailJob or TerminateJob; messages are upstream's
CoordinatorService. The work of every method is the demo proof: the SHA-256 of
the job's data. One line per job on stdout:
  job <sequence> <method> sha256=<hex> len=<n> -> completed|failed|terminated|refused: <why>
Exit status: 0 when no job is left, 1 on an RPC error, 2 on a bad environment.

No generated code is shipped (our protoc's gencode needs protobuf 7): the
service is read from coordinator.binpb, a FileDescriptorSet next to this file,
and the message classes are built from it at run time.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

SERVICE = "silvana.coordinator.v1.CoordinatorService"
DESCRIPTORS = Path(__file__).with_name("coordinator.binpb")
# Upstream's container variables the `fields` mode prints (none is a secret).
CONTRACT_ENV = ("CHAIN", "COORDINATOR_ID", "COORDINATION_LAYER_ID", "COORDINATION_LAYER_TYPE",
                "OPERATION_MODE", "COORDINATOR_URL")


class AgentError(Exception):
    """A reason to stop, printed as one line; `status` is the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def out(line: str) -> None:
    print(line, flush=True)


def env(name: str, required: bool = True) -> str:
    value = os.environ.get(name, "")
    if required and not value:
        raise AgentError(f"environment variable {name} is not set", status=2)
    return value


def message_classes(pool: descriptor_pool.DescriptorPool):  # type: ignore[no-untyped-def]
    """descriptor -> message class, for Debian's protobuf 4.21 and newer ones."""
    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22
        return message_factory.GetMessageClass
    return message_factory.MessageFactory(pool).GetPrototype


class Coordinator:
    """The CoordinatorService client, built from the descriptor set."""

    def __init__(self, target: str, timeout: float) -> None:
        files = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTORS.read_bytes())
        pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            pool.AddSerializedFile(file.SerializeToString())
        message_class = message_classes(pool)
        self.timeout = timeout
        self.channel = grpc.insecure_channel(target)
        self.calls = {}
        for method in pool.FindServiceByName(SERVICE).methods:
            request = message_class(method.input_type)
            response = message_class(method.output_type)
            stub = self.channel.unary_unary(
                f"/{SERVICE}/{method.name}",
                request_serializer=request.SerializeToString,
                response_deserializer=response.FromString,
            )
            self.calls[method.name] = (request, stub)

    def wait_ready(self, where: str) -> None:
        try:
            grpc.channel_ready_future(self.channel).result(timeout=self.timeout)
        except grpc.FutureTimeoutError:
            raise AgentError(
                f"coordinator {where} did not answer within {self.timeout:g} s"
            ) from None

    def call(self, name: str, **fields):  # type: ignore[no-untyped-def]
        request, stub = self.calls[name]
        try:
            return stub(request(**fields), timeout=self.timeout)
        except grpc.RpcError as exc:
            raise AgentError(f"{name} failed: {exc.code().name}: {exc.details()}") from None


def coordinator_target() -> tuple[str, str]:
    """(grpc target, how to name it): COORDINATOR_URL over TCP as upstream's SDK
    reads it, else the bind-mounted socket."""
    url = env("COORDINATOR_URL", required=False)
    if url:
        address = url.removeprefix("http://")
        host, _, port = address.rpartition(":")
        if address == url or not host or not port.isdigit() or "/" in address:
            raise AgentError("COORDINATOR_URL must be http://<host>:<port>", status=2)
        return address, f"at {address} (TCP)"
    socket = env("COORDINATOR_SOCKET")
    if not os.path.exists(socket):
        raise AgentError(f"coordinator socket {socket} does not exist (not bind-mounted?)")
    return f"unix:{socket}", f"socket {socket}"


def prove(data: bytes) -> str:
    """The demo work: anyone can check it from the job's data."""
    return f"sha256={hashlib.sha256(data).hexdigest()} len={len(data)}"


SETTLEMENTS = ("complete", "fail", "terminate")
LOG_LEVEL_INFO = 2  # upstream's LogLevel


def parse_mode(text: str) -> tuple[str, float, float, bool]:
    """AGENT_MODE -> (how jobs are settled, sleep before starting, work time per
    job, whether every job field is printed)."""
    settle, times, fields = "complete", {"sleep": 0.0, "work": 0.0}, False
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition(":")
        if part in SETTLEMENTS or part == "mixed":
            settle = part
        elif part == "fields":
            fields = True
        elif name in times and value:
            try:
                times[name] = float(value)
            except ValueError:
                raise AgentError(f"AGENT_MODE: bad time in {part!r}", status=2) from None
        else:
            raise AgentError(
                f"AGENT_MODE: unknown mode {part!r} "
                "(allowed: complete, fail, terminate, mixed, fields, sleep:<secs>, "
                "work:<secs>)",
                status=2,
            )
    return settle, times["sleep"], times["work"], fields


def optional(job, name: str) -> str:  # type: ignore[no-untyped-def]
    """An optional field of upstream's Job: its value, or `-` when unset."""
    return str(getattr(job, name)) if job.HasField(name) else "-"


def job_fields(job) -> str:  # type: ignore[no-untyped-def]
    """Every field of upstream's `Job` message, one line, as the agent read it."""
    def numbers(values) -> str:  # type: ignore[no-untyped-def]
        return ",".join(str(v) for v in values) or "-"

    return (f"fields {job.job_sequence} job_id={job.job_id} "
            f"description={optional(job, 'description')} developer={job.developer} "
            f"agent={job.agent} agent_method={job.agent_method} app={job.app} "
            f"app_instance={job.app_instance} app_instance_method={job.app_instance_method} "
            f"block_number={optional(job, 'block_number')} sequences={numbers(job.sequences)} "
            f"sequences1={numbers(job.sequences1)} sequences2={numbers(job.sequences2)} "
            f"data={job.data.hex() or '-'} attempts={job.attempts} "
            f"created_at={job.created_at} updated_at={job.updated_at} "
            f"chain={optional(job, 'chain')}")


def run() -> int:
    settle, sleep, work, fields = parse_mode(os.environ.get("AGENT_MODE", ""))
    developer, agent = env("DEVELOPER"), env("AGENT")
    method = env("AGENT_METHOD", required=False) or env("METHOD")
    session = env("SESSION_ID", required=False)
    session_key = env("SESSION_PRIVATE_KEY", required=False)
    try:
        timeout = float(os.environ.get("AGENT_RPC_TIMEOUT_SECS", "10"))
    except ValueError:
        raise AgentError("AGENT_RPC_TIMEOUT_SECS must be a number of seconds", status=2) from None
    app_instance = env("APP_INSTANCE", required=False)
    env_job = None
    if job_id := env("JOB_ID", required=False):
        try:
            data = bytes.fromhex(env("JOB_DATA", required=False).removeprefix("0x"))
            sequence = int(job_id)
        except ValueError:
            raise AgentError(
                "JOB_ID must be a number and JOB_DATA 0x-prefixed hex", status=2
            ) from None
        wire_id = f"{sequence}@{app_instance}" if app_instance else str(sequence)
        env_job = (wire_id, sequence, data)

    out(
        f"agent: {developer}/{agent}/{method} app_instance={app_instance or '-'} "
        f"session={'given' if session else '-'} "
        f"session_key={'given' if session_key.startswith('suiprivkey1') else '-'} "
        f"mode={settle}"
    )
    if fields:  # the rest of upstream's env contract, as the agent sees it
        out("env " + " ".join(f"{name}={os.environ.get(name) or '-'}" for name in CONTRACT_ENV))
    if sleep > 0:
        out(f"agent: sleeping {sleep:g} s")
        time.sleep(sleep)

    target, where = coordinator_target()
    out(f"agent: coordinator {where}")
    coordinator = Coordinator(target, timeout)
    coordinator.wait_ready(where)
    counts = {"completed": 0, "failed": 0, "terminated": 0, "refused": 0}

    def handle(job_id: str, sequence: int, job_method: str, data: bytes) -> None:
        time.sleep(work)
        result = prove(data)
        how = settle if settle != "mixed" else SETTLEMENTS[data[0] % 3 if data else 0]
        try:
            coordinator.call("AgentMessage", session_id=session, job_id=job_id,
                             level=LOG_LEVEL_INFO, message=f"job {sequence}: {result}")
        except AgentError as exc:
            out(f"agent: {exc} (going on)")
        if how == "fail":
            reply = coordinator.call(
                "FailJob",
                session_id=session,
                job_id=job_id,
                error_message=(f"demo agent failure: job {sequence} failed on purpose "
                               f"(AGENT_MODE={settle})"),
            )
            outcome = "failed"
        elif how == "terminate":
            reply = coordinator.call("TerminateJob", session_id=session, job_id=job_id)
            outcome = "terminated"
        else:
            reply = coordinator.call("CompleteJob", session_id=session, job_id=job_id)
            outcome = "completed"
        if not reply.success:
            outcome = f"refused: {reply.message or 'no reason given'}"
            counts["refused"] += 1
        else:
            counts[outcome] += 1
        out(f"job {sequence} {job_method} {result} -> {outcome}")

    if env_job is not None and not fields:
        handle(*env_job[:2], method, env_job[2])
    while True:
        response = coordinator.call("GetJob", developer=developer, agent=agent,
                                    agent_method=method, session_id=session)
        if not response.success:
            raise AgentError(f"GetJob refused: {response.message or 'no reason given'}")
        if not response.HasField("job"):
            break
        job = response.job
        if fields:
            out(job_fields(job))
        handle(job.job_id, job.job_sequence, job.agent_method or method, job.data)
    out("agent: no job left; " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    coordinator.channel.close()
    return 0


def main() -> int:
    try:
        return run()
    except AgentError as exc:
        print(f"agent: error: {exc}", file=sys.stderr, flush=True)
        return exc.status


if __name__ == "__main__":
    sys.exit(main())
