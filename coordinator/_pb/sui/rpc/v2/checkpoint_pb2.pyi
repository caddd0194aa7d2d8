import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from coordinator._pb.sui.rpc.v2 import executed_transaction_pb2 as _executed_transaction_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Checkpoint(_message.Message):
    __slots__ = ("sequence_number", "digest", "summary", "transactions")
    SEQUENCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    sequence_number: int
    digest: str
    summary: CheckpointSummary
    transactions: _containers.RepeatedCompositeFieldContainer[_executed_transaction_pb2.ExecutedTransaction]
    def __init__(self, sequence_number: _Optional[int] = ..., digest: _Optional[str] = ..., summary: _Optional[_Union[CheckpointSummary, _Mapping]] = ..., transactions: _Optional[_Iterable[_Union[_executed_transaction_pb2.ExecutedTransaction, _Mapping]]] = ...) -> None: ...

class CheckpointSummary(_message.Message):
    __slots__ = ("epoch", "sequence_number", "timestamp")
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    epoch: int
    sequence_number: int
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, epoch: _Optional[int] = ..., sequence_number: _Optional[int] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
