from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Argument(_message.Message):
    __slots__ = ("kind", "input", "result", "subresult")
    class ArgumentKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ARGUMENT_KIND_UNKNOWN: _ClassVar[Argument.ArgumentKind]
        GAS: _ClassVar[Argument.ArgumentKind]
        INPUT: _ClassVar[Argument.ArgumentKind]
        RESULT: _ClassVar[Argument.ArgumentKind]
    ARGUMENT_KIND_UNKNOWN: Argument.ArgumentKind
    GAS: Argument.ArgumentKind
    INPUT: Argument.ArgumentKind
    RESULT: Argument.ArgumentKind
    KIND_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    SUBRESULT_FIELD_NUMBER: _ClassVar[int]
    kind: Argument.ArgumentKind
    input: int
    result: int
    subresult: int
    def __init__(self, kind: _Optional[_Union[Argument.ArgumentKind, str]] = ..., input: _Optional[int] = ..., result: _Optional[int] = ..., subresult: _Optional[int] = ...) -> None: ...
