"""An ODCS contract and a dbt source are checked and alerted like demarc's own contracts: the
real SQL probe on a real table, the real outbox, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, create_engine, text

from bot.registry_holder import RegistryHolder
from bot.runtime import Services, build_services
from ownership.sla import FreshnessState
from tests.fakes.fake_slack import FakeSlack

TEAMS = """\
teams:
  - id: data_engineering
    name: Data Engineering
    slack: {usergroup: {id: S0DATAENG}, oncall_channel: "#data-eng-oncall"}
    members: [{name: Alice, slack: U0ALICE01, email: alice@company.com}]
    oncall: {members: [U0ALICE01], period: weekly, timezone: UTC, start: 2026-01-05}
  - id: mlops_churn
    name: MLOps Churn
    slack: {usergroup: {id: S0MLCHURN}, oncall_channel: "#mlops-churn-oncall"}
    members: [{name: Dana, slack: U0DANAKOW}]
    oncall: {members: [U0DANAKOW], period: weekly, timezone: UTC, start: 2026-01-05}
"""
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


def _schema_of(url: str) -> str:
    if url.startswith("sqlite"):
        return "main"
    engine = create_engine(url)
    with engine.connect() as conn:
        name = conn.execute(text("SELECT current_schema()")).scalar_one()
    engine.dispose()
    return str(name)


class Clock:
    def __init__(self) -> None:
        self.now = T

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def services(database_url: str, tmp_path: Path) -> Iterator[tuple[Services, FakeSlack, Clock]]:
    reg = tmp_path / "registry"
    reg.mkdir()
    (reg / "teams.yaml").write_text(TEAMS)
    (reg / "orders.odcs.yaml").write_text(ODCS)
    (reg / "_sources.yml").write_text(DBT.replace("{schema}", _schema_of(database_url)))
    clock = Clock()
    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[])
        built = build_services(
            RegistryHolder.from_path(reg),
            database_url,
            client,
            environ={"WAREHOUSE_URL": database_url},
            clock=clock,
        )
        meta = MetaData()
        for name in ("fmt_orders", "fmt_events"):
            Table(
                name,
                meta,
                Column("id", Integer, primary_key=True),
                Column("updated_at", DateTime(timezone=True)),
            )
        meta.create_all(built.engine)
        with built.engine.begin() as conn:
            conn.execute(
                meta.tables["fmt_orders"].insert().values(updated_at=T - timedelta(days=1))
            )
            conn.execute(
                meta.tables["fmt_events"].insert().values(updated_at=T - timedelta(minutes=5))
            )
        yield built, slack, clock
        built.prober.close()
        built.engine.dispose()


def test_odcs_and_dbt_contracts_are_checked_and_alerted(
    services: tuple[Services, FakeSlack, Clock],
) -> None:
    built, slack, clock = services
    reports = {r.contract.id: r.evaluation.state for r in built.freshness.check()}
    assert reports == {"fmt_orders": FreshnessState.LATE, "shop.fmt_events": FreshnessState.ON_TIME}
    for _ in range(3):
        built.outbox.deliver_due()
        clock.now += timedelta(seconds=1.1)
    [root] = [r.body for r in slack.calls("chat.postMessage")]
    assert root["channel"] == "#orders-oncall"  # the ODCS Slack support channel
    raw = root["blocks"]
    shown = json.dumps(json.loads(raw) if isinstance(raw, str) else raw)
    assert "<@U0ALICE01>" in shown  # owner found through the member without dateOut
    assert "daily, due 02:00 UTC, late after 02:00 UTC" in shown
    assert "MLOps Churn" in shown
