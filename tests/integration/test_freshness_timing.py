"""The freshness service and scheduler on SQLite and PostgreSQL: long max_delay periods alert,
an earlier period's open alert keeps being re-checked, and a check that raises is "check
failed", told once, never a traceback loop."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.bootstrap import Services
from bot.db.models import Alert, ContractStatus
from bot.freshness.judge import Timing
from bot.freshness.service import FreshnessService
from bot.jobs.freshness import FreshnessScheduler
from bot.registry.holder import RegistryHolder
from ownership.loader import load_registry
from ownership.model import DeadlineSla
from ownership.sla import FreshnessState
from tests.fakes.fake_slack import FakeSlack
from tests.integration import worlds
from tests.integration.worlds import TEAMS_ON_CALL, Clock, blocks_text, running, write_registry

ASSETS = """\
assets:
  - {id: events, kind: source, owner: data_engineering, runbook: "https://wiki/ev"}
"""
CONTRACT = """\
data_source: events
owner_team: data_engineering
sla: %s
probe: {sql: {connection: WAREHOUSE_URL, table: events, timestamp_column: updated_at}}
"""
HOURLY_90 = '{update_frequency: hourly, update_time: ":00 UTC", max_delay: "90 minutes"}'
DAILY_30 = '{update_frequency: daily, update_time: "02:00 UTC", max_delay: "30 minutes"}'
CRON = '{update_frequency: cron, cron: "0 2 * * *", max_delay: "30 minutes"}'
CHANNEL = "#data-eng-oncall"
RECHECK = timedelta(minutes=10)


def utc(d: int, h: int, mi: int = 0, s: int = 0) -> datetime:
    return datetime(2026, 11, d, h, mi, s, tzinfo=UTC)


class World(worlds.World):
    def __init__(self, services: Services, slack: FakeSlack, clock: Clock) -> None:
        super().__init__(services, slack, clock)
        self.table = worlds.create_load_tables(services.engine, ("events",))["events"]

    def load(self, at: datetime) -> None:
        with self.services.engine.begin() as conn:
            conn.execute(self.table.insert().values(updated_at=at))

    def sweep(self, service: FreshnessService | None = None) -> tuple[FreshnessState, datetime]:
        [report] = (service or self.services.freshness).check()
        self.deliver()
        return report.evaluation.state, report.next_check_at

    def alerts(self) -> list[Alert]:
        with Session(self.services.engine) as session:
            return list(session.scalars(select(Alert).order_by(Alert.id)))


def make_world(
    tmp_path: Path, database_url: str, sla: str, now: datetime, holder: RegistryHolder | None = None
) -> Iterator[World]:
    body = CONTRACT % sla if sla.startswith("{") else CONTRACT.replace("sla: %s", sla)
    reg = write_registry(
        tmp_path / "registry", {"teams.yaml": TEAMS_ON_CALL + ASSETS, "events.yaml": body}
    )
    clock = Clock(now)
    with (
        FakeSlack() as slack,
        running(holder or reg, database_url, slack, clock, timing=Timing(recheck=RECHECK),
                probe_timeout=20) as services,
    ):
        yield World(services, slack, clock)


@pytest.fixture
def hourly_world(database_url: str, tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path, database_url, HOURLY_90, utc(25, 11, 45))


@pytest.fixture
def daily_world(database_url: str, tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path, database_url, DAILY_30, utc(24, 2, 31))


def test_hourly_90_min_with_old_data_alerts_and_recovers(hourly_world: World) -> None:
    world = hourly_world
    world.load(utc(25, 11, 45) - timedelta(days=59))
    state, _ = world.sweep()
    assert state is FreshnessState.LATE  # was "pending" forever
    [alert] = world.alerts()
    assert alert.period_key == "2026-11-25T10"
    [root] = world.roots()
    assert root["channel"] == CHANNEL
    assert root["text"].startswith("events is late")

    world.load(utc(25, 11, 50))  # counts for 10:00, 20 min after its 11:30 deadline
    world.clock.now = utc(25, 11, 55)
    state, _ = world.sweep()
    assert state.is_fresh
    [alert] = world.alerts()
    assert alert.status == "recovered"
    assert "recovered, 20 min late" in world.updates()[-1]["text"]
    assert len(world.roots()) == 1


def test_the_next_overdue_hour_is_a_new_breach(hourly_world: World) -> None:
    world = hourly_world
    world.load(utc(25, 9, 5))
    world.sweep()
    world.clock.now = utc(25, 12, 30, 1)  # 11:00's deadline passed too
    world.sweep()
    assert [a.period_key for a in world.alerts()] == ["2026-11-25T10", "2026-11-25T11"]
    assert len(world.roots()) == 2


def test_an_open_alert_of_the_previous_period_is_rechecked_while_the_next_is_pending(
    daily_world: World,
) -> None:
    world = daily_world
    world.load(utc(23, 1, 50))
    state, _ = world.sweep()
    assert state is FreshnessState.LATE  # 2026-11-24, alert opened
    world.clock.now = utc(25, 2, 5)  # 2026-11-25 is pending until 02:30
    state, next_at = world.sweep()
    assert state is FreshnessState.PENDING
    assert next_at == utc(25, 2, 5) + RECHECK  # was 02:30:01: recovery seen 25 min late
    with Session(world.services.engine) as session:
        status = session.get(ContractStatus, "events")
        assert status is not None
        assert status.next_check_at == next_at

    world.load(utc(25, 2, 7))
    world.clock.now = next_at
    state, next_at = world.sweep()
    assert state is FreshnessState.ON_TIME
    [alert] = world.alerts()
    assert alert.status == "recovered"
    assert "recovered" in world.updates()[-1]["text"]
    assert next_at - world.clock.now > RECHECK  # nothing open: back to the SLA's own pace


@pytest.fixture
def warn_only_world(database_url: str, tmp_path: Path) -> Iterator[World]:
    yield from make_world(
        tmp_path, database_url, "freshness: {warn_after: 1 hour}", utc(25, 12, 0)
    )


def test_a_warn_only_age_sla_in_warn_is_checked_at_the_recheck_interval(
    warn_only_world: World,
) -> None:
    world = warn_only_world
    world.load(utc(25, 9, 0))
    for _ in range(3):
        checked = world.clock.now
        state, next_at = world.sweep()
        assert state is FreshnessState.WARN
        assert next_at == checked + RECHECK  # was one second: 78,000 checks in 22 h
        world.clock.now = next_at
    assert world.roots() == []  # a warning pages nobody


# ---------------------------------------------------------------------- checks that raise
def never_firing(tmp_path: Path) -> RegistryHolder:
    """A registry whose cron contract got a schedule that never fires (validation refuses
    one in YAML; a registry loaded by an older demarc may still hold one)."""
    reg = write_registry(
        tmp_path / "source", {"teams.yaml": TEAMS_ON_CALL + ASSETS, "events.yaml": CONTRACT % CRON}
    )
    registry = load_registry(reg).registry
    assert registry is not None
    contract = registry.contracts["events"]
    assert contract.sla is not None
    broken: DeadlineSla = dataclasses.replace(contract.sla, cron="0 2 30 2 *")
    contracts = {**registry.contracts, "events": dataclasses.replace(contract, sla=broken)}
    return RegistryHolder(dataclasses.replace(registry, contracts=contracts))


@pytest.fixture
def broken_world(database_url: str, tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path, database_url, CRON, utc(25, 3, 0), never_firing(tmp_path))


def check_failed_roots(world: World) -> list[str]:
    return [blocks_text(r) for r in world.roots() if "Can't check" in r["text"]]


def test_a_check_that_raises_is_check_failed_and_told_once(
    broken_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world = broken_world
    world.load(utc(25, 2, 0))
    for _ in range(5):
        checked = world.clock.now
        with caplog.at_level(logging.WARNING):
            state, next_at = world.sweep()
        assert state is FreshnessState.CHECK_FAILED
        assert next_at == checked + Timing().retry_failed
        world.clock.now = next_at
    [text] = check_failed_roots(world)
    assert "cannot evaluate the SLA" in text
    assert "0 2 30 2 *" in text
    assert not [r for r in caplog.records if r.exc_info]  # no traceback per check
    with Session(world.services.engine) as session:
        status = session.get(ContractStatus, "events")
        assert status is not None
        assert status.state == "check_failed"


def test_the_scheduler_path_makes_a_raising_check_check_failed(
    broken_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world = broken_world
    world.load(utc(25, 2, 0))
    scheduler = FreshnessScheduler(world.services.freshness, clock=world.clock, holder="a")
    for _ in range(4):
        with caplog.at_level(logging.WARNING):
            scheduler.run_check("events")
        world.deliver()
        with Session(world.services.engine) as session:
            status = session.get(ContractStatus, "events")
            assert status is not None
            assert status.state == "check_failed"
            assert status.next_check_at is not None
            world.clock.now = status.next_check_at
    assert len(check_failed_roots(world)) == 1
    assert not [r for r in caplog.records if r.exc_info]


class FailingTransition(FreshnessService):
    """Recording any verdict but "check failed" raises, as a bug in a renderer would."""

    def _transition(self, session, registry, contract, evaluation, *args, **kwargs):  # type: ignore[no-untyped-def]
        if evaluation.state is not FreshnessState.CHECK_FAILED:
            raise RuntimeError("renderer exploded")
        return super()._transition(session, registry, contract, evaluation, *args, **kwargs)


def test_a_transition_that_raises_is_check_failed_and_told_once(
    daily_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world = daily_world
    base = world.services.freshness
    service = FailingTransition(
        base.engine, base.registry, base.probe_many, clock=world.clock, timing=base.timing
    )
    world.load(utc(23, 1, 50))
    for _ in range(4):
        with caplog.at_level(logging.WARNING):
            state, next_at = world.sweep(service)
        assert state is FreshnessState.CHECK_FAILED
        world.clock.now = next_at
    [text] = check_failed_roots(world)
    assert "renderer exploded" in text
    assert len([r for r in caplog.records if r.exc_info]) == 1  # one traceback, for the bug
