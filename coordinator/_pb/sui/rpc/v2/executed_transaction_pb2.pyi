import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from coordinator._pb.sui.rpc.v2 import balance_change_pb2 as _balance_change_pb2
from coordinator._pb.sui.rpc.v2 import effects_pb2 as _effects_pb2
from coordinator._pb.sui.rpc.v2 import event_pb2 as _event_pb2
from coordinator._pb.sui.rpc.v2 import signature_pb2 as _signature_pb2
from coordinator._pb.sui.rpc.v2 import transaction_pb2 as _transaction_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExecutedTransaction(_message.Message):
    __slots__ = ("digest", "transaction", "signatures", "effects", "events", "checkpoint", "timestamp", "balance_changes", "transaction_index")
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    EFFECTS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    BALANCE_CHANGES_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_INDEX_FIELD_NUMBER: _ClassVar[int]
    digest: str
    transaction: _transaction_pb2.Transaction
    signatures: _containers.RepeatedCompositeFieldContainer[_signature_pb2.UserSignature]
    effects: _effects_pb2.TransactionEffects
    events: _event_pb2.TransactionEvents
    checkpoint: int
    timestamp: _timestamp_pb2.Timestamp
    balance_changes: _containers.RepeatedCompositeFieldContainer[_balance_change_pb2.BalanceChange]
    transaction_index: int
    def __init__(self, digest: _Optional[str] = ..., transaction: _Optional[_Union[_transaction_pb2.Transaction, _Mapping]] = ..., signatures: _Optional[_Iterable[_Union[_signature_pb2.UserSignature, _Mapping]]] = ..., effects: _Optional[_Union[_effects_pb2.TransactionEffects, _Mapping]] = ..., events: _Optional[_Union[_event_pb2.TransactionEvents, _Mapping]] = ..., checkpoint: _Optional[int] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., balance_changes: _Optional[_Iterable[_Union[_balance_change_pb2.BalanceChange, _Mapping]]] = ..., transaction_index: _Optional[int] = ...) -> None: ...
