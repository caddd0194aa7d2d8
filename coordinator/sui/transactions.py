"""Sui transactions for the coordinator's Move calls: one import for the layers above.

The pieces live apart: `codec` (TransactionData and its BCS), `calls` (the
Move calls, one module per Move module, and the transactions made of them),
`signing` (intent, signature, digest). Callers that write transactions need
names of all three; they import them from here.
"""

from __future__ import annotations

from coordinator.sui.calls import (
    APP_INSTANCE_MODULE,
    AddMetadata,
    AgentWrite,
    CompleteJob,
    CreateAppJob,
    DecodedCall,
    DeleteKV,
    FailJob,
    Multicall,
    Operation,
    SetKV,
    StartJob,
    TerminateJob,
    build_transaction,
    decode_operation,
)
from coordinator.sui.codec import (
    CLOCK,
    Argument,
    CallArg,
    GasData,
    MoveCall,
    ObjectRef,
    ProgrammableTransaction,
    Pure,
    SharedObject,
    TransactionData,
)
from coordinator.sui.signing import (
    sign_transaction,
    signing_digest,
    transaction_digest,
    verify_transaction_signature,
)

__all__ = [
    "APP_INSTANCE_MODULE",
    "CLOCK",
    "AddMetadata",
    "AgentWrite",
    "Argument",
    "CallArg",
    "CompleteJob",
    "CreateAppJob",
    "DecodedCall",
    "DeleteKV",
    "FailJob",
    "GasData",
    "MoveCall",
    "Multicall",
    "ObjectRef",
    "Operation",
    "ProgrammableTransaction",
    "Pure",
    "SetKV",
    "SharedObject",
    "StartJob",
    "TerminateJob",
    "TransactionData",
    "build_transaction",
    "decode_operation",
    "sign_transaction",
    "signing_digest",
    "transaction_digest",
    "verify_transaction_signature",
]
