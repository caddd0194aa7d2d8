"""docs/configuration.md is what the settings models make, and the models
describe every key (a key without a description would be a mute line)."""

from __future__ import annotations

from coordinator.config import CLI_KEYS, ENV_KEYS
from coordinator.config_reference import render, undescribed
from tests.support import ROOT, run_cli

REFERENCE = ROOT / "docs" / "configuration.md"


def test_the_committed_reference_is_what_the_models_make() -> None:
    assert REFERENCE.read_text() == render(), (
        "docs/configuration.md differs from the settings models: run scripts/config-reference")


def test_every_key_is_described() -> None:
    assert undescribed() == []


def test_every_environment_name_and_flag_is_listed() -> None:
    text = render()
    for name, (key, _) in ENV_KEYS.items():
        assert f"**`{key}`**" in text and f"`{name}`" in text, name
    for dest in CLI_KEYS:
        assert f"`--{dest.replace('_', '-')}`" in text, dest


def test_the_command_prints_it() -> None:
    result = run_cli("config-reference")
    assert result.returncode == 0, result.stderr
    assert result.stdout == render()
