from coordinator._pb.sui.rpc.v2 import bcs_pb2 as _bcs_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SignatureScheme(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ED25519: _ClassVar[SignatureScheme]
    SECP256K1: _ClassVar[SignatureScheme]
    SECP256R1: _ClassVar[SignatureScheme]
    MULTISIG: _ClassVar[SignatureScheme]
    BLS12381: _ClassVar[SignatureScheme]
    ZKLOGIN: _ClassVar[SignatureScheme]
    PASSKEY: _ClassVar[SignatureScheme]
ED25519: SignatureScheme
SECP256K1: SignatureScheme
SECP256R1: SignatureScheme
MULTISIG: SignatureScheme
BLS12381: SignatureScheme
ZKLOGIN: SignatureScheme
PASSKEY: SignatureScheme

class UserSignature(_message.Message):
    __slots__ = ("bcs", "scheme")
    BCS_FIELD_NUMBER: _ClassVar[int]
    SCHEME_FIELD_NUMBER: _ClassVar[int]
    bcs: _bcs_pb2.Bcs
    scheme: SignatureScheme
    def __init__(self, bcs: _Optional[_Union[_bcs_pb2.Bcs, _Mapping]] = ..., scheme: _Optional[_Union[SignatureScheme, str]] = ...) -> None: ...
