"""An ODCS contract and a dbt source are checked and alerted like demarc's own contracts: the
real SQL probe on a real table, the real outbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.bootstrap import Services
from ownership.sla import FreshnessState
from tests.fakes.fake_slack import FakeSlack
from tests.integration.worlds import (
    DATA_ENGINEERING,
    MLOPS_CHURN_ON_CALL,
    Clock,
    blocks_text,
    create_load_tables,
    deliver,
    on_call,
    posts,
    running,
    schema_of,
    teams,
    write_registry,
)

# Alice has an email: the ODCS team lists its members by email.
ALICE_BY_EMAIL = DATA_ENGINEERING.replace(
    "slack: U0ALICE01}", "slack: U0ALICE01, email: alice@company.com}"
)
TEAMS = teams(on_call(ALICE_BY_EMAIL, "U0ALICE01"), MLOPS_CHURN_ON_CALL)
ODCS = """\
apiVersion: v3.1.0
kind: DataContract
id: fmt-orders
version: 1.0.0
name: fmt_orders
team:
  members:
    - {username: alice@company.com, role: owner, dateIn: "2025-01-01"}
schema:
  - name: fmt_orders
    properties:
      - {name: id, logicalType: integer}
      - {name: updated_at, logicalType: timestamp}
slaProperties:
  - {property: timeOfAvailability, value: "02:00Z", element: fmt_orders.updated_at}
support:
  - {channel: "#orders-oncall", tool: slack}
customProperties:
  - {property: demarc, value: {consumer_teams: [MLOps Churn], connection: WAREHOUSE_URL}}
"""
DBT = """\
version: 2
sources:
  - name: shop
    schema: {schema}
    meta: {owner: mlops_churn, demarc: {connection: WAREHOUSE_URL}}
    loaded_at_field: updated_at
    freshness: {warn_after: {count: 1, period: hour}, error_after: {count: 2, period: hour}}
    tables:
      - name: fmt_events
"""
T = datetime(2026, 11, 25, 2, 30, tzinfo=UTC)


@pytest.fixture
def services(database_url: str, tmp_path: Path) -> Iterator[tuple[Services, FakeSlack, Clock]]:
    reg = write_registry(
        tmp_path / "registry",
        {
            "teams.yaml": TEAMS,
            "orders.odcs.yaml": ODCS,
            "_sources.yml": DBT.replace("{schema}", schema_of(database_url)),
        },
    )
    clock = Clock(T)
    with FakeSlack() as slack, running(reg, database_url, slack, clock) as built:
        tables = create_load_tables(built.engine, ("fmt_orders", "fmt_events"))
        with built.engine.begin() as conn:
            conn.execute(tables["fmt_orders"].insert().values(updated_at=T - timedelta(days=1)))
            conn.execute(tables["fmt_events"].insert().values(updated_at=T - timedelta(minutes=5)))
        yield built, slack, clock


def test_odcs_and_dbt_contracts_are_checked_and_alerted(
    services: tuple[Services, FakeSlack, Clock],
) -> None:
    built, slack, clock = services
    reports = {r.contract.id: r.evaluation.state for r in built.freshness.check()}
    assert reports == {"fmt_orders": FreshnessState.LATE, "shop.fmt_events": FreshnessState.ON_TIME}
    deliver(built, clock, rounds=3)
    [root] = posts(slack)
    assert root["channel"] == "#orders-oncall"  # the ODCS Slack support channel
    shown = blocks_text(root)
    assert "<@U0ALICE01>" in shown  # owner found through the member without dateOut
    assert "daily, due 02:00 UTC, late after 02:00 UTC" in shown
    assert "MLOps Churn" in shown
