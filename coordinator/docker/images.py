"""Images for agent containers: validate the reference, load a tar or pull from
a registry (per-host credentials, progress), then verify the digest.

`prepare_image` returns the image id, and containers are created from that id,
so a tag that moves after verification cannot swap the image under a job.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import docker.auth
import trio

from coordinator.docker.engine import (
    DockerEngine,
    DockerError,
    DockerNotFound,
    DockerTimeout,
    DockerUnavailable,
)
from coordinator.docker.settings import DockerSettings
from coordinator.instruments import IMAGE_PULL_SECONDS, IMAGE_PULLS

log = logging.getLogger(__name__)

PullPolicy = Literal["always", "if-not-present", "never"]

DOCKER_HUB = "docker.io"
PROGRESS_INTERVAL_SECS = 0.5  # how often the progress callback may be called
PROGRESS_LOG_INTERVAL_SECS = 10.0  # how often a long pull writes a log line


class ImageError(DockerError):
    """This image cannot be used for the job (bad reference, pull failed, missing)."""


class DigestMismatch(ImageError):
    """The image is not the one the agent method pinned with `docker_sha256`."""

    def __init__(self, image: str, expected: str, actual: str, what: str) -> None:
        super().__init__(f"image {image}: docker_sha256 is {expected} but its {what} is {actual}")
        self.expected = expected
        self.actual = actual


# The reference grammar of distribution/reference, with sha256 as the only digest.
_HOST_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST_RE = re.compile(rf"(?:{_HOST_PART}(?:\.{_HOST_PART})*|\[[a-fA-F0-9:]+\])(?::[0-9]{{1,5}})?")
_PATH_COMPONENT_RE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG_RE = re.compile(r"\w[\w.-]{0,127}", re.ASCII)
_DIGEST_RE = re.compile(r"sha256:[a-f0-9]{64}")
_HEX64_RE = re.compile(r"(?:sha256:)?([a-fA-F0-9]{64})")


@dataclass(frozen=True)
class ImageRef:
    registry: str  # host[:port]; docker.io when the reference names none
    name: str  # as written, without tag and digest
    tag: str | None
    digest: str | None  # sha256:<64 hex>

    @property
    def local_name(self) -> str:
        """How the engine names the image once it is present."""
        if self.digest:
            return f"{self.name}@{self.digest}"
        return f"{self.name}:{self.tag or 'latest'}"

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag else ""
        return self.name + tag + (f"@{self.digest}" if self.digest else "")


def parse_reference(text: str) -> ImageRef:
    """Validate a Docker image reference; `ImageError` says what is wrong."""

    def bad(why: str) -> ImageError:
        return ImageError(f"image reference {text!r} is invalid: {why}")

    if not text:
        raise bad("it is empty")
    rest, digest = text, None
    if "@" in rest:
        rest, _, digest = rest.partition("@")
        if not _DIGEST_RE.fullmatch(digest):
            raise bad("a digest is sha256: followed by 64 lowercase hex digits")
    name, tag = rest, None
    # A ':' after the last '/' starts the tag; one before it is the registry port.
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        name, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG_RE.fullmatch(tag):
            raise bad("a tag is 1-128 letters, digits, '_', '.', '-', not starting with '.', '-'")
    if len(name) > 255:
        raise bad("the name is longer than 255 characters")
    first, slash, path = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        if not _HOST_RE.fullmatch(first):
            raise bad(f"{first!r} is not a registry host[:port]")
        registry = first
    else:
        registry, path = DOCKER_HUB, name
    for component in path.split("/"):
        if not _PATH_COMPONENT_RE.fullmatch(component):
            raise bad(
                f"path component {component!r} is not lowercase letters and digits "
                "joined by '.', '_', '__' or '-'"
            )
    return ImageRef(registry=registry, name=name, tag=tag, digest=digest)


def normalize_sha256(value: str) -> str:
    """`docker_sha256` with or without its `sha256:` prefix, as `sha256:<hex>`."""
    match = _HEX64_RE.fullmatch(value.strip())
    if not match:
        raise ImageError(f"docker_sha256 {value!r} is not 64 hex digits (optionally sha256:...)")
    return "sha256:" + match.group(1).lower()


def tar_path(docker_image: str) -> Path | None:
    """The file when `docker_image` names an image tar (a path or file:// URL)."""
    if docker_image.startswith("file://"):
        url = urlsplit(docker_image)
        if url.netloc not in ("", "localhost") or not url.path.startswith("/"):
            raise ImageError(f"{docker_image!r}: a file URL is file:///absolute/path")
        return Path(unquote(url.path))
    # A reference never starts with '/' or '.', so these are unambiguous.
    if docker_image.startswith(("/", "./", "../")):
        return Path(docker_image)
    return None


def registry_auth(registry: str, env: Mapping[str, str]) -> dict[str, Any] | None:
    """Credentials for one registry host, or None for an anonymous pull.

    DOCKER_USERNAME/DOCKER_PASSWORD go only to the host named by DOCKER_REGISTRY
    (default Docker Hub), never to whatever registry a method names; otherwise
    the Docker config file ($DOCKER_CONFIG or ~/.docker/config.json) is read per
    host by docker-py's own parser (base64 `auth` entries, credential helpers).
    """
    user, password = env.get("DOCKER_USERNAME"), env.get("DOCKER_PASSWORD")
    if user and password and _host(env.get("DOCKER_REGISTRY") or DOCKER_HUB) == _host(registry):
        return {"username": user, "password": password, "serveraddress": registry}
    config_dir = env.get("DOCKER_CONFIG")
    config_path = os.path.join(config_dir, "config.json") if config_dir else None
    found = docker.auth.load_config(config_path=config_path).resolve_authconfig(registry)
    return dict(found) if found else None


def _host(registry: str) -> str:
    host = registry.removeprefix("https://").removeprefix("http://").split("/", 1)[0]
    return DOCKER_HUB if host in ("index.docker.io", "registry-1.docker.io") else host


@dataclass(frozen=True)
class PullProgress:
    layers: int
    layers_done: int
    bytes_done: int
    bytes_total: int  # of the layers whose size is known so far

    def __str__(self) -> str:
        mb = 1e6
        return (
            f"{self.bytes_done / mb:.1f}/{self.bytes_total / mb:.1f} MB, "
            f"{self.layers_done}/{self.layers} layers"
        )


ProgressCallback = Callable[[PullProgress], None]


@dataclass(frozen=True)
class ImagePolicy:
    pull_policy: PullPolicy = "if-not-present"
    require_digest: bool = False
    pull_timeout_secs: float = 1800.0
    # Where registry credentials come from (see `registry_auth`).
    env: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False)

    @classmethod
    def from_settings(cls, settings: DockerSettings) -> ImagePolicy:
        return cls(
            pull_policy=settings.pull_policy,
            require_digest=settings.digest_required,
            pull_timeout_secs=settings.pull_timeout_secs,
        )


@dataclass(frozen=True)
class PreparedImage:
    id: str  # sha256:<hex>: what the container is created from
    reference: str  # `docker_image` as the agent method gave it
    digest: str | None  # the verified sha256, when the method pinned one


async def prepare_image(
    engine: DockerEngine,
    docker_image: str,
    docker_sha256: str | None,
    policy: ImagePolicy,
    progress: ProgressCallback | None = None,
) -> PreparedImage:
    """Make the image present and verified; raise `ImageError` (or
    `DigestMismatch`) when it cannot be used, `DockerUnavailable` to retry later."""
    path = tar_path(docker_image)
    expected = normalize_sha256(docker_sha256) if docker_sha256 else None
    if expected is None and policy.require_digest:
        raise ImageError(
            f"image {docker_image}: the agent method gives no docker_sha256, and "
            "docker.require_digest is on (the default in TEE mode)"
        )

    if path is not None:
        attrs = await _inspect(engine, await _load_tar(engine, path, policy.pull_timeout_secs))
        if expected and attrs["Id"] != expected:
            raise DigestMismatch(docker_image, expected, attrs["Id"], "image id")
        return PreparedImage(id=attrs["Id"], reference=docker_image, digest=expected)

    ref = parse_reference(docker_image)
    if ref.digest and expected and ref.digest != expected:
        raise DigestMismatch(docker_image, expected, ref.digest, "reference digest")
    found = None if policy.pull_policy == "always" else await _inspect_or_none(engine, ref)
    # With a pinned digest, "present" means that digest is present: a local
    # image under the same tag but another digest is pulled again.
    stale = found is not None and expected is not None and expected not in _repo_digests(found)
    if stale and policy.pull_policy != "never":
        found = None
    if found is None:
        if policy.pull_policy == "never":
            raise ImageError(f"image {ref} is not present and docker.pull_policy is never")
        await _pull(engine, ref, policy, progress)
        found = await _inspect(engine, ref.local_name)
    if expected and expected not in _repo_digests(found):
        actual = ", ".join(sorted(_repo_digests(found))) or "unknown (no registry digest)"
        raise DigestMismatch(docker_image, expected, actual, "registry digest")
    return PreparedImage(id=found["Id"], reference=docker_image, digest=expected)


def _repo_digests(attrs: Mapping[str, Any]) -> set[str]:
    # A manifest digest names the image content whichever repository served it,
    # so a match under any repository name is a match.
    return {entry.partition("@")[2] for entry in attrs.get("RepoDigests") or ()}


async def _inspect(engine: DockerEngine, name: str) -> dict[str, Any]:
    attrs: dict[str, Any] = await engine.call(engine.client.api.inspect_image, name)
    return attrs


async def _inspect_or_none(engine: DockerEngine, ref: ImageRef) -> dict[str, Any] | None:
    try:
        return await _inspect(engine, ref.local_name)
    except DockerNotFound:
        return None


async def _load_tar(engine: DockerEngine, path: Path, limit_secs: float) -> str:
    """`docker load` from a file, streamed; returns the loaded image's name or id."""

    def load() -> str:
        try:
            tar = path.open("rb")
        except OSError as exc:
            raise ImageError(f"image tar {path}: {exc.strerror}") from None
        loaded: list[str] = []
        with tar:
            for message in engine.client.api.load_image(tar):
                if "error" in message:
                    raise ImageError(f"loading image tar {path}: {message['error']}")
                text = message.get("stream", "")
                for prefix in ("Loaded image ID: ", "Loaded image: "):
                    if text.startswith(prefix):
                        loaded.append(text.removeprefix(prefix).strip())
        if len(loaded) != 1:
            raise ImageError(f"image tar {path} holds {len(loaded)} images; one is needed")
        return loaded[0]

    log.info("loading image tar %s", path)
    try:
        return await engine.call(load, timeout=limit_secs, long=True)
    except DockerTimeout:
        raise ImageError(f"loading image tar {path}: not done within {limit_secs:g} s") from None
    except DockerUnavailable:
        raise
    except DockerError as exc:
        raise ImageError(f"loading image tar {path}: {exc}") from exc


class _PullTracker:
    """Per-layer byte counts, written by the pulling thread, read by Trio."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._layers: dict[str, list[int]] = {}  # id -> [done bytes, total bytes, finished]

    def update(self, message: Mapping[str, Any]) -> None:
        layer, status = message.get("id"), message.get("status", "")
        detail = message.get("progressDetail") or {}
        if not layer or status.startswith("Pulling from"):
            return
        with self._lock:
            entry = self._layers.setdefault(layer, [0, 0, 0])
            if status == "Downloading":
                entry[0] = int(detail.get("current") or 0)
                entry[1] = int(detail.get("total") or entry[1])
            elif status in ("Download complete", "Pull complete", "Already exists"):
                entry[0] = entry[1]
                entry[2] = 1

    def snapshot(self) -> PullProgress:
        with self._lock:
            entries = list(self._layers.values())
        return PullProgress(
            layers=len(entries),
            layers_done=sum(e[2] for e in entries),
            bytes_done=sum(e[0] for e in entries),
            bytes_total=sum(e[1] for e in entries),
        )


async def _pull(
    engine: DockerEngine, ref: ImageRef, policy: ImagePolicy, progress: ProgressCallback | None
) -> None:
    tracker = _PullTracker()
    stop = threading.Event()  # tells an abandoned pulling thread to let go

    def pull() -> None:
        auth = registry_auth(ref.registry, policy.env)
        user = (auth or {}).get("username") or (auth or {}).get("Username")
        log.info("pulling %s%s", ref, f" as {user}" if user else "")
        tag = ref.digest or ref.tag or "latest"
        for message in engine.client.api.pull(
            ref.name, tag=tag, stream=True, decode=True, auth_config=auth
        ):
            if stop.is_set():
                return
            if "error" in message:
                raise ImageError(f"pulling {ref}: {message['error']}")
            tracker.update(message)

    async def report() -> None:
        last: PullProgress | None = None
        next_log = trio.current_time() + PROGRESS_LOG_INTERVAL_SECS
        while True:
            await trio.sleep(PROGRESS_INTERVAL_SECS)
            snapshot = tracker.snapshot()
            if progress and snapshot != last:
                progress(snapshot)
                last = snapshot
            if trio.current_time() >= next_log:
                log.info("pulling %s: %s", ref, snapshot)
                next_log += PROGRESS_LOG_INTERVAL_SECS

    started = trio.current_time()
    failure: DockerError | None = None
    async with trio.open_nursery() as nursery:
        nursery.start_soon(report)
        try:
            await engine.call(pull, timeout=policy.pull_timeout_secs, long=True)
        except DockerError as exc:
            failure = exc  # raised below, outside the nursery, so not in a group
        finally:
            stop.set()
            nursery.cancel_scope.cancel()
            IMAGE_PULL_SECONDS.observe(trio.current_time() - started)
    IMAGE_PULLS.labels(
        "ok" if failure is None else "timeout" if isinstance(failure, DockerTimeout) else "failed"
    ).inc()
    if isinstance(failure, DockerTimeout):
        raise ImageError(f"pulling {ref}: not done within {policy.pull_timeout_secs:g} s")
    if isinstance(failure, ImageError | DockerUnavailable):
        raise failure
    if failure is not None:
        raise ImageError(f"pulling {ref}: {failure}") from failure
    final = tracker.snapshot()
    if progress:
        progress(final)
    log.info("pulled %s (%s) in %.1f s", ref, final, trio.current_time() - started)
