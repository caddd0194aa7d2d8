"""The Sui v2 subset as purerpc servicers over a `Simnet`.

Semantics imitate upstream (MystenLabs/sui-apis, proto/sui/rpc/v2):
- subscriptions start at the tip: SubscribeEvents' first frame is progress
  only (watermark: tip fully covered), SubscribeCheckpoints' first frame is
  the tip checkpoint; then frames per sealed checkpoint, progress frames
  included, so a sparse filter still sees the chain advance;
- ListEvents: start inclusive, end exclusive, ascending, `limit` (default 50,
  max 1000, coerced) and `after`/`before` cursors; a watermark on every frame;
  `end` on exactly one frame, the last (ITEM_LIMIT on the last item's frame,
  else CHECKPOINT_BOUND, CURSOR_BOUND or LEDGER_TIP without an item);
- read masks with upstream's defaults when unset; bad input is
  INVALID_ARGUMENT; unknown or pruned checkpoints, transactions and objects
  are NOT_FOUND.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from typing import TypeVar

import purerpc
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message

from coordinator import __version__
from coordinator._pb.sui.rpc.v2 import (
    checkpoint_pb2,
    event_pb2,
    executed_transaction_pb2,
    ledger_service_grpc,
    ledger_service_pb2,
    object_pb2,
    query_options_pb2,
    state_service_grpc,
    state_service_pb2,
    subscription_service_grpc,
    subscription_service_pb2,
    transaction_execution_service_grpc,
    transaction_execution_service_pb2,
)
from coordinator.events import normalize_address
from coordinator.simnet import execution, messages
from coordinator.simnet.chain import (
    Position,
    checkpoint_end,
    checkpoint_start,
    decode_cursor,
    event_position,
)
from coordinator.simnet.coins import GAS_COIN_TYPE, SUI_COIN_TYPE
from coordinator.simnet.faults import NEWER_FIELDS, Faults
from coordinator.simnet.filters import (
    MaskTree,
    apply_mask,
    compile_event_filter,
    compile_transaction_filter,
    parse_mask,
)
from coordinator.simnet.sim import Simnet
from coordinator.sui.signing import transaction_digest

M = TypeVar("M", bound=Message)

CHAIN_NAME = "simnet"
SERVER = f"silvana-simnet/{__version__}"
LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX = 50, 1000
PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX = 50, 1000

# Upstream's documented defaults; the event calls return whole events.
CHECKPOINT_MASK = "sequence_number,digest"
TRANSACTION_MASK = "digest"
OBJECT_MASK = "object_id,version,digest"
DYNAMIC_FIELD_MASK = "parent,field_id"
OWNED_OBJECT_MASK = "object_id,version,object_type"
EPOCH_MASK = "epoch,reference_gas_price"
EXECUTED_MASK = "effects"
SIMULATED_MASK = "transaction.effects"
_TYPE_ADDRESS = re.compile(r"0x[0-9a-fA-F]{1,64}")
EVENT_MASK = (
    "package_id,module,sender,event_type,contents,checkpoint,"
    "transaction_digest,transaction_index,event_index"
)


def _invalid(message: str) -> purerpc.InvalidArgumentError:
    return purerpc.InvalidArgumentError(message)


def _mask(
    faults: Faults, mask: FieldMask | None, message_type: type[Message], default: str
) -> MaskTree:
    """The read mask checked against the fields this node knows (fewer on an old node)."""
    try:
        return parse_mask(mask, message_type, default,
                          unknown=NEWER_FIELDS if faults.old_node else None)
    except ValueError as exc:
        raise _invalid(str(exc)) from None


def _masked(message: M, tree: MaskTree) -> M:
    apply_mask(message, tree)
    return message


def _canonical_type(type_name: str) -> str:
    """A Move type with every address in full, so `0x2::sui::SUI` matches its long form."""
    return _TYPE_ADDRESS.sub(lambda m: normalize_address(m.group(0)), type_name.strip())


def _owner(value: str, name: str = "owner") -> str:
    if not value:
        raise _invalid(f"{name} is required")
    try:
        return normalize_address(value)
    except ValueError:
        raise _invalid(f"{name} {value!r} is not an address") from None


def _optional(message: Message, name: str) -> FieldMask | None:
    if not message.HasField(name):
        return None
    value: FieldMask = getattr(message, name)
    return value


class LedgerService(ledger_service_grpc.LedgerServiceServicer):
    def __init__(self, sim: Simnet) -> None:
        self.sim = sim

    async def GetServiceInfo(
        self, input_message: ledger_service_pb2.GetServiceInfoRequest
    ) -> ledger_service_pb2.GetServiceInfoResponse:
        self.sim.gate.enter("GetServiceInfo")
        chain = self.sim.chain
        return ledger_service_pb2.GetServiceInfoResponse(
            chain_id=chain.chain_id,
            chain=CHAIN_NAME,
            epoch=chain.tip.epoch,
            checkpoint_height=chain.tip.sequence_number,
            timestamp=messages.timestamp(chain.tip.timestamp_ms),
            lowest_available_checkpoint=chain.lowest_available,
            server=SERVER,
        )

    async def GetCheckpoint(
        self, input_message: ledger_service_pb2.GetCheckpointRequest
    ) -> ledger_service_pb2.GetCheckpointResponse:
        self.sim.gate.enter("GetCheckpoint")
        chain = self.sim.chain
        mask = _mask(
            self.sim.faults, _optional(input_message, "read_mask"), checkpoint_pb2.Checkpoint,
            CHECKPOINT_MASK,
        )  # fmt: skip
        which = input_message.WhichOneof("checkpoint_id")
        if which == "sequence_number":
            record = chain.available(input_message.sequence_number)
            wanted = f"checkpoint {input_message.sequence_number}"
        elif which == "digest":
            record = chain.by_digest(input_message.digest)
            wanted = f"checkpoint {input_message.digest}"
        else:
            record, wanted = chain.tip, "the latest checkpoint"
        if record is None:
            pruned = which == "sequence_number" and (
                input_message.sequence_number < chain.lowest_available
            )
            reason = f"pruned (lowest available {chain.lowest_available})" if pruned else "unknown"
            raise purerpc.NotFoundError(f"{wanted} not found: {reason}")
        return ledger_service_pb2.GetCheckpointResponse(
            checkpoint=_masked(messages.checkpoint(record), mask)
        )

    async def GetTransaction(
        self, input_message: ledger_service_pb2.GetTransactionRequest
    ) -> ledger_service_pb2.GetTransactionResponse:
        self.sim.gate.enter("GetTransaction")
        mask = _mask(
            self.sim.faults, _optional(input_message, "read_mask"),
            executed_transaction_pb2.ExecutedTransaction,
            TRANSACTION_MASK,
        )
        tx = self.sim.chain.transaction(input_message.digest)
        if tx is None:
            raise purerpc.NotFoundError(f"transaction {input_message.digest!r} not found")
        return ledger_service_pb2.GetTransactionResponse(
            transaction=_masked(messages.transaction(tx), mask)
        )

    async def GetObject(
        self, input_message: ledger_service_pb2.GetObjectRequest
    ) -> ledger_service_pb2.GetObjectResponse:
        self.sim.gate.enter("GetObject")
        mask = _mask(
            self.sim.faults,
            _optional(input_message, "read_mask"),
            object_pb2.Object, OBJECT_MASK,
        )
        try:
            object_id = normalize_address(input_message.object_id)
        except ValueError:
            raise _invalid(f"object_id {input_message.object_id!r} is not an address") from None
        obj = self.sim.objects.get(object_id)
        if obj is None or (
            input_message.HasField("version") and input_message.version != obj.object_version
        ):
            raise purerpc.NotFoundError(f"object {object_id} not found")
        return ledger_service_pb2.GetObjectResponse(
            object=_masked(messages.move_object(self.sim.objects, obj), mask)
        )

    async def GetEpoch(
        self, input_message: ledger_service_pb2.GetEpochRequest
    ) -> ledger_service_pb2.GetEpochResponse:
        """The simulator has one epoch, with a fixed reference gas price."""
        self.sim.gate.enter("GetEpoch")
        mask = _mask(
            self.sim.faults,
            _optional(input_message, "read_mask"),
            ledger_service_pb2.Epoch, EPOCH_MASK,
        )
        epoch = self.sim.chain.epoch
        if input_message.HasField("epoch") and input_message.epoch != epoch:
            raise purerpc.NotFoundError(f"Epoch {input_message.epoch} not found")
        message = ledger_service_pb2.Epoch(
            epoch=epoch, reference_gas_price=self.sim.reference_gas_price
        )
        return ledger_service_pb2.GetEpochResponse(epoch=_masked(message, mask))

    async def ListEvents(
        self, input_message: ledger_service_pb2.ListEventsRequest
    ) -> AsyncGenerator[ledger_service_pb2.ListEventsResponse, None]:
        self.sim.gate.enter("ListEvents")
        request = input_message
        mask = _mask(self.sim.faults, _optional(request, "read_mask"), event_pb2.Event, EVENT_MASK)
        try:
            matches = compile_event_filter(request.filter if request.HasField("filter") else None)
        except ValueError as exc:
            raise _invalid(f"filter: {exc}") from None
        options = request.options
        if options.ordering == query_options_pb2.ORDERING_DESCENDING:
            raise _invalid("ordering: the simulator only lists in ascending order")
        try:
            after = decode_cursor(options.after) if options.HasField("after") else None
            before = decode_cursor(options.before) if options.HasField("before") else None
        except ValueError as exc:
            raise _invalid(f"options: bad cursor: {exc}") from None
        limit = options.limit or LIST_LIMIT_DEFAULT
        limit = min(limit, LIST_LIMIT_MAX)

        if (
            request.HasField("start_checkpoint")
            and request.HasField("end_checkpoint")
            and request.end_checkpoint < request.start_checkpoint
        ):
            raise _invalid("end_checkpoint is below start_checkpoint")
        chain = self.sim.chain
        indexed_tip = chain.tip.sequence_number - self.sim.faults.index_lag_checkpoints
        start = request.start_checkpoint if request.HasField("start_checkpoint") else 0
        start = max(start, chain.lowest_available)
        if after is not None:
            start = max(start, after[0])
        stop, reason = indexed_tip + 1, query_options_pb2.QUERY_END_REASON_LEDGER_TIP
        if request.HasField("end_checkpoint") and request.end_checkpoint <= stop:
            stop, reason = (
                request.end_checkpoint,
                query_options_pb2.QUERY_END_REASON_CHECKPOINT_BOUND,
            )

        def frame(
            position: Position, covered: int | None, event: event_pb2.Event | None = None,
            end: query_options_pb2.QueryEndReason | None = None,
        ) -> ledger_service_pb2.ListEventsResponse:  # fmt: skip
            response = ledger_service_pb2.ListEventsResponse(
                watermark=messages.watermark(position, covered)
            )
            if event is not None:
                response.event.CopyFrom(event)
            if end is not None:
                response.end.reason = end
            return response

        position: Position = after if after is not None else checkpoint_start(start)
        covered: int | None = None
        sent = 0
        cursor_bound = query_options_pb2.QUERY_END_REASON_CURSOR_BOUND
        for sequence in range(start, max(start, stop)):
            if before is not None and checkpoint_start(sequence) >= before:
                yield frame(before, covered, end=cursor_bound)
                return
            record = chain.checkpoints[sequence]
            for tx, index, event in record.events():
                here = event_position(sequence, tx.index, index)
                if after is not None and here <= after:
                    continue
                if before is not None and here >= before:
                    yield frame(before, covered, end=cursor_bound)
                    return
                position = here
                if not matches(event, tx):
                    continue
                sent += 1
                item = _masked(messages.event(event, tx, index, standalone=True), mask)
                if sent == limit:
                    yield frame(
                        position, covered, item, query_options_pb2.QUERY_END_REASON_ITEM_LIMIT
                    )
                    return
                yield frame(position, covered, item)
            position, covered = checkpoint_end(sequence), sequence
        yield frame(position, covered, end=reason)


class SubscriptionService(subscription_service_grpc.SubscriptionServiceServicer):
    def __init__(self, sim: Simnet) -> None:
        self.sim = sim

    async def SubscribeCheckpoints(
        self, input_message: subscription_service_pb2.SubscribeCheckpointsRequest
    ) -> AsyncGenerator[subscription_service_pb2.SubscribeCheckpointsResponse, None]:
        gate = self.sim.gate
        gate.enter("SubscribeCheckpoints")
        mask = _mask(
            self.sim.faults, _optional(input_message, "read_mask"), checkpoint_pb2.Checkpoint,
            CHECKPOINT_MASK,
        )  # fmt: skip
        # An old node does not know the field: it streams every checkpoint.
        filtered = input_message.HasField("filter") and not self.sim.faults.old_node
        try:
            matches = compile_transaction_filter(input_message.filter if filtered else None)
        except ValueError as exc:
            raise _invalid(f"filter: {exc}") from None
        chain = self.sim.chain

        async def frames() -> AsyncGenerator[
            subscription_service_pb2.SubscribeCheckpointsResponse, None
        ]:
            sequence = chain.tip.sequence_number
            while True:
                record = await chain.wait_for(sequence)
                response = subscription_service_pb2.SubscribeCheckpointsResponse(cursor=sequence)
                if not filtered or any(matches(tx) for tx in record.transactions):
                    response.checkpoint.CopyFrom(_masked(messages.checkpoint(record), mask))
                yield response
                sequence += 1

        async for item in gate.stream("SubscribeCheckpoints", frames()):
            yield item

    async def SubscribeEvents(
        self, input_message: subscription_service_pb2.SubscribeEventsRequest
    ) -> AsyncGenerator[subscription_service_pb2.SubscribeEventsResponse, None]:
        gate = self.sim.gate
        gate.enter("SubscribeEvents")
        mask = _mask(
            self.sim.faults,
            _optional(input_message, "read_mask"),
            event_pb2.Event, EVENT_MASK,
        )
        try:
            matches = compile_event_filter(
                input_message.filter if input_message.HasField("filter") else None
            )
        except ValueError as exc:
            raise _invalid(f"filter: {exc}") from None
        chain = self.sim.chain

        async def frames() -> AsyncGenerator[
            subscription_service_pb2.SubscribeEventsResponse, None
        ]:
            response = subscription_service_pb2.SubscribeEventsResponse
            tip = chain.tip.sequence_number
            yield response(watermark=messages.watermark(checkpoint_end(tip), tip))
            sequence = tip + 1
            while True:
                record = await chain.wait_for(sequence)
                for tx, index, event in record.events():
                    if matches(event, tx):
                        yield response(
                            event=_masked(messages.event(event, tx, index, standalone=True), mask),
                            watermark=messages.watermark(
                                event_position(sequence, tx.index, index), sequence - 1
                            ),
                        )
                yield response(watermark=messages.watermark(checkpoint_end(sequence), sequence))
                sequence += 1

        async for item in gate.stream("SubscribeEvents", frames()):
            yield item


class StateService(state_service_grpc.StateServiceServicer):
    def __init__(self, sim: Simnet) -> None:
        self.sim = sim

    async def ListDynamicFields(
        self, input_message: state_service_pb2.ListDynamicFieldsRequest
    ) -> state_service_pb2.ListDynamicFieldsResponse:
        self.sim.gate.enter("ListDynamicFields")
        request = input_message
        mask = _mask(
            self.sim.faults, _optional(request, "read_mask"), state_service_pb2.DynamicField,
            DYNAMIC_FIELD_MASK,
        )  # fmt: skip
        if not request.HasField("parent"):
            raise _invalid("parent is required")
        try:
            parent = normalize_address(request.parent)
        except ValueError:
            raise _invalid(f"parent {request.parent!r} is not an address") from None
        size = min(request.page_size or PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX)
        fields = self.sim.objects.dynamic_fields(parent)
        if request.page_token:
            try:
                after = "0x" + request.page_token.hex()
                normalize_address(after)
            except ValueError:
                raise _invalid("page_token is not from this server") from None
            if len(request.page_token) != 32:
                raise _invalid("page_token is not from this server")
            fields = [f for f in fields if f.field_id > after]
        page = fields[:size]
        response = state_service_pb2.ListDynamicFieldsResponse(
            dynamic_fields=[
                _masked(messages.dynamic_field(self.sim.objects, f), mask) for f in page
            ]
        )
        if len(fields) > size:
            response.next_page_token = bytes.fromhex(page[-1].field_id.removeprefix("0x"))
        return response

    async def ListOwnedObjects(
        self, input_message: state_service_pb2.ListOwnedObjectsRequest
    ) -> state_service_pb2.ListOwnedObjectsResponse:
        """An address owns SUI coins here, nothing else."""
        self.sim.gate.enter("ListOwnedObjects")
        request = input_message
        mask = _mask(
            self.sim.faults,
            _optional(request, "read_mask"),
            object_pb2.Object, OWNED_OBJECT_MASK,
        )
        owner = _owner(request.owner)
        coins = self.sim.coins.owned_by(owner)
        if request.HasField("object_type"):
            try:
                wanted = _canonical_type(request.object_type)
            except ValueError:
                raise _invalid(f"object_type {request.object_type!r} is not a type") from None
            if wanted != _canonical_type(GAS_COIN_TYPE):
                coins = []
        if request.page_token:
            if len(request.page_token) != 32:
                raise _invalid("page_token is not from this server")
            after = "0x" + request.page_token.hex()
            coins = [coin for coin in coins if coin.id > after]
        size = min(request.page_size or PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX)
        page = coins[:size]
        response = state_service_pb2.ListOwnedObjectsResponse(
            objects=[_masked(messages.gas_coin(coin), mask) for coin in page]
        )
        if len(coins) > size:
            response.next_page_token = bytes.fromhex(page[-1].id.removeprefix("0x"))
        return response

    async def GetBalance(
        self, input_message: state_service_pb2.GetBalanceRequest
    ) -> state_service_pb2.GetBalanceResponse:
        self.sim.gate.enter("GetBalance")
        owner = _owner(input_message.owner)
        if not input_message.coin_type:
            raise _invalid("coin_type is required")
        try:
            sui = _canonical_type(input_message.coin_type) == _canonical_type(SUI_COIN_TYPE)
        except ValueError:
            raise _invalid(f"coin_type {input_message.coin_type!r} is not a type") from None
        balance = self.sim.coins.balance(owner) if sui else 0
        return state_service_pb2.GetBalanceResponse(
            balance=state_service_pb2.Balance(coin_type=input_message.coin_type, balance=balance)
        )


def _refused(exc: execution.Refused) -> purerpc.RpcFailedError:
    if exc.code == "FAILED_PRECONDITION":
        return purerpc.FailedPreconditionError(exc.message)
    return purerpc.InvalidArgumentError(exc.message)


class TransactionExecutionService(
    transaction_execution_service_grpc.TransactionExecutionServiceServicer
):
    """Signed transactions of the coordinator's Move calls; see `simnet.execution`."""

    def __init__(self, sim: Simnet) -> None:
        self.sim = sim

    async def ExecuteTransaction(
        self, input_message: transaction_execution_service_pb2.ExecuteTransactionRequest
    ) -> transaction_execution_service_pb2.ExecuteTransactionResponse:
        self.sim.gate.enter("ExecuteTransaction")
        request = input_message
        mask = _mask(
            self.sim.faults,
            _optional(request, "read_mask"),
            executed_transaction_pb2.ExecutedTransaction,
            EXECUTED_MASK,
        )  # fmt: skip
        if not request.transaction.bcs.value:
            raise _invalid("transaction: the BCS TransactionData (transaction.bcs) is required")
        tx_bytes = request.transaction.bcs.value
        signatures = [signature.bcs.value for signature in request.signatures]
        try:
            tx = execution.decode_signed(tx_bytes, signatures)
            done = self.sim.executed.get(transaction_digest(tx_bytes))
            if done is None:
                executed = execution.execute(self.sim, execution.prepare(self.sim, tx, tx_bytes))
                if self.sim.checkpoint_interval_secs == 0:
                    self.sim.seal()
            else:
                executed = done
        except execution.Refused as exc:
            raise _refused(exc) from None
        self.sim.gate.answer_lost()
        answer = executed_transaction_pb2.ExecutedTransaction()
        answer.CopyFrom(executed)
        return transaction_execution_service_pb2.ExecuteTransactionResponse(
            transaction=_masked(answer, mask)
        )

    async def SimulateTransaction(
        self, input_message: transaction_execution_service_pb2.SimulateTransactionRequest
    ) -> transaction_execution_service_pb2.SimulateTransactionResponse:
        self.sim.gate.enter("SimulateTransaction")
        request = input_message
        mask = _mask(
            self.sim.faults, _optional(request, "read_mask"),
            transaction_execution_service_pb2.SimulateTransactionResponse,
            SIMULATED_MASK,
        )
        if not request.transaction.bcs.value:
            raise _invalid("transaction: the BCS TransactionData (transaction.bcs) is required")
        tx_bytes = request.transaction.bcs.value
        try:
            tx = execution.decode_signed(tx_bytes, None)
            response = execution.simulate(self.sim, execution.prepare(self.sim, tx, tx_bytes))
        except execution.Refused as exc:
            raise _refused(exc) from None
        return _masked(response, mask)
