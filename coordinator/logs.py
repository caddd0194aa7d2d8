"""Logging: stdlib `logging`, a rich handler on a TTY, plain lines otherwise.

Plain lines (timestamp, level, logger, message) suit journald and the enclave
console, where colour codes and redraws would be noise.
"""

from __future__ import annotations

import logging
import sys

from rich.console import Console
from rich.logging import RichHandler

PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}

_console: Console | None = None


def log_console() -> Console:
    """The one console of the process (stderr): log lines and the live view
    share it, so rich keeps the view below the scrolling log."""
    global _console
    if _console is None:
        _console = Console(stderr=True)
    return _console


def setup_logging(level: str, *, tty: bool | None = None) -> None:
    """Configure the root logger once for the whole process."""
    if tty is None:
        tty = sys.stderr.isatty()
    handler: logging.Handler
    if tty:
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
