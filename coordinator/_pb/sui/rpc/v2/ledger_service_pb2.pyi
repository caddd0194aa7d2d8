import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from coordinator._pb.google.rpc import status_pb2 as _status_pb2
from coordinator._pb.sui.rpc.v2 import checkpoint_pb2 as _checkpoint_pb2
from coordinator._pb.sui.rpc.v2 import event_pb2 as _event_pb2
from coordinator._pb.sui.rpc.v2 import executed_transaction_pb2 as _executed_transaction_pb2
from coordinator._pb.sui.rpc.v2 import filter_pb2 as _filter_pb2
from coordinator._pb.sui.rpc.v2 import object_pb2 as _object_pb2
from coordinator._pb.sui.rpc.v2 import protocol_config_pb2 as _protocol_config_pb2
from coordinator._pb.sui.rpc.v2 import query_options_pb2 as _query_options_pb2
from coordinator._pb.sui.rpc.v2 import system_state_pb2 as _system_state_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetServiceInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetServiceInfoResponse(_message.Message):
    __slots__ = ("chain_id", "chain", "epoch", "checkpoint_height", "timestamp", "lowest_available_checkpoint", "server")
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    LOWEST_AVAILABLE_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    SERVER_FIELD_NUMBER: _ClassVar[int]
    chain_id: str
    chain: str
    epoch: int
    checkpoint_height: int
    timestamp: _timestamp_pb2.Timestamp
    lowest_available_checkpoint: int
    server: str
    def __init__(self, chain_id: _Optional[str] = ..., chain: _Optional[str] = ..., epoch: _Optional[int] = ..., checkpoint_height: _Optional[int] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lowest_available_checkpoint: _Optional[int] = ..., server: _Optional[str] = ...) -> None: ...

class GetObjectRequest(_message.Message):
    __slots__ = ("object_id", "version", "read_mask")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    READ_MASK_FIELD_NUMBER: _ClassVar[int]
    object_id: str
    version: int
    read_mask: _field_mask_pb2.FieldMask
    def __init__(self, object_id: _Optional[str] = ..., version: _Optional[int] = ..., read_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class GetObjectResponse(_message.Message):
    __slots__ = ("object",)
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    object: _object_pb2.Object
    def __init__(self, object: _Optional[_Union[_object_pb2.Object, _Mapping]] = ...) -> None: ...

class BatchGetObjectsRequest(_message.Message):
    __slots__ = ("requests", "read_mask")
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    READ_MASK_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[GetObjectRequest]
    read_mask: _field_mask_pb2.FieldMask
    def __init__(self, requests: _Optional[_Iterable[_Union[GetObjectRequest, _Mapping]]] = ..., read_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class BatchGetObjectsResponse(_message.Message):
    __slots__ = ("objects",)
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    objects: _containers.RepeatedCompositeFieldContainer[GetObjectResult]
    def __init__(self, objects: _Optional[_Iterable[_Union[GetObjectResult, _Mapping]]] = ...) -> None: ...

class GetObjectResult(_message.Message):
    __slots__ = ("object", "error")
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    object: _object_pb2.Object
    error: _status_pb2.Status
    def __init__(self, object: _Optional[_Union[_object_pb2.Object, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class GetTransactionRequest(_message.Message):
    __slots__ = ("digest", "read_mask")
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    READ_MASK_FIELD_NUMBER: _ClassVar[int]
    digest: str
    read_mask: _field_mask_pb2.FieldMask
    def __init__(self, digest: _Optional[str] = ..., read_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class GetTransactionResponse(_message.Message):
    __slots__ = ("transaction",)
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: _executed_transaction_pb2.ExecutedTransaction
    def __init__(self, transaction: _Optional[_Union[_executed_transaction_pb2.ExecutedTransaction, _Mapping]] = ...) -> None: ...

class GetCheckpointRequest(_message.Message):
    __slots__ = ("sequence_number", "digest", "read_mask")
    SEQUENCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    READ_MASK_FIELD_NUMBER: _ClassVar[int]
    sequence_number: int
    digest: str
    read_mask: _field_mask_pb2.FieldMask
    def __init__(self, sequence_number: _Optional[int] = ..., digest: _Optional[str] = ..., read_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class GetCheckpointResponse(_message.Message):
    __slots__ = ("checkpoint",)
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    checkpoint: _checkpoint_pb2.Checkpoint
    def __init__(self, checkpoint: _Optional[_Union[_checkpoint_pb2.Checkpoint, _Mapping]] = ...) -> None: ...

class ListEventsRequest(_message.Message):
    __slots__ = ("read_mask", "start_checkpoint", "end_checkpoint", "filter", "options")
    READ_MASK_FIELD_NUMBER: _ClassVar[int]
    START_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    END_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    read_mask: _field_mask_pb2.FieldMask
    start_checkpoint: int
    end_checkpoint: int
    filter: _filter_pb2.EventFilter
    options: _query_options_pb2.QueryOptions
    def __init__(self, read_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., start_checkpoint: _Optional[int] = ..., end_checkpoint: _Optional[int] = ..., filter: _Optional[_Union[_filter_pb2.EventFilter, _Mapping]] = ..., options: _Optional[_Union[_query_options_pb2.QueryOptions, _Mapping]] = ...) -> None: ...

class ListEventsResponse(_message.Message):
    __slots__ = ("event", "watermark", "end")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    WATERMARK_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    event: _event_pb2.Event
    watermark: _query_options_pb2.Watermark
    end: _query_options_pb2.QueryEnd
    def __init__(self, event: _Optional[_Union[_event_pb2.Event, _Mapping]] = ..., watermark: _Optional[_Union[_query_options_pb2.Watermark, _Mapping]] = ..., end: _Optional[_Union[_query_options_pb2.QueryEnd, _Mapping]] = ...) -> None: ...

class GetEpochRequest(_message.Message):
    __slots__ = ("epoch", "read_mask")
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    READ_MASK_FIELD_NUMBER: _ClassVar[int]
    epoch: int
    read_mask: _field_mask_pb2.FieldMask
    def __init__(self, epoch: _Optional[int] = ..., read_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class GetEpochResponse(_message.Message):
    __slots__ = ("epoch",)
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    epoch: Epoch
    def __init__(self, epoch: _Optional[_Union[Epoch, _Mapping]] = ...) -> None: ...

class Epoch(_message.Message):
    __slots__ = ("epoch", "system_state", "first_checkpoint", "start", "reference_gas_price", "protocol_config")
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_STATE_FIELD_NUMBER: _ClassVar[int]
    FIRST_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_GAS_PRICE_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_CONFIG_FIELD_NUMBER: _ClassVar[int]
    epoch: int
    system_state: _system_state_pb2.SystemState
    first_checkpoint: int
    start: _timestamp_pb2.Timestamp
    reference_gas_price: int
    protocol_config: _protocol_config_pb2.ProtocolConfig
    def __init__(self, epoch: _Optional[int] = ..., system_state: _Optional[_Union[_system_state_pb2.SystemState, _Mapping]] = ..., first_checkpoint: _Optional[int] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reference_gas_price: _Optional[int] = ..., protocol_config: _Optional[_Union[_protocol_config_pb2.ProtocolConfig, _Mapping]] = ...) -> None: ...
