"""BCS reader/writer primitives against hand-written byte vectors and malformed input."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from coordinator.events.bcs import BcsError, Reader, Writer


def read_all(data: bytes, op: Callable[[Reader], Any]) -> Any:
    reader = Reader(data, path="v")
    value = op(reader)
    reader.finish()
    return value


# (reader op, writer op, value, encoding written out by hand)
VECTORS: list[tuple[Callable[[Reader], Any], Callable[[Writer, Any], None], Any, str]] = [
    (Reader.u8, Writer.u8, 0, "00"),
    (Reader.u8, Writer.u8, 255, "ff"),
    (Reader.u16, Writer.u16, 0x1234, "3412"),
    (Reader.u32, Writer.u32, 0xDEADBEEF, "efbeadde"),
    (Reader.u64, Writer.u64, 0x0102030405060708, "0807060504030201"),
    (Reader.u64, Writer.u64, 2**64 - 1, "ffffffffffffffff"),
    (Reader.u128, Writer.u128, 1, "01" + "00" * 15),
    (Reader.u256, Writer.u256, 2**255, "00" * 31 + "80"),
    (Reader.uleb128, Writer.uleb128, 0, "00"),
    (Reader.uleb128, Writer.uleb128, 127, "7f"),
    (Reader.uleb128, Writer.uleb128, 128, "8001"),
    (Reader.uleb128, Writer.uleb128, 300, "ac02"),
    (Reader.uleb128, Writer.uleb128, 2**32 - 1, "ffffffff0f"),
    (Reader.uleb128, Writer.uleb128, 2**64 - 1, "ffffffffffffffffff01"),
    (Reader.boolean, Writer.boolean, False, "00"),
    (Reader.boolean, Writer.boolean, True, "01"),
    (Reader.string, Writer.string, "", "00"),
    (Reader.string, Writer.string, "abc", "03616263"),
    (Reader.string, Writer.string, "é€", "05c3a9e282ac"),
    (Reader.u8_vector, Writer.u8_vector, b"\x00\xff", "0200ff"),
    (Reader.address, Writer.address, "0x" + "00" * 31 + "02", "00" * 31 + "02"),
    (Reader.address, Writer.address, "0x" + "ab" * 32, "ab" * 32),
    (Reader.length, Writer.length, 3, "03"),
]


@pytest.mark.parametrize(("read", "write", "value", "encoded"), VECTORS)
def test_primitive_vectors(
    read: Callable[[Reader], Any], write: Callable[[Writer, Any], None], value: Any, encoded: str
) -> None:
    # Length prefixes must be backed by that many bytes, so pad the length case.
    data = bytes.fromhex(encoded)
    if read is Reader.length:
        reader = Reader(data + b"xyz")
        assert reader.length() == value
    else:
        assert read_all(data, read) == value
    writer = Writer()
    write(writer, value)
    assert writer.getvalue() == data


def test_vector_and_option_vectors() -> None:
    items = bytes.fromhex("02 0100000000000000 ffffffffffffffff")
    assert read_all(items, lambda r: r.vector(Reader.u64)) == [1, 2**64 - 1]
    assert read_all(b"\x00", lambda r: r.vector(Reader.u64)) == []
    assert read_all(b"\x00", lambda r: r.option(Reader.u16)) is None
    assert read_all(bytes.fromhex("013412"), lambda r: r.option(Reader.u16)) == 0x1234
    nested = bytes.fromhex("01 01 0500000000000000")
    assert read_all(nested, lambda r: r.option(lambda r2: r2.vector(Reader.u64))) == [5]

    writer = Writer()
    writer.option([5], lambda w, v: w.vector(v, Writer.u64))
    writer.option(None, Writer.u16)
    assert writer.getvalue() == nested + b"\x00"


def test_variant_index() -> None:
    assert read_all(b"\x02", lambda r: r.variant_index(3)) == 2
    with pytest.raises(
        BcsError, match=r"^v: unknown enum variant 3 \(expected 0\.\.2\) at offset 0$"
    ):
        read_all(b"\x03", lambda r: r.variant_index(3))
    writer = Writer()
    writer.variant_index(300)
    assert writer.getvalue() == bytes.fromhex("ac02")


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        ("8000", "non-canonical uleb128"),
        ("ff00", "non-canonical uleb128"),
        ("808080808000", "non-canonical uleb128"),
        ("ffffffffffffffffff02", "exceeds 18446744073709551615"),
        ("ffffffffffffffffff8001", "longer than 10 bytes"),
        ("80", "unexpected end of data: uleb128 needs 1 bytes, 0 remaining"),
    ],
)
def test_uleb128_rejects_bad_encodings(encoded: str, message: str) -> None:
    with pytest.raises(BcsError, match=message):
        read_all(bytes.fromhex(encoded), Reader.uleb128)


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        # 2**32 does not fit the u32 that BCS uses for lengths.
        ("8080808010", "uleb128 value 4294967296 exceeds 4294967295"),
        ("ffffffff8f00", "longer than 5 bytes"),
        ("8000", "non-canonical uleb128"),
    ],
)
def test_length_is_a_canonical_u32(encoded: str, message: str) -> None:
    with pytest.raises(BcsError, match=message):
        Reader(bytes.fromhex(encoded)).length()


def test_length_above_bcs_maximum_is_rejected() -> None:
    # Only reachable with more than 2 GiB of input, so fake the remaining bytes.
    class Huge(bytes):
        def __len__(self) -> int:
            return 2**32

    with pytest.raises(BcsError, match="exceeds the BCS maximum 2147483647"):
        Reader(Huge(bytes.fromhex("8080808008"))).length()


def test_huge_declared_lengths_fail_fast_without_allocating() -> None:
    huge = bytes.fromhex("ffffffff0f") + b"twelve bytes"
    calls: list[int] = []

    def item(reader: Reader) -> int:
        calls.append(1)
        return reader.u8()

    cases: list[tuple[Callable[[Reader], Any], bytes]] = [
        (Reader.string, huge),
        (Reader.u8_vector, huge),
        (lambda r: r.vector(item), huge),
        (lambda r: r.option(Reader.string), b"\x01" + huge),
    ]
    for op, data in cases:
        tracemalloc.start()
        started = time.perf_counter()
        with pytest.raises(BcsError) as info:
            op(Reader(data, path="E.f"))
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert "declared length 4294967295 exceeds 12 remaining bytes" in str(info.value)
        assert elapsed < 0.5
        assert peak < 64 * 1024
    assert calls == []


def test_error_names_path_and_offset() -> None:
    reader = Reader(bytes.fromhex("0000 ffffffff0f 00"), path="JobCreatedEvent")
    reader.u16()
    with reader.scope(".data"), pytest.raises(BcsError) as info:
        reader.u8_vector()
    err = info.value
    assert str(err) == (
        "JobCreatedEvent.data: declared length 4294967295 exceeds 1 remaining bytes at offset 2"
    )
    assert (err.path, err.offset) == ("JobCreatedEvent.data", 2)
    assert isinstance(err, ValueError)


def test_vector_items_extend_the_path() -> None:
    data = bytes.fromhex("02 0161 0362")  # second string claims 3 bytes, has 1
    with pytest.raises(BcsError) as info:
        Reader(data, path="E.chains").vector(Reader.string)
    assert str(info.value) == (
        "E.chains[1]: declared length 3 exceeds 1 remaining bytes at offset 3"
    )


@pytest.mark.parametrize(
    ("op", "encoded", "message"),
    [
        (Reader.boolean, "02", r"^v: invalid bool byte 0x02 \(expected 0 or 1\) at offset 0$"),
        (
            lambda r: r.option(Reader.u8),
            "0207",
            r"^v: invalid option tag 0x02 \(expected 0 or 1\) at offset 0$",
        ),
        (Reader.string, "026180", r"^v: invalid UTF-8 in string at offset 2$"),
        # Overlong encoding of '/' and a lone surrogate are invalid UTF-8 too.
        (Reader.string, "02c0af", "invalid UTF-8"),
        (Reader.string, "03eda080", "invalid UTF-8"),
        (Reader.u64, "01020304", "u64 needs 8 bytes, 4 remaining at offset 0$"),
        (Reader.address, "11" * 31, "address needs 32 bytes, 31 remaining"),
        (Reader.u8, "0000", r"^v: 1 trailing byte\(s\) after the value at offset 1$"),
        (Reader.u8, "", "u8 needs 1 bytes, 0 remaining"),
    ],
)
def test_malformed_input(op: Callable[[Reader], Any], encoded: str, message: str) -> None:
    with pytest.raises(BcsError, match=message):
        read_all(bytes.fromhex(encoded), op)


@pytest.mark.parametrize(
    ("write", "value", "message"),
    [
        (Writer.u8, 256, "value 256 out of range for u8"),
        (Writer.u16, -1, "value -1 out of range for u16"),
        (Writer.u64, 2**64, "out of range for u64"),
        (Writer.uleb128, -1, "out of range"),
        (Writer.variant_index, 2**32, "out of range"),
        (Writer.length, 2**31, "exceeds the BCS maximum"),
        (Writer.address, "0x" + "1" * 63, "not 0x followed by 64 hex digits"),
        (Writer.address, "11" * 32, "not 0x followed by 64 hex digits"),
        (Writer.address, "0x" + "zz" * 32, "not 0x followed by 64 hex digits"),
        (Writer.address, "0x" + "00 " * 21 + "0", "not 0x followed by 64 hex digits"),
    ],
)
def test_writer_rejects_unencodable_values(
    write: Callable[[Writer, Any], None], value: Any, message: str
) -> None:
    with pytest.raises(BcsError, match=message):
        write(Writer(), value)
