"""A weekday contract is silent on Saturday and on Christmas, and pages on Monday (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bot.db.models import ContractStatus
from tests.fakes.fake_slack import FakeSlack
from tests.integration import worlds
from tests.integration.worlds import Clock, running, write_registry

STALE = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # the last load, days before every check

FILES = {
    "teams.yaml": worlds.DATA_ENGINEERING_ON_CALL.join(["teams:\n", ""])
    + "assets:\n  - {id: orders, kind: table, owner: data_engineering}\n",
    "orders.yaml": (
        "data_source: orders\nowner_team: data_engineering\n"
        'sla: {update_frequency: daily, update_time: "02:00 Europe/Berlin", max_delay: 30 minutes,'
        " calendar: {days: mon-fri, holidays: [DE]}}\n"
        "probe: {sql: {connection: WAREHOUSE_URL, table: orders, timestamp_column: updated_at}}\n"
    ),
}


class World(worlds.World):
    def sweep(self, when: datetime) -> str:
        self.clock.now = when
        self.services.freshness.check()
        self.deliver()
        with Session(self.services.engine) as s:
            status = s.get(ContractStatus, "orders")
            assert status is not None
            return status.state


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    registry = write_registry(tmp_path / "registry", FILES)
    clock = Clock(STALE)
    with FakeSlack() as slack, running(registry, database_url, slack, clock) as services:
        tables = worlds.create_load_tables(services.engine, ["orders"])
        with services.engine.begin() as conn:
            conn.execute(tables["orders"].insert().values(updated_at=STALE))
        yield World(services, slack, clock)


def test_a_weekday_contract_is_silent_on_saturday_and_christmas(world: World) -> None:
    saturday = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
    christmas = datetime(2026, 12, 25, 3, 0, tzinfo=UTC)  # a Friday
    assert world.sweep(saturday) == "not_expected"
    assert world.sweep(christmas) == "not_expected"
    assert world.posts() == []
    monday = datetime(2026, 12, 28, 3, 0, tzinfo=UTC)
    assert world.sweep(monday) == "late"
    assert [p["channel"] for p in world.roots()] == ["#data-eng-oncall"]
