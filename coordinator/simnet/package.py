"""The Silvana package the simulator hosts, described as MovePackageService
describes a published package: its modules, their object types and the
functions a transaction may call.

The simulator has no bytecode: the description is made from the call tables
it executes (`coordinator.sui.calls`: each function's pure parameters), with
the objects around them as the Move source declares them (`&mut AppInstance`
first, `&Clock` when the function reads the time, the `&mut TxContext` every
entry point ends with). So an SDK that asks for a function's signature, to
know which arguments are objects and which are pure, gets what it would get
from a fullnode.
"""

from __future__ import annotations

from typing import Any

from coordinator._pb.sui.rpc.v2 import move_package_pb2
from coordinator.simnet.package_types import datatypes
from coordinator.sui.calls import app_instance, jobs
from coordinator.sui.calls.base import APP_INSTANCE_MODULE, MoveFunction

Body = move_package_pb2.OpenSignatureBody
Signature = move_package_pb2.OpenSignature

_PRIMITIVES = {
    "address": Body.ADDRESS, "bool": Body.BOOL, "u8": Body.U8, "u16": Body.U16,
    "u32": Body.U32, "u64": Body.U64, "u128": Body.U128, "u256": Body.U256,
}  # fmt: skip
_STD = "0x" + "0" * 63 + "1"
_FRAMEWORK = "0x" + "0" * 63 + "2"
_GENERIC = {"Option": f"{_STD}::option::Option"}
_NAMED = {"String": f"{_STD}::string::String"}
JOBS_MODULE = "jobs"


def body(move_type: str) -> move_package_pb2.OpenSignatureBody:
    """A type as our codecs spell it (`Option<vector<u64>>`) as a signature body."""
    if move_type in _PRIMITIVES:
        return Body(type=_PRIMITIVES[move_type])
    if move_type in _NAMED:
        return Body(type=Body.DATATYPE, type_name=_NAMED[move_type])
    outer, _, inner = move_type.partition("<")
    if not inner.endswith(">"):
        raise ValueError(f"not a type the simulator describes: {move_type}")
    argument = body(inner[:-1])
    if outer == "vector":
        return Body(type=Body.VECTOR, type_parameter_instantiation=[argument])
    return Body(
        type=Body.DATATYPE, type_name=_GENERIC[outer], type_parameter_instantiation=[argument]
    )


def _object(type_name: str, reference: move_package_pb2.OpenSignature.Reference) -> Signature:
    return Signature(reference=reference, body=Body(type=Body.DATATYPE, type_name=type_name))


def _function(
    package_id: str, function: MoveFunction[Any], returns: bool
) -> move_package_pb2.FunctionDescriptor:
    parameters = [_object(f"{package_id}::{APP_INSTANCE_MODULE}::AppInstance", Signature.MUTABLE)]
    parameters += [Signature(body=body(codec.name)) for codec in function.signature]
    if function.with_clock:
        parameters.append(_object(f"{_FRAMEWORK}::clock::Clock", Signature.IMMUTABLE))
    parameters.append(_object(f"{_FRAMEWORK}::tx_context::TxContext", Signature.MUTABLE))
    return move_package_pb2.FunctionDescriptor(
        name=function.function,
        visibility=move_package_pb2.FunctionDescriptor.PUBLIC,
        is_entry=False,
        parameters=parameters,
        returns=[Signature(body=Body(type=Body.BOOL))] if returns else [],
    )


def package(
    original_id: str, storage_id: str | None = None, version: int = 1
) -> move_package_pb2.Package:
    """Version `version` of the package (its id `storage_id`, the original's by
    default): its job calls return whether they applied. Every type keeps the
    original id (no version added one), as do the types its functions take."""
    functions = [_function(original_id, f, returns=True) for f in jobs.FUNCTIONS]
    functions += [_function(original_id, f, returns=False) for f in app_instance.FUNCTIONS]
    functions.sort(key=lambda function: function.name)
    modules = [
        move_package_pb2.Module(
            name=APP_INSTANCE_MODULE,
            datatypes=datatypes(original_id, APP_INSTANCE_MODULE),
            functions=functions,
        ),
        move_package_pb2.Module(name=JOBS_MODULE, datatypes=datatypes(original_id, JOBS_MODULE)),
    ]
    return move_package_pb2.Package(
        storage_id=storage_id or original_id, original_id=original_id, version=version,
        modules=modules,
        type_origins=[
            move_package_pb2.TypeOrigin(
                module_name=module.name, datatype_name=datatype.name, package_id=original_id
            )
            for module in modules for datatype in module.datatypes
        ],
        # Its dependencies, the Move standard library and the Sui framework.
        linkage=[
            move_package_pb2.Linkage(original_id=dep, upgraded_id=dep, upgraded_version=1)
            for dep in (_STD, _FRAMEWORK)
        ],
    )  # fmt: skip
