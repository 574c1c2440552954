"""A silence on an upstream holds its downstreams' alerts and tells each downstream owner's
channel once why and until when (issue 13, "Planned delays")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakes.fake_slack import FakeSlack
from tests.integration import worlds
from tests.integration.worlds import Clock, running, write_registry

DAY = datetime(2026, 11, 25, tzinfo=UTC)


def contract(name: str, team: str, hour: int) -> str:
    return (
        f"data_source: {name}\nowner_team: {team}\n"
        f'sla: {{update_frequency: daily, update_time: "{hour:02d}:00 UTC", '
        "max_delay: 30 minutes}\n"
        f"probe: {{sql: {{connection: WAREHOUSE_URL, table: {name}, "
        "timestamp_column: updated_at}}\n"
    )


FILES = {
    "teams.yaml": worlds.TEAMS_ON_CALL
    + "assets:\n  - {id: crm, kind: table, owner: data_engineering}\n"
    "  - {id: features, kind: table, owner: mlops_churn, upstream: [crm]}\n"
    "  - {id: scores, kind: table, owner: mlops_churn, upstream: [features]}\n"
    'silences:\n  - {asset: crm, from: "2026-11-25T00:00:00+00:00", '
    'to: "2026-11-25T06:00:00+00:00", reason: CRM migration}\n',
    "crm.yaml": contract("crm", "data_engineering", 2),
    "features.yaml": contract("features", "mlops_churn", 3),
    "scores.yaml": contract("scores", "mlops_churn", 4),
}


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[worlds.World]:
    registry = write_registry(tmp_path / "registry", FILES)
    clock = Clock(DAY + timedelta(hours=1))
    with FakeSlack() as slack, running(registry, database_url, slack, clock) as services:
        tables = worlds.create_load_tables(services.engine, ["crm", "features", "scores"])
        with services.engine.begin() as conn:
            for table in tables.values():
                conn.execute(table.insert().values(updated_at=DAY - timedelta(hours=20)))
        yield worlds.World(services, slack, clock)


def sweep(world: worlds.World, hour: int, minute: int) -> None:
    world.clock.now = DAY + timedelta(hours=hour, minutes=minute)
    world.services.freshness.check()
    world.deliver()


def test_one_notice_per_downstream_owner_channel_and_no_alerts(world: worlds.World) -> None:
    for hour, minute in ((2, 31), (3, 31), (4, 31), (5, 1)):
        sweep(world, hour, minute)
    (notice,) = world.posts("#mlops-churn-oncall")
    assert notice["text"].startswith(
        ":construction: `crm` is on a planned delay until 06:00 UTC (CRM migration)."
    )
    assert "Alerts for `features`, `scores`" in notice["text"]
    assert world.posts("#data-eng-oncall") == []  # the silenced asset's own team knows
    sweep(world, 6, 1)  # the silence is over: what is still late is posted now
    assert len(world.roots()) >= 2
