from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class CreateJobRequest(_message.Message):
    __slots__ = ("developer", "agent", "agent_method", "app_instance", "data", "description", "app_instance_method")
    DEVELOPER_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    AGENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    APP_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    APP_INSTANCE_METHOD_FIELD_NUMBER: _ClassVar[int]
    developer: str
    agent: str
    agent_method: str
    app_instance: str
    data: bytes
    description: str
    app_instance_method: str
    def __init__(self, developer: _Optional[str] = ..., agent: _Optional[str] = ..., agent_method: _Optional[str] = ..., app_instance: _Optional[str] = ..., data: _Optional[bytes] = ..., description: _Optional[str] = ..., app_instance_method: _Optional[str] = ...) -> None: ...

class CreateJobResponse(_message.Message):
    __slots__ = ("job_id", "transaction_digest", "checkpoint")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_DIGEST_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    job_id: int
    transaction_digest: str
    checkpoint: int
    def __init__(self, job_id: _Optional[int] = ..., transaction_digest: _Optional[str] = ..., checkpoint: _Optional[int] = ...) -> None: ...

class AddMethodRequest(_message.Message):
    __slots__ = ("developer", "agent", "method", "docker_image", "docker_sha256", "min_memory_gb", "min_cpu_cores", "requires_tee", "set_default")
    DEVELOPER_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    DOCKER_IMAGE_FIELD_NUMBER: _ClassVar[int]
    DOCKER_SHA256_FIELD_NUMBER: _ClassVar[int]
    MIN_MEMORY_GB_FIELD_NUMBER: _ClassVar[int]
    MIN_CPU_CORES_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_TEE_FIELD_NUMBER: _ClassVar[int]
    SET_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    developer: str
    agent: str
    method: str
    docker_image: str
    docker_sha256: str
    min_memory_gb: int
    min_cpu_cores: int
    requires_tee: bool
    set_default: bool
    def __init__(self, developer: _Optional[str] = ..., agent: _Optional[str] = ..., method: _Optional[str] = ..., docker_image: _Optional[str] = ..., docker_sha256: _Optional[str] = ..., min_memory_gb: _Optional[int] = ..., min_cpu_cores: _Optional[int] = ..., requires_tee: _Optional[bool] = ..., set_default: _Optional[bool] = ...) -> None: ...

class AddMethodResponse(_message.Message):
    __slots__ = ("agent_id", "transaction_digest", "checkpoint", "updated")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_DIGEST_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    transaction_digest: str
    checkpoint: int
    updated: bool
    def __init__(self, agent_id: _Optional[str] = ..., transaction_digest: _Optional[str] = ..., checkpoint: _Optional[int] = ..., updated: _Optional[bool] = ...) -> None: ...

class SetFaultsRequest(_message.Message):
    __slots__ = ("drop_stream_after_frames", "stall_stream_after_frames", "stall_secs", "unavailable_every", "unavailable_burst", "unimplemented", "index_lag_checkpoints", "unavailable_for_secs", "old_node")
    DROP_STREAM_AFTER_FRAMES_FIELD_NUMBER: _ClassVar[int]
    STALL_STREAM_AFTER_FRAMES_FIELD_NUMBER: _ClassVar[int]
    STALL_SECS_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_EVERY_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_BURST_FIELD_NUMBER: _ClassVar[int]
    UNIMPLEMENTED_FIELD_NUMBER: _ClassVar[int]
    INDEX_LAG_CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_FOR_SECS_FIELD_NUMBER: _ClassVar[int]
    OLD_NODE_FIELD_NUMBER: _ClassVar[int]
    drop_stream_after_frames: int
    stall_stream_after_frames: int
    stall_secs: float
    unavailable_every: int
    unavailable_burst: int
    unimplemented: _containers.RepeatedScalarFieldContainer[str]
    index_lag_checkpoints: int
    unavailable_for_secs: float
    old_node: bool
    def __init__(self, drop_stream_after_frames: _Optional[int] = ..., stall_stream_after_frames: _Optional[int] = ..., stall_secs: _Optional[float] = ..., unavailable_every: _Optional[int] = ..., unavailable_burst: _Optional[int] = ..., unimplemented: _Optional[_Iterable[str]] = ..., index_lag_checkpoints: _Optional[int] = ..., unavailable_for_secs: _Optional[float] = ..., old_node: _Optional[bool] = ...) -> None: ...

class SetFaultsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStatsResponse(_message.Message):
    __slots__ = ("checkpoint_height", "lowest_available_checkpoint", "rpc_counts", "transactions", "events", "jobs_created", "jobs_pending", "open_streams")
    class RpcCountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    CHECKPOINT_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    LOWEST_AVAILABLE_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    RPC_COUNTS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    JOBS_CREATED_FIELD_NUMBER: _ClassVar[int]
    JOBS_PENDING_FIELD_NUMBER: _ClassVar[int]
    OPEN_STREAMS_FIELD_NUMBER: _ClassVar[int]
    checkpoint_height: int
    lowest_available_checkpoint: int
    rpc_counts: _containers.ScalarMap[str, int]
    transactions: int
    events: int
    jobs_created: int
    jobs_pending: int
    open_streams: int
    def __init__(self, checkpoint_height: _Optional[int] = ..., lowest_available_checkpoint: _Optional[int] = ..., rpc_counts: _Optional[_Mapping[str, int]] = ..., transactions: _Optional[int] = ..., events: _Optional[int] = ..., jobs_created: _Optional[int] = ..., jobs_pending: _Optional[int] = ..., open_streams: _Optional[int] = ...) -> None: ...

class FundRequest(_message.Message):
    __slots__ = ("address", "amount")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    address: str
    amount: int
    def __init__(self, address: _Optional[str] = ..., amount: _Optional[int] = ...) -> None: ...

class FundResponse(_message.Message):
    __slots__ = ("coin_id", "version", "digest", "balance", "transaction_digest", "checkpoint")
    COIN_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_DIGEST_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    coin_id: str
    version: int
    digest: str
    balance: int
    transaction_digest: str
    checkpoint: int
    def __init__(self, coin_id: _Optional[str] = ..., version: _Optional[int] = ..., digest: _Optional[str] = ..., balance: _Optional[int] = ..., transaction_digest: _Optional[str] = ..., checkpoint: _Optional[int] = ...) -> None: ...

class UpgradePackageRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpgradePackageResponse(_message.Message):
    __slots__ = ("package_id", "version", "original_id", "transaction_digest", "checkpoint")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_DIGEST_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    version: int
    original_id: str
    transaction_digest: str
    checkpoint: int
    def __init__(self, package_id: _Optional[str] = ..., version: _Optional[int] = ..., original_id: _Optional[str] = ..., transaction_digest: _Optional[str] = ..., checkpoint: _Optional[int] = ...) -> None: ...
