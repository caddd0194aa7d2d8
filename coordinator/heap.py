"""What start-up leaves in memory and the daemon never reads again, given back.

Importing the settings reads their modules' source (pydantic takes each
field's docstring from it, `use_attribute_docstrings`) into `linecache`,
which keeps it. And CPython and sqlite free into the C library's malloc,
which gives the system back only the top of a heap: pages freed below a live
block stay resident. Once start-up is done (sqlite's page cache of one-time
reads released too, see `Ledger.release_cache`) the daemon does both, once.
"""

from __future__ import annotations

import ctypes
import linecache


def drop_source_lines() -> None:
    """Forget the source files `linecache` holds (a traceback reads them again);
    sources that exist only in memory (attrs' generated methods) stay."""
    for name, entry in list(linecache.cache.items()):
        if len(entry) == 4 and entry[1] is not None:  # (size, mtime, lines, path): a file's
            del linecache.cache[name]


def return_free_memory() -> bool:
    """glibc's `malloc_trim(0)`: the free pages of every malloc arena go back
    to the system. False where the C library has none (musl, macOS)."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is None:
        return False
    trim(0)
    return True
