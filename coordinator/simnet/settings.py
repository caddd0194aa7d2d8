"""The simulator's own section of the coordinator's settings, `[simnet]`.

Only pydantic here: `coordinator.config` reads the section through this
module without importing the simulator, which the daemon imports only when
`enabled` is true.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coordinator.hostport import split_host_port


class SimnetSettings(BaseModel):
    """The `[simnet]` section: the embedded Sui simulator (see coordinator/configs/local.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    enabled: bool = False
    """Run the embedded Sui simulator in-process (the shipped `local` config)."""
    listen: str = "127.0.0.1:9000"
    """Where the simulator listens; `sui.rpc_url` must be `http://` + this address, as written
    Port 0 is refused (`sui.rpc_url` must name the port)."""
    scenario: Path | None = None
    """Scenario TOML: registry content, job schedule, faults
    (`coordinator/configs/simnet/demo.toml`; format in `coordinator/simnet/scenario.py`)."""
    checkpoint_interval_secs: float = Field(default=1.0, ge=0, le=3600)
    """Seconds between simulated checkpoints (0: only on demand); when set, wins over the
    scenario's."""
    fund_coordinator_mist: int = Field(default=0, ge=0, le=10**18)
    """MIST the simulator gives the coordinator's own address (its key's) at start; the shipped
    `local` config gives 100 SUI."""

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        try:
            split_host_port(value)
        except ValueError:
            raise ValueError("must be host:port, e.g. 127.0.0.1:9000") from None
        return value

    @field_validator("scenario", mode="before")
    @classmethod
    def _empty_scenario_is_none(cls, value: object) -> object:
        return None if value == "" else value
