"""Upstream calls this coordinator does not serve yet, and what each would need.

Agents built with Silvana's SDKs may call any of upstream's 31 methods; the
ones here answer UNIMPLEMENTED with a message naming the missing piece, so an
agent's log says why instead of a bare "unimplemented". The README's table of
methods follows this one.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, NoReturn

import purerpc

from coordinator._pb.silvana.coordinator.v1.coordinator_grpc import CoordinatorServiceServicer

__all__ = ["UNSERVED", "UnservedCalls"]

_PROOFS = "a proof store and proof calculations written on chain"
_BLOCKS = "Move calls on the app instance's blocks (chain writes)"

UNSERVED: dict[str, str] = {
    "SubmitProof": _PROOFS,
    "RejectProof": _PROOFS,
    "GetProof": _PROOFS,
    "GetBlockProof": _PROOFS,
    "ProofEvent": _PROOFS,
    "SubmitState": "sequence state writes on chain and a data availability store (Walrus)",
    "GetSequenceStates": "chain reads of the app instance's sequence states",
    "ReadDataAvailability": "a data availability store (Walrus)",
    "GetSettlementProof": "a proof store and settlement chains",
    "SubmitSettlementProof": "a proof store and settlement chains",
    "RetrieveSecret": "a secrets store",
    "TryCreateBlock": _BLOCKS,
    "UpdateBlockStateDataAvailability": _BLOCKS,
    "UpdateBlockProofDataAvailability": _BLOCKS,
    "UpdateBlockSettlementTxHash": _BLOCKS,
    "UpdateBlockSettlementTxIncludedInBlock": _BLOCKS,
    "UpdateBlockSettlement": _BLOCKS,
    "GetBlock": "chain reads of the app instance's blocks",
    "GetBlockSettlement": "chain reads of the app instance's blocks and settlement chains",
}


def _refuse(name: str, need: str) -> Callable[[Any, Any], Coroutine[Any, Any, NoReturn]]:
    message = f"{name} is not served by this coordinator: it needs {need}"

    async def call(self: Any, input_message: Any) -> NoReturn:
        raise purerpc.UnimplementedError(message)

    call.__name__ = call.__qualname__ = name
    return call


class UnservedCalls(CoordinatorServiceServicer):
    """The servicer base whose unserved calls say what they need."""


for _name, _need in UNSERVED.items():
    setattr(UnservedCalls, _name, _refuse(_name, _need))
