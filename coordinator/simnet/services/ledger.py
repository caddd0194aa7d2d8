"""LedgerService: service info, checkpoints, transactions, objects, epochs, event listings."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import purerpc

from coordinator._pb.sui.rpc.v2 import (
    event_pb2,
    ledger_service_grpc,
    ledger_service_pb2,
    object_pb2,
    query_options_pb2,
)
from coordinator.events import normalize_address
from coordinator.simnet import messages, system
from coordinator.simnet.chain import (
    Position,
    checkpoint_end,
    checkpoint_start,
    decode_cursor,
    event_position,
)
from coordinator.simnet.filters import (
    compile_event_filter,
)
from coordinator.simnet.services.common import (
    CHAIN_NAME,
    CHECKPOINT_MASK,
    EPOCH_MASK,
    EVENT_MASK,
    LIST_LIMIT_DEFAULT,
    LIST_LIMIT_MAX,
    OBJECT_MASK,
    SERVER,
    TRANSACTION_MASK,
    Servicer,
    found,
    invalid,
    masked,
)
from coordinator.simnet.services.executed import checkpoint_view, executed_view

# The most objects one BatchGetObjects call may ask for (a fullnode caps it too).
BATCH_MAX = 1000


class LedgerService(Servicer, ledger_service_grpc.LedgerServiceServicer):
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
        mask = self.enter("GetCheckpoint", input_message, CHECKPOINT_MASK)
        chain = self.sim.chain
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
            checkpoint=masked(checkpoint_view(self.sim, record), mask)
        )

    async def GetTransaction(
        self, input_message: ledger_service_pb2.GetTransactionRequest
    ) -> ledger_service_pb2.GetTransactionResponse:
        mask = self.enter("GetTransaction", input_message, TRANSACTION_MASK)
        digest = input_message.digest
        tx = found(self.sim.chain.transaction(digest), f"transaction {digest!r}")
        message = executed_view(self.sim, tx)
        return ledger_service_pb2.GetTransactionResponse(transaction=masked(message, mask))

    def _object(self, request: ledger_service_pb2.GetObjectRequest) -> object_pb2.Object:
        """The object (a Move object of ours or a coin) a request names, or NOT_FOUND."""
        try:
            object_id = normalize_address(request.object_id)
        except ValueError:
            raise invalid(f"object_id {request.object_id!r} is not an address") from None
        obj = self.sim.objects.get(object_id)
        coin = self.sim.coins.get(object_id)
        message = (
            messages.move_object(self.sim.objects, obj) if obj is not None
            else messages.gas_coin(coin) if coin is not None else None
        )  # fmt: skip
        if message is not None and request.HasField("version"):
            message = message if request.version == message.version else None
        return found(message, f"object {object_id}")

    async def GetObject(
        self, input_message: ledger_service_pb2.GetObjectRequest
    ) -> ledger_service_pb2.GetObjectResponse:
        mask = self.enter("GetObject", input_message, OBJECT_MASK)
        return ledger_service_pb2.GetObjectResponse(
            object=masked(self._object(input_message), mask)
        )

    async def BatchGetObjects(
        self, input_message: ledger_service_pb2.BatchGetObjectsRequest
    ) -> ledger_service_pb2.BatchGetObjectsResponse:
        """Each object found or not on its own: a missing one is its item's
        error (NOT_FOUND), as upstream answers, not the call's."""
        mask = self.enter("BatchGetObjects", input_message, OBJECT_MASK)
        if len(input_message.requests) > BATCH_MAX:
            raise invalid(f"at most {BATCH_MAX} objects can be requested at once")
        response = ledger_service_pb2.BatchGetObjectsResponse()
        for request in input_message.requests:
            result = response.objects.add()
            try:
                result.object.CopyFrom(masked(self._object(request), mask))
            except purerpc.RpcFailedError as exc:
                result.error.code = exc.status.int_value
                result.error.message = exc.status.status_message
        return response

    async def GetEpoch(
        self, input_message: ledger_service_pb2.GetEpochRequest
    ) -> ledger_service_pb2.GetEpochResponse:
        """The simulator has one epoch, with a fixed reference gas price."""
        mask = self.enter("GetEpoch", input_message, EPOCH_MASK)
        epoch = self.sim.chain.epoch
        if input_message.HasField("epoch") and input_message.epoch != epoch:
            raise purerpc.NotFoundError(f"Epoch {input_message.epoch} not found")
        return ledger_service_pb2.GetEpochResponse(epoch=masked(system.epoch(self.sim), mask))

    async def ListEvents(
        self, input_message: ledger_service_pb2.ListEventsRequest
    ) -> AsyncGenerator[ledger_service_pb2.ListEventsResponse, None]:
        mask = self.enter("ListEvents", input_message, EVENT_MASK)
        request = input_message
        try:
            matches = compile_event_filter(request.filter if request.HasField("filter") else None)
        except ValueError as exc:
            raise invalid(f"filter: {exc}") from None
        options = request.options
        if options.ordering == query_options_pb2.ORDERING_DESCENDING:
            raise invalid("ordering: the simulator only lists in ascending order")
        try:
            after = decode_cursor(options.after) if options.HasField("after") else None
            before = decode_cursor(options.before) if options.HasField("before") else None
        except ValueError as exc:
            raise invalid(f"options: bad cursor: {exc}") from None
        limit = options.limit or LIST_LIMIT_DEFAULT
        limit = min(limit, LIST_LIMIT_MAX)

        if (
            request.HasField("start_checkpoint")
            and request.HasField("end_checkpoint")
            and request.end_checkpoint < request.start_checkpoint
        ):
            raise invalid("end_checkpoint is below start_checkpoint")
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
                item = masked(messages.event(event, tx, index, standalone=True), mask)
                if sent == limit:
                    yield frame(
                        position, covered, item, query_options_pb2.QUERY_END_REASON_ITEM_LIMIT
                    )
                    return
                yield frame(position, covered, item)
            position, covered = checkpoint_end(sequence), sequence
        yield frame(position, covered, end=reason)
