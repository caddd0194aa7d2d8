"""The purerpc internals our adapter (coordinator.grpc) builds on are the ones it was written for.

The client and server fixes subclass purerpc 0.8's socket, connection, stream
and handler classes and reproduce one of its constructors; a purerpc release
that changes any of them could bring back the hangs the fixes remove, silently.
So this fails, naming what changed, until the fixes are re-checked against the
new code and the fingerprints in coordinator/grpc/patches.py renewed.
"""

from __future__ import annotations

import pytest

from coordinator.grpc import patches


def test_the_pinned_purerpc_still_has_the_internals_we_patch() -> None:
    changed = patches.changed_internals()
    assert changed == [], (
        f"purerpc changed under coordinator/grpc: {', '.join(changed)}. Re-check the fixes "
        "in coordinator/grpc/ against the new source, then renew patches.INTERNALS."
    )


def test_a_changed_internal_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(patches.INTERNALS, "GRPCSocket.listen", "0" * 16)
    assert patches.changed_internals() == ["GRPCSocket.listen"]
