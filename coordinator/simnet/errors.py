"""Errors of the simulator's actions, shared by the engine and its Move modules."""

from __future__ import annotations


class SimnetError(Exception):
    """An action the chain would refuse: an unknown name or a job in the wrong state."""


class UnknownObject(SimnetError):
    pass
