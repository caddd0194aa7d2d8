from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LogLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOG_LEVEL_UNSPECIFIED: _ClassVar[LogLevel]
    LOG_LEVEL_DEBUG: _ClassVar[LogLevel]
    LOG_LEVEL_INFO: _ClassVar[LogLevel]
    LOG_LEVEL_WARN: _ClassVar[LogLevel]
    LOG_LEVEL_ERROR: _ClassVar[LogLevel]
    LOG_LEVEL_FATAL: _ClassVar[LogLevel]

class ProofEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROOF_EVENT_TYPE_UNSPECIFIED: _ClassVar[ProofEventType]
    PROOF_SUBMITTED: _ClassVar[ProofEventType]
    PROOF_FETCHED: _ClassVar[ProofEventType]
    PROOF_VERIFIED: _ClassVar[ProofEventType]
    PROOF_UNAVAILABLE: _ClassVar[ProofEventType]
    PROOF_REJECTED: _ClassVar[ProofEventType]
LOG_LEVEL_UNSPECIFIED: LogLevel
LOG_LEVEL_DEBUG: LogLevel
LOG_LEVEL_INFO: LogLevel
LOG_LEVEL_WARN: LogLevel
LOG_LEVEL_ERROR: LogLevel
LOG_LEVEL_FATAL: LogLevel
PROOF_EVENT_TYPE_UNSPECIFIED: ProofEventType
PROOF_SUBMITTED: ProofEventType
PROOF_FETCHED: ProofEventType
PROOF_VERIFIED: ProofEventType
PROOF_UNAVAILABLE: ProofEventType
PROOF_REJECTED: ProofEventType

class Job(_message.Message):
    __slots__ = ("job_sequence", "description", "developer", "agent", "agent_method", "app", "app_instance", "app_instance_method", "block_number", "sequences", "sequences1", "sequences2", "data", "job_id", "attempts", "created_at", "updated_at", "chain")
    JOB_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEVELOPER_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    AGENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    APP_FIELD_NUMBER: _ClassVar[int]
    APP_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    APP_INSTANCE_METHOD_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    SEQUENCES1_FIELD_NUMBER: _ClassVar[int]
    SEQUENCES2_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    job_sequence: int
    description: str
    developer: str
    agent: str
    agent_method: str
    app: str
    app_instance: str
    app_instance_method: str
    block_number: int
    sequences: _containers.RepeatedScalarFieldContainer[int]
    sequences1: _containers.RepeatedScalarFieldContainer[int]
    sequences2: _containers.RepeatedScalarFieldContainer[int]
    data: bytes
    job_id: str
    attempts: int
    created_at: int
    updated_at: int
    chain: str
    def __init__(self, job_sequence: _Optional[int] = ..., description: _Optional[str] = ..., developer: _Optional[str] = ..., agent: _Optional[str] = ..., agent_method: _Optional[str] = ..., app: _Optional[str] = ..., app_instance: _Optional[str] = ..., app_instance_method: _Optional[str] = ..., block_number: _Optional[int] = ..., sequences: _Optional[_Iterable[int]] = ..., sequences1: _Optional[_Iterable[int]] = ..., sequences2: _Optional[_Iterable[int]] = ..., data: _Optional[bytes] = ..., job_id: _Optional[str] = ..., attempts: _Optional[int] = ..., created_at: _Optional[int] = ..., updated_at: _Optional[int] = ..., chain: _Optional[str] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("developer", "agent", "agent_method", "session_id")
    DEVELOPER_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    AGENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    developer: str
    agent: str
    agent_method: str
    session_id: str
    def __init__(self, developer: _Optional[str] = ..., agent: _Optional[str] = ..., agent_method: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class GetJobResponse(_message.Message):
    __slots__ = ("success", "message", "job")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    job: Job
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class CompleteJobRequest(_message.Message):
    __slots__ = ("job_id", "session_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class CompleteJobResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class FailJobRequest(_message.Message):
    __slots__ = ("job_id", "error_message", "session_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    error_message: str
    session_id: str
    def __init__(self, job_id: _Optional[str] = ..., error_message: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class FailJobResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class TerminateJobRequest(_message.Message):
    __slots__ = ("session_id", "job_id")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    job_id: str
    def __init__(self, session_id: _Optional[str] = ..., job_id: _Optional[str] = ...) -> None: ...

class TerminateJobResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class SubmitProofRequest(_message.Message):
    __slots__ = ("session_id", "block_number", "sequences", "merged_sequences_1", "merged_sequences_2", "job_id", "proof", "cpu_time")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    MERGED_SEQUENCES_1_FIELD_NUMBER: _ClassVar[int]
    MERGED_SEQUENCES_2_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    CPU_TIME_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    block_number: int
    sequences: _containers.RepeatedScalarFieldContainer[int]
    merged_sequences_1: _containers.RepeatedScalarFieldContainer[int]
    merged_sequences_2: _containers.RepeatedScalarFieldContainer[int]
    job_id: str
    proof: str
    cpu_time: int
    def __init__(self, session_id: _Optional[str] = ..., block_number: _Optional[int] = ..., sequences: _Optional[_Iterable[int]] = ..., merged_sequences_1: _Optional[_Iterable[int]] = ..., merged_sequences_2: _Optional[_Iterable[int]] = ..., job_id: _Optional[str] = ..., proof: _Optional[str] = ..., cpu_time: _Optional[int] = ...) -> None: ...

class SubmitProofResponse(_message.Message):
    __slots__ = ("success", "message", "tx_hash", "da_hash")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    DA_HASH_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    tx_hash: str
    da_hash: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., tx_hash: _Optional[str] = ..., da_hash: _Optional[str] = ...) -> None: ...

class RejectProofRequest(_message.Message):
    __slots__ = ("session_id", "block_number", "sequences", "job_id")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    block_number: int
    sequences: _containers.RepeatedScalarFieldContainer[int]
    job_id: str
    def __init__(self, session_id: _Optional[str] = ..., block_number: _Optional[int] = ..., sequences: _Optional[_Iterable[int]] = ..., job_id: _Optional[str] = ...) -> None: ...

class RejectProofResponse(_message.Message):
    __slots__ = ("success", "message", "tx_hash")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    tx_hash: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., tx_hash: _Optional[str] = ...) -> None: ...

class SubmitStateRequest(_message.Message):
    __slots__ = ("session_id", "sequence", "job_id", "new_state_data", "serialized_state")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_STATE_DATA_FIELD_NUMBER: _ClassVar[int]
    SERIALIZED_STATE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    sequence: int
    job_id: str
    new_state_data: bytes
    serialized_state: str
    def __init__(self, session_id: _Optional[str] = ..., sequence: _Optional[int] = ..., job_id: _Optional[str] = ..., new_state_data: _Optional[bytes] = ..., serialized_state: _Optional[str] = ...) -> None: ...

class SubmitStateResponse(_message.Message):
    __slots__ = ("success", "message", "tx_hash", "da_hash")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    DA_HASH_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    tx_hash: str
    da_hash: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., tx_hash: _Optional[str] = ..., da_hash: _Optional[str] = ...) -> None: ...

class SequenceState(_message.Message):
    __slots__ = ("sequence", "state", "data_availability", "optimistic_state", "transition_data")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DATA_AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    OPTIMISTIC_STATE_FIELD_NUMBER: _ClassVar[int]
    TRANSITION_DATA_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    state: bytes
    data_availability: str
    optimistic_state: bytes
    transition_data: bytes
    def __init__(self, sequence: _Optional[int] = ..., state: _Optional[bytes] = ..., data_availability: _Optional[str] = ..., optimistic_state: _Optional[bytes] = ..., transition_data: _Optional[bytes] = ...) -> None: ...

class GetSequenceStatesRequest(_message.Message):
    __slots__ = ("session_id", "job_id", "sequence")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    job_id: str
    sequence: int
    def __init__(self, session_id: _Optional[str] = ..., job_id: _Optional[str] = ..., sequence: _Optional[int] = ...) -> None: ...

class GetSequenceStatesResponse(_message.Message):
    __slots__ = ("success", "message", "states")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    states: _containers.RepeatedCompositeFieldContainer[SequenceState]
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., states: _Optional[_Iterable[_Union[SequenceState, _Mapping]]] = ...) -> None: ...

class ReadDataAvailabilityRequest(_message.Message):
    __slots__ = ("da_hash", "session_id")
    DA_HASH_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    da_hash: str
    session_id: str
    def __init__(self, da_hash: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class ReadDataAvailabilityResponse(_message.Message):
    __slots__ = ("data", "success", "message")
    DATA_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    data: str
    success: bool
    message: str
    def __init__(self, data: _Optional[str] = ..., success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class GetProofRequest(_message.Message):
    __slots__ = ("session_id", "block_number", "sequences", "job_id")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    block_number: int
    sequences: _containers.RepeatedScalarFieldContainer[int]
    job_id: str
    def __init__(self, session_id: _Optional[str] = ..., block_number: _Optional[int] = ..., sequences: _Optional[_Iterable[int]] = ..., job_id: _Optional[str] = ...) -> None: ...

class GetProofResponse(_message.Message):
    __slots__ = ("success", "proof", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    proof: str
    message: str
    def __init__(self, success: _Optional[bool] = ..., proof: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class GetBlockProofRequest(_message.Message):
    __slots__ = ("session_id", "block_number", "job_id")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    block_number: int
    job_id: str
    def __init__(self, session_id: _Optional[str] = ..., block_number: _Optional[int] = ..., job_id: _Optional[str] = ...) -> None: ...

class GetBlockProofResponse(_message.Message):
    __slots__ = ("success", "block_proof", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_PROOF_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    block_proof: str
    message: str
    def __init__(self, success: _Optional[bool] = ..., block_proof: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class GetSettlementProofRequest(_message.Message):
    __slots__ = ("session_id", "block_number", "job_id", "settlement_chain")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_CHAIN_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    block_number: int
    job_id: str
    settlement_chain: str
    def __init__(self, session_id: _Optional[str] = ..., block_number: _Optional[int] = ..., job_id: _Optional[str] = ..., settlement_chain: _Optional[str] = ...) -> None: ...

class GetSettlementProofResponse(_message.Message):
    __slots__ = ("success", "message", "proof")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    proof: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., proof: _Optional[str] = ...) -> None: ...

class SubmitSettlementProofRequest(_message.Message):
    __slots__ = ("session_id", "block_number", "job_id", "proof", "cpu_time", "chain")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    CPU_TIME_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    block_number: int
    job_id: str
    proof: str
    cpu_time: int
    chain: str
    def __init__(self, session_id: _Optional[str] = ..., block_number: _Optional[int] = ..., job_id: _Optional[str] = ..., proof: _Optional[str] = ..., cpu_time: _Optional[int] = ..., chain: _Optional[str] = ...) -> None: ...

class SubmitSettlementProofResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class RetrieveSecretRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "name")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    name: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class RetrieveSecretResponse(_message.Message):
    __slots__ = ("success", "message", "secret_value")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SECRET_VALUE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    secret_value: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., secret_value: _Optional[str] = ...) -> None: ...

class SetKVRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "key", "value")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    key: str
    value: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class SetKVResponse(_message.Message):
    __slots__ = ("success", "message", "tx_hash")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    tx_hash: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., tx_hash: _Optional[str] = ...) -> None: ...

class GetKVRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "key")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    key: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class GetKVResponse(_message.Message):
    __slots__ = ("success", "message", "value")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    value: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class DeleteKVRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "key")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    key: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class DeleteKVResponse(_message.Message):
    __slots__ = ("success", "message", "tx_hash")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    tx_hash: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., tx_hash: _Optional[str] = ...) -> None: ...

class AddMetadataRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "key", "value")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    key: str
    value: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class AddMetadataResponse(_message.Message):
    __slots__ = ("success", "message", "tx_hash")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    tx_hash: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., tx_hash: _Optional[str] = ...) -> None: ...

class GetMetadataRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "key")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    key: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class SettlementInfo(_message.Message):
    __slots__ = ("chain", "last_settled_block_number", "settlement_address", "settlement_job")
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    LAST_SETTLED_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_JOB_FIELD_NUMBER: _ClassVar[int]
    chain: str
    last_settled_block_number: int
    settlement_address: str
    settlement_job: int
    def __init__(self, chain: _Optional[str] = ..., last_settled_block_number: _Optional[int] = ..., settlement_address: _Optional[str] = ..., settlement_job: _Optional[int] = ...) -> None: ...

class Metadata(_message.Message):
    __slots__ = ("value", "app_instance_id", "silvana_app_name", "description", "sequence", "admin", "block_number", "previous_block_timestamp", "previous_block_last_sequence", "last_proved_block_number", "is_paused", "created_at", "updated_at", "settlements")
    class SettlementsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: SettlementInfo
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[SettlementInfo, _Mapping]] = ...) -> None: ...
    VALUE_FIELD_NUMBER: _ClassVar[int]
    APP_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    SILVANA_APP_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ADMIN_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_BLOCK_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_BLOCK_LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LAST_PROVED_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    IS_PAUSED_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENTS_FIELD_NUMBER: _ClassVar[int]
    value: str
    app_instance_id: str
    silvana_app_name: str
    description: str
    sequence: int
    admin: str
    block_number: int
    previous_block_timestamp: int
    previous_block_last_sequence: int
    last_proved_block_number: int
    is_paused: bool
    created_at: int
    updated_at: int
    settlements: _containers.MessageMap[str, SettlementInfo]
    def __init__(self, value: _Optional[str] = ..., app_instance_id: _Optional[str] = ..., silvana_app_name: _Optional[str] = ..., description: _Optional[str] = ..., sequence: _Optional[int] = ..., admin: _Optional[str] = ..., block_number: _Optional[int] = ..., previous_block_timestamp: _Optional[int] = ..., previous_block_last_sequence: _Optional[int] = ..., last_proved_block_number: _Optional[int] = ..., is_paused: _Optional[bool] = ..., created_at: _Optional[int] = ..., updated_at: _Optional[int] = ..., settlements: _Optional[_Mapping[str, SettlementInfo]] = ...) -> None: ...

class GetMetadataResponse(_message.Message):
    __slots__ = ("success", "message", "metadata")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    metadata: Metadata
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., metadata: _Optional[_Union[Metadata, _Mapping]] = ...) -> None: ...

class TryCreateBlockRequest(_message.Message):
    __slots__ = ("job_id", "session_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class TryCreateBlockResponse(_message.Message):
    __slots__ = ("success", "message", "tx_hash", "block_number")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    tx_hash: str
    block_number: int
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., tx_hash: _Optional[str] = ..., block_number: _Optional[int] = ...) -> None: ...

class UpdateBlockStateDataAvailabilityRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "block_number", "state_data_availability")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATE_DATA_AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    block_number: int
    state_data_availability: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., block_number: _Optional[int] = ..., state_data_availability: _Optional[str] = ...) -> None: ...

class UpdateBlockStateDataAvailabilityResponse(_message.Message):
    __slots__ = ("success", "message", "tx_hash")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    tx_hash: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., tx_hash: _Optional[str] = ...) -> None: ...

class UpdateBlockProofDataAvailabilityRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "block_number", "proof_data_availability")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PROOF_DATA_AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    block_number: int
    proof_data_availability: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., block_number: _Optional[int] = ..., proof_data_availability: _Optional[str] = ...) -> None: ...

class UpdateBlockProofDataAvailabilityResponse(_message.Message):
    __slots__ = ("success", "message", "tx_hash")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    tx_hash: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., tx_hash: _Optional[str] = ...) -> None: ...

class UpdateBlockSettlementTxHashRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "block_number", "settlement_tx_hash", "chain")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_TX_HASH_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    block_number: int
    settlement_tx_hash: str
    chain: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., block_number: _Optional[int] = ..., settlement_tx_hash: _Optional[str] = ..., chain: _Optional[str] = ...) -> None: ...

class UpdateBlockSettlementTxHashResponse(_message.Message):
    __slots__ = ("success", "message", "tx_hash")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    tx_hash: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., tx_hash: _Optional[str] = ...) -> None: ...

class UpdateBlockSettlementTxIncludedInBlockRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "block_number", "settled_at", "chain")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SETTLED_AT_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    block_number: int
    settled_at: int
    chain: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., block_number: _Optional[int] = ..., settled_at: _Optional[int] = ..., chain: _Optional[str] = ...) -> None: ...

class UpdateBlockSettlementTxIncludedInBlockResponse(_message.Message):
    __slots__ = ("success", "message", "tx_hash")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    tx_hash: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., tx_hash: _Optional[str] = ...) -> None: ...

class AgentMessageRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "level", "message")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    level: LogLevel
    message: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., level: _Optional[_Union[LogLevel, str]] = ..., message: _Optional[str] = ...) -> None: ...

class AgentMessageResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class ProofEventRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "data_availability", "block_number", "block_proof", "proof_event_type", "sequences", "merged_sequences_1", "merged_sequences_2")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    BLOCK_PROOF_FIELD_NUMBER: _ClassVar[int]
    PROOF_EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    MERGED_SEQUENCES_1_FIELD_NUMBER: _ClassVar[int]
    MERGED_SEQUENCES_2_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    data_availability: str
    block_number: int
    block_proof: bool
    proof_event_type: ProofEventType
    sequences: _containers.RepeatedScalarFieldContainer[int]
    merged_sequences_1: _containers.RepeatedScalarFieldContainer[int]
    merged_sequences_2: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., data_availability: _Optional[str] = ..., block_number: _Optional[int] = ..., block_proof: _Optional[bool] = ..., proof_event_type: _Optional[_Union[ProofEventType, str]] = ..., sequences: _Optional[_Iterable[int]] = ..., merged_sequences_1: _Optional[_Iterable[int]] = ..., merged_sequences_2: _Optional[_Iterable[int]] = ...) -> None: ...

class ProofEventResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class CreateAppJobRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "method_name", "job_description", "block_number", "sequences", "sequences1", "sequences2", "data", "interval_ms", "next_scheduled_at", "settlement_chain")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_NAME_FIELD_NUMBER: _ClassVar[int]
    JOB_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    SEQUENCES1_FIELD_NUMBER: _ClassVar[int]
    SEQUENCES2_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    NEXT_SCHEDULED_AT_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_CHAIN_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    method_name: str
    job_description: str
    block_number: int
    sequences: _containers.RepeatedScalarFieldContainer[int]
    sequences1: _containers.RepeatedScalarFieldContainer[int]
    sequences2: _containers.RepeatedScalarFieldContainer[int]
    data: bytes
    interval_ms: int
    next_scheduled_at: int
    settlement_chain: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., method_name: _Optional[str] = ..., job_description: _Optional[str] = ..., block_number: _Optional[int] = ..., sequences: _Optional[_Iterable[int]] = ..., sequences1: _Optional[_Iterable[int]] = ..., sequences2: _Optional[_Iterable[int]] = ..., data: _Optional[bytes] = ..., interval_ms: _Optional[int] = ..., next_scheduled_at: _Optional[int] = ..., settlement_chain: _Optional[str] = ...) -> None: ...

class CreateAppJobResponse(_message.Message):
    __slots__ = ("success", "message", "tx_hash", "job_sequence")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    JOB_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    tx_hash: str
    job_sequence: int
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., tx_hash: _Optional[str] = ..., job_sequence: _Optional[int] = ...) -> None: ...

class Block(_message.Message):
    __slots__ = ("id", "name", "block_number", "start_sequence", "end_sequence", "actions_commitment", "state_commitment", "time_since_last_block", "number_of_transactions", "start_actions_commitment", "end_actions_commitment", "state_data_availability", "proof_data_availability", "created_at", "state_calculated_at", "proved_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    START_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    END_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_COMMITMENT_FIELD_NUMBER: _ClassVar[int]
    STATE_COMMITMENT_FIELD_NUMBER: _ClassVar[int]
    TIME_SINCE_LAST_BLOCK_FIELD_NUMBER: _ClassVar[int]
    NUMBER_OF_TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    START_ACTIONS_COMMITMENT_FIELD_NUMBER: _ClassVar[int]
    END_ACTIONS_COMMITMENT_FIELD_NUMBER: _ClassVar[int]
    STATE_DATA_AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    PROOF_DATA_AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STATE_CALCULATED_AT_FIELD_NUMBER: _ClassVar[int]
    PROVED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    block_number: int
    start_sequence: int
    end_sequence: int
    actions_commitment: bytes
    state_commitment: bytes
    time_since_last_block: int
    number_of_transactions: int
    start_actions_commitment: bytes
    end_actions_commitment: bytes
    state_data_availability: str
    proof_data_availability: str
    created_at: int
    state_calculated_at: int
    proved_at: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., block_number: _Optional[int] = ..., start_sequence: _Optional[int] = ..., end_sequence: _Optional[int] = ..., actions_commitment: _Optional[bytes] = ..., state_commitment: _Optional[bytes] = ..., time_since_last_block: _Optional[int] = ..., number_of_transactions: _Optional[int] = ..., start_actions_commitment: _Optional[bytes] = ..., end_actions_commitment: _Optional[bytes] = ..., state_data_availability: _Optional[str] = ..., proof_data_availability: _Optional[str] = ..., created_at: _Optional[int] = ..., state_calculated_at: _Optional[int] = ..., proved_at: _Optional[int] = ...) -> None: ...

class GetBlockRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "block_number")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    block_number: int
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., block_number: _Optional[int] = ...) -> None: ...

class GetBlockResponse(_message.Message):
    __slots__ = ("success", "message", "block")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    block: Block
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., block: _Optional[_Union[Block, _Mapping]] = ...) -> None: ...

class BlockSettlement(_message.Message):
    __slots__ = ("block_number", "settlement_tx_hash", "settlement_tx_included_in_block", "sent_to_settlement_at", "settled_at")
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_TX_HASH_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_TX_INCLUDED_IN_BLOCK_FIELD_NUMBER: _ClassVar[int]
    SENT_TO_SETTLEMENT_AT_FIELD_NUMBER: _ClassVar[int]
    SETTLED_AT_FIELD_NUMBER: _ClassVar[int]
    block_number: int
    settlement_tx_hash: str
    settlement_tx_included_in_block: bool
    sent_to_settlement_at: int
    settled_at: int
    def __init__(self, block_number: _Optional[int] = ..., settlement_tx_hash: _Optional[str] = ..., settlement_tx_included_in_block: _Optional[bool] = ..., sent_to_settlement_at: _Optional[int] = ..., settled_at: _Optional[int] = ...) -> None: ...

class GetBlockSettlementRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "block_number", "chain")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    block_number: int
    chain: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., block_number: _Optional[int] = ..., chain: _Optional[str] = ...) -> None: ...

class GetBlockSettlementResponse(_message.Message):
    __slots__ = ("success", "message", "block_settlement", "chain")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    BLOCK_SETTLEMENT_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    block_settlement: BlockSettlement
    chain: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., block_settlement: _Optional[_Union[BlockSettlement, _Mapping]] = ..., chain: _Optional[str] = ...) -> None: ...

class UpdateBlockSettlementRequest(_message.Message):
    __slots__ = ("job_id", "session_id", "block_number", "chain", "settlement_tx_hash", "settlement_tx_included_in_block", "sent_to_settlement_at", "settled_at")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_TX_HASH_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_TX_INCLUDED_IN_BLOCK_FIELD_NUMBER: _ClassVar[int]
    SENT_TO_SETTLEMENT_AT_FIELD_NUMBER: _ClassVar[int]
    SETTLED_AT_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    block_number: int
    chain: str
    settlement_tx_hash: str
    settlement_tx_included_in_block: bool
    sent_to_settlement_at: int
    settled_at: int
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ..., block_number: _Optional[int] = ..., chain: _Optional[str] = ..., settlement_tx_hash: _Optional[str] = ..., settlement_tx_included_in_block: _Optional[bool] = ..., sent_to_settlement_at: _Optional[int] = ..., settled_at: _Optional[int] = ...) -> None: ...

class UpdateBlockSettlementResponse(_message.Message):
    __slots__ = ("success", "message", "tx_hash")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    tx_hash: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., tx_hash: _Optional[str] = ...) -> None: ...

class AppMethod(_message.Message):
    __slots__ = ("description", "developer", "agent", "agent_method")
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEVELOPER_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    AGENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    description: str
    developer: str
    agent: str
    agent_method: str
    def __init__(self, description: _Optional[str] = ..., developer: _Optional[str] = ..., agent: _Optional[str] = ..., agent_method: _Optional[str] = ...) -> None: ...

class AppInstanceData(_message.Message):
    __slots__ = ("id", "silvana_app_name", "description", "metadata", "kv", "methods", "sequence", "admin", "block_number", "previous_block_timestamp", "previous_block_last_sequence", "last_proved_block_number", "last_settled_block_number", "last_settled_sequence", "last_purged_sequence", "settlements", "is_paused", "min_time_between_blocks", "created_at", "updated_at")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class KvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class MethodsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: AppMethod
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[AppMethod, _Mapping]] = ...) -> None: ...
    class SettlementsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: SettlementInfo
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[SettlementInfo, _Mapping]] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    SILVANA_APP_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    KV_FIELD_NUMBER: _ClassVar[int]
    METHODS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ADMIN_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_BLOCK_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_BLOCK_LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LAST_PROVED_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    LAST_SETTLED_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    LAST_SETTLED_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LAST_PURGED_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENTS_FIELD_NUMBER: _ClassVar[int]
    IS_PAUSED_FIELD_NUMBER: _ClassVar[int]
    MIN_TIME_BETWEEN_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    silvana_app_name: str
    description: str
    metadata: _containers.ScalarMap[str, str]
    kv: _containers.ScalarMap[str, str]
    methods: _containers.MessageMap[str, AppMethod]
    sequence: int
    admin: str
    block_number: int
    previous_block_timestamp: int
    previous_block_last_sequence: int
    last_proved_block_number: int
    last_settled_block_number: int
    last_settled_sequence: int
    last_purged_sequence: int
    settlements: _containers.MessageMap[str, SettlementInfo]
    is_paused: bool
    min_time_between_blocks: int
    created_at: int
    updated_at: int
    def __init__(self, id: _Optional[str] = ..., silvana_app_name: _Optional[str] = ..., description: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., kv: _Optional[_Mapping[str, str]] = ..., methods: _Optional[_Mapping[str, AppMethod]] = ..., sequence: _Optional[int] = ..., admin: _Optional[str] = ..., block_number: _Optional[int] = ..., previous_block_timestamp: _Optional[int] = ..., previous_block_last_sequence: _Optional[int] = ..., last_proved_block_number: _Optional[int] = ..., last_settled_block_number: _Optional[int] = ..., last_settled_sequence: _Optional[int] = ..., last_purged_sequence: _Optional[int] = ..., settlements: _Optional[_Mapping[str, SettlementInfo]] = ..., is_paused: _Optional[bool] = ..., min_time_between_blocks: _Optional[int] = ..., created_at: _Optional[int] = ..., updated_at: _Optional[int] = ...) -> None: ...

class GetAppInstanceRequest(_message.Message):
    __slots__ = ("job_id", "session_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    session_id: str
    def __init__(self, job_id: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class GetAppInstanceResponse(_message.Message):
    __slots__ = ("success", "message", "app_instance")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    APP_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    app_instance: AppInstanceData
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., app_instance: _Optional[_Union[AppInstanceData, _Mapping]] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ("instance_id", "uptime_secs", "connection", "cursor", "has_cursor", "chain_tip", "jobs_by_state", "events_by_type", "registry_size", "running", "recent_outcomes", "waiting", "malformed_events", "duplicate_events", "docker_state", "backfill_from", "backfill_to", "backfilling", "draining", "settlement", "state_disk_full", "state_disk_full_secs", "mode", "package", "reconcile", "agent_messages", "pipeline", "proof_events", "pipeline_attribution", "prepulls", "shares")
    class JobsByStateEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class EventsByTypeEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    UPTIME_SECS_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    HAS_CURSOR_FIELD_NUMBER: _ClassVar[int]
    CHAIN_TIP_FIELD_NUMBER: _ClassVar[int]
    JOBS_BY_STATE_FIELD_NUMBER: _ClassVar[int]
    EVENTS_BY_TYPE_FIELD_NUMBER: _ClassVar[int]
    REGISTRY_SIZE_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    RECENT_OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    WAITING_FIELD_NUMBER: _ClassVar[int]
    MALFORMED_EVENTS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_EVENTS_FIELD_NUMBER: _ClassVar[int]
    DOCKER_STATE_FIELD_NUMBER: _ClassVar[int]
    BACKFILL_FROM_FIELD_NUMBER: _ClassVar[int]
    BACKFILL_TO_FIELD_NUMBER: _ClassVar[int]
    BACKFILLING_FIELD_NUMBER: _ClassVar[int]
    DRAINING_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_FIELD_NUMBER: _ClassVar[int]
    STATE_DISK_FULL_FIELD_NUMBER: _ClassVar[int]
    STATE_DISK_FULL_SECS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    RECONCILE_FIELD_NUMBER: _ClassVar[int]
    AGENT_MESSAGES_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    PROOF_EVENTS_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_ATTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    PREPULLS_FIELD_NUMBER: _ClassVar[int]
    SHARES_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    uptime_secs: float
    connection: SuiConnection
    cursor: int
    has_cursor: bool
    chain_tip: int
    jobs_by_state: _containers.ScalarMap[str, int]
    events_by_type: _containers.ScalarMap[str, int]
    registry_size: int
    running: _containers.RepeatedCompositeFieldContainer[RunningContainer]
    recent_outcomes: _containers.RepeatedCompositeFieldContainer[JobOutcome]
    waiting: _containers.RepeatedCompositeFieldContainer[WaitingKey]
    malformed_events: int
    duplicate_events: int
    docker_state: str
    backfill_from: int
    backfill_to: int
    backfilling: bool
    draining: bool
    settlement: Settlement
    state_disk_full: bool
    state_disk_full_secs: float
    mode: str
    package: PackageStatus
    reconcile: ReconcileStatus
    agent_messages: _containers.RepeatedCompositeFieldContainer[AgentNote]
    pipeline: _containers.RepeatedCompositeFieldContainer[AppInstancePipeline]
    proof_events: _containers.RepeatedCompositeFieldContainer[AppInstanceProofEvents]
    pipeline_attribution: PipelineAttribution
    prepulls: _containers.RepeatedCompositeFieldContainer[ImagePrepull]
    shares: SharesStatus
    def __init__(self, instance_id: _Optional[str] = ..., uptime_secs: _Optional[float] = ..., connection: _Optional[_Union[SuiConnection, _Mapping]] = ..., cursor: _Optional[int] = ..., has_cursor: _Optional[bool] = ..., chain_tip: _Optional[int] = ..., jobs_by_state: _Optional[_Mapping[str, int]] = ..., events_by_type: _Optional[_Mapping[str, int]] = ..., registry_size: _Optional[int] = ..., running: _Optional[_Iterable[_Union[RunningContainer, _Mapping]]] = ..., recent_outcomes: _Optional[_Iterable[_Union[JobOutcome, _Mapping]]] = ..., waiting: _Optional[_Iterable[_Union[WaitingKey, _Mapping]]] = ..., malformed_events: _Optional[int] = ..., duplicate_events: _Optional[int] = ..., docker_state: _Optional[str] = ..., backfill_from: _Optional[int] = ..., backfill_to: _Optional[int] = ..., backfilling: _Optional[bool] = ..., draining: _Optional[bool] = ..., settlement: _Optional[_Union[Settlement, _Mapping]] = ..., state_disk_full: _Optional[bool] = ..., state_disk_full_secs: _Optional[float] = ..., mode: _Optional[str] = ..., package: _Optional[_Union[PackageStatus, _Mapping]] = ..., reconcile: _Optional[_Union[ReconcileStatus, _Mapping]] = ..., agent_messages: _Optional[_Iterable[_Union[AgentNote, _Mapping]]] = ..., pipeline: _Optional[_Iterable[_Union[AppInstancePipeline, _Mapping]]] = ..., proof_events: _Optional[_Iterable[_Union[AppInstanceProofEvents, _Mapping]]] = ..., pipeline_attribution: _Optional[_Union[PipelineAttribution, _Mapping]] = ..., prepulls: _Optional[_Iterable[_Union[ImagePrepull, _Mapping]]] = ..., shares: _Optional[_Union[SharesStatus, _Mapping]] = ...) -> None: ...

class AppInstanceProofEvents(_message.Message):
    __slots__ = ("app_instance", "kinds", "recent")
    class KindsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    APP_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    RECENT_FIELD_NUMBER: _ClassVar[int]
    app_instance: str
    kinds: _containers.ScalarMap[str, int]
    recent: _containers.RepeatedCompositeFieldContainer[ProofEventNote]
    def __init__(self, app_instance: _Optional[str] = ..., kinds: _Optional[_Mapping[str, int]] = ..., recent: _Optional[_Iterable[_Union[ProofEventNote, _Mapping]]] = ...) -> None: ...

class ProofEventNote(_message.Message):
    __slots__ = ("age_secs", "kind", "job_id", "block_number", "sequences", "settlement_chain")
    AGE_SECS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_CHAIN_FIELD_NUMBER: _ClassVar[int]
    age_secs: float
    kind: str
    job_id: int
    block_number: int
    sequences: _containers.RepeatedScalarFieldContainer[int]
    settlement_chain: str
    def __init__(self, age_secs: _Optional[float] = ..., kind: _Optional[str] = ..., job_id: _Optional[int] = ..., block_number: _Optional[int] = ..., sequences: _Optional[_Iterable[int]] = ..., settlement_chain: _Optional[str] = ...) -> None: ...

class PipelineAttribution(_message.Message):
    __slots__ = ("enabled", "attributed", "unattributed", "failed", "queued")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTED_FIELD_NUMBER: _ClassVar[int]
    UNATTRIBUTED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    attributed: int
    unattributed: int
    failed: int
    queued: int
    def __init__(self, enabled: _Optional[bool] = ..., attributed: _Optional[int] = ..., unattributed: _Optional[int] = ..., failed: _Optional[int] = ..., queued: _Optional[int] = ...) -> None: ...

class ImagePrepull(_message.Message):
    __slots__ = ("image", "state", "bytes_done", "bytes_total", "error", "methods")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    BYTES_DONE_FIELD_NUMBER: _ClassVar[int]
    BYTES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    METHODS_FIELD_NUMBER: _ClassVar[int]
    image: str
    state: str
    bytes_done: int
    bytes_total: int
    error: str
    methods: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, image: _Optional[str] = ..., state: _Optional[str] = ..., bytes_done: _Optional[int] = ..., bytes_total: _Optional[int] = ..., error: _Optional[str] = ..., methods: _Optional[_Iterable[str]] = ...) -> None: ...

class SharesStatus(_message.Message):
    __slots__ = ("steal_after_ms", "jobs_own", "jobs_stolen", "app_instances")
    STEAL_AFTER_MS_FIELD_NUMBER: _ClassVar[int]
    JOBS_OWN_FIELD_NUMBER: _ClassVar[int]
    JOBS_STOLEN_FIELD_NUMBER: _ClassVar[int]
    APP_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    steal_after_ms: int
    jobs_own: int
    jobs_stolen: int
    app_instances: _containers.RepeatedCompositeFieldContainer[SharesPeers]
    def __init__(self, steal_after_ms: _Optional[int] = ..., jobs_own: _Optional[int] = ..., jobs_stolen: _Optional[int] = ..., app_instances: _Optional[_Iterable[_Union[SharesPeers, _Mapping]]] = ...) -> None: ...

class SharesPeers(_message.Message):
    __slots__ = ("app_instance", "peers")
    APP_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    PEERS_FIELD_NUMBER: _ClassVar[int]
    app_instance: str
    peers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, app_instance: _Optional[str] = ..., peers: _Optional[_Iterable[str]] = ...) -> None: ...

class AppInstancePipeline(_message.Message):
    __slots__ = ("app_instance", "proofs_submitted", "proofs_rejected", "merges_created", "merges_completed", "blocks_created", "blocks_proved", "blocks_settled", "last_block", "last_settled_block", "last_event_age_secs")
    APP_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    PROOFS_SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    PROOFS_REJECTED_FIELD_NUMBER: _ClassVar[int]
    MERGES_CREATED_FIELD_NUMBER: _ClassVar[int]
    MERGES_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    BLOCKS_CREATED_FIELD_NUMBER: _ClassVar[int]
    BLOCKS_PROVED_FIELD_NUMBER: _ClassVar[int]
    BLOCKS_SETTLED_FIELD_NUMBER: _ClassVar[int]
    LAST_BLOCK_FIELD_NUMBER: _ClassVar[int]
    LAST_SETTLED_BLOCK_FIELD_NUMBER: _ClassVar[int]
    LAST_EVENT_AGE_SECS_FIELD_NUMBER: _ClassVar[int]
    app_instance: str
    proofs_submitted: int
    proofs_rejected: int
    merges_created: int
    merges_completed: int
    blocks_created: int
    blocks_proved: int
    blocks_settled: int
    last_block: int
    last_settled_block: int
    last_event_age_secs: float
    def __init__(self, app_instance: _Optional[str] = ..., proofs_submitted: _Optional[int] = ..., proofs_rejected: _Optional[int] = ..., merges_created: _Optional[int] = ..., merges_completed: _Optional[int] = ..., blocks_created: _Optional[int] = ..., blocks_proved: _Optional[int] = ..., blocks_settled: _Optional[int] = ..., last_block: _Optional[int] = ..., last_settled_block: _Optional[int] = ..., last_event_age_secs: _Optional[float] = ...) -> None: ...

class AgentNote(_message.Message):
    __slots__ = ("age_secs", "level", "job_id", "developer", "agent", "agent_method", "text")
    AGE_SECS_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    DEVELOPER_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    AGENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    age_secs: float
    level: str
    job_id: int
    developer: str
    agent: str
    agent_method: str
    text: str
    def __init__(self, age_secs: _Optional[float] = ..., level: _Optional[str] = ..., job_id: _Optional[int] = ..., developer: _Optional[str] = ..., agent: _Optional[str] = ..., agent_method: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class PackageStatus(_message.Message):
    __slots__ = ("layout", "layout_source", "misfits")
    class MisfitsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    LAYOUT_FIELD_NUMBER: _ClassVar[int]
    LAYOUT_SOURCE_FIELD_NUMBER: _ClassVar[int]
    MISFITS_FIELD_NUMBER: _ClassVar[int]
    layout: str
    layout_source: str
    misfits: _containers.ScalarMap[str, int]
    def __init__(self, layout: _Optional[str] = ..., layout_source: _Optional[str] = ..., misfits: _Optional[_Mapping[str, int]] = ...) -> None: ...

class ReconcileStatus(_message.Message):
    __slots__ = ("interval_secs", "last_pass_at", "last_result", "last_error", "added", "dropped", "failed", "app_instances", "next_pass_in_secs")
    INTERVAL_SECS_FIELD_NUMBER: _ClassVar[int]
    LAST_PASS_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_RESULT_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    ADDED_FIELD_NUMBER: _ClassVar[int]
    DROPPED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    APP_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PASS_IN_SECS_FIELD_NUMBER: _ClassVar[int]
    interval_secs: float
    last_pass_at: float
    last_result: str
    last_error: str
    added: int
    dropped: int
    failed: int
    app_instances: int
    next_pass_in_secs: float
    def __init__(self, interval_secs: _Optional[float] = ..., last_pass_at: _Optional[float] = ..., last_result: _Optional[str] = ..., last_error: _Optional[str] = ..., added: _Optional[int] = ..., dropped: _Optional[int] = ..., failed: _Optional[int] = ..., app_instances: _Optional[int] = ..., next_pass_in_secs: _Optional[float] = ...) -> None: ...

class Settlement(_message.Message):
    __slots__ = ("enabled", "address", "balance_mist", "has_balance", "low_balance", "min_balance_mist", "gas_spent_mist", "jobs_settled", "outbox_operations", "outbox_oldest_age_secs", "claims_won", "claims_lost", "transactions_ok", "transactions_failed", "last_error", "pipeline_calls_dropped")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BALANCE_MIST_FIELD_NUMBER: _ClassVar[int]
    HAS_BALANCE_FIELD_NUMBER: _ClassVar[int]
    LOW_BALANCE_FIELD_NUMBER: _ClassVar[int]
    MIN_BALANCE_MIST_FIELD_NUMBER: _ClassVar[int]
    GAS_SPENT_MIST_FIELD_NUMBER: _ClassVar[int]
    JOBS_SETTLED_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_OLDEST_AGE_SECS_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_WON_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_LOST_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_OK_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FAILED_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_CALLS_DROPPED_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    address: str
    balance_mist: int
    has_balance: bool
    low_balance: bool
    min_balance_mist: int
    gas_spent_mist: int
    jobs_settled: int
    outbox_operations: int
    outbox_oldest_age_secs: float
    claims_won: int
    claims_lost: int
    transactions_ok: int
    transactions_failed: int
    last_error: str
    pipeline_calls_dropped: int
    def __init__(self, enabled: _Optional[bool] = ..., address: _Optional[str] = ..., balance_mist: _Optional[int] = ..., has_balance: _Optional[bool] = ..., low_balance: _Optional[bool] = ..., min_balance_mist: _Optional[int] = ..., gas_spent_mist: _Optional[int] = ..., jobs_settled: _Optional[int] = ..., outbox_operations: _Optional[int] = ..., outbox_oldest_age_secs: _Optional[float] = ..., claims_won: _Optional[int] = ..., claims_lost: _Optional[int] = ..., transactions_ok: _Optional[int] = ..., transactions_failed: _Optional[int] = ..., last_error: _Optional[str] = ..., pipeline_calls_dropped: _Optional[int] = ...) -> None: ...

class WaitingKey(_message.Message):
    __slots__ = ("developer", "agent", "agent_method", "reason", "pending", "hint")
    DEVELOPER_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    AGENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    HINT_FIELD_NUMBER: _ClassVar[int]
    developer: str
    agent: str
    agent_method: str
    reason: str
    pending: int
    hint: str
    def __init__(self, developer: _Optional[str] = ..., agent: _Optional[str] = ..., agent_method: _Optional[str] = ..., reason: _Optional[str] = ..., pending: _Optional[int] = ..., hint: _Optional[str] = ...) -> None: ...

class SuiConnection(_message.Message):
    __slots__ = ("state", "endpoint", "last_error", "reconnect_in_secs")
    STATE_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    RECONNECT_IN_SECS_FIELD_NUMBER: _ClassVar[int]
    state: str
    endpoint: str
    last_error: str
    reconnect_in_secs: float
    def __init__(self, state: _Optional[str] = ..., endpoint: _Optional[str] = ..., last_error: _Optional[str] = ..., reconnect_in_secs: _Optional[float] = ...) -> None: ...

class RunningContainer(_message.Message):
    __slots__ = ("job_id", "developer", "agent", "agent_method", "image", "session_fingerprint", "elapsed_secs", "timeout_secs", "memory_gb", "cpu_cores", "tee", "pull_bytes_done", "pull_bytes_total")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    DEVELOPER_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    AGENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    SESSION_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_SECS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_GB_FIELD_NUMBER: _ClassVar[int]
    CPU_CORES_FIELD_NUMBER: _ClassVar[int]
    TEE_FIELD_NUMBER: _ClassVar[int]
    PULL_BYTES_DONE_FIELD_NUMBER: _ClassVar[int]
    PULL_BYTES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    job_id: int
    developer: str
    agent: str
    agent_method: str
    image: str
    session_fingerprint: str
    elapsed_secs: float
    timeout_secs: float
    memory_gb: int
    cpu_cores: int
    tee: bool
    pull_bytes_done: int
    pull_bytes_total: int
    def __init__(self, job_id: _Optional[int] = ..., developer: _Optional[str] = ..., agent: _Optional[str] = ..., agent_method: _Optional[str] = ..., image: _Optional[str] = ..., session_fingerprint: _Optional[str] = ..., elapsed_secs: _Optional[float] = ..., timeout_secs: _Optional[float] = ..., memory_gb: _Optional[int] = ..., cpu_cores: _Optional[int] = ..., tee: _Optional[bool] = ..., pull_bytes_done: _Optional[int] = ..., pull_bytes_total: _Optional[int] = ...) -> None: ...

class JobOutcome(_message.Message):
    __slots__ = ("job_id", "state", "reason", "exit_code", "duration_secs", "developer", "agent", "agent_method", "app_instance")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECS_FIELD_NUMBER: _ClassVar[int]
    DEVELOPER_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    AGENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    APP_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    job_id: int
    state: str
    reason: str
    exit_code: int
    duration_secs: float
    developer: str
    agent: str
    agent_method: str
    app_instance: str
    def __init__(self, job_id: _Optional[int] = ..., state: _Optional[str] = ..., reason: _Optional[str] = ..., exit_code: _Optional[int] = ..., duration_secs: _Optional[float] = ..., developer: _Optional[str] = ..., agent: _Optional[str] = ..., agent_method: _Optional[str] = ..., app_instance: _Optional[str] = ...) -> None: ...
