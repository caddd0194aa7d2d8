"""Logging: stdlib `logging`, a rich handler on a TTY, plain lines otherwise,
or one JSON object a line (`log.format = "json"`).

Plain lines (timestamp, level, logger, message) suit journald and the enclave
console, where colour codes and redraws would be noise. JSON lines suit log
shippers: besides time, level, logger and message they carry `job`, `key`
and `session` fields, taken from the values the message was formatted with
(a `JobRef`, `Job`, `AgentKey` or `Session` among its arguments) or from
`extra=`. A session appears only as a fingerprint (a hash prefix): the id is
the agent's credential, and the fingerprint still lets one follow a session.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import field_validator
from rich.console import Console
from rich.logging import RichHandler

from coordinator.domain import AgentKey, Job, JobRef, Session
from coordinator.section import Section

PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}

_console: Console | None = None


class LogSettings(Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    # text: timestamped lines (a rich view on a TTY); json: one object a line, for log shippers.
    format: Literal["text", "json"] = "text"

    @field_validator("level", "format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value



def log_console() -> Console:
    """The one console of the process (stderr): log lines and the live view
    share it, so rich keeps the view below the scrolling log."""
    global _console
    if _console is None:
        _console = Console(stderr=True)
    return _console


FINGERPRINT_CHARS = 12


def session_fingerprint(session_id: str) -> str:
    """A short, stable name for a session that does not reveal its id."""
    return hashlib.sha256(session_id.encode()).hexdigest()[:FINGERPRINT_CHARS]


class JsonFormatter(logging.Formatter):
    """One JSON object a line; see the module docstring for the fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        args = record.args if isinstance(record.args, tuple) else ()
        for value in (*args, *(getattr(record, name, None) for name in ("job", "key"))):
            if isinstance(value, Job):
                entry.setdefault("job", str(value.ref))
                entry.setdefault("key", str(value.key))
            elif isinstance(value, JobRef):
                entry.setdefault("job", str(value))
            elif isinstance(value, AgentKey):
                entry.setdefault("key", str(value))
            elif isinstance(value, Session):
                entry.setdefault("session", session_fingerprint(value.session_id))
                entry.setdefault("key", str(value.key))
        session = getattr(record, "session", None)
        if isinstance(session, str) and session:
            entry.setdefault("session", session_fingerprint(session))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(
    level: str, *, tty: bool | None = None, format: Literal["text", "json"] = "text"
) -> None:
    """Configure the root logger once for the whole process."""
    if tty is None:
        tty = sys.stderr.isatty()
    handler: logging.Handler
    if format == "json":
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
    elif tty:
        handler = RichHandler(console=log_console(), show_path=False, rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Third-party chatter (docker's urllib3, purerpc's h2) only at debug.
    for noisy in ("urllib3", "docker", "hpack", "h2", "purerpc"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def escape(text: str) -> str:
    """Outside text (an agent's error or output, a file's content) made safe
    for a log line: a backslash and every non-printable character (newline,
    ESC, bidi overrides, zero-width and line separators) become escapes such as
    `\\n` or `\\u202e`, so the text can neither forge a log line, nor
    recolour a terminal, nor hide part of itself."""
    return "".join(
        c if c.isprintable() and c != "\\" else _NAMED_ESCAPES.get(c) or _code_escape(c)
        for c in text
    )


def _code_escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
