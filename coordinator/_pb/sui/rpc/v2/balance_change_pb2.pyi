from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class BalanceChange(_message.Message):
    __slots__ = ("address", "coin_type", "amount")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    COIN_TYPE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    address: str
    coin_type: str
    amount: str
    def __init__(self, address: _Optional[str] = ..., coin_type: _Optional[str] = ..., amount: _Optional[str] = ...) -> None: ...
