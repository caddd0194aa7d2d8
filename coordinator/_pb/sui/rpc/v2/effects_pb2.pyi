from coordinator._pb.sui.rpc.v2 import bcs_pb2 as _bcs_pb2
from coordinator._pb.sui.rpc.v2 import owner_pb2 as _owner_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TransactionEffects(_message.Message):
    __slots__ = ("bcs", "digest", "version", "status", "epoch", "gas_used", "transaction_digest", "gas_object", "events_digest", "dependencies", "lamport_version", "changed_objects")
    BCS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    GAS_USED_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_DIGEST_FIELD_NUMBER: _ClassVar[int]
    GAS_OBJECT_FIELD_NUMBER: _ClassVar[int]
    EVENTS_DIGEST_FIELD_NUMBER: _ClassVar[int]
    DEPENDENCIES_FIELD_NUMBER: _ClassVar[int]
    LAMPORT_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGED_OBJECTS_FIELD_NUMBER: _ClassVar[int]
    bcs: _bcs_pb2.Bcs
    digest: str
    version: int
    status: ExecutionStatus
    epoch: int
    gas_used: GasCostSummary
    transaction_digest: str
    gas_object: ChangedObject
    events_digest: str
    dependencies: _containers.RepeatedScalarFieldContainer[str]
    lamport_version: int
    changed_objects: _containers.RepeatedCompositeFieldContainer[ChangedObject]
    def __init__(self, bcs: _Optional[_Union[_bcs_pb2.Bcs, _Mapping]] = ..., digest: _Optional[str] = ..., version: _Optional[int] = ..., status: _Optional[_Union[ExecutionStatus, _Mapping]] = ..., epoch: _Optional[int] = ..., gas_used: _Optional[_Union[GasCostSummary, _Mapping]] = ..., transaction_digest: _Optional[str] = ..., gas_object: _Optional[_Union[ChangedObject, _Mapping]] = ..., events_digest: _Optional[str] = ..., dependencies: _Optional[_Iterable[str]] = ..., lamport_version: _Optional[int] = ..., changed_objects: _Optional[_Iterable[_Union[ChangedObject, _Mapping]]] = ...) -> None: ...

class ChangedObject(_message.Message):
    __slots__ = ("object_id", "input_state", "input_version", "input_digest", "input_owner", "output_state", "output_version", "output_digest", "output_owner", "id_operation", "object_type")
    class InputObjectState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        INPUT_OBJECT_STATE_UNKNOWN: _ClassVar[ChangedObject.InputObjectState]
        INPUT_OBJECT_STATE_DOES_NOT_EXIST: _ClassVar[ChangedObject.InputObjectState]
        INPUT_OBJECT_STATE_EXISTS: _ClassVar[ChangedObject.InputObjectState]
    INPUT_OBJECT_STATE_UNKNOWN: ChangedObject.InputObjectState
    INPUT_OBJECT_STATE_DOES_NOT_EXIST: ChangedObject.InputObjectState
    INPUT_OBJECT_STATE_EXISTS: ChangedObject.InputObjectState
    class OutputObjectState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OUTPUT_OBJECT_STATE_UNKNOWN: _ClassVar[ChangedObject.OutputObjectState]
        OUTPUT_OBJECT_STATE_DOES_NOT_EXIST: _ClassVar[ChangedObject.OutputObjectState]
        OUTPUT_OBJECT_STATE_OBJECT_WRITE: _ClassVar[ChangedObject.OutputObjectState]
        OUTPUT_OBJECT_STATE_PACKAGE_WRITE: _ClassVar[ChangedObject.OutputObjectState]
        OUTPUT_OBJECT_STATE_ACCUMULATOR_WRITE: _ClassVar[ChangedObject.OutputObjectState]
    OUTPUT_OBJECT_STATE_UNKNOWN: ChangedObject.OutputObjectState
    OUTPUT_OBJECT_STATE_DOES_NOT_EXIST: ChangedObject.OutputObjectState
    OUTPUT_OBJECT_STATE_OBJECT_WRITE: ChangedObject.OutputObjectState
    OUTPUT_OBJECT_STATE_PACKAGE_WRITE: ChangedObject.OutputObjectState
    OUTPUT_OBJECT_STATE_ACCUMULATOR_WRITE: ChangedObject.OutputObjectState
    class IdOperation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ID_OPERATION_UNKNOWN: _ClassVar[ChangedObject.IdOperation]
        NONE: _ClassVar[ChangedObject.IdOperation]
        CREATED: _ClassVar[ChangedObject.IdOperation]
        DELETED: _ClassVar[ChangedObject.IdOperation]
    ID_OPERATION_UNKNOWN: ChangedObject.IdOperation
    NONE: ChangedObject.IdOperation
    CREATED: ChangedObject.IdOperation
    DELETED: ChangedObject.IdOperation
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_STATE_FIELD_NUMBER: _ClassVar[int]
    INPUT_VERSION_FIELD_NUMBER: _ClassVar[int]
    INPUT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    INPUT_OWNER_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_STATE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_VERSION_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_OWNER_FIELD_NUMBER: _ClassVar[int]
    ID_OPERATION_FIELD_NUMBER: _ClassVar[int]
    OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    object_id: str
    input_state: ChangedObject.InputObjectState
    input_version: int
    input_digest: str
    input_owner: _owner_pb2.Owner
    output_state: ChangedObject.OutputObjectState
    output_version: int
    output_digest: str
    output_owner: _owner_pb2.Owner
    id_operation: ChangedObject.IdOperation
    object_type: str
    def __init__(self, object_id: _Optional[str] = ..., input_state: _Optional[_Union[ChangedObject.InputObjectState, str]] = ..., input_version: _Optional[int] = ..., input_digest: _Optional[str] = ..., input_owner: _Optional[_Union[_owner_pb2.Owner, _Mapping]] = ..., output_state: _Optional[_Union[ChangedObject.OutputObjectState, str]] = ..., output_version: _Optional[int] = ..., output_digest: _Optional[str] = ..., output_owner: _Optional[_Union[_owner_pb2.Owner, _Mapping]] = ..., id_operation: _Optional[_Union[ChangedObject.IdOperation, str]] = ..., object_type: _Optional[str] = ...) -> None: ...

class GasCostSummary(_message.Message):
    __slots__ = ("computation_cost", "storage_cost", "storage_rebate", "non_refundable_storage_fee")
    COMPUTATION_COST_FIELD_NUMBER: _ClassVar[int]
    STORAGE_COST_FIELD_NUMBER: _ClassVar[int]
    STORAGE_REBATE_FIELD_NUMBER: _ClassVar[int]
    NON_REFUNDABLE_STORAGE_FEE_FIELD_NUMBER: _ClassVar[int]
    computation_cost: int
    storage_cost: int
    storage_rebate: int
    non_refundable_storage_fee: int
    def __init__(self, computation_cost: _Optional[int] = ..., storage_cost: _Optional[int] = ..., storage_rebate: _Optional[int] = ..., non_refundable_storage_fee: _Optional[int] = ...) -> None: ...

class ExecutionStatus(_message.Message):
    __slots__ = ("success", "error")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    success: bool
    error: ExecutionError
    def __init__(self, success: _Optional[bool] = ..., error: _Optional[_Union[ExecutionError, _Mapping]] = ...) -> None: ...

class ExecutionError(_message.Message):
    __slots__ = ("description", "command", "kind", "abort", "object_id", "congested_objects")
    class ExecutionErrorKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        EXECUTION_ERROR_KIND_UNKNOWN: _ClassVar[ExecutionError.ExecutionErrorKind]
        INSUFFICIENT_GAS: _ClassVar[ExecutionError.ExecutionErrorKind]
        INVALID_GAS_OBJECT: _ClassVar[ExecutionError.ExecutionErrorKind]
        INSUFFICIENT_COIN_BALANCE: _ClassVar[ExecutionError.ExecutionErrorKind]
        MOVE_ABORT: _ClassVar[ExecutionError.ExecutionErrorKind]
        FUNCTION_NOT_FOUND: _ClassVar[ExecutionError.ExecutionErrorKind]
        ARITY_MISMATCH: _ClassVar[ExecutionError.ExecutionErrorKind]
        TYPE_ARITY_MISMATCH: _ClassVar[ExecutionError.ExecutionErrorKind]
        COMMAND_ARGUMENT_ERROR: _ClassVar[ExecutionError.ExecutionErrorKind]
        INPUT_OBJECT_DELETED: _ClassVar[ExecutionError.ExecutionErrorKind]
        EXECUTION_CANCELED_DUE_TO_CONSENSUS_OBJECT_CONGESTION: _ClassVar[ExecutionError.ExecutionErrorKind]
    EXECUTION_ERROR_KIND_UNKNOWN: ExecutionError.ExecutionErrorKind
    INSUFFICIENT_GAS: ExecutionError.ExecutionErrorKind
    INVALID_GAS_OBJECT: ExecutionError.ExecutionErrorKind
    INSUFFICIENT_COIN_BALANCE: ExecutionError.ExecutionErrorKind
    MOVE_ABORT: ExecutionError.ExecutionErrorKind
    FUNCTION_NOT_FOUND: ExecutionError.ExecutionErrorKind
    ARITY_MISMATCH: ExecutionError.ExecutionErrorKind
    TYPE_ARITY_MISMATCH: ExecutionError.ExecutionErrorKind
    COMMAND_ARGUMENT_ERROR: ExecutionError.ExecutionErrorKind
    INPUT_OBJECT_DELETED: ExecutionError.ExecutionErrorKind
    EXECUTION_CANCELED_DUE_TO_CONSENSUS_OBJECT_CONGESTION: ExecutionError.ExecutionErrorKind
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ABORT_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    CONGESTED_OBJECTS_FIELD_NUMBER: _ClassVar[int]
    description: str
    command: int
    kind: ExecutionError.ExecutionErrorKind
    abort: MoveAbort
    object_id: str
    congested_objects: CongestedObjects
    def __init__(self, description: _Optional[str] = ..., command: _Optional[int] = ..., kind: _Optional[_Union[ExecutionError.ExecutionErrorKind, str]] = ..., abort: _Optional[_Union[MoveAbort, _Mapping]] = ..., object_id: _Optional[str] = ..., congested_objects: _Optional[_Union[CongestedObjects, _Mapping]] = ...) -> None: ...

class MoveAbort(_message.Message):
    __slots__ = ("abort_code", "location", "clever_error")
    ABORT_CODE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    CLEVER_ERROR_FIELD_NUMBER: _ClassVar[int]
    abort_code: int
    location: MoveLocation
    clever_error: CleverError
    def __init__(self, abort_code: _Optional[int] = ..., location: _Optional[_Union[MoveLocation, _Mapping]] = ..., clever_error: _Optional[_Union[CleverError, _Mapping]] = ...) -> None: ...

class MoveLocation(_message.Message):
    __slots__ = ("package", "module", "function", "instruction", "function_name")
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    MODULE_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTION_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    package: str
    module: str
    function: int
    instruction: int
    function_name: str
    def __init__(self, package: _Optional[str] = ..., module: _Optional[str] = ..., function: _Optional[int] = ..., instruction: _Optional[int] = ..., function_name: _Optional[str] = ...) -> None: ...

class CleverError(_message.Message):
    __slots__ = ("error_code", "line_number", "constant_name", "constant_type", "rendered", "raw")
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    LINE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CONSTANT_NAME_FIELD_NUMBER: _ClassVar[int]
    CONSTANT_TYPE_FIELD_NUMBER: _ClassVar[int]
    RENDERED_FIELD_NUMBER: _ClassVar[int]
    RAW_FIELD_NUMBER: _ClassVar[int]
    error_code: int
    line_number: int
    constant_name: str
    constant_type: str
    rendered: str
    raw: bytes
    def __init__(self, error_code: _Optional[int] = ..., line_number: _Optional[int] = ..., constant_name: _Optional[str] = ..., constant_type: _Optional[str] = ..., rendered: _Optional[str] = ..., raw: _Optional[bytes] = ...) -> None: ...

class CongestedObjects(_message.Message):
    __slots__ = ("objects",)
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    objects: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, objects: _Optional[_Iterable[str]] = ...) -> None: ...
