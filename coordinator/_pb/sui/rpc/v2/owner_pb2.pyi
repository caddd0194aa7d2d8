from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Owner(_message.Message):
    __slots__ = ("kind", "address", "version")
    class OwnerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OWNER_KIND_UNKNOWN: _ClassVar[Owner.OwnerKind]
        ADDRESS: _ClassVar[Owner.OwnerKind]
        OBJECT: _ClassVar[Owner.OwnerKind]
        SHARED: _ClassVar[Owner.OwnerKind]
        IMMUTABLE: _ClassVar[Owner.OwnerKind]
        CONSENSUS_ADDRESS: _ClassVar[Owner.OwnerKind]
    OWNER_KIND_UNKNOWN: Owner.OwnerKind
    ADDRESS: Owner.OwnerKind
    OBJECT: Owner.OwnerKind
    SHARED: Owner.OwnerKind
    IMMUTABLE: Owner.OwnerKind
    CONSENSUS_ADDRESS: Owner.OwnerKind
    KIND_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    kind: Owner.OwnerKind
    address: str
    version: int
    def __init__(self, kind: _Optional[_Union[Owner.OwnerKind, str]] = ..., address: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...
