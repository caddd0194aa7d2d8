from google.protobuf import struct_pb2 as _struct_pb2
from coordinator._pb.sui.rpc.v2 import bcs_pb2 as _bcs_pb2
from coordinator._pb.sui.rpc.v2 import owner_pb2 as _owner_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Object(_message.Message):
    __slots__ = ("bcs", "object_id", "version", "digest", "owner", "object_type", "contents", "previous_transaction", "json", "balance")
    BCS_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENTS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    bcs: _bcs_pb2.Bcs
    object_id: str
    version: int
    digest: str
    owner: _owner_pb2.Owner
    object_type: str
    contents: _bcs_pb2.Bcs
    previous_transaction: str
    json: _struct_pb2.Value
    balance: int
    def __init__(self, bcs: _Optional[_Union[_bcs_pb2.Bcs, _Mapping]] = ..., object_id: _Optional[str] = ..., version: _Optional[int] = ..., digest: _Optional[str] = ..., owner: _Optional[_Union[_owner_pb2.Owner, _Mapping]] = ..., object_type: _Optional[str] = ..., contents: _Optional[_Union[_bcs_pb2.Bcs, _Mapping]] = ..., previous_transaction: _Optional[str] = ..., json: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., balance: _Optional[int] = ...) -> None: ...
