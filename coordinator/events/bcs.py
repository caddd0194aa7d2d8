"""BCS (Binary Canonical Serialization) reader and writer.

Sui emits Move event contents as BCS. BCS is not self-describing: the bytes
only make sense against the struct layout, so every decode is driven by a
layout (see ``models.py``) and every error says which field was being read and
where, because a bad payload is logged, counted and skipped rather than fatal.

Canonical means one value has exactly one encoding. The reader rejects
everything else (overlong uleb128, bool bytes other than 0/1, option tags other
than 0/1, trailing bytes), so two payloads that decode to the same event are
the same bytes.

Payloads come from the network, so the reader never trusts a declared length:
a sequence of N items needs at least N bytes, and a length larger than what is
left fails before anything is allocated.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
U = TypeVar("U")

U32_MAX = (1 << 32) - 1
U64_MAX = (1 << 64) - 1
# The Rust bcs crate (which Sui uses) refuses longer sequences; matching it
# keeps us from accepting anything the chain itself could never produce.
MAX_SEQUENCE_LENGTH = (1 << 31) - 1
ADDRESS_LENGTH = 32
_ADDRESS_TEXT = re.compile(r"0x[0-9a-fA-F]{64}")


class BcsError(ValueError):
    """A payload is not valid BCS for the expected layout, or a value cannot be encoded.

    The message names the field path (``JobCreatedEvent.sequences[2]``) and the
    byte offset so a bad payload can be diagnosed from one log line.
    """

    def __init__(self, detail: str, *, path: str = "", offset: int | None = None) -> None:
        self.detail = detail
        self.path = path
        self.offset = offset
        message = f"{path}: {detail}" if path else detail
        if offset is not None:
            message = f"{message} at offset {offset}"
        super().__init__(message)


class Reader:
    """Cursor over one BCS payload.

    ``path`` is the name of the value being decoded; ``scope`` extends it while a
    field or item is read, so errors raised deep inside carry the full path.
    """

    def __init__(self, data: bytes, path: str = "") -> None:
        self._data = data
        self._pos = 0
        self._path = [path] if path else []

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    @contextmanager
    def scope(self, segment: str) -> Iterator[None]:
        """Append ``segment`` (e.g. ``.data`` or ``[3]``) to the error path while inside."""
        self._path.append(segment)
        try:
            yield
        finally:
            self._path.pop()

    def error(self, detail: str, offset: int | None = None) -> BcsError:
        """Build a BcsError at ``offset`` (default: the current position) for the current path."""
        return BcsError(
            detail,
            path="".join(self._path),
            offset=self._pos if offset is None else offset,
        )

    def finish(self) -> None:
        """Reject trailing bytes: a valid payload is consumed exactly."""
        if self.remaining:
            raise self.error(f"{self.remaining} trailing byte(s) after the value")

    def _take(self, size: int, what: str) -> bytes:
        if size > self.remaining:
            raise self.error(
                f"unexpected end of data: {what} needs {size} bytes, {self.remaining} remaining"
            )
        chunk = self._data[self._pos : self._pos + size]
        self._pos += size
        return chunk

    def _uint(self, bits: int) -> int:
        return int.from_bytes(self._take(bits // 8, f"u{bits}"), "little")

    def u8(self) -> int:
        return self._uint(8)

    def u16(self) -> int:
        return self._uint(16)

    def u32(self) -> int:
        return self._uint(32)

    def u64(self) -> int:
        return self._uint(64)

    def u128(self) -> int:
        return self._uint(128)

    def u256(self) -> int:
        return self._uint(256)

    def uleb128(self, limit: int = U64_MAX) -> int:
        """Read an unsigned LEB128 value no larger than ``limit``, in its shortest form only."""
        start = self._pos
        # A value of n bits needs ceil(n / 7) bytes; any more is overlong.
        max_bytes = -(-limit.bit_length() // 7)
        value = 0
        for index in range(max_bytes):
            byte = self._take(1, "uleb128")[0]
            value |= (byte & 0x7F) << (7 * index)
            if not byte & 0x80:
                if byte == 0 and index > 0:
                    raise self.error("non-canonical uleb128 (overlong encoding)", start)
                if value > limit:
                    raise self.error(f"uleb128 value {value} exceeds {limit}", start)
                return value
        raise self.error(f"uleb128 longer than {max_bytes} bytes", start)

    def length(self) -> int:
        """Read a sequence length and check it against the bytes left.

        Every BCS item takes at least one byte, so a length above ``remaining``
        cannot be honest; failing here keeps a forged 4-billion-item length from
        allocating or looping.
        """
        start = self._pos
        count = self.uleb128(U32_MAX)
        if count > self.remaining:
            raise self.error(
                f"declared length {count} exceeds {self.remaining} remaining bytes", start
            )
        if count > MAX_SEQUENCE_LENGTH:
            raise self.error(
                f"declared length {count} exceeds the BCS maximum {MAX_SEQUENCE_LENGTH}", start
            )
        return count

    def boolean(self) -> bool:
        start = self._pos
        byte = self._take(1, "bool")[0]
        if byte > 1:
            raise self.error(f"invalid bool byte 0x{byte:02x} (expected 0 or 1)", start)
        return byte == 1

    def u8_vector(self) -> bytes:
        """Read ``vector<u8>`` as bytes (one length, then the raw bytes)."""
        return self._take(self.length(), "vector<u8>")

    def string(self) -> str:
        raw = self._take(self.length(), "string")
        data_start = self._pos - len(raw)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.error("invalid UTF-8 in string", data_start + exc.start) from None

    def address(self) -> str:
        """Read a 32-byte address, rendered as Sui does: 0x + 64 lowercase hex digits."""
        return "0x" + self._take(ADDRESS_LENGTH, "address").hex()

    def vector(self, item: Callable[[Reader], T]) -> list[T]:
        count = self.length()
        items: list[T] = []
        for index in range(count):
            with self.scope(f"[{index}]"):
                items.append(item(self))
        return items

    def option(self, item: Callable[[Reader], T]) -> T | None:
        start = self._pos
        tag = self._take(1, "option tag")[0]
        if tag == 0:
            return None
        if tag == 1:
            return item(self)
        raise self.error(f"invalid option tag 0x{tag:02x} (expected 0 or 1)", start)

    def variant_index(self, count: int) -> int:
        """Read an enum variant index and check it names one of ``count`` variants."""
        start = self._pos
        index = self.uleb128(U32_MAX)
        if index >= count:
            raise self.error(f"unknown enum variant {index} (expected 0..{count - 1})", start)
        return index


class Writer:
    """Builds one BCS payload; each method mirrors the Reader method of the same name.

    Values are range-checked here too, so a bad value fails with a BcsError that
    names the type instead of silently producing bytes the chain would reject.
    """

    def __init__(self) -> None:
        self._buf = bytearray()

    def getvalue(self) -> bytes:
        return bytes(self._buf)

    def _uint(self, value: int, bits: int) -> None:
        if not 0 <= value < (1 << bits):
            raise BcsError(f"value {value} out of range for u{bits}")
        self._buf += value.to_bytes(bits // 8, "little")

    def u8(self, value: int) -> None:
        self._uint(value, 8)

    def u16(self, value: int) -> None:
        self._uint(value, 16)

    def u32(self, value: int) -> None:
        self._uint(value, 32)

    def u64(self, value: int) -> None:
        self._uint(value, 64)

    def u128(self, value: int) -> None:
        self._uint(value, 128)

    def u256(self, value: int) -> None:
        self._uint(value, 256)

    def uleb128(self, value: int, limit: int = U64_MAX) -> None:
        if not 0 <= value <= limit:
            raise BcsError(f"uleb128 value {value} out of range 0..{limit}")
        while value >= 0x80:
            self._buf.append((value & 0x7F) | 0x80)
            value >>= 7
        self._buf.append(value)

    def length(self, count: int) -> None:
        if count > MAX_SEQUENCE_LENGTH:
            raise BcsError(f"length {count} exceeds the BCS maximum {MAX_SEQUENCE_LENGTH}")
        self.uleb128(count)

    def boolean(self, value: bool) -> None:
        self._buf.append(1 if value else 0)

    def u8_vector(self, value: bytes) -> None:
        self.length(len(value))
        self._buf += value

    def string(self, value: str) -> None:
        self.u8_vector(value.encode("utf-8"))

    def address(self, value: str) -> None:
        """Write an address given as 0x + 64 hex digits (the form the models normalise to)."""
        if _ADDRESS_TEXT.fullmatch(value) is None:
            raise BcsError(f"address {value!r} is not 0x followed by 64 hex digits")
        self._buf += bytes.fromhex(value[2:])

    def vector(self, items: Sequence[T], item: Callable[[Writer, T], None]) -> None:
        self.length(len(items))
        for value in items:
            item(self, value)

    def option(self, value: T | None, item: Callable[[Writer, T], None]) -> None:
        if value is None:
            self._buf.append(0)
        else:
            self._buf.append(1)
            item(self, value)

    def variant_index(self, index: int) -> None:
        self.uleb128(index, U32_MAX)


@dataclass(frozen=True)
class Codec(Generic[T]):
    """One BCS type as data: how to read it and how to write it.

    Event layouts are lists of (field name, Codec), so one generic loop decodes
    and encodes every event instead of a hand-written function per event.
    ``name`` is the Move spelling of the type (``Option<vector<u64>>``), so a
    layout reads like the Move struct when printed.
    """

    name: str
    decode: Callable[[Reader], T]
    encode: Callable[[Writer, T], None]
    # How a fullnode's JSON rendering of this type (`Event.json`, `Object.json`)
    # becomes the value; None: the rendering is the value itself (a String, a
    # bool, a u8/u16 number, an address in full).
    from_json: Callable[[Any], T] | None = None

    def read_json(self, value: Any) -> T:
        return value if self.from_json is None else self.from_json(value)

    def to_bytes(self, value: T) -> bytes:
        """One value alone, e.g. a table key to look up by its BCS name."""
        writer = Writer()
        self.encode(writer, value)
        return writer.getvalue()


def pair(first: Codec[T], second: Codec[U]) -> Codec[tuple[T, U]]:
    """Two values in a row: a Move struct of two fields, e.g. a VecMap entry."""
    def write(writer: Writer, value: tuple[T, U]) -> None:
        first.encode(writer, value[0])
        second.encode(writer, value[1])

    return Codec(
        f"({first.name}, {second.name})",
        lambda reader: (first.decode(reader), second.decode(reader)),
        write,
    )


def option(inner: Codec[T]) -> Codec[T | None]:
    return Codec(
        f"Option<{inner.name}>",
        lambda reader: reader.option(inner.decode),
        lambda writer, value: writer.option(value, inner.encode),
        # Fullnodes render an Option as its value, or null.
        lambda value: None if value is None else inner.read_json(value),
    )


def _json_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise BcsError(f"expected a JSON list, got {type(value).__name__}")
    return value


def vector(inner: Codec[T]) -> Codec[Sequence[T]]:
    return Codec(
        f"vector<{inner.name}>",
        lambda reader: reader.vector(inner.decode),
        lambda writer, value: writer.vector(value, inner.encode),
        lambda value: [inner.read_json(item) for item in _json_list(value)],
    )


def _contents(value: Any) -> list[Any]:
    """VecSet and VecMap render as the struct they are: `{"contents": [...]}`."""
    if not isinstance(value, dict):
        raise BcsError(f"expected a JSON object with contents, got {type(value).__name__}")
    return _json_list(value.get("contents"))


def vec_set(inner: Codec[T]) -> Codec[Sequence[T]]:
    """`VecSet<T>`: BCS of its one field, a vector."""
    return Codec(
        f"VecSet<{inner.name}>",
        lambda reader: reader.vector(inner.decode),
        lambda writer, value: writer.vector(value, inner.encode),
        lambda value: [inner.read_json(item) for item in _contents(value)],
    )


def vec_map(key: Codec[T], value: Codec[U]) -> Codec[Sequence[tuple[T, U]]]:
    """`VecMap<K, V>`: a vector of (key, value) entries, in insertion order."""
    entry = pair(key, value)

    def read_json(rendered: Any) -> list[tuple[T, U]]:
        return [(key.read_json(item["key"]), value.read_json(item["value"]))
                for item in _contents(rendered)]

    return Codec(
        f"VecMap<{key.name}, {value.name}>",
        lambda reader: reader.vector(entry.decode),
        lambda writer, items: writer.vector(items, entry.encode),
        read_json,
    )


def _u64_json(value: Any) -> int:
    """Fullnodes render u64 (and wider) as a decimal string: JSON numbers lose precision."""
    if not isinstance(value, str) or not value.isdigit():
        raise BcsError(f"expected a u64 as a decimal string, got {value!r}")
    return int(value)


def _base64_json(value: Any) -> bytes:
    """Fullnodes render `vector<u8>` as standard base64 (with padding)."""
    if not isinstance(value, str):
        raise BcsError(f"expected vector<u8> as a base64 string, got {type(value).__name__}")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise BcsError(f"invalid base64 for vector<u8>: {exc}") from None


U8: Codec[int] = Codec("u8", Reader.u8, Writer.u8)
U16: Codec[int] = Codec("u16", Reader.u16, Writer.u16)
U64: Codec[int] = Codec("u64", Reader.u64, Writer.u64, _u64_json)
BOOL: Codec[bool] = Codec("bool", Reader.boolean, Writer.boolean)
STRING: Codec[str] = Codec("String", Reader.string, Writer.string)
BYTES: Codec[bytes] = Codec("vector<u8>", Reader.u8_vector, Writer.u8_vector, _base64_json)
ADDRESS: Codec[str] = Codec("address", Reader.address, Writer.address)
