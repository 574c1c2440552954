"""The one scheduler in process, as `serve` runs it: freshness checks at their due times, the
periodic jobs, a rebuild after a reload, and a clean stop.

APScheduler fires on the wall clock, so the services' clock runs at real speed from where the
test sets it (`OffsetClock`); due times are set in the database. Every wait is on a condition
with a deadline.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from bot.bootstrap import Services, start
from bot.db.models import CheckResult, ContractStatus, Lease, Replica
from bot.jobs.freshness import JOB_PREFIX
from bot.jobs.scheduler import Job, Periodic, make_scheduler
from tests.fakes.fake_slack import FakeSlack, wait_for
from tests.integration.worlds import TEAMS_ON_CALL, create_load_tables, running, write_registry

ASSETS = """\
assets:
  - {id: events, kind: source, owner: data_engineering, runbook: "https://wiki/ev"}
  - {id: orders, kind: source, owner: data_engineering, runbook: "https://wiki/or"}
"""
CONTRACT = """\
data_source: %s
owner_team: data_engineering
freshness: {warn_after: "26 hours", error_after: "50 hours"}
probe: {sql: {connection: WAREHOUSE_URL, table: %s, timestamp_column: updated_at}}
"""


class OffsetClock:
    """The wall clock plus an offset the test may change."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    @property
    def now(self) -> datetime:
        return self()


@dataclass
class World:
    services: Services
    clock: OffsetClock
    registry: Path
    tables: dict[str, Table]

    def checks(self, contract_id: str) -> int:
        with Session(self.services.engine) as session:
            query = select(func.count()).where(CheckResult.contract_id == contract_id)
            return int(session.scalar(query.select_from(CheckResult)) or 0)

    def next_run(self, contract_id: str) -> datetime | None:
        job = self.services.scheduler.scheduler.get_job(JOB_PREFIX + contract_id)
        return None if job is None else job.next_run_time

    def job_ids(self) -> set[str]:
        return {job.id for job in self.services.scheduler.scheduler.get_jobs()}

    def due_at(self, contract_id: str, at: datetime) -> None:
        with Session(self.services.engine) as session, session.begin():
            session.execute(
                update(ContractStatus)
                .where(ContractStatus.contract_id == contract_id)
                .values(next_check_at=at)
            )


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    registry = write_registry(tmp_path / "registry", {
        "teams.yaml": TEAMS_ON_CALL + ASSETS,
        "events.yaml": CONTRACT % ("events", "events"),
        "orders.yaml": CONTRACT % ("orders", "orders"),
    })
    clock = OffsetClock()
    with FakeSlack() as slack, running(registry, database_url, slack, clock) as services:
        tables = create_load_tables(services.engine, ("events", "orders"))
        with services.engine.begin() as conn:
            for table in tables.values():
                conn.execute(table.insert().values(updated_at=clock.now))
        services.freshness.check()  # both fresh: each has a status row and a next check
        world = World(services, clock, registry, tables)
        try:
            yield world
        finally:
            services.scheduler.shutdown()


def later_than_now(at: datetime | None) -> bool:
    return at is not None and at > datetime.now(UTC)


def test_an_overdue_check_runs_once_at_start_and_a_later_one_waits(world: World) -> None:
    hours_ahead = world.clock.now + timedelta(hours=3)
    world.due_at("events", world.clock.now - timedelta(minutes=30))  # missed while down
    world.due_at("orders", hours_ahead)
    world.services.scheduler.start()
    wait_for(lambda: world.checks("events") == 2, message="the overdue check")
    wait_for(lambda: later_than_now(world.next_run("events")), message="its next check armed")
    assert world.checks("events") == 2  # once: its next run is hours away
    assert world.checks("orders") == 1
    assert world.next_run("orders") == hours_ahead


def test_a_check_runs_when_it_falls_due(world: World) -> None:
    world.due_at("events", world.clock.now + timedelta(hours=3))
    world.due_at("orders", world.clock.now + timedelta(hours=3))
    due = world.clock.now + timedelta(seconds=1.5)  # after start() armed it, even when busy
    world.due_at("orders", due)
    world.services.scheduler.start()
    assert world.next_run("orders") == due
    wait_for(lambda: world.checks("orders") == 2, message="the check at its due time")
    wait_for(lambda: later_than_now(world.next_run("orders")), message="its next check armed")
    assert world.checks("events") == 1


def test_a_reload_drops_the_jobs_of_removed_contracts(world: World) -> None:
    world.due_at("events", world.clock.now + timedelta(hours=3))
    world.due_at("orders", world.clock.now + timedelta(hours=3))
    world.services.scheduler.start()
    assert world.job_ids() == {JOB_PREFIX + "events", JOB_PREFIX + "orders"}
    (world.registry / "orders.yaml").unlink()
    problems = world.services.reloader.reload("test")  # as SIGHUP and polling do
    assert not [p for p in problems if p.is_error]
    assert world.job_ids() == {JOB_PREFIX + "events"}


def test_the_runtime_starts_every_job_and_stops_cleanly(world: World) -> None:
    services = world.services
    world.due_at("events", world.clock.now + timedelta(hours=3))
    world.due_at("orders", world.clock.now + timedelta(hours=3))
    runtime = start(services)
    expected = {"heartbeat", "outbox", "incident-timers", "change-notices", "schema-drift",
                "registry-poll", "retention", "data-quality", "oncall-sync", "request-reminders",
                JOB_PREFIX + "events", JOB_PREFIX + "orders"}
    wait_for(lambda: world.job_ids() == expected, message="every job armed")
    wait_for(lambda: lease_holder(services, "outbox") == services.replica_id,
             message="the outbox job running")
    wait_for(lambda: lease_holder(services, "retention") == services.replica_id,
             message="the retention job running")
    assert runtime.healthy()["status"] == "ok"
    runtime.stop()
    assert not services.scheduler.running
    assert runtime.healthy()["checks"]["scheduler"] == "stopped"  # type: ignore[index]
    services.scheduler.run_check("events")  # a queued run after the stop does nothing
    assert world.checks("events") == 1


def lease_holder(services: Services, name: str) -> str | None:
    with Session(services.engine) as session:
        lease = session.get(Lease, name)
        return None if lease is None else lease.holder


def test_stop_unregisters_the_replica_and_releases_its_leases(world: World) -> None:
    services = world.services
    runtime = start(services)
    wait_for(lambda: lease_holder(services, "outbox") == services.replica_id,
             message="the outbox lease taken")
    runtime.stop()
    assert lease_holder(services, "outbox") is None
    with Session(services.engine) as session:
        assert session.get(Replica, services.replica_id) is None


def test_periodic_jobs_run_at_once_and_survive_failures() -> None:
    runs: list[str] = []
    done = threading.Event()

    def boom() -> None:
        runs.append("boom")
        raise RuntimeError("fails, is logged, runs again")

    def ok() -> None:
        runs.append("ok")
        if runs.count("boom") >= 2:
            done.set()

    every = timedelta(seconds=0.01)
    periodic = Periodic(make_scheduler(), [Job("boom", every, boom), Job("ok", every, ok)])
    periodic.start()
    try:
        wait_for(done.is_set, message="boom twice, ok after it")
    finally:
        periodic.stop()
        periodic.scheduler.shutdown()
    assert not periodic.scheduler.running
    assert set(runs[:2]) == {"boom", "ok"}  # both at once, each on its own thread
    assert runs.count("boom") >= 2


def test_stop_waits_for_a_run_in_flight_then_cleans_up() -> None:
    inside, release = threading.Event(), threading.Event()
    events: list[str] = []

    def slow() -> None:
        inside.set()
        release.wait(5)
        events.append("run ended")

    job = Job("slow", timedelta(hours=1), slow, on_stop=lambda: events.append("cleaned up"))
    periodic = Periodic(make_scheduler(), [job])
    periodic.start()
    wait_for(inside.is_set, message="the run started")
    stopper = threading.Thread(target=periodic.stop)
    stopper.start()
    release.set()
    stopper.join(timeout=5)
    assert not stopper.is_alive()
    # APScheduler's own thread drops the fired one-off job after submitting it; on a busy
    # machine it may get there only now, and after shutdown() that raises in its thread.
    wait_for(lambda: periodic.scheduler.get_job("slow") is None, message="the fired job dropped")
    periodic.scheduler.shutdown()
    assert events == ["run ended", "cleaned up"]
