"""The Sui gRPC methods the coordinator calls: service, method and message types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import Message

from coordinator._pb.sui.rpc.v2 import (
    ledger_service_pb2,
    state_service_pb2,
    subscription_service_pb2,
    transaction_execution_service_pb2,
)

_Request = TypeVar("_Request", bound=Message)
_Response = TypeVar("_Response", bound=Message)


@dataclass(frozen=True)
class Rpc(Generic[_Request, _Response]):
    service: str  # without the package, e.g. "LedgerService"
    method: str
    request_type: type[_Request]
    response_type: type[_Response]

    @property
    def name(self) -> str:
        return f"{self.service}/{self.method}"


_ledger, _state, _subs = ledger_service_pb2, state_service_pb2, subscription_service_pb2
_exec = transaction_execution_service_pb2
GET_SERVICE_INFO = Rpc(
    "LedgerService", "GetServiceInfo", _ledger.GetServiceInfoRequest, _ledger.GetServiceInfoResponse
)
GET_CHECKPOINT = Rpc(
    "LedgerService", "GetCheckpoint", _ledger.GetCheckpointRequest, _ledger.GetCheckpointResponse
)
GET_TRANSACTION = Rpc(
    "LedgerService", "GetTransaction", _ledger.GetTransactionRequest, _ledger.GetTransactionResponse
)
GET_OBJECT = Rpc("LedgerService", "GetObject", _ledger.GetObjectRequest, _ledger.GetObjectResponse)
LIST_EVENTS = Rpc(
    "LedgerService", "ListEvents", _ledger.ListEventsRequest, _ledger.ListEventsResponse
)
LIST_DYNAMIC_FIELDS = Rpc(
    "StateService",
    "ListDynamicFields",
    _state.ListDynamicFieldsRequest,
    _state.ListDynamicFieldsResponse,
)
GET_EPOCH = Rpc("LedgerService", "GetEpoch", _ledger.GetEpochRequest, _ledger.GetEpochResponse)
LIST_OWNED_OBJECTS = Rpc(
    "StateService",
    "ListOwnedObjects",
    _state.ListOwnedObjectsRequest,
    _state.ListOwnedObjectsResponse,
)
GET_BALANCE = Rpc(
    "StateService", "GetBalance", _state.GetBalanceRequest, _state.GetBalanceResponse
)
EXECUTE_TRANSACTION = Rpc(
    "TransactionExecutionService",
    "ExecuteTransaction",
    _exec.ExecuteTransactionRequest,
    _exec.ExecuteTransactionResponse,
)
SIMULATE_TRANSACTION = Rpc(
    "TransactionExecutionService",
    "SimulateTransaction",
    _exec.SimulateTransactionRequest,
    _exec.SimulateTransactionResponse,
)
SUBSCRIBE_CHECKPOINTS = Rpc(
    "SubscriptionService",
    "SubscribeCheckpoints",
    _subs.SubscribeCheckpointsRequest,
    _subs.SubscribeCheckpointsResponse,
)
SUBSCRIBE_EVENTS = Rpc(
    "SubscriptionService",
    "SubscribeEvents",
    _subs.SubscribeEventsRequest,
    _subs.SubscribeEventsResponse,
)

