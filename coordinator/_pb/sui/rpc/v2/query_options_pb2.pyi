from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Ordering(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDERING_ASCENDING: _ClassVar[Ordering]
    ORDERING_DESCENDING: _ClassVar[Ordering]

class QueryEndReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUERY_END_REASON_UNKNOWN: _ClassVar[QueryEndReason]
    QUERY_END_REASON_ITEM_LIMIT: _ClassVar[QueryEndReason]
    QUERY_END_REASON_SCAN_LIMIT: _ClassVar[QueryEndReason]
    QUERY_END_REASON_CHECKPOINT_BOUND: _ClassVar[QueryEndReason]
    QUERY_END_REASON_CURSOR_BOUND: _ClassVar[QueryEndReason]
    QUERY_END_REASON_LEDGER_TIP: _ClassVar[QueryEndReason]
ORDERING_ASCENDING: Ordering
ORDERING_DESCENDING: Ordering
QUERY_END_REASON_UNKNOWN: QueryEndReason
QUERY_END_REASON_ITEM_LIMIT: QueryEndReason
QUERY_END_REASON_SCAN_LIMIT: QueryEndReason
QUERY_END_REASON_CHECKPOINT_BOUND: QueryEndReason
QUERY_END_REASON_CURSOR_BOUND: QueryEndReason
QUERY_END_REASON_LEDGER_TIP: QueryEndReason

class QueryOptions(_message.Message):
    __slots__ = ("limit", "after", "before", "ordering")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    ORDERING_FIELD_NUMBER: _ClassVar[int]
    limit: int
    after: bytes
    before: bytes
    ordering: Ordering
    def __init__(self, limit: _Optional[int] = ..., after: _Optional[bytes] = ..., before: _Optional[bytes] = ..., ordering: _Optional[_Union[Ordering, str]] = ...) -> None: ...

class Watermark(_message.Message):
    __slots__ = ("cursor", "checkpoint")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    cursor: bytes
    checkpoint: int
    def __init__(self, cursor: _Optional[bytes] = ..., checkpoint: _Optional[int] = ...) -> None: ...

class QueryEnd(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: QueryEndReason
    def __init__(self, reason: _Optional[_Union[QueryEndReason, str]] = ...) -> None: ...
