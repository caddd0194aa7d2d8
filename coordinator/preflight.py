"""Start-up checks: the resources the config names, tried before the tree starts.

A config can be valid and still unusable on this machine: a `state.dir` that is
a file, read-only or on /proc, a socket directory that cannot be made, a
`rpc.socket_group` that does not exist or is not ours to give, a
`simnet.listen` port already taken, a port 0 where others must know the port,
a node of another chain than `sui.chain_id` or than the stored state's. Found
inside the tree, each of these was a traceback or a child crash-looping until
the supervisor gave up (exit 1); found here, each is one line naming the key,
and `__main__` exits 2.

`prepare` also takes the state dir's lock (`coordinator.statelock`) right
after checking the dir and before anything reads the state, so a second
daemon on the same dir stops here, naming the first.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import trio

from coordinator.config import Settings, signing_key
from coordinator.errors import SetupError
from coordinator.hostport import split_host_port
from coordinator.logs import escape
from coordinator.rpc.reach import resolve_listen
from coordinator.rpc.server import SocketPathError, make_parent, resolve_group
from coordinator.rpc.settings import RpcSettings
from coordinator.statelock import StateLock
from coordinator.store import Ledger, Store
from coordinator.sui.chain_id import chain_mismatch, state_of_another_chain
from coordinator.sui.client import connect
from coordinator.sui.endpoint import Endpoint
from coordinator.sui.errors import SuiError
from coordinator.sui.network_config import with_registry
from coordinator.sui.settings import SuiSettings

log = logging.getLogger("coordinator.state")

CHAIN_CHECK_SECS = 10.0

# Kernel file systems: a path there is never a place for a database or a socket.
_KERNEL_DIRS = (Path("/proc"), Path("/sys"))


class NodeChain:
    """The chain id the node reports, asked at most once per start (both the
    configured `sui.chain_id` and the stored state are held against it)."""

    def __init__(self, sui: SuiSettings) -> None:
        self.sui = sui
        self._asked = False
        self._served: str | None = None

    async def served(self) -> str | None:
        """None when the node does not answer in time (ingest checks again on
        every connect)."""
        if not self._asked:
            self._served = await _ask_node(self.sui)
            self._asked = True
        return self._served


@asynccontextmanager
async def started(settings: Settings) -> AsyncIterator[tuple[Settings, Store]]:
    """The daemon's checked start, for its whole life: the lock held, the
    settings with `rpc.listen = "auto:PORT"` resolved (the engine asked once)
    and an empty registry id asked of the config service, and the store open,
    made on the chain the node serves."""
    node = NodeChain(settings.sui)
    with await prepare(settings, node) as lock:
        rpc = await resolve_listen(settings.rpc, settings.docker)
        sui = await with_registry(settings.sui)
        settings = settings.model_copy(update={"rpc": rpc, "sui": sui})
        store = await Store.open(settings.state.dir)
        try:
            lock.record(await store.run(Ledger.instance_id))
            await check_stored_chain(settings, store, node)
            yield settings, store
        finally:
            with trio.CancelScope(shield=True):
                await store.close()


async def prepare(settings: Settings, node: NodeChain) -> StateLock:
    """Check the fixed ports, the node's chain, the state dir, lock it, check the
    socket, the simulator address and the key; the held lock is returned
    (release it when the daemon ends). Raises `SetupError` with one line for the
    operator."""
    check_fixed_ports(settings)
    if settings.sui.chain_id is not None and not settings.simnet.enabled:
        await check_chain(settings.sui.chain_id, node)
    return await trio.to_thread.run_sync(partial(_prepare, settings))


def is_local(settings: Settings) -> bool:
    """A chain of this machine (the embedded simulator, `sui start`): no one
    else runs its jobs, and it begins anew on each run."""
    return settings.simnet.enabled or settings.sui.chain == "localnet"


def check_key(settings: Settings) -> None:
    """Without a key, jobs could only run unclaimed and settle in this daemon,
    while another coordinator runs them too: outside a local chain the daemon
    starts so only when told to observe (and then runs none)."""
    if settings.settle.observe_only or is_local(settings) or signing_key(settings) is not None:
        return
    raise SetupError(
        f"sui.key_file: no Sui key for chain {settings.sui.chain} (sui.key_file, "
        f"sui.key_credential or SUI_SECRET_KEY; `python -m coordinator keygen` makes one): "
        f"jobs would be neither "
        f"claimed nor settled on chain; to follow the chain without running jobs, give "
        f"--observe-only (settle.observe_only = true, OBSERVE_ONLY=1)")


def check_fixed_ports(settings: Settings) -> None:
    """Port 0 (any free port) is refused where others must know the port: the
    simulator's, which `sui.rpc_url` names, and the metrics endpoint's, which a
    scraper is pointed at."""
    listens = [("metrics.listen", settings.metrics.listen, "a scraper")]
    if settings.simnet.enabled:
        listens.append(("simnet.listen", settings.simnet.listen, "sui.rpc_url"))
    for key, listen, who in listens:
        if listen and split_host_port(listen)[1] == 0:
            raise SetupError(f"{key}: port 0 would be a random port that {who} cannot "
                             f"know; give a fixed port")


async def check_chain(chain_id: str, node: NodeChain) -> None:
    """With `sui.chain_id`, a node of another chain stops the start here, in one
    line; a node that does not answer in time is left to ingest, which checks
    again on every connect."""
    served = await node.served()
    wrong = None if served is None else chain_mismatch(served, chain_id)
    if wrong is not None:
        raise SetupError(wrong)


async def check_stored_chain(settings: Settings, store: Store, node: NodeChain) -> None:
    """State made on another chain than the node serves stops the start here,
    before any container could run a job of that chain, with nothing changed
    (the router says the same to ingest, for a node that answers only later).
    A local chain is new on every run: the router starts it over."""
    if is_local(settings):
        return
    made_on = await store.run(Ledger.chain_id)
    if made_on is None:
        return
    served = await node.served()
    if served is not None and served != made_on:
        raise SetupError(state_of_another_chain(store.path, made_on, served, 0))


async def _ask_node(sui: SuiSettings) -> str | None:
    with trio.move_on_after(min(sui.rpc_timeout_secs, CHAIN_CHECK_SECS)):
        try:
            async with connect(Endpoint.parse(sui.rpc_url), timeout=sui.rpc_timeout_secs) as node:
                return (await node.service_info()).chain_id
        except SuiError:
            return None
    return None


def _prepare(settings: Settings) -> StateLock:
    check_state_dir(settings.state.dir)
    lock = StateLock.acquire(settings.state.dir)
    try:
        check_socket(settings.rpc)
        if settings.simnet.enabled:
            check_listen(settings.simnet.listen)
        check_key(settings)
    except BaseException:
        lock.release()
        raise
    return lock


def check_state_dir(path: Path) -> None:
    """`state.dir` is a directory (made if missing) this process can write in."""
    shown = escape(str(path))
    kernel = _under_kernel_dir(path)
    if kernel is not None:
        raise SetupError(f"state.dir: {shown} is under {kernel}, a kernel file system; "
                           f"give a directory on disk")
    if path.exists() and not path.is_dir():
        raise SetupError(f"state.dir: {shown} is not a directory")
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise SetupError(f"state.dir: cannot create {shown}: {exc.strerror}") from None
    _probe_write(path, "state.dir")
    make_private(path)


def make_private(path: Path) -> None:
    """The state dir 0700 and the coordinator's files in it 0600, fixed with a
    warning when wider: the database holds what lets a caller act for a
    container. A directory that also holds other files (a shared one, such as
    /tmp) keeps its mode, with a warning: the files are private all the same."""
    ours = [entry for entry in path.iterdir()
            if entry.name.startswith(_OWN_PREFIXES) or entry.name in _OWN_NAMES]
    for entry in ours:
        _narrow(entry, 0o600)
    if len(ours) == sum(1 for _ in path.iterdir()):
        _narrow(path, 0o700)
    elif stat.S_IMODE(path.stat().st_mode) & 0o077:
        log.warning("state.dir: %s holds other files than the coordinator's: its mode is "
                    "left as it is; give the coordinator a directory of its own",
                    escape(str(path)))


# What the coordinator keeps in its state dir: the database, its companions,
# copies set aside, the lock's holder file, the embedded proof store, the
# agents' secrets (`secrets.enc` and its lock).
_OWN_PREFIXES = ("coordinator.", ".write-probe-", "secrets.enc")
_OWN_NAMES = ("proofs",)


def _narrow(entry: Path, wanted: int) -> None:
    try:
        info = entry.lstat()
    except FileNotFoundError:
        return  # gone meanwhile (sqlite's -shm)
    if stat.S_ISLNK(info.st_mode) or not info.st_mode & 0o077:
        return
    try:
        entry.chmod(wanted)
    except OSError as exc:
        raise SetupError(f"state.dir: {escape(str(entry))} is readable by others (mode "
                         f"{stat.S_IMODE(info.st_mode):o}) and cannot be made {wanted:o}: "
                         f"{exc.strerror}") from None
    log.warning("state.dir: %s was mode %o, now %o (only this daemon may read its state)",
                escape(str(entry)), stat.S_IMODE(info.st_mode), wanted)


def check_socket(rpc: RpcSettings) -> None:
    """The socket's directory and the agents' socket directory exist (made if
    missing) and are writable, and the group exists and is one this process may
    give a file to."""
    path = os.fspath(rpc.socket_path)
    shown = escape(path)
    kernel = _under_kernel_dir(Path(path))
    if kernel is not None:
        raise SocketPathError(f"rpc.socket_path: {shown} is under {kernel}, a kernel file "
                              f"system; give a path on disk")
    gid = resolve_group(rpc.socket_group)
    make_parent(path)
    _probe_write(Path(os.path.dirname(os.path.abspath(path))), "rpc.socket_path", gid)
    # Where each agent container's socket directory is made.
    agents = rpc.agent_dir
    if agents.exists() and not agents.is_dir():
        raise SocketPathError(f"rpc.agent_socket_dir: {escape(str(agents))} is not a directory")
    try:
        agents.mkdir(mode=0o755, parents=True, exist_ok=True)
    except OSError as exc:
        raise SocketPathError(f"rpc.agent_socket_dir: cannot create {escape(str(agents))}: "
                              f"{exc.strerror}") from None
    _probe_write(agents, "rpc.agent_socket_dir", gid)


def check_listen(listen: str) -> None:
    """`simnet.listen` can be bound now (it is bound for real moments later)."""
    host, port = split_host_port(listen)
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise SetupError(f"simnet.listen: cannot resolve {host!r}: {exc.strerror}") from None
    with socket.socket(family, kind, proto) as probe:
        # As the server binds: SO_REUSEADDR lets a TIME_WAIT port be reused, but
        # never a port another socket listens on.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SetupError(
                    f"simnet.listen: {listen} is in use (another simulator or coordinator?); "
                    f"free it or choose another port, and point sui.rpc_url at it") from None
            raise SetupError(f"simnet.listen: cannot listen on {listen}: "
                               f"{exc.strerror}") from None


def _under_kernel_dir(path: Path) -> Path | None:
    resolved = path.resolve()
    return next((top for top in _KERNEL_DIRS if resolved.is_relative_to(top)), None)


def _probe_write(directory: Path, key: str, gid: int | None = None) -> None:
    """Create (and give to group `gid`) a file, then remove it: permissions, a
    read-only mount, a full disk and a group this process may not give files
    to all show here, as they would to the daemon (tried, not inferred from
    mode bits: root ignores them unless its capabilities were dropped)."""
    probe = directory / f".write-probe-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise SetupError(f"{key}: cannot write in {escape(str(directory))}: "
                           f"{exc.strerror}") from None
    try:
        try:
            os.write(fd, b"probe")
            os.fsync(fd)
        except OSError as exc:
            raise SetupError(f"{key}: cannot write in {escape(str(directory))}: "
                               f"{exc.strerror}") from None
        if gid is not None:
            try:
                os.fchown(fd, -1, gid)
            except OSError as exc:
                raise SetupError(f"rpc.socket_group: this process may not give files to "
                                   f"group {gid} ({exc.strerror}; it must be root or a "
                                   f"member of that group)") from None
    finally:
        os.close(fd)
        os.unlink(probe)
