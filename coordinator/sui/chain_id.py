"""Which chain a node serves, in the short form Sui's tools print.

`GetServiceInfo.chain_id` is the digest of the chain's genesis checkpoint in
base58; `sui client` and the packages' `Move.lock` name a chain by the first
four bytes of that digest in hex (testnet `4c78adac`, devnet varies with its
resets). `sui.chain_id` is written in that short form.
"""

from __future__ import annotations

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_VALUES = {char: index for index, char in enumerate(_ALPHABET)}


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
