from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Ability(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ABILITY_UNKNOWN: _ClassVar[Ability]
    COPY: _ClassVar[Ability]
    DROP: _ClassVar[Ability]
    STORE: _ClassVar[Ability]
    KEY: _ClassVar[Ability]
ABILITY_UNKNOWN: Ability
COPY: Ability
DROP: Ability
STORE: Ability
KEY: Ability

class Package(_message.Message):
    __slots__ = ("storage_id", "original_id", "version", "modules", "type_origins", "linkage")
    STORAGE_ID_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    MODULES_FIELD_NUMBER: _ClassVar[int]
    TYPE_ORIGINS_FIELD_NUMBER: _ClassVar[int]
    LINKAGE_FIELD_NUMBER: _ClassVar[int]
    storage_id: str
    original_id: str
    version: int
    modules: _containers.RepeatedCompositeFieldContainer[Module]
    type_origins: _containers.RepeatedCompositeFieldContainer[TypeOrigin]
    linkage: _containers.RepeatedCompositeFieldContainer[Linkage]
    def __init__(self, storage_id: _Optional[str] = ..., original_id: _Optional[str] = ..., version: _Optional[int] = ..., modules: _Optional[_Iterable[_Union[Module, _Mapping]]] = ..., type_origins: _Optional[_Iterable[_Union[TypeOrigin, _Mapping]]] = ..., linkage: _Optional[_Iterable[_Union[Linkage, _Mapping]]] = ...) -> None: ...

class TypeOrigin(_message.Message):
    __slots__ = ("module_name", "datatype_name", "package_id")
    MODULE_NAME_FIELD_NUMBER: _ClassVar[int]
    DATATYPE_NAME_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    module_name: str
    datatype_name: str
    package_id: str
    def __init__(self, module_name: _Optional[str] = ..., datatype_name: _Optional[str] = ..., package_id: _Optional[str] = ...) -> None: ...

class Linkage(_message.Message):
    __slots__ = ("original_id", "upgraded_id", "upgraded_version")
    ORIGINAL_ID_FIELD_NUMBER: _ClassVar[int]
    UPGRADED_ID_FIELD_NUMBER: _ClassVar[int]
    UPGRADED_VERSION_FIELD_NUMBER: _ClassVar[int]
    original_id: str
    upgraded_id: str
    upgraded_version: int
    def __init__(self, original_id: _Optional[str] = ..., upgraded_id: _Optional[str] = ..., upgraded_version: _Optional[int] = ...) -> None: ...

class Module(_message.Message):
    __slots__ = ("name", "contents", "datatypes", "functions")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONTENTS_FIELD_NUMBER: _ClassVar[int]
    DATATYPES_FIELD_NUMBER: _ClassVar[int]
    FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    contents: bytes
    datatypes: _containers.RepeatedCompositeFieldContainer[DatatypeDescriptor]
    functions: _containers.RepeatedCompositeFieldContainer[FunctionDescriptor]
    def __init__(self, name: _Optional[str] = ..., contents: _Optional[bytes] = ..., datatypes: _Optional[_Iterable[_Union[DatatypeDescriptor, _Mapping]]] = ..., functions: _Optional[_Iterable[_Union[FunctionDescriptor, _Mapping]]] = ...) -> None: ...

class DatatypeDescriptor(_message.Message):
    __slots__ = ("type_name", "defining_id", "module", "name", "abilities", "type_parameters", "kind", "fields", "variants")
    class DatatypeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        DATATYPE_KIND_UNKNOWN: _ClassVar[DatatypeDescriptor.DatatypeKind]
        STRUCT: _ClassVar[DatatypeDescriptor.DatatypeKind]
        ENUM: _ClassVar[DatatypeDescriptor.DatatypeKind]
    DATATYPE_KIND_UNKNOWN: DatatypeDescriptor.DatatypeKind
    STRUCT: DatatypeDescriptor.DatatypeKind
    ENUM: DatatypeDescriptor.DatatypeKind
    TYPE_NAME_FIELD_NUMBER: _ClassVar[int]
    DEFINING_ID_FIELD_NUMBER: _ClassVar[int]
    MODULE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ABILITIES_FIELD_NUMBER: _ClassVar[int]
    TYPE_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    VARIANTS_FIELD_NUMBER: _ClassVar[int]
    type_name: str
    defining_id: str
    module: str
    name: str
    abilities: _containers.RepeatedScalarFieldContainer[Ability]
    type_parameters: _containers.RepeatedCompositeFieldContainer[TypeParameter]
    kind: DatatypeDescriptor.DatatypeKind
    fields: _containers.RepeatedCompositeFieldContainer[FieldDescriptor]
    variants: _containers.RepeatedCompositeFieldContainer[VariantDescriptor]
    def __init__(self, type_name: _Optional[str] = ..., defining_id: _Optional[str] = ..., module: _Optional[str] = ..., name: _Optional[str] = ..., abilities: _Optional[_Iterable[_Union[Ability, str]]] = ..., type_parameters: _Optional[_Iterable[_Union[TypeParameter, _Mapping]]] = ..., kind: _Optional[_Union[DatatypeDescriptor.DatatypeKind, str]] = ..., fields: _Optional[_Iterable[_Union[FieldDescriptor, _Mapping]]] = ..., variants: _Optional[_Iterable[_Union[VariantDescriptor, _Mapping]]] = ...) -> None: ...

class TypeParameter(_message.Message):
    __slots__ = ("constraints", "is_phantom")
    CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    IS_PHANTOM_FIELD_NUMBER: _ClassVar[int]
    constraints: _containers.RepeatedScalarFieldContainer[Ability]
    is_phantom: bool
    def __init__(self, constraints: _Optional[_Iterable[_Union[Ability, str]]] = ..., is_phantom: _Optional[bool] = ...) -> None: ...

class FieldDescriptor(_message.Message):
    __slots__ = ("name", "position", "type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    position: int
    type: OpenSignatureBody
    def __init__(self, name: _Optional[str] = ..., position: _Optional[int] = ..., type: _Optional[_Union[OpenSignatureBody, _Mapping]] = ...) -> None: ...

class VariantDescriptor(_message.Message):
    __slots__ = ("name", "position", "fields")
    NAME_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    name: str
    position: int
    fields: _containers.RepeatedCompositeFieldContainer[FieldDescriptor]
    def __init__(self, name: _Optional[str] = ..., position: _Optional[int] = ..., fields: _Optional[_Iterable[_Union[FieldDescriptor, _Mapping]]] = ...) -> None: ...

class OpenSignatureBody(_message.Message):
    __slots__ = ("type", "type_name", "type_parameter_instantiation", "type_parameter")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TYPE_UNKNOWN: _ClassVar[OpenSignatureBody.Type]
        ADDRESS: _ClassVar[OpenSignatureBody.Type]
        BOOL: _ClassVar[OpenSignatureBody.Type]
        U8: _ClassVar[OpenSignatureBody.Type]
        U16: _ClassVar[OpenSignatureBody.Type]
        U32: _ClassVar[OpenSignatureBody.Type]
        U64: _ClassVar[OpenSignatureBody.Type]
        U128: _ClassVar[OpenSignatureBody.Type]
        U256: _ClassVar[OpenSignatureBody.Type]
        VECTOR: _ClassVar[OpenSignatureBody.Type]
        DATATYPE: _ClassVar[OpenSignatureBody.Type]
        TYPE_PARAMETER: _ClassVar[OpenSignatureBody.Type]
    TYPE_UNKNOWN: OpenSignatureBody.Type
    ADDRESS: OpenSignatureBody.Type
    BOOL: OpenSignatureBody.Type
    U8: OpenSignatureBody.Type
    U16: OpenSignatureBody.Type
    U32: OpenSignatureBody.Type
    U64: OpenSignatureBody.Type
    U128: OpenSignatureBody.Type
    U256: OpenSignatureBody.Type
    VECTOR: OpenSignatureBody.Type
    DATATYPE: OpenSignatureBody.Type
    TYPE_PARAMETER: OpenSignatureBody.Type
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_PARAMETER_INSTANTIATION_FIELD_NUMBER: _ClassVar[int]
    TYPE_PARAMETER_FIELD_NUMBER: _ClassVar[int]
    type: OpenSignatureBody.Type
    type_name: str
    type_parameter_instantiation: _containers.RepeatedCompositeFieldContainer[OpenSignatureBody]
    type_parameter: int
    def __init__(self, type: _Optional[_Union[OpenSignatureBody.Type, str]] = ..., type_name: _Optional[str] = ..., type_parameter_instantiation: _Optional[_Iterable[_Union[OpenSignatureBody, _Mapping]]] = ..., type_parameter: _Optional[int] = ...) -> None: ...

class FunctionDescriptor(_message.Message):
    __slots__ = ("name", "visibility", "is_entry", "type_parameters", "parameters", "returns")
    class Visibility(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        VISIBILITY_UNKNOWN: _ClassVar[FunctionDescriptor.Visibility]
        PRIVATE: _ClassVar[FunctionDescriptor.Visibility]
        PUBLIC: _ClassVar[FunctionDescriptor.Visibility]
        FRIEND: _ClassVar[FunctionDescriptor.Visibility]
    VISIBILITY_UNKNOWN: FunctionDescriptor.Visibility
    PRIVATE: FunctionDescriptor.Visibility
    PUBLIC: FunctionDescriptor.Visibility
    FRIEND: FunctionDescriptor.Visibility
    NAME_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    IS_ENTRY_FIELD_NUMBER: _ClassVar[int]
    TYPE_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    RETURNS_FIELD_NUMBER: _ClassVar[int]
    name: str
    visibility: FunctionDescriptor.Visibility
    is_entry: bool
    type_parameters: _containers.RepeatedCompositeFieldContainer[TypeParameter]
    parameters: _containers.RepeatedCompositeFieldContainer[OpenSignature]
    returns: _containers.RepeatedCompositeFieldContainer[OpenSignature]
    def __init__(self, name: _Optional[str] = ..., visibility: _Optional[_Union[FunctionDescriptor.Visibility, str]] = ..., is_entry: _Optional[bool] = ..., type_parameters: _Optional[_Iterable[_Union[TypeParameter, _Mapping]]] = ..., parameters: _Optional[_Iterable[_Union[OpenSignature, _Mapping]]] = ..., returns: _Optional[_Iterable[_Union[OpenSignature, _Mapping]]] = ...) -> None: ...

class OpenSignature(_message.Message):
    __slots__ = ("reference", "body")
    class Reference(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        REFERENCE_UNKNOWN: _ClassVar[OpenSignature.Reference]
        IMMUTABLE: _ClassVar[OpenSignature.Reference]
        MUTABLE: _ClassVar[OpenSignature.Reference]
    REFERENCE_UNKNOWN: OpenSignature.Reference
    IMMUTABLE: OpenSignature.Reference
    MUTABLE: OpenSignature.Reference
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    reference: OpenSignature.Reference
    body: OpenSignatureBody
    def __init__(self, reference: _Optional[_Union[OpenSignature.Reference, str]] = ..., body: _Optional[_Union[OpenSignatureBody, _Mapping]] = ...) -> None: ...
