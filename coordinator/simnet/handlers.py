"""How a Move module of the simulator plugs into the engine.

A signed transaction's commands are decoded into `Operation`s
(`coordinator.sui.calls`); the engine runs each through the `Handler`
its Move module registered for the operation's type. A handler changes the
shared AppInstance in place and returns whether the call applied and the
events the Move code emits, in its order (`Result`), or raises `MoveAbort`,
which fails the whole transaction.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from coordinator.events.models import BcsEvent
from coordinator.simnet.chain import hash_parts
from coordinator.simnet.objects import AppInstance
from coordinator.sui.calls import Operation

Op = TypeVar("Op", bound=Operation)
Result = tuple[bool, list[BcsEvent]]
# A fresh object id for an object the call creates (derived from the transaction).
NewId = Callable[[], str]


@dataclass(frozen=True)
class Call:
    """Who calls and when: the transaction sender (the `coordinator` of the
    events) and the Clock's time in ms."""

    sender: str
    now: int


@dataclass
class MoveAbort(Exception):
    """A Move abort: the transaction fails at `module::function` with `code`,
    in the package at `address` (the Sui framework by default; `OURS` is
    the coordination package, whichever id it has)."""

    module: str
    function: str
    code: int
    address: str = "0x2"

    def __str__(self) -> str:
        return f"MoveAbort in {self.address}::{self.module}::{self.function} with code {self.code}"


OURS = "package"


def clever_error(line: int) -> int:
    """The abort code of a Move 2024 `#[error]` constant asserted at source
    `line` (SilvanaOne/silvana d1563ea): the tag bit and the line. The
    constant-pool indexes of the compiled module are not known here and stay
    0, so callers match an abort on module, function and line, as upstream
    tells to match on the constant's name rather than the number."""
    return (1 << 63) | (line << 32)


def error_at(module: str, function: str, line: int) -> MoveAbort:
    """An abort of our package's `module::function` by its `#[error]` assert at `line`."""
    return MoveAbort(module, function, clever_error(line), OURS)


def missing_entry() -> MoveAbort:
    """A borrow of an ObjectTable entry that does not exist (sui::dynamic_field's
    EFieldDoesNotExist, 1)."""
    return MoveAbort("dynamic_field", "borrow_child_object", 1)


def arithmetic_error(module: str, function: str) -> MoveAbort:
    """A u64 underflow or overflow in our package. Sui fails the transaction
    with a primitive runtime error (VM status ARITHMETIC_ERROR, 4017), a kind
    the simulator's effects do not have: it reports an abort with that code."""
    return MoveAbort(module, function, 4017, OURS)


def derived_ids(*seed: bytes | str | int) -> NewId:
    """New object ids derived from `seed` (a transaction's), in order, as Sui
    derives them from the transaction digest: running the same call again
    draws the same ids."""
    counter = itertools.count(1)
    return lambda: "0x" + hash_parts(b"object", *seed, next(counter)).hex()


def _no_jobs(operation: Operation) -> Sequence[int]:
    return ()


@dataclass(frozen=True)
class Handler(Generic[Op]):
    """One Move entry function: `run` executes it; `jobs` names the existing
    jobs it may change (their objects are rewritten and charged)."""

    run: Callable[[AppInstance, Op, Call, NewId], Result]
    jobs: Callable[[Op], Sequence[int]] = field(default=_no_jobs)


Handlers = dict[type[Operation], Handler[Any]]
