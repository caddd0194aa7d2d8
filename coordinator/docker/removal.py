"""Stopping and removing agent containers: SIGTERM, the grace, SIGKILL, then
remove, waiting out a short engine outage; in TEE mode the page cache dropped
after each, so nothing of the last job stays in memory for the next.
"""

from __future__ import annotations

import logging
import os
from functools import partial
from pathlib import Path

import trio

from coordinator.docker.engine import (
    DockerEngine,
    DockerError,
    DockerNotFound,
    retrying,
)
from coordinator.docker.spec import LABEL_COORDINATOR, ContainerOptions

__all__ = ["DROP_CACHES", "clean_up", "stop", "stop_and_remove"]

log = logging.getLogger(__name__)

DROP_CACHES = Path("/proc/sys/vm/drop_caches")


async def stop(engine: DockerEngine, container_id: str, grace: int) -> None:
    """SIGTERM, then SIGKILL after `grace` (Docker's stop); a plain kill if that fails."""
    api = engine.client.api
    try:
        await engine.call(
            partial(api.stop, container_id, timeout=grace),
            timeout=grace + engine.call_timeout,
        )
    except DockerNotFound:
        return
    except DockerError as exc:
        log.warning("stopping container %s failed (%s); killing it", container_id[:12], exc)
        try:
            await engine.call(api.kill, container_id)
        except DockerError as kill_exc:
            log.warning("killing container %s failed: %s", container_id[:12], kill_exc)


async def stop_and_remove(engine: DockerEngine, container_id: str, grace: int) -> bool:
    """Stop (SIGTERM, `grace`, SIGKILL) and remove a container, waiting out a
    short engine outage; False, with the error logged, if it is still there."""

    async def attempt() -> None:
        # Stop returns at once for an exited container.
        await stop(engine, container_id, grace)
        await engine.call(
            partial(engine.client.api.remove_container, container_id, v=True, force=True)
        )

    budget = grace + 4 * engine.call_timeout
    try:
        with trio.fail_after(budget):
            await retrying(attempt, what=f"removing container {container_id[:12]}")
    except DockerNotFound:
        pass
    except DockerError as exc:
        log.error("removing container %s failed: %s", container_id[:12], exc)
        return False
    except trio.TooSlowError:
        log.error("container %s was not removed within %g s", container_id[:12], budget)
        return False
    return True


async def clean_up(engine: DockerEngine, container_id: str, options: ContainerOptions) -> None:
    hurry = options.exit_now is not None and options.exit_now.is_set()
    if not await stop_and_remove(engine, container_id, 0 if hurry else options.stop_grace_secs):
        log.error(
            "container %s is left behind; the next start reaps it (label %s=%s)",
            container_id[:12], LABEL_COORDINATOR, options.instance_id,
        )
    if options.use_tee:
        await _drop_page_cache()


_page_cache_warned = False


async def _drop_page_cache() -> None:
    """TEE hygiene: nothing of the last job stays in the page cache for the next."""
    global _page_cache_warned

    def drop() -> str | None:
        os.sync()
        try:
            DROP_CACHES.write_text("3\n")
        except OSError as exc:
            return exc.strerror or str(exc)
        return None

    with trio.move_on_after(60):
        problem = await trio.to_thread.run_sync(drop, abandon_on_cancel=True)
        if problem and not _page_cache_warned:
            _page_cache_warned = True
            log.warning(
                "TEE clean-up: cannot drop the page cache (%s: %s); data of finished jobs "
                "may stay in memory (this warning is shown once)",
                DROP_CACHES, problem,
            )

