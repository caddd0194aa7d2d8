"""The enclave image's entrypoint: `python -m coordinator.enclave`.

Inside an AWS Nitro Enclave the coordinator is alone: no network but vsock, no
Docker engine but the one it starts. So, in order:

1. load the config (default config/enclave.toml) and insist on TEE mode;
2. bring the loopback interface up (`ip link set lo up`);
3. when `[enclave] vsock_proxy` is set, map the host name of `sui.rpc_url` to
   127.0.0.1 in /etc/hosts, where the forwarder (a child of the daemon, see
   coordinator/forwarder.py) listens; TLS then verifies that name;
4. start `dockerd` for an enclave (no iptables, no bridge, data root on a
   tmpfs) and wait until it answers;
5. with `[enclave] key_channel`, wait for the host to hand the Sui key over
   (key_handover.py: in memory only);
6. run the coordinator (`python -m coordinator --config ...`) in this process,
   its metrics, status and logs to the host over the `[enclave] *_channel`s;
   when it returns, stop dockerd and exit with the coordinator's status.

`--host-docker` (or SILVANA_ENCLAVE_HOST_DOCKER=1) stands in for the enclave on
an ordinary machine: the container was started with `--network host` and the
host's Docker socket mounted, so steps 2 and 4 are skipped and the host's
engine runs the agents.
"""

from __future__ import annotations

import argparse
import ctypes
import ipaddress
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import trio

from coordinator.channel import Channel
from coordinator.config import ConfigError, Settings, load_settings
from coordinator.enclave.key_handover import KeyHandoverError, receive_key

log = logging.getLogger("coordinator.enclave")

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "enclave.toml"
HOST_DOCKER_ENV = "SILVANA_ENCLAVE_HOST_DOCKER"
CONFIG_ENV = "SILVANA_ENCLAVE_CONFIG"
DOCKER_SOCKET = "/var/run/docker.sock"
DOCKERD_WAIT_SECS = 60.0
DOCKERD_STOP_SECS = 20.0
EXIT_CONFIG = 2
EXIT_SETUP = 1

HOSTS_HEADER = "# Written by coordinator.enclave at start.\n"
HOSTS_BASE = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"


class SetupError(Exception):
    """The enclave could not be set up; one line for the operator."""


@dataclass(frozen=True)
class Options:
    config: Path
    host_docker: bool
    data_root: Path
    hosts_file: Path = Path("/etc/hosts")
    coordinator_args: Sequence[str] = field(default_factory=list)


def parse_args(argv: Sequence[str], env: dict[str, str] | os._Environ[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m coordinator.enclave",
        description="Start the coordinator inside a Nitro Enclave: loopback, /etc/hosts, "
        "dockerd, then the daemon in TEE mode. Other arguments go to the coordinator.",
    )
    parser.add_argument("--config", type=Path,
                        default=Path(env.get(CONFIG_ENV) or DEFAULT_CONFIG),
                        help=f"coordinator TOML (default ${CONFIG_ENV} or {DEFAULT_CONFIG})")
    parser.add_argument("--host-docker", action="store_true",
                        default=env.get(HOST_DOCKER_ENV, "") not in ("", "0", "false"),
                        help="stand-in for an enclave: use the Docker engine behind the mounted "
                        f"{DOCKER_SOCKET} and the host's network (also ${HOST_DOCKER_ENV}=1)")
    parser.add_argument("--data-root", type=Path, default=Path("/run/silvana/docker"),
                        help="dockerd's data root; a tmpfs is mounted there")
    args, rest = parser.parse_known_args(list(argv))
    return Options(config=args.config, host_docker=args.host_docker,
                   data_root=args.data_root, coordinator_args=rest)


def check_tee(settings: Settings) -> None:
    if not settings.docker.use_tee:
        raise ConfigError("config: docker.use_tee must be true in an enclave (TEE mode)")


def forwarded_host(settings: Settings) -> str | None:
    """The host name to map to the forwarder, or None (no forwarder, or an IP address)."""
    if settings.enclave.vsock_proxy is None or settings.sui.rpc_url.startswith("unix:"):
        return None
    host = urlsplit(settings.sui.rpc_url).hostname
    if not host:
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return None


def hosts_file(host: str | None, listen_host: str) -> str:
    """/etc/hosts for the enclave: localhost, and `host` at the forwarder's address."""
    text = HOSTS_HEADER + HOSTS_BASE
    if host is not None:
        text += f"{listen_host}\t{host}\n"
    return text


def write_hosts(path: Path, text: str) -> None:
    # In place, not by rename: under Docker /etc/hosts is a bind mount.
    with path.open("w") as f:
        f.write(text)


def loopback_up(run: Callable[..., subprocess.CompletedProcess[bytes]] = subprocess.run) -> None:
    try:
        result = run(["ip", "link", "set", "lo", "up"], capture_output=True, check=False)
    except FileNotFoundError:
        raise SetupError("`ip` (iproute2) is missing; cannot bring loopback up") from None
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()
        raise SetupError(f"ip link set lo up failed: {message}")


def dockerd_command(data_root: Path) -> list[str]:
    """dockerd for an enclave: no iptables (no netfilter there), no bridge (no
    network: agents use host networking in TEE mode), state in RAM."""
    return [
        "dockerd",
        "--iptables=false",
        "--ip6tables=false",
        "--ip-forward=false",
        "--ip-masq=false",
        "--bridge=none",
        f"--data-root={data_root}",
        f"--exec-root={data_root.parent / 'docker-exec'}",
        f"--host=unix://{DOCKER_SOCKET}",
        "--log-level=warn",
    ]


def mount_tmpfs(path: Path) -> None:
    """A tmpfs on `path` (mount(2) directly: the image has no `mount` binary)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.path.ismount(path):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(b"tmpfs", os.fsencode(path), b"tmpfs", 0, b"mode=0711") != 0:
        reason = os.strerror(ctypes.get_errno())
        log.warning("no tmpfs on %s (%s); dockerd keeps its data there as it is", path, reason)


def wait_for_docker(process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """Poll the engine's /_ping until it answers; SetupError if dockerd exits or time runs out."""
    import docker  # only here: the rest of this module is importable without it

    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SetupError(f"dockerd exited with status {process.returncode} before answering")
        try:
            client = docker.APIClient(base_url=f"unix://{DOCKER_SOCKET}", timeout=5)
            try:
                if client.ping():
                    return
            finally:
                client.close()
        except Exception as exc:  # refused, missing socket, timeout: try again
            last = str(exc) or type(exc).__name__
        time.sleep(0.5)
    raise SetupError(f"the Docker engine did not answer on {DOCKER_SOCKET} within "
                     f"{timeout:.0f} s ({last})")


def start_dockerd(data_root: Path) -> subprocess.Popen[bytes]:
    mount_tmpfs(data_root)
    command = dockerd_command(data_root)
    log.info("starting %s", " ".join(command))
    # Its own session: a Ctrl-C meant for the coordinator's drain must not stop
    # the engine under running agent containers.
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_docker(process, DOCKERD_WAIT_SECS)
    except BaseException:
        stop_dockerd(process)
        raise
    return process


def stop_dockerd(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(DOCKERD_STOP_SECS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def prepare(options: Options, settings: Settings) -> None:
    """Everything before dockerd: loopback, /etc/hosts, the socket's directory."""
    if not options.host_docker:
        loopback_up()
    host = forwarded_host(settings)
    if host is not None:
        listen_host = settings.enclave.listen_address[0]
        write_hosts(options.hosts_file, hosts_file(host, listen_host))
        log.info("%s -> %s (the forwarder to vsock %s)", host, settings.enclave.listen,
                 settings.enclave.vsock_proxy)
    settings.rpc.socket_path.parent.mkdir(parents=True, exist_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    from coordinator import __main__ as daemon
    from coordinator.logs import setup_logging

    options = parse_args(sys.argv[1:] if argv is None else argv, os.environ)
    coordinator_argv = ["--config", str(options.config), *options.coordinator_args]
    try:
        # The same layering as the daemon's own (file < env < flags), to check
        # TEE mode and read [enclave] before anything is started.
        args = daemon.build_parser().parse_args(coordinator_argv)
        settings = load_settings(args.config, cli=vars(args))
        check_tee(settings)
    except ConfigError as exc:
        print(exc.for_stderr(), file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(settings.log.level, format=settings.log.format)
    dockerd: subprocess.Popen[bytes] | None = None
    try:
        prepare(options, settings)
        if options.host_docker:
            log.info("stand-in mode: the Docker engine behind %s, the container's network",
                     DOCKER_SOCKET)
            if not Path(DOCKER_SOCKET).exists():
                raise SetupError(f"stand-in mode needs the host's Docker socket mounted at "
                                 f"{DOCKER_SOCKET} (-v {DOCKER_SOCKET}:{DOCKER_SOCKET})")
            wait_for_docker(None, DOCKERD_WAIT_SECS)
        else:
            dockerd = start_dockerd(options.data_root)
    except (SetupError, OSError) as exc:
        print(f"error: enclave set-up: {exc}", file=sys.stderr)
        return EXIT_SETUP
    try:
        if settings.enclave.key_channel is not None:
            # In memory only: the settings hold it (as SUI_SECRET_KEY would),
            # no file, and no process's environment.
            key_text = trio.run(receive_key, Channel.parse(settings.enclave.key_channel),
                                settings.enclave.key_wait_secs)
            settings = load_settings(args.config, env={**os.environ, "SUI_SECRET_KEY": key_text},
                                     cli=vars(args))
        return daemon.run_daemon(settings, fresh_state=args.fresh_state)
    except (KeyHandoverError, ConfigError) as exc:
        print(f"error: enclave key: {exc}", file=sys.stderr)
        return EXIT_SETUP
    finally:
        if dockerd is not None:
            log.info("stopping dockerd")
            stop_dockerd(dockerd)
