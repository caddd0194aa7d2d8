"""Move type tags, a MoveCall's type arguments: BCS as Sui lays it out
(move-core-types TypeTag), the text a fullnode spells, and a transaction with
type arguments read and written back byte for byte."""

from __future__ import annotations

import pytest

from coordinator.events.bcs import BcsError, Reader, Writer
from coordinator.sui.codec import Argument, MoveCall
from coordinator.sui.transactions import (
    GasData,
    ObjectRef,
    ProgrammableTransaction,
    TransactionData,
)
from coordinator.sui.type_tags import parse_type_tag, read_type_tag, write_type_tag

TWO = "0x" + "0" * 63 + "2"
COIN = f"{TWO}::coin::Coin<{TWO}::sui::SUI>"


def _string(text: str) -> bytes:
    return bytes([len(text)]) + text.encode()


# TypeTag: bool 0, u8 1, u64 2, u128 3, address 4, signer 5, vector 6, struct 7,
# u16 8, u32 9, u256 10; a struct is address, module, name, type parameters.
COIN_BCS = (
    b"\x07" + bytes.fromhex(TWO[2:]) + _string("coin") + _string("Coin") + b"\x01"
    + b"\x07" + bytes.fromhex(TWO[2:]) + _string("sui") + _string("SUI") + b"\x00"
)


@pytest.mark.parametrize(("text", "data"), [
    ("u64", b"\x02"), ("vector<u8>", b"\x06\x01"), ("u256", b"\x0a"),
    ("vector<vector<address>>", b"\x06\x06\x04"), (COIN, COIN_BCS),
])  # fmt: skip
def test_a_type_tag_in_bcs_and_back(text: str, data: bytes) -> None:
    reader = Reader(data)
    assert read_type_tag(reader) == text
    reader.finish()
    writer = Writer()
    write_type_tag(writer, text)
    assert writer.getvalue() == data


def test_a_client_spelling_becomes_the_canonical_one() -> None:
    assert parse_type_tag("0x2::coin::Coin< 0x2::sui::SUI >") == COIN
    assert parse_type_tag(" vector<u8> ") == "vector<u8>"
    for bad in ("vector<u8", "u64<u8>", "vector", "0x2::coin", "0x2::coin::Coin<>", "0xzz::a::B"):
        with pytest.raises(ValueError):
            parse_type_tag(bad)


def test_a_type_nested_too_deep_is_refused() -> None:
    with pytest.raises(BcsError, match="deeper"):
        read_type_tag(Reader(b"\x06" * 40 + b"\x01"))


def test_a_transaction_with_type_arguments_round_trips() -> None:
    call = MoveCall("0x" + "ab" * 32, "m", "f", (Argument("gas"),), (COIN, "u64"))
    tx = TransactionData(
        "0x" + "11" * 32,
        GasData((ObjectRef("0x" + "22" * 32, 3, "11111111111111111111111111111111"),),
                "0x" + "11" * 32, 1000, 5000),
        ProgrammableTransaction((), (call,)),
        None,
    )  # fmt: skip
    data = tx.to_bytes()
    assert COIN_BCS + b"\x02" in data  # the two type arguments, before the arguments
    back = TransactionData.from_bytes(data)
    assert back.kind.commands[0].type_arguments == (COIN, "u64")
    assert back.to_bytes() == data
