from coordinator._pb.sui.rpc.v2 import bcs_pb2 as _bcs_pb2
from coordinator._pb.sui.rpc.v2 import object_reference_pb2 as _object_reference_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Transaction(_message.Message):
    __slots__ = ("bcs", "digest", "sender", "gas_payment")
    BCS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    GAS_PAYMENT_FIELD_NUMBER: _ClassVar[int]
    bcs: _bcs_pb2.Bcs
    digest: str
    sender: str
    gas_payment: GasPayment
    def __init__(self, bcs: _Optional[_Union[_bcs_pb2.Bcs, _Mapping]] = ..., digest: _Optional[str] = ..., sender: _Optional[str] = ..., gas_payment: _Optional[_Union[GasPayment, _Mapping]] = ...) -> None: ...

class GasPayment(_message.Message):
    __slots__ = ("objects", "owner", "price", "budget")
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    objects: _containers.RepeatedCompositeFieldContainer[_object_reference_pb2.ObjectReference]
    owner: str
    price: int
    budget: int
    def __init__(self, objects: _Optional[_Iterable[_Union[_object_reference_pb2.ObjectReference, _Mapping]]] = ..., owner: _Optional[str] = ..., price: _Optional[int] = ..., budget: _Optional[int] = ...) -> None: ...
