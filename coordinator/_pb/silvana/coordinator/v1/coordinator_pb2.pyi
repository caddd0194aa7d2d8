from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Job(_message.Message):
    __slots__ = ("job_id", "description", "developer", "agent", "agent_method", "app", "app_instance", "app_instance_method", "sequences", "data", "attempts", "created_at", "updated_at")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEVELOPER_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    AGENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    APP_FIELD_NUMBER: _ClassVar[int]
    APP_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    APP_INSTANCE_METHOD_FIELD_NUMBER: _ClassVar[int]
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    job_id: int
    description: str
    developer: str
    agent: str
    agent_method: str
    app: str
    app_instance: str
    app_instance_method: str
    sequences: _containers.RepeatedScalarFieldContainer[int]
    data: bytes
    attempts: int
    created_at: int
    updated_at: int
    def __init__(self, job_id: _Optional[int] = ..., description: _Optional[str] = ..., developer: _Optional[str] = ..., agent: _Optional[str] = ..., agent_method: _Optional[str] = ..., app: _Optional[str] = ..., app_instance: _Optional[str] = ..., app_instance_method: _Optional[str] = ..., sequences: _Optional[_Iterable[int]] = ..., data: _Optional[bytes] = ..., attempts: _Optional[int] = ..., created_at: _Optional[int] = ..., updated_at: _Optional[int] = ...) -> None: ...

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
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class CompleteJobRequest(_message.Message):
    __slots__ = ("session_id", "job_id")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    job_id: int
    def __init__(self, session_id: _Optional[str] = ..., job_id: _Optional[int] = ...) -> None: ...

class CompleteJobResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class FailJobRequest(_message.Message):
    __slots__ = ("session_id", "job_id", "error")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    job_id: int
    error: str
    def __init__(self, session_id: _Optional[str] = ..., job_id: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class FailJobResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ("instance_id", "uptime_secs", "connection", "cursor", "has_cursor", "chain_tip", "jobs_by_state", "events_by_type", "registry_size", "running", "recent_outcomes", "waiting", "malformed_events", "duplicate_events", "docker_state", "backfill_from", "backfill_to", "backfilling", "draining")
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
    def __init__(self, instance_id: _Optional[str] = ..., uptime_secs: _Optional[float] = ..., connection: _Optional[_Union[SuiConnection, _Mapping]] = ..., cursor: _Optional[int] = ..., has_cursor: _Optional[bool] = ..., chain_tip: _Optional[int] = ..., jobs_by_state: _Optional[_Mapping[str, int]] = ..., events_by_type: _Optional[_Mapping[str, int]] = ..., registry_size: _Optional[int] = ..., running: _Optional[_Iterable[_Union[RunningContainer, _Mapping]]] = ..., recent_outcomes: _Optional[_Iterable[_Union[JobOutcome, _Mapping]]] = ..., waiting: _Optional[_Iterable[_Union[WaitingKey, _Mapping]]] = ..., malformed_events: _Optional[int] = ..., duplicate_events: _Optional[int] = ..., docker_state: _Optional[str] = ..., backfill_from: _Optional[int] = ..., backfill_to: _Optional[int] = ..., backfilling: _Optional[bool] = ..., draining: _Optional[bool] = ...) -> None: ...

class WaitingKey(_message.Message):
    __slots__ = ("developer", "agent", "agent_method", "reason", "pending")
    DEVELOPER_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    AGENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    developer: str
    agent: str
    agent_method: str
    reason: str
    pending: int
    def __init__(self, developer: _Optional[str] = ..., agent: _Optional[str] = ..., agent_method: _Optional[str] = ..., reason: _Optional[str] = ..., pending: _Optional[int] = ...) -> None: ...

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
    __slots__ = ("job_id", "developer", "agent", "agent_method", "image", "session_id", "elapsed_secs", "timeout_secs", "memory_gb", "cpu_cores", "tee", "pull_bytes_done", "pull_bytes_total")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    DEVELOPER_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    AGENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
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
    session_id: str
    elapsed_secs: float
    timeout_secs: float
    memory_gb: int
    cpu_cores: int
    tee: bool
    pull_bytes_done: int
    pull_bytes_total: int
    def __init__(self, job_id: _Optional[int] = ..., developer: _Optional[str] = ..., agent: _Optional[str] = ..., agent_method: _Optional[str] = ..., image: _Optional[str] = ..., session_id: _Optional[str] = ..., elapsed_secs: _Optional[float] = ..., timeout_secs: _Optional[float] = ..., memory_gb: _Optional[int] = ..., cpu_cores: _Optional[int] = ..., tee: _Optional[bool] = ..., pull_bytes_done: _Optional[int] = ..., pull_bytes_total: _Optional[int] = ...) -> None: ...

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
