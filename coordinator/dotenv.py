"""A `.env` file in the working directory, read as upstream's coordinator reads
it (dotenvy): `NAME=value` lines that fill the environment where it has no
such name yet, so the environment and flags still override the file.

Upstream's `start` keeps the coordinator's key there (SUI_ADDRESS,
SUI_SECRET_KEY, SUI_CHAIN), so an operator who switches brings that file.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from pathlib import Path

__all__ = ["DotenvError", "load_dotenv", "parse_dotenv"]

_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


class DotenvError(ValueError):
    """A line of `.env` that is not NAME=value; the message is one line."""


def parse_dotenv(text: str, where: str = ".env") -> dict[str, str]:
    """NAME -> value: `#` comments and blank lines skipped, `export ` allowed,
    a value in single quotes taken as written, in double quotes with `\\n`,
    `\\"` and `\\\\` unescaped, bare values up to a ` #` comment."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _LINE.match(stripped)
        if match is None:
            raise DotenvError(f"{where}: line {number} is not NAME=value")
        name, raw = match.groups()
        values[name] = _value(raw, where, number)
    return values


def _value(raw: str, where: str, number: int) -> str:
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = raw.find(quote, 1)
        while quote == '"' and end > 0 and raw[end - 1] == "\\":
            end = raw.find(quote, end + 1)
        if end < 0:
            raise DotenvError(f"{where}: line {number}: the value's {quote} is not closed")
        inner = raw[1:end]
        if quote == '"':
            inner = inner.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
        return inner
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def load_dotenv(env: MutableMapping[str, str], path: Path = Path(".env")) -> list[str]:
    """Fill `env` from `path` (when it exists) where a name is not set yet;
    the names taken. Raises `DotenvError` (one line) for an unreadable file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise DotenvError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    taken = []
    for name, value in parse_dotenv(text, str(path)).items():
        if name not in env:
            env[name] = value
            taken.append(name)
    return taken
