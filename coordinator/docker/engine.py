"""docker-py behind Trio: each blocking call runs in a worker thread under a
capacity limiter and a deadline, and its errors come back as our own types.

Two limiters: short calls (create, inspect, stop, remove) and long ones (wait,
attach streams, pulls, loads) draw from separate pools, so containers that run
for hours never starve the short calls the rest of the daemon needs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import docker
import requests
import trio
from docker.errors import APIError, DockerException, NotFound

from coordinator.backoff import Backoff

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_CALL_TIMEOUT = 30.0


class DockerError(Exception):
    """A Docker operation failed; the message is meant for the operator."""


class DockerUnavailable(DockerError):
    """The engine cannot be reached or does not answer: back off and retry."""


class DockerTimeout(DockerUnavailable):
    """A call got no answer within its deadline (a hung or overloaded engine)."""


class DockerNotFound(DockerError):
    """The container or image does not exist (any more)."""


class DockerEngine:
    """One docker-py client shared by the whole daemon."""

    def __init__(
        self,
        client: docker.DockerClient,
        *,
        where: str,
        cpus: int,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        max_calls: int = 8,
        max_streams: int = 16,
    ) -> None:
        self.client = client
        self.where = where
        self.cpus = cpus
        self.call_timeout = call_timeout
        self._calls = trio.CapacityLimiter(max_calls)
        self._streams = trio.CapacityLimiter(max_streams)

    @classmethod
    async def connect(
        cls,
        base_url: str | None = None,
        *,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        max_calls: int = 8,
        max_containers: int = 4,
    ) -> DockerEngine:
        """Connect (DOCKER_HOST or the default socket unless `base_url` is given).

        `max_containers` is docker.max_concurrent: each running container holds
        two long calls (its wait and its output stream), and a container whose
        output stream waited for a thread would block on its next write.
        Raises `DockerUnavailable` when the engine does not answer; wrap it in
        `retrying` to wait for an engine that is still starting.
        """
        max_streams = 2 * max_containers + 4  # + pulls and loads
        where = base_url or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        options = {
            "version": "auto",
            "timeout": call_timeout,
            # One pooled connection per worker thread that can use the client.
            "max_pool_size": max_calls + max_streams,
        }

        def make() -> tuple[docker.DockerClient, int]:
            if base_url is None:
                client = docker.from_env(**options)
            else:
                client = docker.DockerClient(base_url=base_url, **options)
            try:
                info = client.info()
            except BaseException:
                client.close()
                raise
            return client, int(info.get("NCPU") or 0)

        client, cpus = await _in_thread(
            make, trio.CapacityLimiter(1), call_timeout, where, "connect"
        )
        log.debug("connected to the docker engine at %s (%d CPUs)", where, cpus)
        return cls(
            client,
            where=where,
            cpus=cpus,
            call_timeout=call_timeout,
            max_calls=max_calls,
            max_streams=max_streams,
        )

    async def call(
        self,
        fn: Callable[..., T],
        *args: Any,
        # A default deadline on every call, not only where callers remember one.
        timeout: float | None = None,  # noqa: ASYNC109
        long: bool = False,
        **kwargs: Any,
    ) -> T:
        """`fn(*args, **kwargs)` in a worker thread, within `timeout` seconds.

        `long=True` is for calls that last as long as a container or a pull.
        Pass docker-py's own `timeout` arguments through `functools.partial`.
        On cancellation the thread is abandoned; docker-py's socket timeouts
        (or the container's end) let it finish on its own.
        """
        limiter = self._streams if long else self._calls
        budget = self.call_timeout if timeout is None else timeout
        return await _in_thread(partial(fn, *args, **kwargs), limiter, budget, self.where)

    async def aclose(self) -> None:
        await self.call(self.client.close)


async def retrying(
    op: Callable[[], Awaitable[T]], *, what: str, backoff: Backoff | None = None
) -> T:
    """Run `op` until it does not raise `DockerUnavailable`, backing off between tries.

    There is no attempt limit: callers bound it with a cancel scope.
    """
    backoff = backoff or Backoff(initial=0.5, maximum=30.0)
    while True:
        try:
            return await op()
        except DockerUnavailable as exc:
            delay = backoff.next_delay()
            log.warning("%s: %s; retrying in %.1f s", what, exc, delay)
            await trio.sleep(delay)


async def _in_thread(
    job: Callable[[], T],
    limiter: trio.CapacityLimiter,
    budget: float,
    where: str,
    what: str | None = None,
) -> T:
    what = what or _name(job)
    try:
        with trio.fail_after(budget):
            return await trio.to_thread.run_sync(job, limiter=limiter, abandon_on_cancel=True)
    except trio.TooSlowError:
        raise DockerTimeout(
            f"docker engine at {where}: {what} did not finish within {budget:g} s"
        ) from None
    except DockerError:
        raise
    except Exception as exc:
        translated = _translate(exc, what, where)
        if translated is None:
            raise
        raise translated from exc


def _translate(exc: Exception, what: str, where: str) -> DockerError | None:
    """docker-py's and requests' exceptions as ours; None for anything else."""
    if isinstance(exc, NotFound):
        return DockerNotFound(f"{what}: {exc.explanation or exc}")
    if isinstance(exc, APIError):
        detail = exc.explanation or str(exc)
        return DockerError(f"{what}: {detail} (HTTP {exc.status_code})")
    if isinstance(exc, requests.exceptions.Timeout):
        return DockerTimeout(f"docker engine at {where}: {what} timed out")
    if isinstance(exc, requests.exceptions.RequestException | ConnectionError):
        return DockerUnavailable(f"docker engine at {where} is unreachable ({what}): {_cause(exc)}")
    if isinstance(exc, DockerException):
        # from_env/DockerClient wrap a failed version probe in a bare DockerException.
        if "server API version" in str(exc):
            return DockerUnavailable(f"docker engine at {where} is unreachable: {_cause(exc)}")
        return DockerError(f"{what}: {exc}")
    return None


def _cause(exc: BaseException) -> str:
    """The innermost OS-level reason ("No such file or directory"), else the text."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        stack.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return str(exc)


def _name(job: Callable[..., Any]) -> str:
    fn = job.func if isinstance(job, partial) else job
    return getattr(fn, "__qualname__", None) or repr(fn)
