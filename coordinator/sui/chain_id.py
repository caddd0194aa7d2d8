"""Which chain a node serves, in the short form Sui's tools print.

`GetServiceInfo.chain_id` is the digest of the chain's genesis checkpoint in
base58; `sui client` and the packages' `Move.lock` name a chain by the first
four bytes of that digest in hex (testnet `4c78adac`, devnet varies with its
resets). `sui.chain_id` is written in that short form.
"""

from __future__ import annotations

from coordinator.logs import escape

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_VALUES = {char: index for index, char in enumerate(_ALPHABET)}


# The networks whose chain never changes, by name (devnet's changes with every
# wipe; a localnet's with every start).
NETWORK_CHAIN_IDS = {"mainnet": "35834a8a", "testnet": "4c78adac"}


def network_mismatch(chain: str, chain_id: str) -> str | None:
    """What is wrong when `sui.chain` (a network's name) and `sui.chain_id`
    cannot both be true, e.g. `testnet` with mainnet's id; None when they agree."""
    expected = NETWORK_CHAIN_IDS.get(chain)
    owner = next((name for name, known in NETWORK_CHAIN_IDS.items() if known == chain_id), None)
    if expected not in (None, chain_id):
        return f"{chain}'s chain id is {expected}, not {chain_id}"
    if owner not in (None, chain):
        return f"{chain_id} is {owner}'s chain id, not {chain}'s"
    return None


def chain_mismatch(chain_id: str, expected: str) -> str | None:
    """The operator's one line when a node serves another chain than
    `sui.chain_id` (`expected`, short form); None when it is that chain."""
    reported = shown_chain_id(chain_id)
    if reported == expected:
        return None
    return (f"sui.chain_id: the node serves chain {reported}, not {expected}; point "
            f"sui.rpc_url at a node of that chain, or correct sui.chain_id")


RESET_CHAIN_HINT = "python -m coordinator reset-cursor --chain --config FILE"


def state_of_another_chain(state_dir: object, made_on: str, served: str, unsent: int) -> str:
    """The operator's one line when the stored state was made on chain
    `made_on` and the node serves `served` (both as the node reports them):
    nothing was changed, and `unsent` chain operations wait to be sent."""
    old, new = shown_chain_id(made_on), shown_chain_id(served)
    line = (f"state.dir: the state in {escape(str(state_dir))} was made on chain {old}, "
            f"the node serves chain {new}; point sui.rpc_url at a node of chain {old}")
    if unsent:
        return (f"{line}: {unsent} chain operation(s) not yet sent are kept for it (never "
                f"dropped; `--fresh-state` sets the whole state aside instead)")
    return f"{line}, or stop and run `{RESET_CHAIN_HINT}` to start over on chain {new}"


def shown_chain_id(chain_id: str) -> str:
    """The short form when the id is one; else the id, quoted and escaped."""
    try:
        return short_chain_id(chain_id)
    except ValueError:
        return escape(repr(chain_id))


def short_chain_id(chain_id: str) -> str:
    """`4c78adac` from the base58 genesis digest; a short id is returned as it is."""
    if len(chain_id) == 8 and all(c in "0123456789abcdef" for c in chain_id):
        return chain_id
    number = 0
    for char in chain_id:
        if char not in _VALUES:
            raise ValueError(f"chain id {chain_id!r} is not base58")
        number = number * 58 + _VALUES[char]
    zeros = len(chain_id) - len(chain_id.lstrip("1"))
    raw = b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")
    return raw[:4].hex()
