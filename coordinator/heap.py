"""Freed memory handed back to the system.

CPython and sqlite free into the C library's malloc, which gives the system
back only the top of a heap: pages freed below a live block stay resident.
After start-up (sqlite's page cache of one-time reads released, see
`Ledger.release_cache`) the daemon asks once for every free page back.
"""

from __future__ import annotations

import ctypes


def return_free_memory() -> bool:
    """glibc's `malloc_trim(0)`: the free pages of every malloc arena go back
    to the system. False where the C library has none (musl, macOS)."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is None:
        return False
    trim(0)
    return True
