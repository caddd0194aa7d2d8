"""SubscriptionService: checkpoints and events as they are sealed."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from coordinator._pb.sui.rpc.v2 import (
    subscription_service_grpc,
    subscription_service_pb2,
)
from coordinator.simnet import messages
from coordinator.simnet.chain import (
    checkpoint_end,
    event_position,
)
from coordinator.simnet.filters import (
    compile_event_filter,
    compile_transaction_filter,
)
from coordinator.simnet.services.common import (
    CHECKPOINT_MASK,
    EVENT_MASK,
    Servicer,
    invalid,
    masked,
)
from coordinator.simnet.services.executed import checkpoint_view


class SubscriptionService(
    Servicer, subscription_service_grpc.SubscriptionServiceServicer
):
    async def SubscribeCheckpoints(
        self, input_message: subscription_service_pb2.SubscribeCheckpointsRequest
    ) -> AsyncGenerator[subscription_service_pb2.SubscribeCheckpointsResponse, None]:
        gate = self.sim.gate
        mask = self.enter("SubscribeCheckpoints", input_message, CHECKPOINT_MASK)
        # An old node does not know the field: it streams every checkpoint.
        filtered = input_message.HasField("filter") and not self.sim.faults.old_node
        try:
            matches = compile_transaction_filter(input_message.filter if filtered else None)
        except ValueError as exc:
            raise invalid(f"filter: {exc}") from None
        chain = self.sim.chain

        async def frames() -> AsyncGenerator[
            subscription_service_pb2.SubscribeCheckpointsResponse, None
        ]:
            sequence = chain.tip.sequence_number
            while True:
                record = await chain.wait_for(sequence)
                response = subscription_service_pb2.SubscribeCheckpointsResponse(cursor=sequence)
                if not filtered or any(matches(tx) for tx in record.transactions):
                    response.checkpoint.CopyFrom(masked(checkpoint_view(self.sim, record), mask))
                yield response
                sequence += 1

        async for item in gate.stream("SubscribeCheckpoints", frames()):
            yield item

    async def SubscribeEvents(
        self, input_message: subscription_service_pb2.SubscribeEventsRequest
    ) -> AsyncGenerator[subscription_service_pb2.SubscribeEventsResponse, None]:
        gate = self.sim.gate
        mask = self.enter("SubscribeEvents", input_message, EVENT_MASK)
        try:
            matches = compile_event_filter(
                input_message.filter if input_message.HasField("filter") else None
            )
        except ValueError as exc:
            raise invalid(f"filter: {exc}") from None
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
                            event=masked(messages.event(event, tx, index, standalone=True), mask),
                            watermark=messages.watermark(
                                event_position(sequence, tx.index, index), sequence - 1
                            ),
                        )
                yield response(watermark=messages.watermark(checkpoint_end(sequence), sequence))
                sequence += 1

        async for item in gate.stream("SubscribeEvents", frames()):
            yield item
