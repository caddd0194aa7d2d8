"""The base of every settings section: each layer defines its own section next
to its code (`coordinator.sui.settings`, `coordinator.docker.settings`, ...);
`coordinator.config` only assembles them and reads TOML, the environment and
the command line into them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Section"]


class Section(BaseModel):
    """A TOML table: unknown keys are refused (a typo must not pass silently),
    and the values are frozen once loaded. Each field's docstring is its
    description, which docs/configuration.md is generated from
    (`coordinator.config_reference`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)
