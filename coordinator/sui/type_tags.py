"""Move type tags (a MoveCall's type arguments) in BCS and as text.

The text is the canonical spelling a fullnode gives (`u64`,
`vector<u8>`, `0x000…02::coin::Coin<0x000…02::sui::SUI>`): addresses in full,
so two spellings of one type compare equal. None of the coordination
package's functions is generic; the codec still reads and writes type
arguments, so a transaction that has them is judged by the chain (a type
arity mismatch at execution) rather than refused as undecodable.
"""

from __future__ import annotations

from coordinator.events.bcs import Reader, Writer
from coordinator.events.models import normalize_address

__all__ = ["parse_type_tag", "read_type_tag", "split_generics", "write_type_tag"]

# TypeTag's variants in BCS order (sui-types / move-core-types TypeTag).
_VARIANTS = ("bool", "u8", "u64", "u128", "address", "signer", "vector", "struct",
             "u16", "u32", "u256")  # fmt: skip
_MAX_DEPTH = 16  # deeper than any type a transaction names; bounds the recursion


def read_type_tag(reader: Reader, depth: int = 0) -> str:
    """One TypeTag, as canonical text."""
    if depth > _MAX_DEPTH:
        raise reader.error(f"a type nested deeper than {_MAX_DEPTH}")
    name = _VARIANTS[reader.variant_index(len(_VARIANTS))]
    if name == "vector":
        return f"vector<{read_type_tag(reader, depth + 1)}>"
    if name != "struct":
        return name
    address, module, struct = reader.address(), reader.string(), reader.string()
    parameters = reader.vector(lambda r: read_type_tag(r, depth + 1))
    generics = f"<{', '.join(parameters)}>" if parameters else ""
    return f"{normalize_address(address)}::{module}::{struct}{generics}"


def write_type_tag(writer: Writer, text: str) -> None:
    """The TypeTag of canonical text (`parse_type_tag`'s output)."""
    outer, generics = split_generics(text)
    if outer in _VARIANTS and outer != "struct":
        writer.variant_index(_VARIANTS.index(outer))
        if outer == "vector":
            (inner,) = generics
            write_type_tag(writer, inner)
        return
    address, module, struct = outer.split("::")
    writer.variant_index(_VARIANTS.index("struct"))
    writer.address(address)
    writer.string(module)
    writer.string(struct)
    writer.vector(generics, write_type_tag)


def parse_type_tag(text: str, depth: int = 0) -> str:
    """Text as a client spells a type (short addresses, any spaces), in
    canonical form; ValueError for what is not a type."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"a type nested deeper than {_MAX_DEPTH}")
    outer, generics = split_generics(text.strip())
    parameters = [parse_type_tag(generic, depth + 1) for generic in generics]
    if outer in _VARIANTS and outer != "struct":
        if (outer == "vector") != (len(parameters) == 1) or (outer != "vector" and parameters):
            raise ValueError(f"{text!r} is not a type")
        return f"vector<{parameters[0]}>" if outer == "vector" else outer
    parts = outer.split("::")
    if len(parts) != 3 or not all(part.isidentifier() for part in parts[1:]):
        raise ValueError(f"{text!r} is not a type (0xADDRESS::module::Name<...>)")
    address = normalize_address(parts[0])
    return f"{address}::{parts[1]}::{parts[2]}" + (
        f"<{', '.join(parameters)}>" if parameters else ""
    )


def split_generics(text: str) -> tuple[str, list[str]]:
    """`outer<a, b<c>>` -> ("outer", ["a", "b<c>"]), split at the top level only."""
    if "<" not in text:
        return text.strip(), []
    if not text.endswith(">"):
        raise ValueError(f"{text!r} is not a type")
    outer, inner = text[: text.index("<")].strip(), text[text.index("<") + 1 : -1]
    parts, level, start = [], 0, 0
    for index, char in enumerate(inner):
        level += {"<": 1, ">": -1}.get(char, 0)
        if level < 0:
            raise ValueError(f"{text!r} is not a type")
        if char == "," and level == 0:
            parts.append(inner[start:index].strip())
            start = index + 1
    parts.append(inner[start:].strip())
    if level != 0 or not all(parts):
        raise ValueError(f"{text!r} is not a type")
    return outer, parts
