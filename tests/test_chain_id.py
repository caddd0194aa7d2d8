"""The short chain id (Move.lock, `sui client`) from GetServiceInfo's base58 genesis digest."""

from __future__ import annotations

import pytest

from coordinator.sui.chain_id import short_chain_id


@pytest.mark.parametrize(("genesis", "short"), [
    ("4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S", "35834a8a"),  # mainnet
    ("69WiPg3DAQiwdxfncX6wYQ2siKwAe6L9BZthQea3JNMD", "4c78adac"),  # testnet
    ("4c78adac", "4c78adac"),  # already short
])
def test_short_chain_id(genesis: str, short: str) -> None:
    assert short_chain_id(genesis) == short


def test_not_base58_is_refused() -> None:
    with pytest.raises(ValueError, match="not base58"):
        short_chain_id("0OIl")
