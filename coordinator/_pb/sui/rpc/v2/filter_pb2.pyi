from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TransactionFilter(_message.Message):
    __slots__ = ("terms",)
    TERMS_FIELD_NUMBER: _ClassVar[int]
    terms: _containers.RepeatedCompositeFieldContainer[TransactionTerm]
    def __init__(self, terms: _Optional[_Iterable[_Union[TransactionTerm, _Mapping]]] = ...) -> None: ...

class TransactionTerm(_message.Message):
    __slots__ = ("literals",)
    LITERALS_FIELD_NUMBER: _ClassVar[int]
    literals: _containers.RepeatedCompositeFieldContainer[TransactionLiteral]
    def __init__(self, literals: _Optional[_Iterable[_Union[TransactionLiteral, _Mapping]]] = ...) -> None: ...

class TransactionLiteral(_message.Message):
    __slots__ = ("negated", "sender", "affected_address", "affected_object", "move_call", "emit_module", "event_type")
    NEGATED_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    AFFECTED_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    AFFECTED_OBJECT_FIELD_NUMBER: _ClassVar[int]
    MOVE_CALL_FIELD_NUMBER: _ClassVar[int]
    EMIT_MODULE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    negated: bool
    sender: SenderFilter
    affected_address: AffectedAddressFilter
    affected_object: AffectedObjectFilter
    move_call: MoveCallFilter
    emit_module: EmitModuleFilter
    event_type: EventTypeFilter
    def __init__(self, negated: _Optional[bool] = ..., sender: _Optional[_Union[SenderFilter, _Mapping]] = ..., affected_address: _Optional[_Union[AffectedAddressFilter, _Mapping]] = ..., affected_object: _Optional[_Union[AffectedObjectFilter, _Mapping]] = ..., move_call: _Optional[_Union[MoveCallFilter, _Mapping]] = ..., emit_module: _Optional[_Union[EmitModuleFilter, _Mapping]] = ..., event_type: _Optional[_Union[EventTypeFilter, _Mapping]] = ...) -> None: ...

class EventFilter(_message.Message):
    __slots__ = ("terms",)
    TERMS_FIELD_NUMBER: _ClassVar[int]
    terms: _containers.RepeatedCompositeFieldContainer[EventTerm]
    def __init__(self, terms: _Optional[_Iterable[_Union[EventTerm, _Mapping]]] = ...) -> None: ...

class EventTerm(_message.Message):
    __slots__ = ("literals",)
    LITERALS_FIELD_NUMBER: _ClassVar[int]
    literals: _containers.RepeatedCompositeFieldContainer[EventLiteral]
    def __init__(self, literals: _Optional[_Iterable[_Union[EventLiteral, _Mapping]]] = ...) -> None: ...

class EventLiteral(_message.Message):
    __slots__ = ("negated", "sender", "emit_module", "event_type", "event_stream_head")
    NEGATED_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    EMIT_MODULE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    EVENT_STREAM_HEAD_FIELD_NUMBER: _ClassVar[int]
    negated: bool
    sender: SenderFilter
    emit_module: EmitModuleFilter
    event_type: EventTypeFilter
    event_stream_head: EventStreamHeadFilter
    def __init__(self, negated: _Optional[bool] = ..., sender: _Optional[_Union[SenderFilter, _Mapping]] = ..., emit_module: _Optional[_Union[EmitModuleFilter, _Mapping]] = ..., event_type: _Optional[_Union[EventTypeFilter, _Mapping]] = ..., event_stream_head: _Optional[_Union[EventStreamHeadFilter, _Mapping]] = ...) -> None: ...

class SenderFilter(_message.Message):
    __slots__ = ("address",)
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    address: str
    def __init__(self, address: _Optional[str] = ...) -> None: ...

class AffectedAddressFilter(_message.Message):
    __slots__ = ("address",)
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    address: str
    def __init__(self, address: _Optional[str] = ...) -> None: ...

class AffectedObjectFilter(_message.Message):
    __slots__ = ("object_id",)
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    object_id: str
    def __init__(self, object_id: _Optional[str] = ...) -> None: ...

class MoveCallFilter(_message.Message):
    __slots__ = ("function",)
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    function: str
    def __init__(self, function: _Optional[str] = ...) -> None: ...

class EmitModuleFilter(_message.Message):
    __slots__ = ("module",)
    MODULE_FIELD_NUMBER: _ClassVar[int]
    module: str
    def __init__(self, module: _Optional[str] = ...) -> None: ...

class EventTypeFilter(_message.Message):
    __slots__ = ("event_type",)
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    event_type: str
    def __init__(self, event_type: _Optional[str] = ...) -> None: ...

class EventStreamHeadFilter(_message.Message):
    __slots__ = ("stream_id",)
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    stream_id: str
    def __init__(self, stream_id: _Optional[str] = ...) -> None: ...
