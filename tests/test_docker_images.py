"""Images against the real engine and a real local registry: pull by tag and
by digest, digest verification, tar loading, pull policy, credentials."""

from __future__ import annotations

import base64
import ctypes
import json
import logging
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from docker.errors import ImageNotFound

from coordinator.config import DockerSettings
from coordinator.docker import (
    DigestMismatch,
    DockerEngine,
    ImageError,
    ImagePolicy,
    PullProgress,
    normalize_sha256,
    parse_reference,
    prepare_and_run,
    prepare_image,
    registry_auth,
)
from tests.docker_support import make_options, make_spec, run_registry
from tests.support import BUSYBOX_IMAGE, containers_of

ANON = ImagePolicy(env={})  # no credentials from this machine's environment


@pytest.mark.parametrize(
    ("text", "registry", "name", "tag", "digest"),
    [
        ("busybox", "docker.io", "busybox", None, None),
        ("library/busybox:1.36", "docker.io", "library/busybox", "1.36", None),
        ("127.0.0.1:5000/a/b-c__d.e:v1", "127.0.0.1:5000", "127.0.0.1:5000/a/b-c__d.e", "v1", None),
        ("localhost/x@sha256:" + "a" * 64, "localhost", "localhost/x", None, "sha256:" + "a" * 64),
        ("ghcr.io/o/r:t@sha256:" + "0" * 64, "ghcr.io", "ghcr.io/o/r", "t", "sha256:" + "0" * 64),
        ("[::1]:5000/img", "[::1]:5000", "[::1]:5000/img", None, None),
    ],
)
def test_valid_references(text: str, registry: str, name: str, tag: str | None,
                          digest: str | None) -> None:
    ref = parse_reference(text)
    assert (ref.registry, ref.name, ref.tag, ref.digest) == (registry, name, tag, digest)
    assert str(ref) == text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("Busybox", "path component 'Busybox'"),
        ("busybox:", "a tag is"),
        ("busybox:-x", "a tag is"),
        ("a//b", "path component ''"),
        ("bad_host.example:x/img", "not a registry host"),
        ("busybox@sha256:abc", "a digest is sha256:"),
        ("busybox@md5:" + "a" * 32, "a digest is sha256:"),
        ("busybox; rm -rf /", "path component"),
        ("a" * 256, "longer than 255"),
    ],
)
def test_invalid_references_say_why(text: str, why: str) -> None:
    with pytest.raises(ImageError, match="is invalid") as caught:
        parse_reference(text)
    assert why in str(caught.value)


def test_sha256_with_or_without_prefix() -> None:
    digest = "sha256:" + "ab" * 32
    assert normalize_sha256("AB" * 32) == digest
    assert normalize_sha256(digest) == digest
    with pytest.raises(ImageError, match="not 64 hex digits"):
        normalize_sha256("sha256:1234")


def test_credentials_chosen_per_registry_host(tmp_path: Path) -> None:
    auths = {
        "https://index.docker.io/v1/": {"auth": base64.b64encode(b"hubuser:hubpass").decode()},
        "registry.example:5000": {"auth": base64.b64encode(b"exuser:ex:pass").decode()},
    }
    (tmp_path / "config.json").write_text(json.dumps({"auths": auths}))
    config = {"DOCKER_CONFIG": str(tmp_path)}
    assert registry_auth("docker.io", config)["password"] == "hubpass"
    assert registry_auth("registry.example:5000", config)["password"] == "ex:pass"
    assert registry_auth("other.example", config) is None

    env = {**config, "DOCKER_USERNAME": "envuser", "DOCKER_PASSWORD": "envpass"}
    # Without DOCKER_REGISTRY the env pair is for Docker Hub only.
    assert registry_auth("docker.io", env)["username"] == "envuser"
    assert registry_auth("registry.example:5000", env)["username"] == "exuser"
    assert registry_auth("other.example", env) is None
    scoped = {**env, "DOCKER_REGISTRY": "https://other.example/"}
    assert registry_auth("other.example", scoped)["password"] == "envpass"
    assert registry_auth("docker.io", scoped)["username"] == "hubuser"


def test_require_digest_follows_tee_mode() -> None:
    assert ImagePolicy.from_settings(DockerSettings(use_tee=True)).require_digest
    assert not ImagePolicy.from_settings(DockerSettings()).require_digest
    assert ImagePolicy.from_settings(DockerSettings(require_digest=True)).require_digest


def _forget(client: docker.DockerClient, image_id: str) -> None:
    """Remove an image and every name it has, so the next use must pull it."""
    try:
        client.images.remove(image_id, force=True)
    except ImageNotFound:
        pass


@pytest.fixture(scope="module")
def pushed(docker_client: docker.DockerClient, registry: str) -> Iterator[tuple[str, str, str]]:
    """(repository, digest, image id) of an image of our own in the local
    registry and absent from the engine: busybox plus a 1 MB random layer."""
    repository = f"{registry}/silvana-test/pull-{uuid.uuid4().hex[:8]}"
    builder = docker_client.containers.create(
        BUSYBOX_IMAGE, ["sh", "-c", "head -c 1000000 /dev/urandom > /blob"], network_mode="none"
    )
    try:
        builder.start()
        assert builder.wait(timeout=60)["StatusCode"] == 0
        image = builder.commit(repository, "v1")
    finally:
        builder.remove(force=True)
    digest = ""
    for message in docker_client.api.push(repository, "v1", stream=True, decode=True):
        assert "error" not in message, message
        digest = message.get("aux", {}).get("Digest", digest)
    assert digest.startswith("sha256:")
    _forget(docker_client, image.id)
    yield repository, digest, image.id
    _forget(docker_client, image.id)


async def test_pull_by_tag_reports_progress(
    engine: DockerEngine, docker_client: docker.DockerClient, pushed: tuple[str, str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    repository, digest, image_id = pushed
    _forget(docker_client, image_id)
    seen: list[PullProgress] = []
    with caplog.at_level(logging.INFO):
        image = await prepare_image(engine, f"{repository}:v1", None, ANON, seen.append)
    assert image.id == image_id
    local = docker_client.images.get(f"{repository}:v1")
    assert local.id == image_id
    assert f"{repository}@{digest}" in local.attrs["RepoDigests"]
    final = seen[-1]
    # Two layers: busybox (already present) and the downloaded 1 MB of random bytes.
    assert final.layers == 2 and final.layers_done == 2
    assert final.bytes_total >= 1_000_000 and final.bytes_done == final.bytes_total
    assert f"pulled {repository}:v1" in caplog.text


async def test_pull_by_digest_and_verify(
    engine: DockerEngine, docker_client: docker.DockerClient, pushed: tuple[str, str, str]
) -> None:
    repository, digest, image_id = pushed
    _forget(docker_client, image_id)
    bare = digest.removeprefix("sha256:")
    image = await prepare_image(engine, f"{repository}@{digest}", bare, ANON)
    assert image.id == image_id and image.digest == digest
    # Present now: `never` uses it, and the prefixed form verifies the same.
    never = ImagePolicy(pull_policy="never", env={})
    again = await prepare_image(engine, f"{repository}@{digest}", digest, never)
    assert again.id == image_id
    # A tag pull pinned by docker_sha256 checks the registry digest as well.
    tagged = await prepare_image(engine, f"{repository}:v1", bare.upper(), ANON)
    assert tagged.id == image_id


async def test_wrong_sha256_is_refused_and_no_container_is_created(
    engine: DockerEngine, docker_client: docker.DockerClient, pushed: tuple[str, str, str],
    instance_id: str, socket_path: Path,
) -> None:
    repository, digest, image_id = pushed
    _forget(docker_client, image_id)
    wrong = "0" * 64
    spec = make_spec(1, "exit 0", image=f"{repository}:v1")
    options = make_options(instance_id)
    with pytest.raises(DigestMismatch) as caught:
        await prepare_and_run(engine, spec, options, ANON, wrong)
    message = str(caught.value)
    assert f"sha256:{wrong}" in message and digest in message
    assert containers_of(docker_client, instance_id) == []
    # The right digest, same call: the container runs.
    outcome = await prepare_and_run(engine, spec, options, ANON, digest)
    assert outcome.exit_code == 0
    # A digest in the reference that contradicts docker_sha256 is refused before pulling.
    with pytest.raises(DigestMismatch, match="reference digest"):
        await prepare_image(engine, f"{repository}@{digest}", wrong, ANON)


async def test_pull_policy_never_and_missing_images(
    engine: DockerEngine, registry: str
) -> None:
    absent = f"{registry}/silvana-test/absent-{uuid.uuid4().hex[:8]}:v1"
    with pytest.raises(ImageError, match=r"not present and docker\.pull_policy is never"):
        await prepare_image(engine, absent, None, ImagePolicy(pull_policy="never", env={}))
    with pytest.raises(ImageError, match=re.escape(f"pulling {absent}")):
        await prepare_image(engine, absent, None, ANON)


async def test_require_digest_refuses_a_method_without_one(engine: DockerEngine) -> None:
    policy = ImagePolicy(require_digest=True, env={})
    with pytest.raises(ImageError, match="gives no docker_sha256"):
        await prepare_image(engine, BUSYBOX_IMAGE, None, policy)


async def test_load_from_tar_path_and_file_url(
    engine: DockerEngine, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    name = f"silvana-test/tarload-{uuid.uuid4().hex[:8]}:v1"
    base = docker_client.images.get(BUSYBOX_IMAGE)
    base.tag(name)
    tar = tmp_path / "image.tar"
    try:
        with tar.open("wb") as out:
            for chunk in docker_client.images.get(name).save(named=name):
                out.write(chunk)
        docker_client.images.remove(name)
        with pytest.raises(ImageNotFound):
            docker_client.images.get(name)

        image = await prepare_image(engine, str(tar), base.id.removeprefix("sha256:"), ANON)
        assert image.id == base.id
        assert docker_client.images.get(name).id == base.id  # the tar's tag is back

        with pytest.raises(DigestMismatch) as caught:
            await prepare_image(engine, f"file://{tar}", "f" * 64, ANON)
        assert base.id in str(caught.value) and "sha256:" + "f" * 64 in str(caught.value)
        with pytest.raises(ImageError, match="No such file"):
            await prepare_image(engine, f"file://{tmp_path}/missing.tar", None, ANON)
    finally:
        _forget(docker_client, name)


def _bcrypt(password: str) -> str:
    """An htpasswd (bcrypt) hash from libcrypt, which Debian always has."""
    libcrypt = ctypes.CDLL("libcrypt.so.1")
    libcrypt.crypt_gensalt.restype = ctypes.c_char_p
    libcrypt.crypt.restype = ctypes.c_char_p
    salt = libcrypt.crypt_gensalt(b"$2b$", 5, None, 0)
    return str(libcrypt.crypt(password.encode(), salt).decode())


@pytest.fixture
def auth_registry(docker_client: docker.DockerClient, tmp_path: Path) -> Iterator[str]:
    """A second local registry that wants user `agent`, password in the fixture."""
    port = int(os.environ.get("SILVANA_TEST_REGISTRY_PORT", "5000")) + 1
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(f"agent:{_bcrypt('s3cret-pw')}\n")
    env = {
        "SILVANA_TEST_REGISTRY_PORT": str(port),
        "SILVANA_TEST_REGISTRY_DIR": str(tmp_path / "registry"),
        "SILVANA_TEST_REGISTRY_HTPASSWD": str(htpasswd),
    }
    try:
        assert run_registry("start", env)
        yield f"127.0.0.1:{port}"
    finally:
        run_registry("stop", env)


async def test_private_registry_credentials_never_logged(
    engine: DockerEngine, docker_client: docker.DockerClient, auth_registry: str,
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    repository = f"{auth_registry}/silvana-test/private"
    docker_client.images.get(BUSYBOX_IMAGE).tag(repository, "v1")
    login = {"username": "agent", "password": "s3cret-pw"}
    for message in docker_client.api.push(
        repository, "v1", stream=True, decode=True, auth_config=login
    ):
        assert "error" not in message, message
    ref = f"{repository}:v1"
    empty_config = {"DOCKER_CONFIG": str(tmp_path)}  # no config.json: no credentials
    try:
        with caplog.at_level(logging.DEBUG):
            docker_client.images.remove(ref)
            with pytest.raises(ImageError, match="pulling"):
                await prepare_image(engine, ref, None, ImagePolicy(env=empty_config))
            # The env pair scoped to another registry is not sent here.
            elsewhere = {**empty_config, "DOCKER_USERNAME": "agent",
                         "DOCKER_PASSWORD": "s3cret-pw", "DOCKER_REGISTRY": "example.invalid"}
            with pytest.raises(ImageError):
                await prepare_image(engine, ref, None, ImagePolicy(env=elsewhere))

            scoped = {**elsewhere, "DOCKER_REGISTRY": auth_registry}
            await prepare_image(engine, ref, None, ImagePolicy(env=scoped))
            assert f"pulling {ref} as agent" in caplog.text

            docker_client.images.remove(ref)
            encoded = base64.b64encode(b"agent:s3cret-pw").decode()
            (tmp_path / "config.json").write_text(
                json.dumps({"auths": {auth_registry: {"auth": encoded}}})
            )
            await prepare_image(engine, ref, None, ImagePolicy(env=empty_config))
            assert docker_client.images.get(ref)
        assert "s3cret-pw" not in caplog.text and encoded not in caplog.text
    finally:
        _forget(docker_client, ref)
