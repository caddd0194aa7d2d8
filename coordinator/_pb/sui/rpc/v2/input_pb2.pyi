from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Input(_message.Message):
    __slots__ = ("kind", "pure", "object_id", "version", "digest", "mutable")
    class InputKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        INPUT_KIND_UNKNOWN: _ClassVar[Input.InputKind]
        PURE: _ClassVar[Input.InputKind]
        IMMUTABLE_OR_OWNED: _ClassVar[Input.InputKind]
        SHARED: _ClassVar[Input.InputKind]
        RECEIVING: _ClassVar[Input.InputKind]
        FUNDS_WITHDRAWAL: _ClassVar[Input.InputKind]
    INPUT_KIND_UNKNOWN: Input.InputKind
    PURE: Input.InputKind
    IMMUTABLE_OR_OWNED: Input.InputKind
    SHARED: Input.InputKind
    RECEIVING: Input.InputKind
    FUNDS_WITHDRAWAL: Input.InputKind
    KIND_FIELD_NUMBER: _ClassVar[int]
    PURE_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    MUTABLE_FIELD_NUMBER: _ClassVar[int]
    kind: Input.InputKind
    pure: bytes
    object_id: str
    version: int
    digest: str
    mutable: bool
    def __init__(self, kind: _Optional[_Union[Input.InputKind, str]] = ..., pure: _Optional[bytes] = ..., object_id: _Optional[str] = ..., version: _Optional[int] = ..., digest: _Optional[str] = ..., mutable: _Optional[bool] = ...) -> None: ...
