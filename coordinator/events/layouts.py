"""The coordination package's layouts by version, and decoding under one.

Silvana republishes its package rather than upgrading it, so one package id
has one layout; which one is a fact about the package that the bytes only
reveal together with a layout. Two are known:

- ``2025-08``: SilvanaOne/silvana c903016, the Rust coordinator's README
  (``models.py``);
- ``2025-11``: d1563ea, every testnet publication since 2025-09-02
  (``models_2025_11.py``).

The `agent`, `developer` and `app_instance` events are the same in both. The
`jobs` events differ, and `multicall` exists only in ``2025-11``, as do the
proof pipeline's modules (`prover`, `block`, `settlement`, ...: `pipeline`),
decoded alike whatever the layout.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from coordinator.events import models, models_2025_11
from coordinator.events.job_events import BY_MOVE_NAME, ChainJob
from coordinator.events.models import BcsEvent
from coordinator.events.pipeline import PIPELINE_EVENTS

Layout = Literal["2025-08", "2025-11"]
LAYOUT_NAMES: tuple[Layout, ...] = ("2025-08", "2025-11")
DEFAULT_LAYOUT: Layout = "2025-11"

# Modules whose events depend on the layout; others decode the same in all.
LAYOUT_MODULES = frozenset({"jobs", "multicall"})

SHARED_EVENTS: dict[tuple[str, str], type[BcsEvent]] = {
    key: model for key, model in (*models.EVENT_MODELS.items(), *PIPELINE_EVENTS.items())
    if key[0] not in LAYOUT_MODULES
}

LAYOUT_EVENTS: dict[Layout, dict[tuple[str, str], type[BcsEvent]]] = {
    "2025-08": {key: model for key, model in models.EVENT_MODELS.items() if key[0] == "jobs"},
    "2025-11": {
        **{("jobs", model.__name__): model for model in models_2025_11.JOB_EVENTS},
        ("multicall", "OperationFailedEvent"): models_2025_11.OperationFailedEvent,
    },
}

# `jobs::Job` objects as GetObject / ListDynamicFields return them.
JOB_OBJECTS: dict[Layout, type[BcsEvent]] = {
    "2025-08": models.Job,
    "2025-11": models_2025_11.Job,
}


def initial_layout(setting: str, stored: str | None) -> Layout | None:
    """The layout to decode with at start: `sui.layout` as configured, or, for
    "auto", what an earlier run settled (None: not settled yet)."""
    wanted = stored if setting == "auto" else setting
    return next((name for name in LAYOUT_NAMES if name == wanted), None)


def event_model(layout: Layout, module: str, name: str) -> type[BcsEvent] | None:
    """The model of `module::name` under `layout`; None when it has none."""
    if module in LAYOUT_MODULES:
        return LAYOUT_EVENTS[layout].get((module, name))
    return SHARED_EVENTS.get((module, name))


def decode(model: type[BcsEvent], contents: bytes | None, rendered: Any = None) -> BcsEvent:
    """Decode BCS contents, or, from a server that sends none, its JSON rendering."""
    if contents:
        return model.from_bcs(contents)
    if rendered is not None:
        return model.from_json(rendered)
    raise ValueError("event has neither BCS contents nor json")


def neutral(event: BcsEvent) -> BaseModel:
    """The layout-neutral form the daemon acts on: a job event of either layout
    becomes its `job_events` model (`job_id` read as `job_sequence`); other
    events (agent, multicall) are the same everywhere and pass as they are."""
    target = BY_MOVE_NAME.get(type(event).__name__)
    if target is None or type(event) not in _JOB_MODELS:
        return event
    values = {("job_sequence" if name == "job_id" else name): value for name, value in event}
    return target.model_validate(values)


def neutral_job(job: BcsEvent) -> ChainJob:
    """A `jobs::Job` object of either layout, named by its sequence."""
    value = neutral(job)
    if not isinstance(value, ChainJob):
        raise TypeError(f"{type(job).__name__} is not a jobs::Job object")
    return value


_JOB_MODELS = frozenset(
    [model for layout in LAYOUT_NAMES for (module, _), model in LAYOUT_EVENTS[layout].items()
     if module == "jobs"] + list(JOB_OBJECTS.values())
)
