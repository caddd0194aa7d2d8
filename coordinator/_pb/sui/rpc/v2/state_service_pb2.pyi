from google.protobuf import field_mask_pb2 as _field_mask_pb2
from coordinator._pb.sui.rpc.v2 import bcs_pb2 as _bcs_pb2
from coordinator._pb.sui.rpc.v2 import object_pb2 as _object_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListDynamicFieldsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "read_mask")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    READ_MASK_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: bytes
    read_mask: _field_mask_pb2.FieldMask
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[bytes] = ..., read_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class ListDynamicFieldsResponse(_message.Message):
    __slots__ = ("dynamic_fields", "next_page_token")
    DYNAMIC_FIELDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    dynamic_fields: _containers.RepeatedCompositeFieldContainer[DynamicField]
    next_page_token: bytes
    def __init__(self, dynamic_fields: _Optional[_Iterable[_Union[DynamicField, _Mapping]]] = ..., next_page_token: _Optional[bytes] = ...) -> None: ...

class DynamicField(_message.Message):
    __slots__ = ("kind", "parent", "field_id", "field_object", "name", "value", "value_type", "child_id", "child_object")
    class DynamicFieldKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        DYNAMIC_FIELD_KIND_UNKNOWN: _ClassVar[DynamicField.DynamicFieldKind]
        FIELD: _ClassVar[DynamicField.DynamicFieldKind]
        OBJECT: _ClassVar[DynamicField.DynamicFieldKind]
    DYNAMIC_FIELD_KIND_UNKNOWN: DynamicField.DynamicFieldKind
    FIELD: DynamicField.DynamicFieldKind
    OBJECT: DynamicField.DynamicFieldKind
    KIND_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    FIELD_ID_FIELD_NUMBER: _ClassVar[int]
    FIELD_OBJECT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    VALUE_TYPE_FIELD_NUMBER: _ClassVar[int]
    CHILD_ID_FIELD_NUMBER: _ClassVar[int]
    CHILD_OBJECT_FIELD_NUMBER: _ClassVar[int]
    kind: DynamicField.DynamicFieldKind
    parent: str
    field_id: str
    field_object: _object_pb2.Object
    name: _bcs_pb2.Bcs
    value: _bcs_pb2.Bcs
    value_type: str
    child_id: str
    child_object: _object_pb2.Object
    def __init__(self, kind: _Optional[_Union[DynamicField.DynamicFieldKind, str]] = ..., parent: _Optional[str] = ..., field_id: _Optional[str] = ..., field_object: _Optional[_Union[_object_pb2.Object, _Mapping]] = ..., name: _Optional[_Union[_bcs_pb2.Bcs, _Mapping]] = ..., value: _Optional[_Union[_bcs_pb2.Bcs, _Mapping]] = ..., value_type: _Optional[str] = ..., child_id: _Optional[str] = ..., child_object: _Optional[_Union[_object_pb2.Object, _Mapping]] = ...) -> None: ...

class ListOwnedObjectsRequest(_message.Message):
    __slots__ = ("owner", "page_size", "page_token", "read_mask", "object_type")
    OWNER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    READ_MASK_FIELD_NUMBER: _ClassVar[int]
    OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    owner: str
    page_size: int
    page_token: bytes
    read_mask: _field_mask_pb2.FieldMask
    object_type: str
    def __init__(self, owner: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[bytes] = ..., read_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., object_type: _Optional[str] = ...) -> None: ...

class ListOwnedObjectsResponse(_message.Message):
    __slots__ = ("objects", "next_page_token")
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    objects: _containers.RepeatedCompositeFieldContainer[_object_pb2.Object]
    next_page_token: bytes
    def __init__(self, objects: _Optional[_Iterable[_Union[_object_pb2.Object, _Mapping]]] = ..., next_page_token: _Optional[bytes] = ...) -> None: ...

class GetBalanceRequest(_message.Message):
    __slots__ = ("owner", "coin_type")
    OWNER_FIELD_NUMBER: _ClassVar[int]
    COIN_TYPE_FIELD_NUMBER: _ClassVar[int]
    owner: str
    coin_type: str
    def __init__(self, owner: _Optional[str] = ..., coin_type: _Optional[str] = ...) -> None: ...

class GetBalanceResponse(_message.Message):
    __slots__ = ("balance",)
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    balance: Balance
    def __init__(self, balance: _Optional[_Union[Balance, _Mapping]] = ...) -> None: ...

class Balance(_message.Message):
    __slots__ = ("coin_type", "balance", "address_balance", "coin_balance")
    COIN_TYPE_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_BALANCE_FIELD_NUMBER: _ClassVar[int]
    COIN_BALANCE_FIELD_NUMBER: _ClassVar[int]
    coin_type: str
    balance: int
    address_balance: int
    coin_balance: int
    def __init__(self, coin_type: _Optional[str] = ..., balance: _Optional[int] = ..., address_balance: _Optional[int] = ..., coin_balance: _Optional[int] = ...) -> None: ...

class ListBalancesRequest(_message.Message):
    __slots__ = ("owner", "page_size", "page_token")
    OWNER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    owner: str
    page_size: int
    page_token: bytes
    def __init__(self, owner: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[bytes] = ...) -> None: ...

class ListBalancesResponse(_message.Message):
    __slots__ = ("balances", "next_page_token")
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    balances: _containers.RepeatedCompositeFieldContainer[Balance]
    next_page_token: bytes
    def __init__(self, balances: _Optional[_Iterable[_Union[Balance, _Mapping]]] = ..., next_page_token: _Optional[bytes] = ...) -> None: ...
