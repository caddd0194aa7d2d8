"""The proof calls of the agent API: agents submit, reject and read the proofs of
an app instance's sequences and blocks.

Not served yet: each answers UNIMPLEMENTED naming what it needs. Serving one is
writing its handler here (it replaces the name below) and its test.
"""

from __future__ import annotations

from coordinator.rpc.calls import AgentCalls, unserved

__all__ = ["UNSERVED", "ProofCalls"]

_PROOFS = "a proof store and proof calculations written on chain"

UNSERVED: dict[str, str] = {
    "SubmitProof": _PROOFS,
    "RejectProof": _PROOFS,
    "GetProof": _PROOFS,
    "GetBlockProof": _PROOFS,
    "ProofEvent": _PROOFS,
}


@unserved(UNSERVED)
class ProofCalls(AgentCalls):
    """SubmitProof, RejectProof, GetProof, GetBlockProof, ProofEvent."""
