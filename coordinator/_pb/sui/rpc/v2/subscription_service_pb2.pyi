from google.protobuf import field_mask_pb2 as _field_mask_pb2
from coordinator._pb.sui.rpc.v2 import checkpoint_pb2 as _checkpoint_pb2
from coordinator._pb.sui.rpc.v2 import event_pb2 as _event_pb2
from coordinator._pb.sui.rpc.v2 import filter_pb2 as _filter_pb2
from coordinator._pb.sui.rpc.v2 import query_options_pb2 as _query_options_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubscribeCheckpointsRequest(_message.Message):
    __slots__ = ("read_mask", "filter")
    READ_MASK_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    read_mask: _field_mask_pb2.FieldMask
    filter: _filter_pb2.TransactionFilter
    def __init__(self, read_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., filter: _Optional[_Union[_filter_pb2.TransactionFilter, _Mapping]] = ...) -> None: ...

class SubscribeCheckpointsResponse(_message.Message):
    __slots__ = ("cursor", "checkpoint")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    cursor: int
    checkpoint: _checkpoint_pb2.Checkpoint
    def __init__(self, cursor: _Optional[int] = ..., checkpoint: _Optional[_Union[_checkpoint_pb2.Checkpoint, _Mapping]] = ...) -> None: ...

class SubscribeEventsRequest(_message.Message):
    __slots__ = ("read_mask", "filter")
    READ_MASK_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    read_mask: _field_mask_pb2.FieldMask
    filter: _filter_pb2.EventFilter
    def __init__(self, read_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., filter: _Optional[_Union[_filter_pb2.EventFilter, _Mapping]] = ...) -> None: ...

class SubscribeEventsResponse(_message.Message):
    __slots__ = ("event", "watermark")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    WATERMARK_FIELD_NUMBER: _ClassVar[int]
    event: _event_pb2.Event
    watermark: _query_options_pb2.Watermark
    def __init__(self, event: _Optional[_Union[_event_pb2.Event, _Mapping]] = ..., watermark: _Optional[_Union[_query_options_pb2.Watermark, _Mapping]] = ...) -> None: ...
