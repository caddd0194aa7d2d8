"""The simulator's base of every Sui object it holds (`MoveObject`) and the
JSON a fullnode renders for them: a module of its own so that the objects of
the app instance (`objects`) and of the proof pipeline (`pipeline_objects`),
which the instance holds, can share it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

Json = dict[str, Any]


def u64(value: int) -> str:
    """u64 as a fullnode renders it: a decimal string (JSON numbers lose precision)."""
    return str(value)


@dataclass
class MoveObject:
    """A Sui object: id, object version (bumped on every change) and its Move struct."""

    id: str
    object_version: int
    type_name: ClassVar[str] = ""  # module::Struct

    def json(self) -> Json:
        raise NotImplementedError

    def _as_is(self, *names: str) -> Json:
        """Fields a fullnode renders as they are (strings, options, addresses)."""
        return {name: getattr(self, name) for name in names}

    def _as_u64(self, *names: str) -> Json:
        """u64 fields, which a fullnode renders as strings."""
        return {name: u64(getattr(self, name)) for name in names}

    def bcs(self) -> bytes | None:
        """The Move struct's BCS (`Object.contents`) where the simulator has its
        layout; None for objects it renders only as JSON."""
        return None
