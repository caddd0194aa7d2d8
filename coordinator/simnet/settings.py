"""The simulator's own section of the coordinator's settings, `[simnet]`.

Only pydantic here: `coordinator.config` reads the section through this
module without importing the simulator, which the daemon imports only when
`enabled` is true.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator


def parse_listen(listen: str) -> tuple[str, int]:
    """`host:port` (`[v6]:port` too) -> (host, port); ValueError otherwise."""
    host, _, port = listen.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{listen!r} is not host:port")
    return host, int(port)


class SimnetSettings(BaseModel):
    """The `[simnet]` section: the embedded Sui simulator (see config/local.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    listen: str = "127.0.0.1:9000"
    # A scenario file (registry content, job schedule, faults); see config/simnet/demo.toml.
    scenario: Path | None = None
    # Seconds between checkpoints; 0 seals only on demand. When set, wins over the scenario.
    checkpoint_interval_secs: float = Field(default=1.0, ge=0, le=3600)

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        try:
            parse_listen(value)
        except ValueError:
            raise ValueError("must be host:port, e.g. 127.0.0.1:9000") from None
        return value

    @field_validator("scenario", mode="before")
    @classmethod
    def _empty_scenario_is_none(cls, value: object) -> object:
        return None if value == "" else value
