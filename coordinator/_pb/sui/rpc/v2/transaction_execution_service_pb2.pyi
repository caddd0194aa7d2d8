from google.protobuf import field_mask_pb2 as _field_mask_pb2
from coordinator._pb.sui.rpc.v2 import argument_pb2 as _argument_pb2
from coordinator._pb.sui.rpc.v2 import bcs_pb2 as _bcs_pb2
from coordinator._pb.sui.rpc.v2 import executed_transaction_pb2 as _executed_transaction_pb2
from coordinator._pb.sui.rpc.v2 import signature_pb2 as _signature_pb2
from coordinator._pb.sui.rpc.v2 import transaction_pb2 as _transaction_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExecuteTransactionRequest(_message.Message):
    __slots__ = ("transaction", "signatures", "read_mask")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    READ_MASK_FIELD_NUMBER: _ClassVar[int]
    transaction: _transaction_pb2.Transaction
    signatures: _containers.RepeatedCompositeFieldContainer[_signature_pb2.UserSignature]
    read_mask: _field_mask_pb2.FieldMask
    def __init__(self, transaction: _Optional[_Union[_transaction_pb2.Transaction, _Mapping]] = ..., signatures: _Optional[_Iterable[_Union[_signature_pb2.UserSignature, _Mapping]]] = ..., read_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class ExecuteTransactionResponse(_message.Message):
    __slots__ = ("transaction",)
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: _executed_transaction_pb2.ExecutedTransaction
    def __init__(self, transaction: _Optional[_Union[_executed_transaction_pb2.ExecutedTransaction, _Mapping]] = ...) -> None: ...

class SimulateTransactionRequest(_message.Message):
    __slots__ = ("transaction", "read_mask", "checks", "do_gas_selection")
    class TransactionChecks(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ENABLED: _ClassVar[SimulateTransactionRequest.TransactionChecks]
        DISABLED: _ClassVar[SimulateTransactionRequest.TransactionChecks]
    ENABLED: SimulateTransactionRequest.TransactionChecks
    DISABLED: SimulateTransactionRequest.TransactionChecks
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    READ_MASK_FIELD_NUMBER: _ClassVar[int]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    DO_GAS_SELECTION_FIELD_NUMBER: _ClassVar[int]
    transaction: _transaction_pb2.Transaction
    read_mask: _field_mask_pb2.FieldMask
    checks: SimulateTransactionRequest.TransactionChecks
    do_gas_selection: bool
    def __init__(self, transaction: _Optional[_Union[_transaction_pb2.Transaction, _Mapping]] = ..., read_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., checks: _Optional[_Union[SimulateTransactionRequest.TransactionChecks, str]] = ..., do_gas_selection: _Optional[bool] = ...) -> None: ...

class SimulateTransactionResponse(_message.Message):
    __slots__ = ("transaction", "command_outputs", "suggested_gas_price")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    COMMAND_OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    SUGGESTED_GAS_PRICE_FIELD_NUMBER: _ClassVar[int]
    transaction: _executed_transaction_pb2.ExecutedTransaction
    command_outputs: _containers.RepeatedCompositeFieldContainer[CommandResult]
    suggested_gas_price: int
    def __init__(self, transaction: _Optional[_Union[_executed_transaction_pb2.ExecutedTransaction, _Mapping]] = ..., command_outputs: _Optional[_Iterable[_Union[CommandResult, _Mapping]]] = ..., suggested_gas_price: _Optional[int] = ...) -> None: ...

class CommandResult(_message.Message):
    __slots__ = ("return_values", "mutated_by_ref")
    RETURN_VALUES_FIELD_NUMBER: _ClassVar[int]
    MUTATED_BY_REF_FIELD_NUMBER: _ClassVar[int]
    return_values: _containers.RepeatedCompositeFieldContainer[CommandOutput]
    mutated_by_ref: _containers.RepeatedCompositeFieldContainer[CommandOutput]
    def __init__(self, return_values: _Optional[_Iterable[_Union[CommandOutput, _Mapping]]] = ..., mutated_by_ref: _Optional[_Iterable[_Union[CommandOutput, _Mapping]]] = ...) -> None: ...

class CommandOutput(_message.Message):
    __slots__ = ("argument", "value")
    ARGUMENT_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    argument: _argument_pb2.Argument
    value: _bcs_pb2.Bcs
    def __init__(self, argument: _Optional[_Union[_argument_pb2.Argument, _Mapping]] = ..., value: _Optional[_Union[_bcs_pb2.Bcs, _Mapping]] = ...) -> None: ...
