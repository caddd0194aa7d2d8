"""Signing a transaction as Sui wallets do, checking such a signature, and the
transaction's digest.

A user transaction is signed under its intent (scope TransactionData, version
0, app Sui): the key signs BLAKE2b-256 of intent || the BCS bytes, and the
serialized signature carries the scheme flag and the public key with it.
"""

from __future__ import annotations

import base58

from coordinator.sui.keys import (
    ED25519_FLAG,
    PUBLIC_KEY_LENGTH,
    SIGNATURE_LENGTH,
    SuiKey,
    address_of,
    blake2b256,
    verify_ed25519,
)

# The intent of a user transaction: scope TransactionData (0), version 0, app Sui (0).
TRANSACTION_INTENT = bytes([0, 0, 0])
SERIALIZED_SIGNATURE_LENGTH = 1 + SIGNATURE_LENGTH + PUBLIC_KEY_LENGTH


def signing_digest(tx_bytes: bytes) -> bytes:
    """What the key signs: BLAKE2b-256 of the intent message (intent || tx bytes)."""
    return blake2b256(TRANSACTION_INTENT + tx_bytes)


def sign_transaction(key: SuiKey, tx_bytes: bytes) -> bytes:
    """Sui's serialized signature: flag (Ed25519) || signature || public key."""
    return bytes([ED25519_FLAG]) + key.sign(signing_digest(tx_bytes)) + key.public_key


def verify_transaction_signature(tx_bytes: bytes, signature: bytes) -> str | None:
    """The signer's address when `signature` is a valid Ed25519 signature of
    `tx_bytes`, else None (a wrong length, scheme or signature alike)."""
    if len(signature) != SERIALIZED_SIGNATURE_LENGTH or signature[0] != ED25519_FLAG:
        return None
    raw, public_key = signature[1 : 1 + SIGNATURE_LENGTH], signature[1 + SIGNATURE_LENGTH :]
    if not verify_ed25519(public_key, raw, signing_digest(tx_bytes)):
        return None
    return address_of(public_key)


def transaction_digest(tx_bytes: bytes) -> str:
    """The transaction's digest as Sui shows it: base58 of BLAKE2b-256 of
    `TransactionData::` || the BCS bytes."""
    return base58.b58encode(blake2b256(b"TransactionData::" + tx_bytes)).decode("ascii")
