"""From a late table to the message at the fake Slack server, on SQLite and PostgreSQL.

The warehouse table lives in the test database itself; the real SQL probe reads it through
WAREHOUSE_URL, the real outbox delivers to the fake Slack Web API, and the clock is injected.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.bootstrap import Services
from bot.db.models import Alert, CheckResult, OutboxMessage, SilenceRow
from bot.freshness.judge import Timing
from bot.outbox import ROUTINE, UPDATE, URGENT
from ownership.sla import FreshnessState
from tests.fakes.fake_slack import FakeSlack
from tests.integration import worlds
from tests.integration.worlds import TEAMS_ON_CALL, Clock, blocks_text, running, write_registry

ASSETS = """\
assets:
  - {id: customer_master_db, kind: source, owner: data_engineering, runbook: "https://wiki/rb"}
  - {id: churn_features, kind: table, owner: mlops_churn, upstream: [customer_master_db],
     runbook: "https://wiki/cf"}
"""
TEAMS = TEAMS_ON_CALL + ASSETS
CONTRACT = """\
data_source: customer_master_db
owner_team: data_engineering
consumer_teams: [mlops_churn]
sla: {update_frequency: daily, update_time: "02:00 UTC", max_delay: "30 minutes"}
probe: {sql: {connection: WAREHOUSE_URL, table: customers, timestamp_column: updated_at}}
"""
DOWNSTREAM = """\
data_source: churn_features
owner_team: mlops_churn
consumer_teams: [data_engineering]
sla: {update_frequency: daily, update_time: "04:00 UTC", max_delay: "30 minutes"}
probe: {sql: {connection: WAREHOUSE_URL, table: churn_features, timestamp_column: updated_at}}
"""
ROOT_CHANNEL = "#data-eng-oncall"
T = datetime(2026, 11, 25, 2, 31, tzinfo=UTC)  # one minute past the 02:30 deadline


class World(worlds.World):
    def __init__(self, services: Services, slack: FakeSlack, clock: Clock, url: str) -> None:
        super().__init__(services, slack, clock)
        self.url = url
        self.tables = worlds.create_load_tables(services.engine, ("customers", "churn_features"))

    def load(self, table: str, at: datetime) -> None:
        with self.services.engine.begin() as conn:
            conn.execute(self.tables[table].insert().values(updated_at=at))

    def sweep(self, deliver_rounds: int = 5) -> dict[str, FreshnessState]:
        reports = self.services.freshness.check()
        self.deliver(deliver_rounds)
        return {r.contract.id: r.evaluation.state for r in reports}


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    reg = write_registry(
        tmp_path / "registry",
        {
            "teams.yaml": TEAMS,
            "customer_master_db.yaml": CONTRACT,
            "churn_features.yaml": DOWNSTREAM,
        },
    )
    clock = Clock(T)
    with (
        FakeSlack() as slack,
        running(
            reg,
            database_url,
            slack,
            clock,
            timing=Timing(recheck=timedelta(minutes=10)),
            probe_timeout=20,
        ) as services,
    ):
        yield World(services, slack, clock, database_url)


def test_late_table_alerts_once_with_the_right_people_then_recovery_edits_it(
    world: World,
) -> None:
    world.load("customers", datetime(2026, 11, 24, 1, 50, tzinfo=UTC))  # yesterday's load
    world.load("churn_features", datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    states = world.sweep()
    assert states["customer_master_db"] is FreshnessState.LATE
    [root] = world.roots()
    assert root["channel"] == ROOT_CHANNEL
    text = blocks_text(root)
    assert "<@U0ALICE01>" in text  # the owner's on-call is tagged
    assert "MLOps Churn" in text  # the consumer team is named as informed ...
    assert "S0MLCHURN" not in text  # ... and not pinged
    assert "daily, due 02:00 UTC, late after 02:30 UTC" in text
    assert "https://wiki/rb" in text
    assert root["text"].startswith("customer_master_db is late")

    world.clock.advance(minutes=10)  # a re-check that changes nothing visible edits nothing
    world.sweep()
    assert len(world.roots()) == 1
    assert world.updates() == []

    world.load("customers", datetime(2026, 11, 25, 3, 17, tzinfo=UTC))
    world.clock.now = datetime(2026, 11, 25, 3, 20, tzinfo=UTC)
    states = world.sweep()
    assert states["customer_master_db"] is FreshnessState.RECOVERED
    assert len(world.roots()) == 1
    last_edit = world.updates()[-1]
    assert "recovered" in last_edit["text"]
    assert "47 min late" in last_edit["text"]
    root_ts = world.slack.calls("chat.postMessage")[0]
    replies = [b for b in world.posts() if "thread_ts" in b]
    assert replies
    assert "47 min late" in replies[-1]["text"]
    assert last_edit["ts"] == replies[-1]["thread_ts"]
    assert root_ts is not None

    world.clock.advance(minutes=30)  # nothing new to say
    before = len(world.slack.requests)
    world.sweep()
    assert len(world.slack.requests) == before


def test_rechecks_edit_the_root_only_when_what_it_shows_changes(world: World) -> None:
    world.load("customers", datetime(2026, 11, 24, 1, 50, tzinfo=UTC))
    world.load("churn_features", datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    world.sweep()
    [root] = world.roots()
    assert "Late since 02:30 UTC. Data last arrived Nov 24 01:50 UTC." in blocks_text(root)
    for i in range(1, 19):  # three hours of re-checks every 10 minutes
        world.clock.now = T + timedelta(minutes=10 * i)
        world.sweep()
    edits = world.updates()
    assert len(edits) == 3  # over 1 h, over 2 h, over 3 h: not one edit per re-check
    last = blocks_text(edits[-1])
    assert "Late since 02:30 UTC (over 3 h)" in last
    assert "As of 05:31 UTC" in last  # the time of the check those figures come from
    assert edits[-1]["text"] == "customer_master_db is late since 02:30 UTC (over 3 h)"
    with Session(world.services.engine) as s:
        [alert] = s.scalars(select(Alert)).all()
        assert alert.checked_at == datetime(2026, 11, 25, 5, 31, tzinfo=UTC)
        assert alert.late_by_seconds == 3 * 3600 + 60


def test_early_load_is_on_time_and_nothing_is_posted(world: World) -> None:
    world.load("customers", datetime(2026, 11, 25, 1, 40, tzinfo=UTC))
    world.load("churn_features", datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    states = world.sweep()
    assert states["customer_master_db"] is FreshnessState.ON_TIME
    assert world.posts() == []


def test_slack_outage_during_a_breach_loses_nothing_and_sends_nothing_twice(
    world: World,
) -> None:
    world.load("customers", datetime(2026, 11, 24, 1, 50, tzinfo=UTC))
    world.load("churn_features", datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    world.slack.fail_next("chat.postMessage", times=4, status=503)
    world.sweep(deliver_rounds=1)
    assert len(world.roots()) == 1  # one attempt, answered 503: nothing delivered yet
    with Session(world.services.engine) as s:
        assert s.scalars(select(OutboxMessage.status)).all() == ["pending"]
    world.clock.advance(minutes=60)
    world.sweep(deliver_rounds=1)  # a re-check during the outage queues an edit, not a root
    for _ in range(12):
        world.clock.advance(minutes=1)
        world.deliver(2)
    assert len(world.roots()) == 5  # 4 attempts answered 503, then the one that got through
    with Session(world.services.engine) as s:
        statuses = s.scalars(select(OutboxMessage.status)).all()
    assert statuses
    assert set(statuses) == {"sent"}
    assert len(world.updates()) == 1


def test_downstream_late_because_of_upstream_joins_its_alert(world: World) -> None:
    world.load("customers", datetime(2026, 11, 23, 1, 50, tzinfo=UTC))
    world.load("churn_features", datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    world.clock.now = datetime(2026, 11, 25, 4, 31, tzinfo=UTC)  # both past their deadlines
    states = world.sweep()
    assert states == {
        "customer_master_db": FreshnessState.LATE,
        "churn_features": FreshnessState.LATE,
    }
    [root] = world.roots()
    assert root["channel"] == ROOT_CHANNEL  # no root in #mlops-churn-oncall
    assert world.posts("#mlops-churn-oncall") == []
    assert "churn_features" in blocks_text(world.updates()[-1])
    with Session(world.services.engine) as s:
        alerts = {a.contract_id: a for a in s.scalars(select(Alert))}
    assert alerts["churn_features"].caused_by_alert_id == alerts["customer_master_db"].id


def test_downstream_still_late_after_upstream_recovered_gets_its_own_root(
    world: World,
) -> None:
    world.load("customers", datetime(2026, 11, 23, 1, 50, tzinfo=UTC))
    world.load("churn_features", datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    world.clock.now = datetime(2026, 11, 25, 4, 31, tzinfo=UTC)
    world.sweep()
    world.load("customers", datetime(2026, 11, 25, 4, 40, tzinfo=UTC))
    world.clock.now = datetime(2026, 11, 25, 4, 41, tzinfo=UTC)
    world.sweep()  # upstream recovered; downstream gets time to rerun its pipeline
    assert world.posts("#mlops-churn-oncall") == []
    world.clock.now = datetime(2026, 11, 25, 4, 55, tzinfo=UTC)
    world.sweep()
    [own] = [b for b in world.posts("#mlops-churn-oncall") if "thread_ts" not in b]
    assert own["text"].startswith("churn_features is late")
    assert "<@U0DANAKOW>" in blocks_text(own)  # the MLOps on-call is tagged now
    world.clock.advance(minutes=10)
    world.sweep()  # and only once
    assert len([b for b in world.posts("#mlops-churn-oncall") if "thread_ts" not in b]) == 1


def test_failed_probes_are_never_late_and_alert_once_after_three(world: World) -> None:
    world.services.freshness.probe_many = lambda jobs: {  # type: ignore[method-assign]
        cid: __import__("bot.probes", fromlist=["ProbeResult"]).ProbeResult(error="boom")
        for cid, _ in jobs
    }
    for _ in range(5):
        states = world.sweep()
        assert set(states.values()) == {FreshnessState.CHECK_FAILED}
        world.clock.advance(minutes=5)
    roots = world.roots()
    assert sorted(r["channel"] for r in roots) == ["#data-eng-oncall", "#mlops-churn-oncall"]
    assert all("Can't check" in r["text"] for r in roots)
    with Session(world.services.engine) as s:
        assert s.scalar(select(func.count()).select_from(CheckResult)) == 10
        assert s.scalar(select(func.count()).select_from(Alert).where(Alert.kind == "late")) == 0


def test_a_silence_upstream_suppresses_both_alerts_and_says_so(world: World) -> None:
    world.load("customers", datetime(2026, 11, 23, 1, 50, tzinfo=UTC))
    world.load("churn_features", datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    world.clock.now = datetime(2026, 11, 25, 4, 31, tzinfo=UTC)
    with Session(world.services.engine) as s, s.begin():
        s.add(
            SilenceRow(
                asset="customer_master_db",
                starts_at=world.clock.now - timedelta(hours=1),
                ends_at=world.clock.now + timedelta(hours=2),
                reason="backfill",
            )
        )
    reports = world.services.freshness.check()
    world.deliver()
    assert {r.evaluation.state for r in reports} == {FreshnessState.LATE}
    assert all(r.action and r.action.startswith("silenced until") for r in reports)
    assert world.posts() == []
    world.clock.advance(hours=3)  # the silence is over and the data is still late: now alert
    world.sweep()
    assert len(world.roots()) == 1


def test_restart_does_not_double_the_root(world: World) -> None:
    world.load("customers", datetime(2026, 11, 24, 1, 50, tzinfo=UTC))
    world.load("churn_features", datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    world.sweep()
    assert len(world.roots()) == 1
    # A second process on the same database (a restart) re-checks: still one root.
    again = worlds.start_services(world.services.holder, world.url, world.slack, world.clock)
    world.clock.advance(minutes=10)
    again.freshness.check()
    worlds.deliver(again, world.clock, rounds=3, seconds=2)
    assert len(world.roots()) == 1
    worlds.close_services(again)


def queued_edit_priorities(world: World) -> list[int]:
    with Session(world.services.engine) as s:
        return list(
            s.scalars(
                select(OutboxMessage.priority).where(
                    OutboxMessage.method == UPDATE, OutboxMessage.status == "pending"
                )
            )
        )


def test_routine_edits_rank_after_a_recovery_which_keeps_its_urgency(world: World) -> None:
    world.load("customers", datetime(2026, 11, 24, 1, 50, tzinfo=UTC))
    world.load("churn_features", datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    world.sweep()
    world.clock.now = T + timedelta(hours=1)  # "over 1 h": a routine edit, left queued
    world.services.freshness.check()
    assert queued_edit_priorities(world) == [ROUTINE]
    world.load("customers", datetime(2026, 11, 25, 3, 40, tzinfo=UTC))
    world.clock.now = T + timedelta(hours=1, minutes=10)
    world.services.freshness.check()  # the recovery edit replaces the queued routine one
    assert queued_edit_priorities(world) == [URGENT]
    world.deliver(5)
    assert "recovered" in world.updates()[-1]["text"]
