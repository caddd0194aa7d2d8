"""The simulated chain's epoch as GetEpoch shows it: the system state and the
protocol config a client reads (Mysten's SDK: `getCurrentSystemState`,
`getProtocolConfig`). The simulator has one epoch, no validators and no
stake; what it reports is what it enforces (gas price and budget limits)."""

from __future__ import annotations

from coordinator._pb.sui.rpc.v2 import (
    ledger_service_pb2,
    protocol_config_pb2,
    system_state_pb2,
)
from coordinator.simnet import messages
from coordinator.simnet.engine import Engine
from coordinator.simnet.gas import BASE_UNITS, MAX_GAS_BUDGET, STORAGE_PRICE

# The protocol version the simulated transactions follow (Sui mainnet's in 2026).
PROTOCOL_VERSION = 104
# SuiSystemStateInner's version (V2).
SYSTEM_STATE_VERSION = 2
# An epoch never ends here; a day is what Sui's networks use.
EPOCH_DURATION_MS = 24 * 60 * 60 * 1000


def _protocol_config() -> protocol_config_pb2.ProtocolConfig:
    return protocol_config_pb2.ProtocolConfig(
        protocol_version=PROTOCOL_VERSION,
        attributes={
            "max_tx_gas": str(MAX_GAS_BUDGET),
            "base_tx_cost_fixed": str(BASE_UNITS),
            "storage_gas_price": str(STORAGE_PRICE),
        },
    )


def epoch(sim: Engine) -> ledger_service_pb2.Epoch:
    """The current (and only) epoch; read masks pick from it."""
    chain = sim.chain
    start_ms = chain.checkpoints[0].timestamp_ms
    state = system_state_pb2.SystemState(
        version=SYSTEM_STATE_VERSION,
        epoch=chain.epoch,
        protocol_version=PROTOCOL_VERSION,
        storage_fund=system_state_pb2.StorageFund(
            total_object_storage_rebates=0, non_refundable_balance=0
        ),
        parameters=system_state_pb2.SystemParameters(epoch_duration_ms=EPOCH_DURATION_MS),
        reference_gas_price=sim.reference_gas_price,
        stake_subsidy=system_state_pb2.StakeSubsidy(balance=0),
        safe_mode=False,
        epoch_start_timestamp_ms=start_ms,
    )
    return ledger_service_pb2.Epoch(
        epoch=chain.epoch,
        system_state=state,
        first_checkpoint=0,
        start=messages.timestamp(start_ms),
        reference_gas_price=sim.reference_gas_price,
        protocol_config=_protocol_config(),
    )
