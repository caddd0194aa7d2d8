"""The simulator's 2025-11 job rules, checked against what jobs.move (d1563ea)
does: statuses, attempts, the 60 s retry, periodic jobs, events in Move order."""

from __future__ import annotations

from coordinator.events import JobStatus
from coordinator.events import models_2025_11 as v11
from coordinator.events.models import BcsEvent
from coordinator.simnet import Simnet
from coordinator.simnet.move import jobs as movejobs
from coordinator.simnet.objects import AppInstance, Job

SENDER = "0x" + "5e" * 32
NOW = 1_764_000_000_000


def app_with_jobs(count: int, *, interval_ms: int | None = None) -> AppInstance:
    app = AppInstance(id="0x" + "a" * 64, object_version=0, name="app", app="app")
    for n in range(count):
        job = Job(id=f"0x{n + 1:064x}", object_version=0, developer="d", agent="a",
                  agent_method="m", app="app", app_instance=app.app_instance,
                  interval_ms=interval_ms, next_scheduled_at=None if interval_ms is None else NOW)
        ok, _ = movejobs.create_job(app, job, movejobs.Call(SENDER, NOW))
        assert ok
    return app


def names(events: list[BcsEvent]) -> list[str]:
    return [type(event).__name__ for event in events]


def test_start_then_fail_retries_after_60_s_until_max_attempts_then_failed() -> None:
    app = app_with_jobs(1)
    call = movejobs.Call(SENDER, NOW)
    for attempt in (1, 2):
        ok, events = movejobs.start_job(app, 1, call)
        assert ok and names(events) == ["JobUpdatedEvent", "JobStartedEvent"]
        assert events[1] == v11.JobStartedEvent(job_sequence=1, app_instance=app.app_instance,
                                                coordinator=SENDER, started_at=NOW)
        ok, events = movejobs.fail_job(app, 1, "boom", call)
        assert ok and names(events) == ["JobFailedEvent", "JobUpdatedEvent"]
        job = app.jobs[1]
        assert (job.status.kind, job.attempts) == ("pending", attempt)
        assert job.next_scheduled_at == NOW + movejobs.RETRY_INTERVAL_MS
        assert app.pending_jobs == [1]
    movejobs.start_job(app, 1, call)
    ok, events = movejobs.fail_job(app, 1, "boom", call)
    assert ok and names(events) == ["JobFailedEvent"]  # attempts 3 = max: Failed, kept
    assert app.jobs[1].status == JobStatus(kind="failed", error="boom")
    assert app.failed_jobs == [1] and app.pending_jobs == []
    ok, events = movejobs.restart_failed_jobs(app, None, call)
    assert names(events) == ["JobUpdatedEvent", "JobRestartedEvent", "JobsRestartedEvent"]
    assert (app.jobs[1].status.kind, app.jobs[1].attempts, app.pending_jobs) == ("pending", 0, [1])


def test_refused_operations_emit_operation_failed_and_change_nothing() -> None:
    app = app_with_jobs(1)
    call = movejobs.Call(SENDER, NOW)
    ok, events = movejobs.complete_job(app, 1, call)
    assert not ok and events == [v11.OperationFailedEvent(
        operation="complete", entity_type="job", entity_id=1,
        reason="wrong_status, should be running", caller=SENDER, timestamp=NOW,
        additional_data=b"\x00")]  # BCS of JobStatus::Pending
    ok, events = movejobs.start_job(app, 9, call)
    assert not ok and isinstance(events[0], v11.OperationFailedEvent)
    assert events[0].reason == "job_not_found" and events[0].additional_data is None
    assert app.jobs[1].status.kind == "pending" and app.pending_jobs == [1]


def test_complete_deletes_a_job_and_reschedules_a_periodic_one() -> None:
    call = movejobs.Call(SENDER, NOW)
    app = app_with_jobs(1)
    movejobs.start_job(app, 1, call)
    ok, events = movejobs.complete_job(app, 1, call)
    assert ok and names(events) == ["JobCompletedEvent", "JobDeletedEvent"] and app.jobs == {}

    periodic = app_with_jobs(1, interval_ms=60_000)
    movejobs.start_job(periodic, 1, call)
    ok, events = movejobs.complete_job(periodic, 1, call)
    assert names(events) == ["JobCompletedEvent", "JobUpdatedEvent", "JobRescheduledEvent"]
    assert events[2] == v11.JobRescheduledEvent(
        job_sequence=1, app_instance=periodic.app_instance, next_scheduled_at=NOW + 60_000,
        rescheduled_at=NOW)
    ok, events = movejobs.start_job(periodic, 1, call)
    assert not ok and events[0].reason == "not_due_yet"  # type: ignore[attr-defined]
    ok, _ = movejobs.start_job(periodic, 1, movejobs.Call(SENDER, NOW + 60_000))
    assert ok


def test_multicall_runs_complete_fail_terminate_start_in_that_order() -> None:
    app = app_with_jobs(4)
    call = movejobs.Call(SENDER, NOW)
    movejobs.start_job(app, 1, call)
    movejobs.start_job(app, 2, call)
    ok, events = movejobs.multicall(
        app, call, complete=[1, 3], fail=[(2, "oom")], terminate=[9],
        start=[(3, 4), (4, 8)], available_memory=10,
    )
    executed = events[-1]
    assert ok and executed == v11.MulticallExecutedEvent(
        coordinator=SENDER, complete_jobs=(1, 3), complete_results=(True, False),
        fail_jobs=(2,), fail_results=(True,), terminate_jobs=(9,), terminate_results=(False,),
        start_jobs=(3, 4), start_results=(True, False), timestamp=NOW)
    assert names(events)[:3] == ["JobCompletedEvent", "JobDeletedEvent", "OperationFailedEvent"]
    assert app.jobs[3].status.kind == "running" and app.jobs[4].status.kind == "pending"


def test_simulator_transactions_remove_deleted_job_objects_and_render_2025_11() -> None:
    sim = Simnet(checkpoint_interval_secs=0, clock_ms=lambda: NOW)
    app = sim.create_app_instance("add")
    job = sim.create_job("add", developer="d", agent="a", method="m", interval_ms=60_000)
    rendered = job.json()
    assert rendered["job_sequence"] == "1" and rendered["interval_ms"] == "60000"
    assert rendered["next_scheduled_at"] == str(NOW) and "job_id" not in rendered
    v11.Job.from_json(rendered)  # the fullnode rendering of a 2025-11 Job
    sim.create_job("add", developer="d", agent="a", method="m")
    sim.terminate_job("add", 2)
    assert sim.objects.get(job.id) is job and 2 not in app.jobs
    jobs = app.json()["jobs"]
    assert jobs["next_job_sequence"] == "3" and jobs["pending_jobs"] == {"contents": ["1"]}
    assert jobs["pending_jobs_indexes"]["contents"][0]["key"] == "d"
    record = sim.seal()
    types = [e.event_type.rsplit("::", 1)[1] for _, _, e in record.events()]
    assert types == ["ProofCalculationCreatedEvent", "BlockEvent", "AppInstanceCreatedEvent",
                     "JobCreatedEvent", "JobCreatedEvent",
                     "JobTerminatedEvent",
                     "JobDeletedEvent"]
