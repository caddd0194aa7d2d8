"""`Engine`: the simulated chain without any Move module's rules.

It holds what every Move module of the simulator writes through: the chain of
checkpoints, the object store, the gas coins, object ids and versions (Sui's
Lamport versions: one per transaction), and the table of Move calls a signed
transaction may make (`handlers`, filled by the Move modules of
`coordinator.simnet.move`). A Move module changes its objects, `touch`es them
and lands its events with `submit`: one transaction, in the next checkpoint.

Event.package_id / Event.module name the *top-level Move call*, as on Sui:
agent and developer actions are calls of `registry::*`, job actions of
`app_instance::*` (SilvanaOne/silvana, move/coordination). So an
`emit_module = PKG::jobs` filter matches nothing here, just as on the real
chain; `event_type = PKG::jobs` does. `event_module="type"` makes
Event.module the event type's module instead, for clients that assume it.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Literal

from coordinator._pb.sui.rpc.v2.executed_transaction_pb2 import ExecutedTransaction
from coordinator.events import BcsEvent, normalize_address
from coordinator.events.layouts import DEFAULT_LAYOUT, LAYOUT_EVENTS, SHARED_EVENTS, Layout
from coordinator.events.pipeline import PIPELINE_EVENTS
from coordinator.simnet.chain import Chain, EventRecord, TxRecord, derived_address
from coordinator.simnet.coins import Coins, GasCoin
from coordinator.simnet.errors import SimnetError
from coordinator.simnet.faults import FaultGate, Faults
from coordinator.simnet.gas import REFERENCE_GAS_PRICE
from coordinator.simnet.handlers import Handlers
from coordinator.simnet.move_object import MoveObject
from coordinator.simnet.objects import AppInstance, Ids, ObjectStore
from coordinator.simnet.schedule import Schedule
from coordinator.simnet.upgrades import PackageHistory, PackageVersion

DEFAULT_PACKAGE_ID = normalize_address("0x5117a7a")
EventModule = Literal["entry", "type"]

# Every event a Move module of the simulator emits -> the module that declares it.
_TYPE_MODULE = {
    model: module
    for models in (SHARED_EVENTS, *LAYOUT_EVENTS.values(), PIPELINE_EVENTS)
    for (module, _), model in models.items()
}


class Engine(Schedule):
    """Transactions, objects, gas coins and checkpoints (from `Schedule`)."""

    def __init__(
        self,
        *,
        package_id: str = DEFAULT_PACKAGE_ID,
        checkpoint_interval_secs: float = 1.0,
        faults: Faults | None = None,
        noise: bool = False,
        event_module: EventModule = "entry",
        retain_checkpoints: int | None = None,
        sender: str | None = None,
        clock_ms: Callable[[], int] | None = None,
        layout: Layout = DEFAULT_LAYOUT,
        reference_gas_price: int = REFERENCE_GAS_PRICE,
    ) -> None:
        if not (checkpoint_interval_secs >= 0 and math.isfinite(checkpoint_interval_secs)):
            raise ValueError("checkpoint_interval_secs must be a finite number >= 0")
        if retain_checkpoints is not None and retain_checkpoints < 1:
            raise ValueError("retain_checkpoints must be >= 1")
        if reference_gas_price < 1:
            raise ValueError("reference_gas_price must be >= 1 MIST")
        # The original id: every type and event of the package keeps it.
        self.package_id = normalize_address(package_id)
        # Its versions; a signed transaction may call any (`upgrades`).
        self.packages = PackageHistory(self.package_id)
        # The package version imitated: its job events, rules and objects.
        self.layout: Layout = layout
        self.event_module: EventModule = event_module
        self.reference_gas_price = reference_gas_price
        self.sender = normalize_address(sender or derived_address("sender", self.package_id))
        self.clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self.chain = Chain(self.clock_ms)
        super().__init__(
            self.chain, self.package_id, self.sender,
            checkpoint_interval_secs=checkpoint_interval_secs, noise=noise,
            retain_checkpoints=retain_checkpoints,
        )  # fmt: skip
        self.objects = ObjectStore(self.package_id)
        self.coins = Coins(self.package_id)
        self.ids = Ids(self.package_id)
        # Signed transactions executed, by digest: their answer, to give again.
        self.executed: dict[str, ExecutedTransaction] = {}
        self.gate = FaultGate(faults)
        # The Move calls a signed transaction may make, by operation type.
        self.handlers: Handlers = {}
        self.jobs_created = 0
        self.last_tx: TxRecord | None = None
        # What each transaction landed by `submit` (no signature: a Move
        # module's own) wrote: its version, and each object with its version
        # before; its effects' changed objects (GetTransaction), rendered only
        # when read. The AppInstance a pipeline call takes `&mut` is among
        # them, as on Sui.
        self.writes: dict[str, tuple[int, tuple[tuple[MoveObject, int | None], ...]]] = {}
        self._touched: dict[str, tuple[MoveObject, int | None]] = {}
        self._lamport = 1

    # --- faults and counters ----------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self.gate.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self.gate.faults = faults

    @property
    def rpc_counts(self) -> Counter[str]:
        """Sui calls by method name (refused ones included), for RPCs-per-job figures."""
        return self.gate.rpc_counts

    # --- transactions ----------------------------------------------------------------

    def now(self) -> int:
        return self.clock_ms()

    def touch(self, *objects: MoveObject) -> None:
        """Write `objects` in the next transaction (their version becomes its version)."""
        for obj in objects:
            if obj.id not in self._touched:
                before = obj.object_version
                self._touched[obj.id] = (obj, before if 0 < before < self._lamport else None)
            obj.object_version = self._lamport

    def create(self, obj: MoveObject, *holders: MoveObject) -> None:
        """A new object, written by the next transaction with the objects that hold it."""
        self.objects.add(obj)
        self.touch(*holders, obj)

    def _record(
        self, event: BcsEvent, entry_module: str, sender: str | None = None,
        called: str | None = None,
    ) -> EventRecord:
        """`called`: the package version the transaction called (Event.package_id
        names it; the event's type keeps the original id)."""
        type_module = _TYPE_MODULE[type(event)]
        return EventRecord(
            package_id=called or self.package_id,
            module=entry_module if self.event_module == "entry" else type_module,
            sender=sender or self.sender,
            event_type=f"{self.package_id}::{type_module}::{type(event).__name__}",
            contents=event.to_bcs(),
        )

    def _land(self, tx: TxRecord, *, record_writes: bool = False) -> TxRecord:
        """`tx` wrote the objects touched since the last one: the next version is
        theirs (kept for its effects with `record_writes`; a signed
        transaction's effects are its execution's)."""
        touched, self._touched = self._touched, {}
        if record_writes and touched:
            self.writes[tx.digest] = (self._lamport, tuple(touched.values()))
        self.objects.wrote(self._lamport, tx.digest)
        self._lamport += 1
        self.last_tx = tx
        return tx

    def submit(
        self, function: str, events: Sequence[BcsEvent], sender: str | None = None
    ) -> str:
        """One transaction calling `module::function` of the package; returns its digest."""
        module = function.split("::", 1)[0]
        tx = self.chain.submit(
            sender or self.sender,
            f"{self.package_id}::{function}",
            [self._record(event, module, sender) for event in events],
        )
        return self._land(tx, record_writes=True).digest

    @property
    def next_version(self) -> int:
        """The version the next transaction gives every object it writes (Sui's
        Lamport version: above any version an input has)."""
        return self._lamport

    def event_record(
        self, event: BcsEvent, sender: str, called: str | None = None
    ) -> EventRecord:
        """An event of an `app_instance::*` call of package version `called`
        (the original by default) sent by `sender`."""
        return self._record(event, "app_instance", sender, called)

    def submit_transaction(
        self, function: str, events: Sequence[BcsEvent], *, sender: str, tx_digest: str
    ) -> TxRecord:
        """Queue a signed transaction (its objects already written at
        `next_version`) with its events for the next checkpoint."""
        called = function.split("::", 1)[0]
        tx = self.chain.submit(
            sender, function, [self.event_record(e, sender, called) for e in events], tx_digest
        )
        return self._land(tx)

    def app_by_id(self, object_id: str) -> AppInstance | None:
        """The shared AppInstance `object_id` names, if any (a transaction's input)."""
        try:
            found = self.objects.get(normalize_address(object_id))
        except ValueError:
            return None
        return found if isinstance(found, AppInstance) else None

    def fund(self, address: str, amount: int) -> GasCoin:
        """A new SUI coin of `amount` MIST for `address`, as a faucet's transfer
        (a transaction without events); ValueError for a bad amount or address."""
        coin = self.coins.mint(normalize_address(address), amount, self._lamport)
        self._land(self.chain.submit(self.sender, "0x2::pay::split_and_transfer", []))
        return coin

    def upgrade_package(self) -> PackageVersion:
        """Publish the package's next version (`0x2::package::commit_upgrade`, a
        transaction without events, as Sui's upgrade emits none)."""
        version = self.packages.upgrade()
        self._land(self.chain.submit(self.sender, "0x2::package::commit_upgrade", []))
        return version

    def emit_raw(
        self,
        event_type: str,
        contents: bytes,
        *,
        module: str | None = None,
        sender: str | None = None,
    ) -> str:
        """Emit any bytes as an event of `event_type` (`0xPKG::module::Name`, or
        `module::Name` in this package), e.g. a malformed payload."""
        parts = event_type.split("::")
        if len(parts) == 2:
            parts.insert(0, self.package_id)
        if len(parts) != 3:
            raise SimnetError(f"event type {event_type!r} is not [0xPKG::]module::Name")
        package = normalize_address(parts[0])
        call_module = module or parts[1]
        record = EventRecord(
            package_id=package,
            module=call_module,
            sender=normalize_address(sender or self.sender),
            event_type=f"{package}::{parts[1]}::{parts[2]}",
            contents=bytes(contents),
        )
        tx = self.chain.submit(record.sender, f"{package}::{call_module}::emit", [record])
        self.last_tx = tx
        return tx.digest

    def stats(self) -> dict[str, int]:
        return {
            "checkpoint_height": self.chain.tip.sequence_number,
            "lowest_available_checkpoint": self.chain.lowest_available,
            "transactions": self.chain.transaction_count,
            "events": self.chain.event_count,
            "jobs_created": self.jobs_created,
            "open_streams": self.gate.open_streams,
        }

