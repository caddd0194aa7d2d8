from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SystemState(_message.Message):
    __slots__ = ("version", "epoch", "protocol_version", "storage_fund", "parameters", "reference_gas_price", "stake_subsidy", "safe_mode", "safe_mode_storage_rewards", "safe_mode_computation_rewards", "safe_mode_storage_rebates", "safe_mode_non_refundable_storage_fee", "epoch_start_timestamp_ms")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FUND_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_GAS_PRICE_FIELD_NUMBER: _ClassVar[int]
    STAKE_SUBSIDY_FIELD_NUMBER: _ClassVar[int]
    SAFE_MODE_FIELD_NUMBER: _ClassVar[int]
    SAFE_MODE_STORAGE_REWARDS_FIELD_NUMBER: _ClassVar[int]
    SAFE_MODE_COMPUTATION_REWARDS_FIELD_NUMBER: _ClassVar[int]
    SAFE_MODE_STORAGE_REBATES_FIELD_NUMBER: _ClassVar[int]
    SAFE_MODE_NON_REFUNDABLE_STORAGE_FEE_FIELD_NUMBER: _ClassVar[int]
    EPOCH_START_TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    version: int
    epoch: int
    protocol_version: int
    storage_fund: StorageFund
    parameters: SystemParameters
    reference_gas_price: int
    stake_subsidy: StakeSubsidy
    safe_mode: bool
    safe_mode_storage_rewards: int
    safe_mode_computation_rewards: int
    safe_mode_storage_rebates: int
    safe_mode_non_refundable_storage_fee: int
    epoch_start_timestamp_ms: int
    def __init__(self, version: _Optional[int] = ..., epoch: _Optional[int] = ..., protocol_version: _Optional[int] = ..., storage_fund: _Optional[_Union[StorageFund, _Mapping]] = ..., parameters: _Optional[_Union[SystemParameters, _Mapping]] = ..., reference_gas_price: _Optional[int] = ..., stake_subsidy: _Optional[_Union[StakeSubsidy, _Mapping]] = ..., safe_mode: _Optional[bool] = ..., safe_mode_storage_rewards: _Optional[int] = ..., safe_mode_computation_rewards: _Optional[int] = ..., safe_mode_storage_rebates: _Optional[int] = ..., safe_mode_non_refundable_storage_fee: _Optional[int] = ..., epoch_start_timestamp_ms: _Optional[int] = ...) -> None: ...

class SystemParameters(_message.Message):
    __slots__ = ("epoch_duration_ms", "stake_subsidy_start_epoch", "min_validator_count", "max_validator_count", "min_validator_joining_stake", "validator_low_stake_threshold", "validator_very_low_stake_threshold", "validator_low_stake_grace_period")
    EPOCH_DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    STAKE_SUBSIDY_START_EPOCH_FIELD_NUMBER: _ClassVar[int]
    MIN_VALIDATOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    MAX_VALIDATOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    MIN_VALIDATOR_JOINING_STAKE_FIELD_NUMBER: _ClassVar[int]
    VALIDATOR_LOW_STAKE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    VALIDATOR_VERY_LOW_STAKE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    VALIDATOR_LOW_STAKE_GRACE_PERIOD_FIELD_NUMBER: _ClassVar[int]
    epoch_duration_ms: int
    stake_subsidy_start_epoch: int
    min_validator_count: int
    max_validator_count: int
    min_validator_joining_stake: int
    validator_low_stake_threshold: int
    validator_very_low_stake_threshold: int
    validator_low_stake_grace_period: int
    def __init__(self, epoch_duration_ms: _Optional[int] = ..., stake_subsidy_start_epoch: _Optional[int] = ..., min_validator_count: _Optional[int] = ..., max_validator_count: _Optional[int] = ..., min_validator_joining_stake: _Optional[int] = ..., validator_low_stake_threshold: _Optional[int] = ..., validator_very_low_stake_threshold: _Optional[int] = ..., validator_low_stake_grace_period: _Optional[int] = ...) -> None: ...

class StakeSubsidy(_message.Message):
    __slots__ = ("balance", "distribution_counter", "current_distribution_amount", "stake_subsidy_period_length", "stake_subsidy_decrease_rate")
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTION_COUNTER_FIELD_NUMBER: _ClassVar[int]
    CURRENT_DISTRIBUTION_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    STAKE_SUBSIDY_PERIOD_LENGTH_FIELD_NUMBER: _ClassVar[int]
    STAKE_SUBSIDY_DECREASE_RATE_FIELD_NUMBER: _ClassVar[int]
    balance: int
    distribution_counter: int
    current_distribution_amount: int
    stake_subsidy_period_length: int
    stake_subsidy_decrease_rate: int
    def __init__(self, balance: _Optional[int] = ..., distribution_counter: _Optional[int] = ..., current_distribution_amount: _Optional[int] = ..., stake_subsidy_period_length: _Optional[int] = ..., stake_subsidy_decrease_rate: _Optional[int] = ...) -> None: ...

class StorageFund(_message.Message):
    __slots__ = ("total_object_storage_rebates", "non_refundable_balance")
    TOTAL_OBJECT_STORAGE_REBATES_FIELD_NUMBER: _ClassVar[int]
    NON_REFUNDABLE_BALANCE_FIELD_NUMBER: _ClassVar[int]
    total_object_storage_rebates: int
    non_refundable_balance: int
    def __init__(self, total_object_storage_rebates: _Optional[int] = ..., non_refundable_balance: _Optional[int] = ...) -> None: ...
