"""How an error reads in one line, for logs and status messages."""

from __future__ import annotations


def describe(exc: BaseException) -> str:
    """The type, then the text if any; a group of one reads as its one error."""
    if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        return describe(exc.exceptions[0])
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class SetupError(Exception):
    """Something the configuration names cannot be used at start (a socket path,
    a scenario file): the message is one line, and the daemon exits 2."""
