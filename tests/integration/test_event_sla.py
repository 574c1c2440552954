"""Event-relative deadlines: "within 2 hours after `crm` lands" (issue 13)."""

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

FILES = {
    "teams.yaml": worlds.TEAMS_ON_CALL
    + "assets:\n  - {id: crm, kind: table, owner: data_engineering}\n"
    "  - {id: features, kind: table, owner: mlops_churn, upstream: [crm]}\n",
    "crm.yaml": (
        "data_source: crm\nowner_team: data_engineering\n"
        'sla: {update_frequency: daily, update_time: "02:00 UTC", max_delay: 30 minutes}\n'
        "probe: {sql: {connection: WAREHOUSE_URL, table: crm, timestamp_column: updated_at}}\n"
    ),
    "features.yaml": (
        "data_source: features\nowner_team: mlops_churn\n"
        "sla: {update_frequency: after, after: crm, max_delay: 2 hours}\n"
        "probe: {sql: {connection: WAREHOUSE_URL, table: features,"
        " timestamp_column: updated_at}}\n"
    ),
}


def at(hour: int, minute: int = 0) -> datetime:
    return DAY + timedelta(hours=hour, minutes=minute)


class World(worlds.World):
    tables: dict[str, Table]

    def load(self, name: str, when: datetime) -> None:
        with self.services.engine.begin() as conn:
            conn.execute(self.tables[name].insert().values(updated_at=when))

    def sweep(self, when: datetime) -> dict[str, str]:
        self.clock.now = when
        states = {r.contract.id: r.evaluation.state.value for r in self.services.freshness.check()}
        self.deliver()
        return states


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    registry = write_registry(tmp_path / "registry", FILES)
    clock = Clock(at(1))
    with FakeSlack() as slack, running(registry, database_url, slack, clock) as services:
        w = World(services, slack, clock)
        w.tables = worlds.create_load_tables(services.engine, ["crm", "features"])
        w.load("crm", at(-22))
        w.load("features", at(-21))
        yield w


def test_the_deadline_follows_the_upstream_landing(world: World) -> None:
    assert world.sweep(at(1))["features"] == "on_time"  # yesterday's crm load was followed
    world.load("crm", at(2, 10))
    assert world.sweep(at(2, 15))["features"] == "pending"  # due by 04:10
    assert world.sweep(at(4, 10))["features"] == "pending"
    assert world.sweep(at(4, 11))["features"] == "late"
    (root,) = world.posts("#mlops-churn-oncall")
    assert "within 2 h after `crm` lands" in worlds.blocks_text(root)
    world.load("features", at(4, 30))
    assert world.sweep(at(4, 31))["features"] == "recovered"


def test_an_unknown_upstream_is_an_error(tmp_path: Path) -> None:
    from ownership.loader import load_registry

    files = dict(FILES)
    files["features.yaml"] = files["features.yaml"].replace("after: crm", "after: crn")
    found = load_registry(write_registry(tmp_path / "r", files)).problems
    assert any(p.code == "unknown-contract" and "did you mean 'crm'" in p.message for p in found)
