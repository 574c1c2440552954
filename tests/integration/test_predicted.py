"""A late upstream warns the downstream's owner once, in their own channel, before the
downstream's deadline, from the lag its checks recorded (issue 13, "Predicted downstream
breaches")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Table

from tests.fakes.fake_slack import FakeSlack
from tests.integration import worlds
from tests.integration.worlds import Clock, running, write_registry

DAY = datetime(2026, 11, 25, tzinfo=UTC)
LAG = timedelta(hours=1, minutes=50)
UP, DOWN = "#data-eng-oncall", "#mlops-churn-oncall"

FILES = {
    "teams.yaml": worlds.TEAMS_ON_CALL
    + "assets:\n  - {id: customer_master_db, kind: table, owner: data_engineering}\n"
    "  - {id: churn_features, kind: table, owner: mlops_churn, upstream: [customer_master_db]}\n",
    "customer_master_db.yaml": (
        "data_source: customer_master_db\nowner_team: data_engineering\n"
        'sla: {update_frequency: daily, update_time: "02:00 UTC", max_delay: 30 minutes}\n'
        "probe: {sql: {connection: WAREHOUSE_URL, table: customer_master_db,"
        " timestamp_column: updated_at}}\n"
    ),
    "churn_features.yaml": (
        "data_source: churn_features\nowner_team: mlops_churn\n"
        'sla: {update_frequency: daily, update_time: "04:15 UTC", max_delay: 30 minutes}\n'
        "probe: {sql: {connection: WAREHOUSE_URL, table: churn_features,"
        " timestamp_column: updated_at}}\n"
    ),
}


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    return DAY + timedelta(days=day, hours=hour, minutes=minute)


class World(worlds.World):
    tables: dict[str, Table]

    def load(self, name: str, when: datetime) -> None:
        with self.services.engine.begin() as conn:
            conn.execute(self.tables[name].insert().values(updated_at=when))

    def sweep(self, when: datetime) -> None:
        self.clock.now = when
        self.services.freshness.check()
        self.deliver()


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    registry = write_registry(tmp_path / "registry", FILES)
    clock = Clock(at(0, day=-4))
    with FakeSlack() as slack, running(registry, database_url, slack, clock) as services:
        w = World(services, slack, clock)
        w.tables = worlds.create_load_tables(services.engine, ["customer_master_db",
                                                              "churn_features"])
        w.load("customer_master_db", at(0, 20, -5))
        w.load("churn_features", at(2, 10, -5))
        for day, up in ((-4, at(0, 20)), (-3, at(0, 20)), (-2, at(2, 20)), (-1, at(2, 20))):
            # four days of history: churn_features lands 1 h 50 after its upstream, usually
            # at 02:10; twice it was seen waiting: the upstream came after that (02:20, still
            # on time), so 1 h 50 is the time it needs, not its schedule
            w.load("customer_master_db", up + timedelta(days=day))
            w.sweep(up + timedelta(days=day, minutes=5))
            down = up + LAG + timedelta(days=day)
            w.load("churn_features", down)
            w.sweep(down + timedelta(minutes=5))
        assert w.posts() == []
        yield w


def test_a_late_upstream_warns_the_downstream_owner_once_before_its_deadline(
    world: World,
) -> None:
    world.sweep(at(2, 31))  # 02:31 + 1 h 50 = 04:21, before 04:45: no warning yet
    assert world.posts(DOWN) == []
    world.sweep(at(3, 0))  # 04:50 is past 04:45
    world.sweep(at(3, 10))
    world.sweep(at(3, 20))
    (warning,) = world.posts(DOWN)
    assert world.clock.now < at(4, 45)
    text = warning["text"]
    assert "`churn_features` will likely miss 04:45 UTC" in text
    assert "`customer_master_db` is 30 min late" in text
    assert "usually lands 1 h 50 min after it" in text
    assert "<@U0DANAKOW>" in text  # the downstream's on-call, in their own channel
    # the breach itself folds into the upstream's alert: no root of its own
    world.sweep(at(4, 46))
    assert len(world.posts(DOWN)) == 1
    assert any("Also affected: `churn_features`" in p["text"] for p in world.posts())


def test_no_warning_without_history(database_url: str, tmp_path: Path) -> None:
    registry = write_registry(tmp_path / "registry", FILES)
    clock = Clock(at(3, 0))
    with FakeSlack() as slack, running(registry, database_url, slack, clock) as services:
        w = World(services, slack, clock)
        w.tables = worlds.create_load_tables(services.engine, ["customer_master_db",
                                                              "churn_features"])
        w.load("customer_master_db", at(1, 50, -1))
        w.load("churn_features", at(1, 50, -1) + LAG)
        w.sweep(at(3, 0))  # upstream late, but no lag on record: no prediction
        assert w.posts(DOWN) == []


def test_a_downstream_page_waits_for_the_upstream_landing_plus_its_lag(world: World) -> None:
    """ETA given, upstream lands at 05:00, churn_features still late: without the hold it
    would get its own page 10 min later; it waits until 05:00 + 1 h 50 min instead."""
    from bot.freshness.etas import give_eta

    world.sweep(at(3, 0))  # upstream late: churn_features warned
    registry = world.services.freshness.registry()
    reply = give_eta(world.services.engine, registry, None, at(5, 30), "U0ALICE", at(3, 5),
                     contract_id="customer_master_db")  # fmt: skip
    assert "ETA for `customer_master_db`" in reply
    world.sweep(at(4, 46))  # churn_features late: listed under the upstream's alert
    world.load("customer_master_db", at(5, 0))
    world.sweep(at(5, 5))  # upstream recovered
    world.sweep(at(5, 20))  # the old code paged churn_features here (recovered 15 min ago)
    world.sweep(at(6, 0))
    down = world.posts(DOWN)
    assert [p for p in down if not p.get("thread_ts")] == down[:1]  # only the warning, no page
    held = [p["text"] for p in world.posts() if "its page is held" in p["text"]]
    assert len(held) == 2  # once in the warning's thread, once in the upstream's
    assert "held until 06:50 UTC" in held[0]
    assert "`customer_master_db` landed at 05:00 UTC" in held[0]
    assert "usually lands 1 h 50 min after it" in held[0]
    world.sweep(at(6, 51))  # still late after the upstream's landing + its lag: paged now
    roots = [p for p in world.posts(DOWN) if not p.get("thread_ts")]
    assert len(roots) == 2
    assert "churn_features" in roots[1]["text"]


def test_a_downstream_that_follows_its_upstream_quickly_is_warned_only_when_it_must_miss(
    database_url: str, tmp_path: Path
) -> None:
    """churn_features usually lands at 03:40 (1 h 50 after its upstream), but once followed a
    late upstream in 5 min: the gap is its own slack (and one waited gap is not enough for a
    follow lag: it is zero). Half an hour late upstream: no warning (the old median-gap rule
    warned at 03:00); still late at 04:41: warned, before 04:45."""
    registry = write_registry(tmp_path / "registry", FILES)
    clock = Clock(at(0, day=-5))
    with FakeSlack() as slack, running(registry, database_url, slack, clock) as services:
        w = World(services, slack, clock)
        w.tables = worlds.create_load_tables(services.engine, ["customer_master_db",
                                                              "churn_features"])
        for day in (-5, -4, -3):
            w.load("customer_master_db", at(1, 50, day))
            w.sweep(at(1, 55, day))
            w.load("churn_features", at(1, 50, day) + LAG)
            w.sweep(at(3, 45, day))
        w.sweep(at(2, 31, -2))  # a late upstream, and a downstream that follows it in 5 min
        w.load("customer_master_db", at(4, 0, -2))
        w.sweep(at(4, 2, -2))
        w.load("churn_features", at(4, 5, -2))
        w.sweep(at(4, 10, -2))
        w.load("customer_master_db", at(1, 50, -1))
        w.sweep(at(1, 55, -1))
        w.load("churn_features", at(1, 50, -1) + LAG)
        w.sweep(at(3, 45, -1))
        before = len(w.posts(DOWN))
        for minute in range(31, 152, 10):  # 02:31 … 04:31: the upstream is late; at 04:31
            w.sweep(at(2 + minute // 60, minute % 60))  # + 10 min (the re-check, > 5) < 04:45
        assert len(w.posts(DOWN)) == before
        w.sweep(at(4, 41))  # the last check before 04:45: landing now + 5 min misses
        (warning,) = w.posts(DOWN)[before:]
        assert "`churn_features` will likely miss 04:45 UTC" in warning["text"]


def test_late_checks_reuse_the_lags_until_a_landing_is_recorded(world: World) -> None:
    """Every late check projects, but the 30-day landings query runs once per new landing,
    not once per check (a storm of late contracts would otherwise run one each)."""
    from bot.freshness import predictions

    before = predictions.queries
    for minute in (31, 40, 50, 60, 70, 80):
        world.sweep(at(2, minute) if minute < 60 else at(3, minute - 60))
    assert predictions.queries - before == 1
    world.load("churn_features", at(3, 25))  # a new landing: its lag and usual time are redone
    world.sweep(at(3, 30))
    assert predictions.queries - before == 2


def test_a_downstream_whose_data_is_in_already_is_not_warned(world: World) -> None:
    """churn_features' data came in early, after its last check: the upstream's late check
    probes it before warning, and says nothing (B5: data in at 01:30, warned at 03:20)."""
    world.load("churn_features", at(0, 30))  # counts for today (due 04:15), not yet checked
    world.clock.now = at(3, 0)
    world.services.freshness.check(["customer_master_db"])  # 04:50 is past 04:45
    world.deliver()
    assert world.posts(DOWN) == []
    world.sweep(at(3, 10))
    assert world.posts(DOWN) == []
