"""warn_after: one non-paging heads-up before the deadline, edited to "late now" when the breach
follows and to "arrived" when the data comes (issue 13, "Warn before error")."""

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
CHANNEL = "#data-eng-oncall"

FILES = {
    "teams.yaml": worlds.DATA_ENGINEERING_ON_CALL.join(["teams:\n", ""])
    + "assets:\n  - {id: customer_master_db, kind: table, owner: data_engineering}\n",
    "customer_master_db.yaml": (
        "data_source: customer_master_db\nowner_team: data_engineering\n"
        'sla: {update_frequency: daily, update_time: "02:00 UTC", max_delay: 30 minutes,'
        " warn_after: 10 minutes}\n"
        "probe: {sql: {connection: WAREHOUSE_URL, table: customer_master_db,"
        " timestamp_column: updated_at}}\n"
    ),
}


def at(hour: int, minute: int = 0) -> datetime:
    return DAY + timedelta(hours=hour, minutes=minute)


class World(worlds.World):
    table: Table

    def load(self, when: datetime) -> None:
        with self.services.engine.begin() as conn:
            conn.execute(self.table.insert().values(updated_at=when))

    def sweep(self, when: datetime) -> list[str | None]:
        self.clock.now = when
        actions = [r.action for r in self.services.freshness.check()]
        self.deliver()
        return actions


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    registry = write_registry(tmp_path / "registry", FILES)
    clock = Clock(at(1))
    with FakeSlack() as slack, running(registry, database_url, slack, clock) as services:
        w = World(services, slack, clock)
        w.table = worlds.create_load_tables(services.engine, ["customer_master_db"])[
            "customer_master_db"
        ]
        w.load(at(-22))  # yesterday's load
        yield w


def test_the_heads_up_comes_once_pages_nobody_and_is_edited_into_late(world: World) -> None:
    assert world.sweep(at(1, 0)) == [None]
    assert world.posts() == []
    assert world.sweep(at(2, 10)) == ["heads-up posted"]
    assert world.sweep(at(2, 20)) == [None]  # once per period
    (note,) = world.posts(CHANNEL)
    assert "has not arrived; due 02:00 UTC, late after 02:30 UTC" in note["text"]
    assert "<@" not in note["text"]
    assert "<!" not in note["text"]
    world.sweep(at(2, 31))
    roots = world.roots()
    assert len(roots) == 2
    assert "<@U0ALICE01>" in worlds.blocks_text(roots[1])
    assert [u["text"] for u in world.updates() if "it is late now" in u["text"]]


def test_the_heads_up_is_settled_quietly_when_the_data_comes(world: World) -> None:
    world.sweep(at(2, 10))
    world.load(at(2, 15))
    world.sweep(at(2, 16))
    assert len(world.posts()) == 1  # the heads-up only: no alert, no reply
    (edit,) = world.updates()
    assert "arrived at 02:15 UTC, in time" in edit["text"]
    world.sweep(at(2, 40))
    assert len(world.posts()) == 1


def test_the_scheduler_wakes_up_at_the_warning_time(world: World) -> None:
    (report,) = world.services.freshness.check()
    assert report.next_check_at == at(2, 10)
