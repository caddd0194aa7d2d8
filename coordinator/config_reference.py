"""`python -m coordinator config-reference`: docs/configuration.md, made from
the settings models themselves.

Every key is a field of a section model (`coordinator.config.Settings` and
the sections it assembles); its type, default and limits come from the model,
its meaning from the field's docstring, its environment names and flags from
`coordinator.config`'s tables. So the reference cannot drift from the code:
a test regenerates it and compares (tests/test_config_reference.py).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from coordinator.config import CLI_KEYS, CONFIG_ENV, ENV_KEYS, Settings
from coordinator.shipped import SHIPPED

__all__ = ["render"]

COMMAND = "python -m coordinator config-reference --out docs/configuration.md"

HEADER = f"""\
# Configuration reference

<!-- Generated from the settings models by `{COMMAND}`
(or `scripts/config-reference`): do not edit by hand. A key's text is its
field's docstring in the model (coordinator/config.py, coordinator/*/settings.py,
...); change it there and regenerate. tests/test_config_reference.py fails
while this file differs from what the models make. -->

Regenerate after changing a settings model: `scripts/config-reference`.

## How settings are read

Layers, lowest first: built-in defaults < TOML file (`--config FILE`, else
`${CONFIG_ENV}`) < environment (a `.env` file in the working directory
fills the names the environment lacks, as upstream's does) < command line.
`--config` also takes the name of a config shipped with the package
({", ".join(f"`{name}`" for name in SHIPPED)}: `coordinator/configs/`, see
[networks.md](networks.md)); `python -m coordinator init --network NAME
[--out FILE]` writes one of them as a starting config, never over an
existing file. `python -m coordinator start [flags]` is the same as without
`start` (upstream's `silvana start`); upstream's flags, env names and config
keys are mapped in [migrating-from-upstream.md](migrating-from-upstream.md).

A bad file, key or value prints one line naming the key, where it came from
and what is allowed, and exits with status 2; all of a file's problems are
printed at once, one line each. A value that may be a secret
(`docker.agent_env`) is named by its key, never echoed. Before the
supervision tree starts, the resources the config names are tried
(`coordinator/preflight.py`): `state.dir` (a directory, made if missing,
writable, not under /proc or /sys), the socket's directory (made if missing,
writable) and `rpc.socket_group` (it exists and this process may give a file
to it), and `simnet.listen` (free to bind); each failure is one line naming
the key and exit 2.

## Where an instance keeps its files

An instance is named by its config: `state.instance` when set, else the
config file's name without `.toml` (`testnet.toml` and `--config testnet` are
instance `testnet`), `default` without a file. Unless the config sets
`rpc.socket_path` or `state.dir`, each instance gets its own
(`coordinator/instance_paths.py`):

- under systemd with `RuntimeDirectory=` and `StateDirectory=`:
  `$RUNTIME_DIRECTORY/INSTANCE/coordinator.sock` and `$STATE_DIRECTORY/INSTANCE`;
- as root: `/run/coordinator/INSTANCE/coordinator.sock` and
  `/var/lib/coordinator/INSTANCE`;
- as another user: `$XDG_RUNTIME_DIR/coordinator/INSTANCE/coordinator.sock`
  (without `XDG_RUNTIME_DIR`: in the state directory) and
  `$XDG_STATE_HOME/coordinator/INSTANCE` (by default
  `~/.local/state/coordinator/INSTANCE`).

So two daemons started from different config files never share a socket or
a state directory, and two from the same one are refused by the state's lock
(exit 2, naming the holder). A relative path in a config file
(`state.dir`, `rpc.socket_path`, `sui.key_file`, `simnet.scenario`,
`proofs.dir`) is relative to that file's directory, never to wherever the
daemon was started; given by environment or flag, to the working directory.
`python -m coordinator status --config FILE` finds the socket the same way.

## Set in the environment only

- `SUI_SECRET_KEY`: the coordinator's Sui key as `sui keytool export` prints
  it (`suiprivkey1…`, Ed25519); never in a file of settings; not together
  with `sui.key_file`; never logged or shown.
- `DOCKER_USERNAME`, `DOCKER_PASSWORD`, `DOCKER_REGISTRY`: registry login,
  sent only to the host `DOCKER_REGISTRY` (default Docker Hub); other hosts:
  `~/.docker/config.json` (`$DOCKER_CONFIG`) per host; never logged.
- `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`: the S3 proof store's
  credentials, unless `proofs.s3.credentials_file` is set; never from the
  settings.
- `STATE_DIRECTORY`, `RUNTIME_DIRECTORY`, `XDG_STATE_HOME`, `XDG_RUNTIME_DIR`:
  where instances keep their files by default (above).
- `{CONFIG_ENV}`: the config file (or a shipped config's name) when no
  `--config` is given.

## Keys
"""


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:_}" if isinstance(value, int) and abs(value) >= 100_000 else str(value)


def _type(annotation: Any) -> str:
    """The type as an operator writes it in TOML."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return " \\| ".join(json.dumps(arg) for arg in args)
    if origin in (Union, types.UnionType):
        return " \\| ".join(_type(arg) for arg in args if arg is not type(None))
    if origin is Annotated:
        return _type(args[0])
    if origin is list:
        return f"array of {_type(args[0])}"
    if origin is dict:
        return f"table of {_type(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    names = {str: "string", int: "integer", float: "number", bool: "boolean", Path: "path",
             SecretStr: "string"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _limits(field: FieldInfo) -> str:
    # Field(ge=...) and kin become one metadata item per bound, named by attribute.
    bounds = [("ge", ">= "), ("gt", "> "), ("le", "<= "), ("lt", "< "),
              ("min_length", "at least "), ("max_length", "at most ")]
    parts = []
    for item in field.metadata:
        for attribute, sign in bounds:
            value = getattr(item, attribute, None)
            if value is not None:
                unit = " entries" if sign.startswith("at ") else ""
                parts.append(f"{sign}{_number(value)}{unit}")
        pattern = getattr(item, "pattern", None)
        if pattern:
            parts.append(f"matching `{pattern}`")
    return ", ".join(parts)


def _default(field: FieldInfo) -> str:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if "shown_default" in extra:
        return str(extra["shown_default"])
    if field.is_required():
        return "required"
    value = field.default if field.default_factory is None else field.default_factory()  # type: ignore[call-arg]
    if value is None or value is PydanticUndefined:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float):
        return f"`{_number(value)}`"
    if isinstance(value, BaseModel):
        return "its keys' defaults"
    return f"`{json.dumps(value if not isinstance(value, Path) else str(value))}`"


def _links(text: str) -> str:
    """`docs/x.md` in a docstring becomes a link beside this file."""
    return re.sub(r"docs/([a-z0-9-]+\.md)", r"[\1](\1)", text)


def _describe(text: str | None) -> str:
    return _links(" ".join((text or "").split()))


def _section(name: str, model: type[BaseModel], env: dict[str, list[str]],
             flags: dict[str, str]) -> list[str]:
    # A model's docstring starts with its table's name, which is the heading here.
    about = re.sub(r"^`\[[a-z0-9.]+\]`:\s*", "", _describe(model.__doc__))
    lines = [f"### `[{name}]`", "", about[:1].upper() + about[1:], ""]
    nested = []
    for key, field in model.model_fields.items():
        dotted = f"{name}.{key}"
        annotation = field.annotation
        inner = [arg for arg in get_args(annotation) if isinstance(arg, type)
                 and issubclass(arg, BaseModel)]
        if inner:
            nested.append((dotted, inner[0]))
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        facts = [str(extra.get("toml", _type(annotation))), f"default {_default(field)}"]
        if limits := _limits(field):
            facts.append(limits)
        if dotted in env:
            facts.append("env " + ", ".join(f"`{n}`" for n in env[dotted]))
        if dotted in flags:
            facts.append(f"flag `{flags[dotted]}`")
        lines += [f"- **`{dotted}`** ({'; '.join(facts)}).", f"  {_describe(field.description)}"]
    lines.append("")
    for dotted, model_type in nested:
        lines += _section(dotted, model_type, env, flags)
    return lines


def render() -> str:
    """The whole reference, as committed in docs/configuration.md."""
    env: dict[str, list[str]] = {}
    for name, (key, _) in ENV_KEYS.items():
        env.setdefault(key, []).append(name)
    flags = {key: "--" + dest.replace("_", "-") for dest, key in CLI_KEYS.items()}
    lines = [HEADER]
    for name, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel), name
        lines += _section(name, model, env, flags)
    return "\n".join(lines).rstrip() + "\n"


def undescribed() -> list[str]:
    """Keys whose model field has no description (the reference would be mute)."""
    missing = []

    def walk(prefix: str, model: type[BaseModel]) -> None:
        for key, field in model.model_fields.items():
            if not field.description:
                missing.append(f"{prefix}{key}")
            for arg in (field.annotation, *get_args(field.annotation)):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    walk(f"{prefix}{key}.", arg)

    for name, field in Settings.model_fields.items():
        assert isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
        walk(f"{name}.", field.annotation)
    return missing


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coordinator config-reference",
        description="Print the configuration reference (every key, its type, default, "
        "limits, environment name, flag and meaning) made from the settings models.",
    )
    parser.add_argument("--out", type=Path, help="write it to this file instead of stdout")
    args = parser.parse_args(argv)
    text = render()
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text)
        print(f"wrote {args.out}")
    return 0
