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

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    listen: str = "127.0.0.1:9000"
    # A scenario file (registry content, job schedule, faults); see
    # coordinator/configs/simnet/demo.toml.
    scenario: Path | None = None
    # Seconds between checkpoints; 0 seals only on demand. When set, wins over the scenario.
    checkpoint_interval_secs: float = Field(default=1.0, ge=0, le=3600)
    # MIST the simulator gives the coordinator's own address (its Sui key's) at
    # start, so a demo claims and settles on chain; 0: nothing.
    fund_coordinator_mist: int = Field(default=0, ge=0, le=10**18)

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
