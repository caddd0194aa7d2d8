"""What the daemon gives back once started: the settings' source lines, free heap pages."""

from __future__ import annotations

import linecache
from pathlib import Path

import coordinator.config
from coordinator.heap import drop_source_lines, return_free_memory


def test_source_lines_are_dropped_and_read_again_when_a_traceback_needs_them() -> None:
    path = coordinator.config.__file__
    linecache.getlines(path)  # as pydantic's reading of field docstrings does
    drop_source_lines()
    assert path not in linecache.cache
    first = Path(path).read_text().splitlines()[0]
    assert linecache.getline(path, 1).rstrip("\n") == first  # what a traceback asks


def test_free_heap_pages_are_handed_back_here() -> None:
    assert return_free_memory()  # glibc here, and in the image (Debian)
