import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from coordinator._pb.sui.rpc.v2 import argument_pb2 as _argument_pb2
from coordinator._pb.sui.rpc.v2 import bcs_pb2 as _bcs_pb2
from coordinator._pb.sui.rpc.v2 import input_pb2 as _input_pb2
from coordinator._pb.sui.rpc.v2 import object_reference_pb2 as _object_reference_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Transaction(_message.Message):
    __slots__ = ("bcs", "digest", "version", "kind", "sender", "gas_payment", "expiration")
    BCS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    GAS_PAYMENT_FIELD_NUMBER: _ClassVar[int]
    EXPIRATION_FIELD_NUMBER: _ClassVar[int]
    bcs: _bcs_pb2.Bcs
    digest: str
    version: int
    kind: TransactionKind
    sender: str
    gas_payment: GasPayment
    expiration: TransactionExpiration
    def __init__(self, bcs: _Optional[_Union[_bcs_pb2.Bcs, _Mapping]] = ..., digest: _Optional[str] = ..., version: _Optional[int] = ..., kind: _Optional[_Union[TransactionKind, _Mapping]] = ..., sender: _Optional[str] = ..., gas_payment: _Optional[_Union[GasPayment, _Mapping]] = ..., expiration: _Optional[_Union[TransactionExpiration, _Mapping]] = ...) -> None: ...

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

class TransactionExpiration(_message.Message):
    __slots__ = ("kind", "epoch", "min_epoch", "min_timestamp", "max_timestamp", "chain", "nonce")
    class TransactionExpirationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TRANSACTION_EXPIRATION_KIND_UNKNOWN: _ClassVar[TransactionExpiration.TransactionExpirationKind]
        NONE: _ClassVar[TransactionExpiration.TransactionExpirationKind]
        EPOCH: _ClassVar[TransactionExpiration.TransactionExpirationKind]
        VALID_DURING: _ClassVar[TransactionExpiration.TransactionExpirationKind]
    TRANSACTION_EXPIRATION_KIND_UNKNOWN: TransactionExpiration.TransactionExpirationKind
    NONE: TransactionExpiration.TransactionExpirationKind
    EPOCH: TransactionExpiration.TransactionExpirationKind
    VALID_DURING: TransactionExpiration.TransactionExpirationKind
    KIND_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    MIN_EPOCH_FIELD_NUMBER: _ClassVar[int]
    MIN_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    MAX_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    kind: TransactionExpiration.TransactionExpirationKind
    epoch: int
    min_epoch: int
    min_timestamp: _timestamp_pb2.Timestamp
    max_timestamp: _timestamp_pb2.Timestamp
    chain: str
    nonce: int
    def __init__(self, kind: _Optional[_Union[TransactionExpiration.TransactionExpirationKind, str]] = ..., epoch: _Optional[int] = ..., min_epoch: _Optional[int] = ..., min_timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., chain: _Optional[str] = ..., nonce: _Optional[int] = ...) -> None: ...

class TransactionKind(_message.Message):
    __slots__ = ("kind", "programmable_transaction")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNKNOWN: _ClassVar[TransactionKind.Kind]
        PROGRAMMABLE_TRANSACTION: _ClassVar[TransactionKind.Kind]
    KIND_UNKNOWN: TransactionKind.Kind
    PROGRAMMABLE_TRANSACTION: TransactionKind.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    PROGRAMMABLE_TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    kind: TransactionKind.Kind
    programmable_transaction: ProgrammableTransaction
    def __init__(self, kind: _Optional[_Union[TransactionKind.Kind, str]] = ..., programmable_transaction: _Optional[_Union[ProgrammableTransaction, _Mapping]] = ...) -> None: ...

class ProgrammableTransaction(_message.Message):
    __slots__ = ("inputs", "commands")
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    inputs: _containers.RepeatedCompositeFieldContainer[_input_pb2.Input]
    commands: _containers.RepeatedCompositeFieldContainer[Command]
    def __init__(self, inputs: _Optional[_Iterable[_Union[_input_pb2.Input, _Mapping]]] = ..., commands: _Optional[_Iterable[_Union[Command, _Mapping]]] = ...) -> None: ...

class Command(_message.Message):
    __slots__ = ("move_call",)
    MOVE_CALL_FIELD_NUMBER: _ClassVar[int]
    move_call: MoveCall
    def __init__(self, move_call: _Optional[_Union[MoveCall, _Mapping]] = ...) -> None: ...

class MoveCall(_message.Message):
    __slots__ = ("package", "module", "function", "type_arguments", "arguments")
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    MODULE_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    TYPE_ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    package: str
    module: str
    function: str
    type_arguments: _containers.RepeatedScalarFieldContainer[str]
    arguments: _containers.RepeatedCompositeFieldContainer[_argument_pb2.Argument]
    def __init__(self, package: _Optional[str] = ..., module: _Optional[str] = ..., function: _Optional[str] = ..., type_arguments: _Optional[_Iterable[str]] = ..., arguments: _Optional[_Iterable[_Union[_argument_pb2.Argument, _Mapping]]] = ...) -> None: ...
