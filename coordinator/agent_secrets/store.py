"""The agents' secrets at rest: one file, encrypted and authenticated whole
(AES-256-GCM, `cryptography`), with the operator's key (`key.find_key`).

The file is JSON around the sealed part:

    {"format": "silvana-coordinator-secrets", "version": 1,
     "key_id": <16 hex>, "nonce": <base64>, "sealed": <base64>}

and the sealed part, once opened, is JSON too: the list of secrets, each with
its scope and name. Names and scopes are sealed with the values, so the file
tells nothing but its size. `key_id` (a hash of the key, `SecretsKey.key_id`)
tells a wrong key from a damaged file; the header is the cipher's associated
data, so it cannot be changed either.

A change (`SecretsFile.change`) takes the file's lock, reads, changes, and
replaces the file atomically (a new 0600 file, fsync, rename): a crash leaves
the old file or the new one, never half of one.

Scopes are upstream's (`crates/db/src/secrets_storage.rs`'s SecretKey):
developer, agent, and optionally app and app instance. A name starting `sk_`
(a private key) lives per developer and agent only, as upstream's RetrieveSecret
looks it up; every other name is looked up per developer, agent, app and app
instance (`retrieve`), and for the containers' SECRET_* also at the wider
scopes, the most specific winning (`for_container`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from coordinator.agent_secrets.key import SecretsError, SecretsKey
from coordinator.events.models import app_instance_address

__all__ = ["MAX_SECRETS", "MAX_VALUE_BYTES", "PRIVATE_KEY_PREFIX", "Scope", "Secret",
           "SecretsFile", "check_name", "check_value", "for_container", "retrieve"]

FORMAT = "silvana-coordinator-secrets"
VERSION = 1
NONCE_BYTES = 12
PRIVATE_KEY_PREFIX = "sk_"
MAX_VALUE_BYTES = 32 * 1024
MAX_SECRETS = 256
# Every secret at its largest, base64 and JSON around it.
MAX_FILE_BYTES = 2 * MAX_SECRETS * (MAX_VALUE_BYTES + 1024)

# A name becomes the variable SECRET_<NAME in capitals>: letters, digits, _.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# Developer, agent and app names as the chain has them: printable, no spaces.
_SCOPE_NAME = re.compile(r"[!-~]{1,128}")


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise SecretsError(f"secret name {name[:70]!r} must be 1 to 64 letters, digits or _, "
                           f"not starting with a digit (it becomes SECRET_<NAME>)")
    return name


def check_value(value: str) -> str:
    size = len(value.encode())
    if not value:
        raise SecretsError("the secret's value is empty")
    if size > MAX_VALUE_BYTES:
        raise SecretsError(f"the secret's value is {size} bytes; at most {MAX_VALUE_BYTES}")
    if "\0" in value:
        raise SecretsError("the secret's value holds a NUL character (no environment "
                           "variable can carry it)")
    return value


@dataclass(frozen=True)
class Scope:
    """Whose a secret is: upstream's SecretKey without the name."""

    developer: str
    agent: str
    app: str | None = None
    app_instance: str | None = None

    def checked(self, name: str) -> Scope:
        """This scope validated for `name` (app instances in their one spelling)."""
        for what, value in (("developer", self.developer), ("agent", self.agent),
                            ("app", self.app)):
            if value is not None and not _SCOPE_NAME.fullmatch(value):
                raise SecretsError(f"{what} {value[:70]!r} must be 1 to 128 printable "
                                   f"characters without spaces")
        if name.startswith(PRIVATE_KEY_PREFIX) and (self.app or self.app_instance):
            raise SecretsError(f"{name}: names starting {PRIVATE_KEY_PREFIX} (private keys) "
                               f"are per developer and agent, without app or app instance")
        if self.app_instance is None:
            return self
        if self.app is None:
            raise SecretsError("an app instance's secret needs its app too")
        try:
            instance = app_instance_address(self.app_instance)
        except ValueError as exc:
            raise SecretsError(f"app instance {self.app_instance[:70]!r}: {exc}") from None
        return Scope(self.developer, self.agent, self.app, instance)

    @classmethod
    def of_job(cls, developer: str, agent: str, app: str, app_instance: str) -> Scope:
        """A job's whole scope, its app instance in the store's spelling (events
        name it without 0x)."""
        try:
            instance = app_instance_address(app_instance)
        except ValueError:
            instance = app_instance  # matches no stored scope
        return cls(developer, agent, app, instance)

    def order(self) -> tuple[str, str, str, str]:
        """For sorting: the wider scope first."""
        return (self.developer, self.agent, self.app or "", self.app_instance or "")

    def describe(self) -> str:
        parts = [f"developer={self.developer}", f"agent={self.agent}"]
        if self.app is not None:
            parts.append(f"app={self.app}")
        if self.app_instance is not None:
            parts.append(f"app_instance={self.app_instance}")
        return " ".join(parts)


@dataclass(frozen=True)
class Secret:
    scope: Scope
    name: str
    value: str = field(repr=False)
    updated_at: float = 0.0  # wall-clock seconds


Secrets = dict[tuple[Scope, str], Secret]


def retrieve(secrets: Secrets, scope: Scope, name: str) -> Secret | None:
    """Upstream's RetrieveSecret lookup for a job of `scope` (its developer, agent,
    app and app instance): an `sk_` name at (developer, agent), any other at
    the job's whole scope; exactly there, no wider scope."""
    if name.startswith(PRIVATE_KEY_PREFIX):
        scope = Scope(scope.developer, scope.agent)
    return secrets.get((scope, name))


def for_container(secrets: Secrets, scope: Scope) -> dict[str, str]:
    """The SECRET_* variables of a container for a job of `scope`: each name at
    the job's app instance, else its app, else its developer and agent (upstream's
    fallback from most to least specific). `sk_` names are left to
    RetrieveSecret: a private key in the environment would show in `docker inspect`."""
    wider = [Scope(scope.developer, scope.agent),
             Scope(scope.developer, scope.agent, scope.app),
             scope]
    rank = {s: i for i, s in enumerate(wider)}
    chosen: dict[str, Secret] = {}
    for (where, name), secret in secrets.items():
        if where not in rank or name.startswith(PRIVATE_KEY_PREFIX):
            continue
        variable = "SECRET_" + name.upper()
        held = chosen.get(variable)
        if held is None or rank[where] > rank[held.scope]:
            chosen[variable] = secret
    return {variable: secret.value for variable, secret in sorted(chosen.items())}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _header(key_id: str) -> bytes:
    return f"{FORMAT}/{VERSION}/{key_id}".encode()


class SecretsFile:
    """The secrets file at `path`, opened with `key`."""

    def __init__(self, path: Path, key: SecretsKey) -> None:
        self.path = path
        self.key = key

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> Secrets:
        """Every secret; none when there is no file yet."""
        try:
            with self.path.open("rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise SecretsError(f"cannot read the secrets file {self.path}: {exc.strerror}") \
                from None
        if len(data) > MAX_FILE_BYTES:
            raise SecretsError(f"the secrets file {self.path} is larger than any this "
                               f"coordinator writes ({MAX_FILE_BYTES} bytes): not opened")
        return self._open(data)

    def _damaged(self, what: str) -> SecretsError:
        return SecretsError(f"the secrets file {self.path} is damaged ({what}); restore it "
                            f"from a copy or delete it and set the secrets again")

    def _open(self, data: bytes) -> Secrets:
        try:
            envelope = json.loads(data)
            if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
                raise self._damaged("not a secrets file")
            if envelope.get("version") != VERSION:
                raise SecretsError(f"the secrets file {self.path} is of version "
                                   f"{envelope.get('version')!r}; this coordinator reads {VERSION}")
            key_id = str(envelope["key_id"])
            nonce = base64.b64decode(envelope["nonce"], validate=True)
            sealed = base64.b64decode(envelope["sealed"], validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise self._damaged("not a secrets file") from None
        if key_id != self.key.key_id:
            raise SecretsError(f"the secrets key ({self.key.origin}) is not the one the "
                               f"secrets file {self.path} was written with")
        try:
            plain = AESGCM(self.key.raw).decrypt(nonce, sealed, _header(key_id))
        except (InvalidTag, ValueError):
            raise self._damaged("it does not authenticate: changed or cut short") from None
        try:
            return self._entries(json.loads(plain))
        except (ValueError, KeyError, TypeError) as exc:
            raise self._damaged(f"its content is not valid: {type(exc).__name__}") from None

    @staticmethod
    def _entries(content: Any) -> Secrets:
        secrets: Secrets = {}
        for item in content["secrets"]:
            name = check_name(str(item["name"]))
            scope = Scope(str(item["developer"]), str(item["agent"]), item["app"],
                          item["app_instance"]).checked(name)
            secrets[(scope, name)] = Secret(scope, name, check_value(str(item["value"])),
                                            float(item["updated_at"]))
        return secrets

    def _seal(self, secrets: Secrets) -> bytes:
        content = {"secrets": [
            {"developer": s.scope.developer, "agent": s.scope.agent, "app": s.scope.app,
             "app_instance": s.scope.app_instance, "name": s.name, "value": s.value,
             "updated_at": s.updated_at}
            for s in sorted(secrets.values(), key=lambda s: (s.scope.order(), s.name))]}
        nonce = os.urandom(NONCE_BYTES)
        key_id = self.key.key_id
        sealed = AESGCM(self.key.raw).encrypt(nonce, json.dumps(content).encode(),
                                              _header(key_id))
        return json.dumps({"format": FORMAT, "version": VERSION, "key_id": key_id,
                           "nonce": _b64(nonce), "sealed": _b64(sealed)}).encode()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def change(self, edit: Callable[[Secrets], None]) -> None:
        """Read, `edit` in place, write back; under the file's lock, atomically."""
        with self._locked():
            secrets = self.read()
            edit(secrets)
            if len(secrets) > MAX_SECRETS:
                raise SecretsError(f"the secrets file holds at most {MAX_SECRETS} secrets")
            self._write(self._seal(secrets))

    def _write(self, data: bytes) -> None:
        partial = self.path.with_name(self.path.name + ".writing")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o600)  # a leftover partial file may have had another mode
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def put(self, scope: Scope, name: str, value: str) -> bool:
        """Set a secret; True when it replaced one."""
        name = check_name(name)
        scope = scope.checked(name)
        value = check_value(value)
        replaced = False

        def edit(secrets: Secrets) -> None:
            nonlocal replaced
            for where, other in secrets:
                if other != name and other.upper() == name.upper() and \
                        where.developer == scope.developer and where.agent == scope.agent:
                    raise SecretsError(f"{name}: {other} exists for this developer and agent; "
                                       f"both would be SECRET_{name.upper()}")
            replaced = (scope, name) in secrets
            secrets[(scope, name)] = Secret(scope, name, value, time.time())

        self.change(edit)
        return replaced

    def delete(self, scope: Scope, name: str) -> bool:
        """Remove a secret; False when there was none."""
        name = check_name(name)
        scope = scope.checked(name)
        found = False

        def edit(secrets: Secrets) -> None:
            nonlocal found
            found = secrets.pop((scope, name), None) is not None

        self.change(edit)
        return found
