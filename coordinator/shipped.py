"""The configs shipped inside the package (`coordinator/configs/`): one per
network, found by name (`--config testnet`) wherever the package is
installed, and the starting config `python -m coordinator init` writes."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["SHIPPED", "shipped_config"]

# The shipped configs by name; `local` runs the embedded simulator.
SHIPPED = ("local", "devnet", "testnet", "mainnet")


def _configs_dir() -> Path:
    files = resources.files("coordinator") / "configs"
    # The package is installed as files (never zipped): its data are paths.
    if not isinstance(files, Path):
        raise RuntimeError(f"the coordinator package is not installed as files: {files}")
    return files


def shipped_config(name: str) -> Path:
    """The path of a shipped config by its name; KeyError for another name."""
    if name not in SHIPPED:
        raise KeyError(name)
    return _configs_dir() / f"{name}.toml"


def shipped_scenario() -> Path:
    """The simulator's demo scenario, which the `local` config names."""
    return _configs_dir() / "simnet" / "demo.toml"
