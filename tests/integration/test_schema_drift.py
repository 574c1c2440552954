"""A live column drop is alerted to the owner once, consumers are told, and the fix resolves
it: the real inspection of a real table, on SQLite and PostgreSQL, through the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.bootstrap import Services
from bot.changes.drift import TableInspector
from bot.db.models import SchemaDriftAlert
from ownership.model import SqlProbe
from tests.fakes.fake_slack import FakeSlack
from tests.integration import worlds
from tests.integration.worlds import (
    TEAMS_OWNER_ON_CALL,
    Clock,
    blocks_text,
    running,
    schema_of,
    write_registry,
)

CONTRACT = """\
data_source: customer_master_db
owner_team: data_engineering
consumer_teams: [mlops_churn]
freshness: {error_after: "1 day"}
schema:
  customer_id: {type: string, required: true}
  signup_date: {type: date, required: true}
  monthly_charges: {type: float, required: true}
  updated_at: {type: timestamp}
probe: {sql: {connection: WAREHOUSE_URL, table: drift_customers, timestamp_column: updated_at}}
"""
# The same table described by a dbt sources file: drift works for every format.
DBT = """\
version: 2
sources:
  - name: crm
    schema: {schema}
    meta:
      owner: data_engineering
      demarc: {connection: WAREHOUSE_URL, consumer_teams: [mlops_churn]}
    tables:
      - name: drift_customers
        loaded_at_field: updated_at
        freshness: {error_after: {count: 1, period: day}}
        columns:
          - {name: customer_id, data_type: varchar(36)}
          - {name: monthly_charges, data_type: double precision}
"""
OWNER, CONSUMER = "#data-eng-oncall", "#mlops-churn-oncall"
CREATE = (
    "CREATE TABLE drift_customers (customer_id VARCHAR(36), signup_date DATE, "
    "monthly_charges FLOAT, updated_at TIMESTAMP, extra_column INTEGER)"
)


class World(worlds.World):
    def __init__(self, services: Services, slack: FakeSlack, clock: Clock) -> None:
        super().__init__(services, slack, clock)
        self.sql(CREATE)

    def sql(self, statement: str) -> None:
        with self.services.engine.begin() as conn:
            conn.execute(text(statement))

    def check(self) -> dict[str, str | None]:
        assert self.services.drift is not None
        reports = self.services.drift.check()
        self.deliver(6)
        return {r.contract_id: r.action for r in reports}


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    reg = write_registry(
        tmp_path / "registry",
        {
            "teams.yaml": TEAMS_OWNER_ON_CALL,
            "customer_master_db.yaml": CONTRACT,
            "crm.yml": DBT.replace("{schema}", schema_of(database_url)),
        },
    )
    clock = Clock(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    with FakeSlack() as slack, running(reg, database_url, slack, clock) as services:
        yield World(services, slack, clock)
        assert services.drift is not None


def test_live_column_drop_is_alerted_once_and_resolved_when_fixed(world: World) -> None:
    assert world.check() == {"customer_master_db": None, "crm.drift_customers": None}
    assert world.posts() == []

    world.sql("ALTER TABLE drift_customers DROP COLUMN monthly_charges")
    actions = world.check()
    assert actions == {"customer_master_db": "alert opened", "crm.drift_customers": "alert opened"}
    owner_posts = world.posts(OWNER)
    assert len(owner_posts) == 2  # one per contract
    root = next(p for p in owner_posts if "customer_master_db" in p["text"])
    shown = blocks_text(root)
    assert "column monthly_charges is missing (the contract says float)" in shown
    assert "<@U0ALICE01>" in shown  # the owner's on-call is tagged
    assert "MLOps Churn" in shown
    assert "S0MLCHURN" not in shown
    assert root["text"] == (
        "Schema drift on customer_master_db: column monthly_charges is missing "
        "(the contract says float)"
    )
    fyi = world.posts(CONSUMER)
    assert len(fyi) == 2
    assert "which you consume, no longer matches its contract" in fyi[0]["text"]

    before = len(world.slack.requests)
    world.clock.now += timedelta(hours=1)
    assert world.check() == {"customer_master_db": None, "crm.drift_customers": None}
    assert len(world.slack.requests) == before  # the same drift is not alerted again

    world.sql("ALTER TABLE drift_customers ADD COLUMN monthly_charges FLOAT")
    assert world.check() == {"customer_master_db": "resolved", "crm.drift_customers": "resolved"}
    assert any("resolved" in u["text"] for u in world.updates())
    replies = [p for p in world.posts() if p.get("thread_ts")]
    assert len(replies) == 4  # owner thread and consumer thread, for each contract
    assert all("matches the contract again" in r["text"] for r in replies)
    with Session(world.services.engine) as session:
        rows = session.scalars(select(SchemaDriftAlert)).all()
    assert {(r.status, r.open_key) for r in rows} == {("resolved", None)}

    world.sql("ALTER TABLE drift_customers DROP COLUMN monthly_charges")  # it happens again
    assert world.check()["customer_master_db"] == "alert opened"


def test_type_change_and_missing_table(world: World) -> None:
    world.sql("DROP TABLE drift_customers")
    world.sql(
        "CREATE TABLE drift_customers (customer_id INTEGER, signup_date DATE, "
        "monthly_charges FLOAT, updated_at TIMESTAMP)"
    )
    world.check()
    root = next(p for p in world.posts(OWNER) if "customer_master_db" in p["text"])
    assert "column customer_id is INTEGER; the contract says string" in blocks_text(root)
    world.sql("DROP TABLE drift_customers")
    assert world.check()["customer_master_db"] == "drift changed"
    changed = [p for p in world.posts() if p["text"].startswith("The drift changed")]
    assert len(changed) == 4  # in the owner's and the consumer's thread, for both contracts
    assert all(p["thread_ts"] for p in changed)
    assert all("drift_customers does not exist" in p["text"] for p in changed)


def test_an_unreachable_warehouse_is_not_drift(world: World) -> None:
    inspector = TableInspector({"WAREHOUSE_URL": "not a url"})
    live = inspector.columns(SqlProbe("WAREHOUSE_URL", "t", "c"))
    assert live.error is not None
    assert "not a valid URL" in live.error
    unset = TableInspector({}).columns(SqlProbe("WAREHOUSE_URL", "t", "c"))
    assert unset.error == "environment variable WAREHOUSE_URL is not set"
    assert world.services.drift is not None
    world.services.drift.inspector = inspector
    [report, _] = world.services.drift.check()
    assert report.error is not None
    assert report.action is None
    assert world.posts() == []
