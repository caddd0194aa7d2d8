"""What can go wrong in the proof store, one class per thing a caller acts on.

Every message is one line that names what was wrong (the descriptor, the size,
the backend) and never a credential: the agent-facing handlers pass it on as
their `message` (success=false) or INTERNAL error text, as upstream does.
"""

from __future__ import annotations


class ProofStoreError(Exception):
    """Base class: the store could not do what was asked."""


class DescriptorError(ProofStoreError):
    """A descriptor from outside (an agent's request, chain data) is malformed:
    wrong shape, unknown backend, bad network or bad hash."""


class BackendNotConfigured(ProofStoreError):
    """A well-formed descriptor names a backend or bucket this coordinator does
    not use, so it cannot be read here."""


class ObjectMissing(ProofStoreError):
    """No object under the descriptor: never stored here, or expired and purged."""


class ObjectTooLarge(ProofStoreError):
    """Over the configured cap: refused on store, and on read before the whole
    object is brought into memory."""


class ObjectCorrupt(ProofStoreError):
    """The bytes read back do not hash to the descriptor's hash."""


class StoreUnavailable(ProofStoreError):
    """The backend failed (disk error, S3 down or timing out); a retry may work."""
