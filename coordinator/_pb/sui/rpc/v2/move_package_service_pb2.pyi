from coordinator._pb.sui.rpc.v2 import move_package_pb2 as _move_package_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetPackageRequest(_message.Message):
    __slots__ = ("package_id",)
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    def __init__(self, package_id: _Optional[str] = ...) -> None: ...

class GetPackageResponse(_message.Message):
    __slots__ = ("package",)
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    package: _move_package_pb2.Package
    def __init__(self, package: _Optional[_Union[_move_package_pb2.Package, _Mapping]] = ...) -> None: ...

class GetDatatypeRequest(_message.Message):
    __slots__ = ("package_id", "module_name", "name")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    MODULE_NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    module_name: str
    name: str
    def __init__(self, package_id: _Optional[str] = ..., module_name: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class GetDatatypeResponse(_message.Message):
    __slots__ = ("datatype",)
    DATATYPE_FIELD_NUMBER: _ClassVar[int]
    datatype: _move_package_pb2.DatatypeDescriptor
    def __init__(self, datatype: _Optional[_Union[_move_package_pb2.DatatypeDescriptor, _Mapping]] = ...) -> None: ...

class GetFunctionRequest(_message.Message):
    __slots__ = ("package_id", "module_name", "name")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    MODULE_NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    module_name: str
    name: str
    def __init__(self, package_id: _Optional[str] = ..., module_name: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class GetFunctionResponse(_message.Message):
    __slots__ = ("function",)
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    function: _move_package_pb2.FunctionDescriptor
    def __init__(self, function: _Optional[_Union[_move_package_pb2.FunctionDescriptor, _Mapping]] = ...) -> None: ...
