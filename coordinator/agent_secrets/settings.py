"""The `[secrets]` section: where the agents' secrets file is and where its key
comes from. The key itself is never a setting (a dump of the settings must not
show it): it is read at open time from `key_file`, a systemd credential, or the
environment (`coordinator.agent_secrets.key`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from coordinator.section import Section

__all__ = ["SECRETS_FILE", "SecretsSettings"]

SECRETS_FILE = "secrets.enc"  # under state.dir unless `file` says otherwise


class SecretsSettings(Section):
    """`[secrets]`: the agents' secrets (docs/secrets.md)."""

    file: Path | None = Field(
        default=None,
        description="The sealed secrets file (mode 0600); unset: `secrets.enc` in `state.dir`. "
        "Set it when the state dir does not outlive a start (the enclave's is in memory). "
        "Relative: beside the config file.")
    key_file: Path | None = Field(
        default=None,
        description="A file holding the secrets key (base64 of 32 bytes: `python -m "
        "coordinator secrets keygen`); unset: the systemd credential "
        "`coordinator-secrets-key` in `$CREDENTIALS_DIRECTORY`, then env "
        "`COORDINATOR_SECRETS_KEY`. The key is never a setting itself. Relative: beside the "
        "config file.")

    @field_validator("file", "key_file", mode="before")
    @classmethod
    def _not_empty(cls, value: object) -> object:
        return None if value == "" else value

    def path(self, state_dir: Path) -> Path:
        return self.file if self.file is not None else state_dir / SECRETS_FILE
