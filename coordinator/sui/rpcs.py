"""The Sui gRPC methods the coordinator calls: service, method and message types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import Message

from coordinator._pb.sui.rpc.v2 import (
    ledger_service_pb2,
    move_package_service_pb2,
    state_service_pb2,
    subscription_service_pb2,
    transaction_execution_service_pb2,
)

_Request = TypeVar("_Request", bound=Message)
_Response = TypeVar("_Response", bound=Message)


@dataclass(frozen=True)
class Rpc(Generic[_Request, _Response]):
    """One method of a service; its name is its request's without `Request`
    (the convention every Sui v2 method follows)."""

    service: str  # without the package, e.g. "LedgerService"
    request_type: type[_Request]
    response_type: type[_Response]

    @property
    def method(self) -> str:
        return self.request_type.__name__.removesuffix("Request")

    @property
    def name(self) -> str:
        return f"{self.service}/{self.method}"


_ledger, _state, _subs = ledger_service_pb2, state_service_pb2, subscription_service_pb2
_exec = transaction_execution_service_pb2
LEDGER, STATE = "LedgerService", "StateService"
EXECUTION, SUBSCRIPTION = "TransactionExecutionService", "SubscriptionService"
PACKAGES = "MovePackageService"

GET_SERVICE_INFO = Rpc(LEDGER, _ledger.GetServiceInfoRequest, _ledger.GetServiceInfoResponse)
GET_CHECKPOINT = Rpc(LEDGER, _ledger.GetCheckpointRequest, _ledger.GetCheckpointResponse)
GET_TRANSACTION = Rpc(LEDGER, _ledger.GetTransactionRequest, _ledger.GetTransactionResponse)
GET_OBJECT = Rpc(LEDGER, _ledger.GetObjectRequest, _ledger.GetObjectResponse)
GET_EPOCH = Rpc(LEDGER, _ledger.GetEpochRequest, _ledger.GetEpochResponse)
LIST_EVENTS = Rpc(LEDGER, _ledger.ListEventsRequest, _ledger.ListEventsResponse)
LIST_DYNAMIC_FIELDS = Rpc(
    STATE, _state.ListDynamicFieldsRequest, _state.ListDynamicFieldsResponse
)
LIST_OWNED_OBJECTS = Rpc(STATE, _state.ListOwnedObjectsRequest, _state.ListOwnedObjectsResponse)
GET_BALANCE = Rpc(STATE, _state.GetBalanceRequest, _state.GetBalanceResponse)
EXECUTE_TRANSACTION = Rpc(
    EXECUTION, _exec.ExecuteTransactionRequest, _exec.ExecuteTransactionResponse
)
SIMULATE_TRANSACTION = Rpc(
    EXECUTION, _exec.SimulateTransactionRequest, _exec.SimulateTransactionResponse
)
SUBSCRIBE_CHECKPOINTS = Rpc(
    SUBSCRIPTION, _subs.SubscribeCheckpointsRequest, _subs.SubscribeCheckpointsResponse
)
SUBSCRIBE_EVENTS = Rpc(SUBSCRIPTION, _subs.SubscribeEventsRequest, _subs.SubscribeEventsResponse)
LIST_PACKAGE_VERSIONS = Rpc(
    PACKAGES,
    move_package_service_pb2.ListPackageVersionsRequest,
    move_package_service_pb2.ListPackageVersionsResponse,
)
