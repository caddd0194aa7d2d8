"""One Move function the coordinator calls: its name, its pure parameters and
how an operation of ours maps to their values and back.

One table serves both directions, so a call is built and read back by the
same description: `coordinator.sui.calls.build_transaction` writes the
values with the codecs, `decode_operation` reads them with the same codecs
and makes the operation again (the simulator must understand what it is
sent).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass
from typing import Any, Generic, TypeVar

from coordinator.events.bcs import Codec

APP_INSTANCE_MODULE = "app_instance"

Op = TypeVar("Op")
T = TypeVar("T")


@dataclass(frozen=True)
class MoveFunction(Generic[Op]):
    """`module::function(AppInstance, <signature>..., [Clock])`.

    `values` gives an operation's pure arguments in signature order; `make`
    builds the operation from decoded ones (a ValueError for values the
    signature allows but the operation cannot hold).
    """

    operation: type[Op]
    function: str
    signature: tuple[Codec[Any], ...]
    values: Callable[[Op], Sequence[object]]
    make: Callable[[Sequence[Any]], Op]
    # The kv and metadata calls take only the TxContext, which a
    # transaction never passes: no Clock input for them.
    with_clock: bool = True
    module: str = APP_INSTANCE_MODULE

    def pures(self, operation: Op) -> list[bytes]:
        """The BCS of the call's pure arguments, in signature order."""
        values = self.values(operation)
        return [codec.to_bytes(value) for codec, value in zip(self.signature, values, strict=True)]


def optional(kind: Callable[[Any], T], value: object) -> T | None:
    """A decoded `Option<T>` as the operation holds it (vectors become tuples)."""
    return None if value is None else kind(value)


def in_order(operation: Any) -> list[object]:
    """A dataclass operation's fields in declaration order: the pipeline's
    operations declare them in the Move signature's order, so this is the
    call's pure arguments."""
    return list(astuple(operation))


def from_values(kind: Callable[..., Op]) -> Callable[[Sequence[Any]], Op]:
    """The inverse of `in_order`: decoded values (vectors as lists) -> the operation."""
    return lambda values: kind(*(tuple(v) if isinstance(v, list) else v for v in values))
