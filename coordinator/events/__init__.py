"""Coordination events: the BCS codec and the typed models of the Move events.

Import from here; ``bcs`` and ``models`` are the implementation split.
"""

from coordinator.events import models
from coordinator.events.bcs import BcsError, Codec, Reader, Writer
from coordinator.events.models import *  # noqa: F403  (the models' names are the package's)

__all__ = ["BcsError", "Codec", "Reader", "Writer"]
__all__ += models.__all__
