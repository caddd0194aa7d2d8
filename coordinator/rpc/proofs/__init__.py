"""The proof calls of the agent API: agents submit, reject and read the proofs of
an app instance's sequences and blocks. Each call is a module of this package
(a mixin of `AgentCalls`); this module composes them into the area."""

from __future__ import annotations

from coordinator.rpc.calls import unserved
from coordinator.rpc.proofs.get_proof import ProofReads
from coordinator.rpc.proofs.proof_event import ProofEventCalls

__all__ = ["UNSERVED", "ProofCalls"]

UNSERVED = dict.fromkeys(
    ("SubmitProof", "RejectProof"),
    "a proof store and proof calculations written on chain")


@unserved(UNSERVED)
class ProofCalls(ProofReads, ProofEventCalls):
    """SubmitProof, RejectProof, GetProof, GetBlockProof, ProofEvent."""
