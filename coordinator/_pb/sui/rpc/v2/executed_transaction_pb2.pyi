import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from coordinator._pb.sui.rpc.v2 import event_pb2 as _event_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExecutedTransaction(_message.Message):
    __slots__ = ("digest", "events", "checkpoint", "timestamp", "transaction_index")
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_INDEX_FIELD_NUMBER: _ClassVar[int]
    digest: str
    events: _event_pb2.TransactionEvents
    checkpoint: int
    timestamp: _timestamp_pb2.Timestamp
    transaction_index: int
    def __init__(self, digest: _Optional[str] = ..., events: _Optional[_Union[_event_pb2.TransactionEvents, _Mapping]] = ..., checkpoint: _Optional[int] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transaction_index: _Optional[int] = ...) -> None: ...
