from google.protobuf import struct_pb2 as _struct_pb2
from coordinator._pb.sui.rpc.v2 import bcs_pb2 as _bcs_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TransactionEvents(_message.Message):
    __slots__ = ("digest", "events")
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    digest: str
    events: _containers.RepeatedCompositeFieldContainer[Event]
    def __init__(self, digest: _Optional[str] = ..., events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("package_id", "module", "sender", "event_type", "contents", "json", "checkpoint", "transaction_digest", "transaction_index", "event_index")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    MODULE_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENTS_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_DIGEST_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_INDEX_FIELD_NUMBER: _ClassVar[int]
    EVENT_INDEX_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    module: str
    sender: str
    event_type: str
    contents: _bcs_pb2.Bcs
    json: _struct_pb2.Value
    checkpoint: int
    transaction_digest: str
    transaction_index: int
    event_index: int
    def __init__(self, package_id: _Optional[str] = ..., module: _Optional[str] = ..., sender: _Optional[str] = ..., event_type: _Optional[str] = ..., contents: _Optional[_Union[_bcs_pb2.Bcs, _Mapping]] = ..., json: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., checkpoint: _Optional[int] = ..., transaction_digest: _Optional[str] = ..., transaction_index: _Optional[int] = ..., event_index: _Optional[int] = ...) -> None: ...
