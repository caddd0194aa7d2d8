"""The coordination package's datatypes an app reads, field by field, as
MovePackageService describes them (SilvanaOne/silvana d1563ea,
move/coordination/sources: `app_instance.move`, `jobs.move`).

Silvana publishes its package with its local dependencies inside it
(`--with-unpublished-dependencies`), so `commitment::state::AppState` has the
package's own id. Every type keeps the original id across upgrades.
"""

from __future__ import annotations

from coordinator._pb.sui.rpc.v2 import move_package_pb2
from coordinator.sui.type_tags import parse_type_tag, split_generics

Body = move_package_pb2.OpenSignatureBody
Datatype = move_package_pb2.DatatypeDescriptor
Ability = move_package_pb2.Ability
COPY, DROP, KEY, STORE = (move_package_pb2.COPY, move_package_pb2.DROP, move_package_pb2.KEY,
                          move_package_pb2.STORE)  # fmt: skip

_PRIMITIVES = {
    "address": Body.ADDRESS, "bool": Body.BOOL, "u8": Body.U8, "u16": Body.U16,
    "u32": Body.U32, "u64": Body.U64, "u128": Body.U128, "u256": Body.U256,
}  # fmt: skip

# `@` is the package's own id; the Move standard library is 0x1, Sui's 0x2.
_UID, _STRING, _OPTION = "0x2::object::UID", "0x1::string::String", "0x1::option::Option"
_VEC_MAP, _VEC_SET, _TABLE = "0x2::vec_map::VecMap", "0x2::vec_set::VecSet", \
    "0x2::object_table::ObjectTable"  # fmt: skip
_STRINGS = f"{_VEC_MAP}<{_STRING}, {_STRING}>"

# module -> (name, abilities, fields); a field is (name, type).
_STRUCTS: dict[str, list[tuple[str, tuple[Ability, ...], list[tuple[str, str]]]]] = {
    "app_instance": [("AppInstance", (KEY, STORE), [
        ("id", _UID), ("silvana_app_name", _STRING), ("description", f"{_OPTION}<{_STRING}>"),
        ("metadata", _STRINGS), ("kv", _STRINGS),
        ("methods", f"{_VEC_MAP}<{_STRING}, @::app_method::AppMethod>"),
        ("state", "@::state::AppState"),
        ("blocks", f"{_TABLE}<u64, @::block::Block>"),
        ("settlements", f"{_VEC_MAP}<{_STRING}, @::settlement::Settlement>"),
        ("proof_calculations", f"{_TABLE}<u64, @::prover::ProofCalculation>"),
        ("sequence_state_manager", "@::sequence_state::SequenceStateManager"),
        ("jobs", "@::jobs::Jobs"), ("sequence", "u64"), ("admin", "address"),
        ("block_number", "u64"), ("previous_block_timestamp", "u64"),
        ("previous_block_last_sequence", "u64"),
        ("previous_block_actions_state", "0x2::group_ops::Element<0x2::bls12381::Scalar>"),
        ("last_proved_block_number", "u64"), ("last_settled_block_number", "u64"),
        ("last_settled_sequence", "u64"), ("last_purged_sequence", "u64"),
        ("isPaused", "bool"), ("min_time_between_blocks", "u64"), ("created_at", "u64"),
        ("updated_at", "u64"),
    ])],
    "jobs": [
        ("Job", (KEY, STORE), [
            ("id", _UID), ("job_sequence", "u64"), ("description", f"{_OPTION}<{_STRING}>"),
            ("developer", _STRING), ("agent", _STRING), ("agent_method", _STRING),
            ("app", _STRING), ("app_instance", _STRING), ("app_instance_method", _STRING),
            ("block_number", f"{_OPTION}<u64>"), ("sequences", f"{_OPTION}<vector<u64>>"),
            ("sequences1", f"{_OPTION}<vector<u64>>"), ("sequences2", f"{_OPTION}<vector<u64>>"),
            ("data", "vector<u8>"), ("status", "@::jobs::JobStatus"), ("attempts", "u8"),
            ("interval_ms", f"{_OPTION}<u64>"), ("next_scheduled_at", f"{_OPTION}<u64>"),
            ("created_at", "u64"), ("updated_at", "u64"),
        ]),
        ("Jobs", (KEY, STORE), [
            ("id", _UID), ("jobs", f"{_TABLE}<u64, @::jobs::Job>"),
            ("failed_jobs_count", "u64"), ("failed_jobs_index", f"{_VEC_SET}<u64>"),
            ("pending_jobs", f"{_VEC_SET}<u64>"), ("pending_jobs_count", "u64"),
            ("pending_jobs_indexes", f"{_VEC_MAP}<{_STRING}, {_VEC_MAP}<{_STRING}, "
                                     f"{_VEC_MAP}<{_STRING}, {_VEC_SET}<u64>>>>"),
            ("next_job_sequence", "u64"), ("max_attempts", "u8"),
        ]),
    ],
}  # fmt: skip

# module -> (name, abilities, variants); a variant is (name, positional field types).
_ENUMS: dict[str, list[tuple[str, tuple[Ability, ...], list[tuple[str, list[str]]]]]] = {
    "jobs": [("JobStatus", (COPY, DROP, STORE),
              [("Pending", []), ("Running", []), ("Failed", [_STRING])])],
}


def signature_body(text: str) -> move_package_pb2.OpenSignatureBody:
    """A type in canonical text (`type_tags.parse_type_tag`) as a signature body."""
    outer, generics = split_generics(text)
    arguments = [signature_body(generic) for generic in generics]
    if outer in _PRIMITIVES:
        return Body(type=_PRIMITIVES[outer])
    if outer == "vector":
        return Body(type=Body.VECTOR, type_parameter_instantiation=arguments)
    return Body(type=Body.DATATYPE, type_name=outer, type_parameter_instantiation=arguments)


def _field(
    original_id: str, position: int, name: str, type_text: str
) -> move_package_pb2.FieldDescriptor:
    canonical = parse_type_tag(type_text.replace("@", original_id))
    return move_package_pb2.FieldDescriptor(
        name=name, position=position, type=signature_body(canonical)
    )


def datatypes(original_id: str, module: str) -> list[Datatype]:
    """The described datatypes of `module`, structs then enums."""
    described = [
        Datatype(
            type_name=f"{original_id}::{module}::{name}", defining_id=original_id, module=module,
            name=name, abilities=list(abilities), kind=Datatype.STRUCT,
            fields=[_field(original_id, n, *field) for n, field in enumerate(fields)],
        )
        for name, abilities, fields in _STRUCTS.get(module, [])
    ]  # fmt: skip
    described += [
        Datatype(
            type_name=f"{original_id}::{module}::{name}", defining_id=original_id, module=module,
            name=name, abilities=list(abilities), kind=Datatype.ENUM,
            variants=[
                move_package_pb2.VariantDescriptor(
                    name=variant, position=n,
                    fields=[_field(original_id, i, f"pos{i}", t) for i, t in enumerate(types)],
                )
                for n, (variant, types) in enumerate(variants)
            ],
        )
        for name, abilities, variants in _ENUMS.get(module, [])
    ]  # fmt: skip
    return described
