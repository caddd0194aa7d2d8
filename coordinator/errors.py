"""How an error reads in one line, for logs and status messages."""

from __future__ import annotations


def describe(exc: BaseException) -> str:
    """The type, then the text if any; a group of one reads as its one error."""
    if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        return describe(exc.exceptions[0])
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class SetupError(Exception):
    """The daemon cannot start with this config on this machine (state dir,
    socket path or group, simulator address or scenario, a second daemon on
    the state dir): the message is one line for the operator, naming the key,
    and `__main__` exits 2."""
