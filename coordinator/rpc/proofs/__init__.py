"""The proof calls of the agent API: agents submit, reject and read the proofs of
an app instance's sequences and blocks. Each call is a module of this package
(a mixin of `AgentCalls`); this module composes them into the area."""

from __future__ import annotations

from coordinator.rpc.calls import AgentCalls, unserved

__all__ = ["UNSERVED", "ProofCalls"]

UNSERVED = dict.fromkeys(
    ("SubmitProof", "RejectProof", "GetProof", "GetBlockProof", "ProofEvent"),
    "a proof store and proof calculations written on chain")


@unserved(UNSERVED)
class ProofCalls(AgentCalls):
    """SubmitProof, RejectProof, GetProof, GetBlockProof, ProofEvent."""
