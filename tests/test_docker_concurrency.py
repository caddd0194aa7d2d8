"""Concurrency limits, observed through what the engine recorded: the start and
finish times of the containers themselves."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import trio

from coordinator.docker import (
    ContainerOptions,
    ContainerOutcome,
    ContainerSlots,
    ContainerSpec,
    DockerEngine,
    run_container,
)
from tests.docker_support import make_options, make_spec


def most_at_once(outcomes: Iterable[ContainerOutcome]) -> int:
    """The largest number of containers running at one instant."""
    events: list[tuple[datetime, int]] = []
    for outcome in outcomes:
        assert outcome.started_at and outcome.finished_at
        events += [(outcome.started_at, 1), (outcome.finished_at, -1)]
    running = peak = 0
    for _, change in sorted(events):  # at a tie, a finish (-1) counts first
        running += change
        peak = max(peak, running)
    return peak


async def run_all(
    engine: DockerEngine, slots: ContainerSlots, specs: list[ContainerSpec],
    options: ContainerOptions,
) -> dict[int, ContainerOutcome]:
    """Every spec's outcome, by job id."""
    outcomes: dict[int, ContainerOutcome] = {}

    async def one(spec: ContainerSpec) -> None:
        async with slots.hold(spec.key):
            assert slots.in_use <= slots.max_concurrent
            outcomes[spec.job_id] = await run_container(engine, spec, options)

    async with trio.open_nursery() as nursery:
        for spec in specs:
            nursery.start_soon(one, spec)
    assert slots.in_use == 0
    return outcomes


async def test_six_jobs_with_max_concurrent_two(
    engine: DockerEngine, instance_id: str, socket_path: Path
) -> None:
    specs = [make_spec(n, "sleep 1", agent=f"agent{n}") for n in range(6)]
    options = make_options(instance_id)
    outcomes = await run_all(engine, ContainerSlots(2), specs, options)
    assert [o.exit_code for o in outcomes.values()] == [0] * 6
    assert most_at_once(outcomes.values()) == 2


async def test_one_container_per_key_at_a_time(
    engine: DockerEngine, instance_id: str, socket_path: Path
) -> None:
    same_key = [make_spec(n, "sleep 0.5") for n in range(3)]
    other_key = make_spec(9, "sleep 1.5", agent="other")
    slots = ContainerSlots(4)
    outcomes = await run_all(
        engine, slots, [*same_key, other_key], make_options(instance_id)
    )
    assert most_at_once(outcomes[spec.job_id] for spec in same_key) == 1
    # The other key was not held up: it ran alongside them.
    assert most_at_once(outcomes.values()) == 2
    assert not slots.busy(same_key[0].key)
