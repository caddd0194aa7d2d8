"""Server streams: event and checkpoint subscriptions, and event listings."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager

from coordinator._pb.sui.rpc.v2 import filter_pb2, query_options_pb2
from coordinator._pb.sui.rpc.v2 import ledger_service_pb2 as _ledger
from coordinator._pb.sui.rpc.v2 import subscription_service_pb2 as _subs
from coordinator.sui.caller import Caller, ResponseStream
from coordinator.sui.filters import read_mask_of
from coordinator.sui.rpcs import LIST_EVENTS, SUBSCRIBE_CHECKPOINTS, SUBSCRIBE_EVENTS


class Streams(Caller):
    """The server streams of `SuiClient`."""

    def subscribe_events(
        self,
        event_filter: filter_pb2.EventFilter | None,
        read_mask: Sequence[str] = (),
        *,
        idle_timeout: float | None = None,
    ) -> AbstractAsyncContextManager[ResponseStream[_subs.SubscribeEventsResponse]]:
        """`async with` it: yields a `ResponseStream` of SubscribeEventsResponse."""
        request = _subs.SubscribeEventsRequest(
            read_mask=read_mask_of(read_mask), filter=event_filter
        )
        return self._stream(SUBSCRIBE_EVENTS, request, idle_timeout)

    def subscribe_checkpoints(
        self,
        read_mask: Sequence[str] = (),
        transaction_filter: filter_pb2.TransactionFilter | None = None,
        *,
        idle_timeout: float | None = None,
    ) -> AbstractAsyncContextManager[ResponseStream[_subs.SubscribeCheckpointsResponse]]:
        """`async with` it: yields a `ResponseStream` of SubscribeCheckpointsResponse."""
        request = _subs.SubscribeCheckpointsRequest(
            read_mask=read_mask_of(read_mask), filter=transaction_filter
        )
        return self._stream(SUBSCRIBE_CHECKPOINTS, request, idle_timeout)

    def list_events(
        self,
        *,
        start_checkpoint: int | None = None,
        end_checkpoint: int | None = None,
        event_filter: filter_pb2.EventFilter | None = None,
        read_mask: Sequence[str] = (),
        limit: int | None = None,
        after: bytes | None = None,
        idle_timeout: float | None = None,
    ) -> AbstractAsyncContextManager[ResponseStream[_ledger.ListEventsResponse]]:
        """`async with` it: yields a `ResponseStream` of ListEventsResponse.

        A bounded query, so the wait for each message defaults to the client's
        `timeout`.
        """
        options = None
        if limit is not None or after is not None:
            options = query_options_pb2.QueryOptions(limit=limit, after=after)
        request = _ledger.ListEventsRequest(
            read_mask=read_mask_of(read_mask),
            start_checkpoint=start_checkpoint,
            end_checkpoint=end_checkpoint,
            filter=event_filter,
            options=options,
        )
        idle = self.timeout if idle_timeout is None else idle_timeout
        return self._stream(LIST_EVENTS, request, idle)

    # -- machinery
