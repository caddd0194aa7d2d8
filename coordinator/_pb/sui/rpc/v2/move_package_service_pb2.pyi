from coordinator._pb.sui.rpc.v2 import move_package_pb2 as _move_package_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
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

class ListPackageVersionsRequest(_message.Message):
    __slots__ = ("package_id", "page_size", "page_token")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    page_size: int
    page_token: bytes
    def __init__(self, package_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[bytes] = ...) -> None: ...

class ListPackageVersionsResponse(_message.Message):
    __slots__ = ("versions", "next_page_token")
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[PackageVersion]
    next_page_token: bytes
    def __init__(self, versions: _Optional[_Iterable[_Union[PackageVersion, _Mapping]]] = ..., next_page_token: _Optional[bytes] = ...) -> None: ...

class PackageVersion(_message.Message):
    __slots__ = ("package_id", "version")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    version: int
    def __init__(self, package_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...
