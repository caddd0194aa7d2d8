"""Logging: stdlib `logging`, a rich handler on a TTY, plain lines otherwise,
or one JSON object a line (`log.format = "json"`).

Plain lines (timestamp, level, logger, message) suit journald and the enclave
console, where colour codes and redraws would be noise. JSON lines suit log
shippers: besides time, level, logger and message they carry `job`, `key`
and `session` fields, taken from the values the message was formatted with
(a `JobRef`, `Job`, `AgentKey` or `Session` among its arguments) or from
`extra=`. A session appears only as a fingerprint (a hash prefix): the id is
the agent's credential, and the fingerprint still lets one follow a session.

No log line can be forged: outside text reaches messages everywhere (chain
data, agent text, container output, config values), so the text formats
escape every non-printable character of the formatted message but the
newline, and indent every line after a record's first (a traceback's too):
a line that starts at the margin is always one the daemon began. JSON
escapes by itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import field_validator

from coordinator.domain import AgentKey, Job, JobRef, Session
from coordinator.section import Section

if TYPE_CHECKING:
    # rich is imported where a terminal is written to: plain and JSON logs
    # leave it out of the daemon's memory.
    from rich.console import Console

PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}

_console: Console | None = None


_TRACING_LEVELS = {"warn": "warning", "trace": "debug"}


class LogSettings(Section):
    """`[log]`: the daemon's log lines."""

    level: Literal["debug", "info", "warning", "error"] = "info"
    """`debug`, `info`, `warning`, `error` (any case; upstream's `warn` and `trace` are
    `warning` and `debug`)."""
    format: Literal["text", "json"] = "text"
    """`text` (timestamped lines; rich on a TTY) or `json` (one object a line;
    docs/metrics.md)."""

    @field_validator("level", "format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        # Upstream's (tracing's) names: its LOG_LEVEL and --log-level say warn, trace.
        return _TRACING_LEVELS.get(value.lower(), value.lower())



def log_console() -> Console:
    """The one console of the process (stderr): log lines and the live view
    share it, so rich keeps the view below the scrolling log."""
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(stderr=True)
    return _console


FINGERPRINT_CHARS = 12


def session_fingerprint(session_id: str) -> str:
    """A short, stable name for a session that does not reveal its id."""
    return hashlib.sha256(session_id.encode()).hexdigest()[:FINGERPRINT_CHARS]


class TextFormatter(logging.Formatter):
    """Plain and rich lines: the message with its non-printable characters escaped
    and every line after its first indented (a newline in a developer name
    cannot start a line of its own), a traceback indented under it."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.msg, record.args
        record.msg, record.args = _indented(record.getMessage(), CONTINUATION), None
        try:
            return super().format(record)
        finally:
            record.msg, record.args = saved

    def formatException(self, ei: Any) -> str:
        return TRACEBACK + _indented(super().formatException(ei), TRACEBACK)

    def formatStack(self, stack_info: str) -> str:
        return TRACEBACK + _indented(stack_info, TRACEBACK)


CONTINUATION = "  "  # before each line of a record after its first
TRACEBACK = "    "


def _indented(text: str, indent: str) -> str:
    return f"\n{indent}".join(escape_controls(line) for line in text.split("\n"))


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
        from rich.logging import RichHandler

        handler = RichHandler(console=log_console(), show_path=False, rich_tracebacks=False)
        handler.setFormatter(TextFormatter("%(name)s: %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(TextFormatter(PLAIN_FORMAT))
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
    return _escaped(text, "\\")


def escape_controls(text: str) -> str:
    """`escape` but for backslashes: what a log format applies to a whole
    message, whose parts may be escaped already (escaping twice would double
    their backslashes)."""
    return _escaped(text, "")


def _escaped(text: str, also: str) -> str:
    return "".join(
        c if c.isprintable() and c not in also else _NAMED_ESCAPES.get(c) or _code_escape(c)
        for c in text
    )


def _code_escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
