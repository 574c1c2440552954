"""A table that arrives on time with nulls in a required column: one quality alert in the
owner's on-call channel naming the column and the count, consumers informed, and a clean
reload resolves it. The real aggregate query on a real table, the real outbox, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select, update
from sqlalchemy.orm import Session

from bot.bootstrap import Services
from bot.db.models import QualityAlert, QualityStatus
from bot.probes.quality import QualityProber
from tests.fakes.fake_slack import FakeSlack
from tests.integration import worlds
from tests.integration.worlds import TEAMS_OWNER_ON_CALL, Clock, blocks_text, running

CONTRACT = """\
data_source: q_customers
owner_team: data_engineering
consumer_teams: [mlops_churn]
sla: {update_frequency: daily, update_time: "02:00 UTC", max_delay: "30 minutes"}
schema:
  customer_id: {type: string, required: true, unique: true}
  plan: {type: string}
  updated_at: {type: timestamp}
probe: {sql: {connection: WAREHOUSE_URL, table: q_customers, timestamp_column: updated_at}}
"""
OWNER, CONSUMER = "#data-eng-oncall", "#mlops-churn-oncall"
TODAY_LOAD = datetime(2026, 11, 25, 1, 40, tzinfo=UTC)
YESTERDAY_LOAD = datetime(2026, 11, 24, 1, 40, tzinfo=UTC)  # before today's window opened


class World(worlds.World):
    def __init__(self, services: Services, slack: FakeSlack, clock: Clock) -> None:
        super().__init__(services, slack, clock)
        meta = MetaData()
        self.table = Table(
            "q_customers",
            meta,
            Column("id", Integer, primary_key=True),
            Column("customer_id", String(20)),
            Column("plan", String(20)),
            Column("updated_at", DateTime(timezone=True)),
        )
        meta.create_all(services.engine)

    def load(self, rows: list[tuple[int, str | None, datetime]]) -> None:
        with self.services.engine.begin() as conn:
            conn.execute(
                self.table.insert(),
                [{"id": i, "customer_id": c, "plan": "pro", "updated_at": t} for i, c, t in rows],
            )

    def sweep(self) -> dict[str, tuple[str, ...]]:
        self.services.freshness.check()
        assert self.services.quality is not None
        reports = self.services.quality.check()
        self.deliver(6)
        return {r.contract.id: r.actions for r in reports}


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    reg = worlds.write_registry(
        tmp_path / "registry",
        {"teams.yaml": TEAMS_OWNER_ON_CALL, "q_customers.yaml": CONTRACT},
    )
    clock = Clock(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    with FakeSlack() as slack, running(reg, database_url, slack, clock) as services:
        yield World(services, slack, clock)


def test_nulls_in_a_required_column_alert_once_and_a_clean_reload_resolves(world: World) -> None:
    # Yesterday's rows had nulls too: they are outside today's period and not counted.
    world.load([(i, None, YESTERDAY_LOAD) for i in range(1, 11)])
    world.load([(100 + i, None if i < 30 else f"c{i}", TODAY_LOAD) for i in range(100)])

    actions = world.sweep()
    assert actions == {"q_customers": ("completeness:customer_id: alert opened",)}
    [root] = [p for p in world.posts(OWNER) if "thread_ts" not in p]
    shown = blocks_text(root)
    assert "customer_id" in root["text"]
    assert "30 nulls in customer_id of 100 rows" in root["text"]
    assert "none allowed" in shown
    assert "<@U0ALICE01>" in shown  # the owner's on-call is tagged
    assert "MLOps Churn" in shown
    [fyi] = world.posts(CONSUMER)
    assert "which you depend on, failed a data quality check" in fyi["text"]
    assert "30 nulls" in fyi["text"]

    before = len(world.slack.requests)
    world.clock.advance(hours=1)
    assert world.sweep() == {}  # this period's data was checked already: nothing new
    assert len(world.slack.requests) == before

    with world.services.engine.begin() as conn:  # the clean reload
        conn.execute(
            update(world.table)
            .where(world.table.c.customer_id.is_(None), world.table.c.id >= 100)
            .values(
                customer_id="fixed" + world.table.c.id.cast(String),
                updated_at=TODAY_LOAD + timedelta(hours=2),
            )
        )
    assert world.sweep() == {"q_customers": ("completeness:customer_id: resolved",)}
    assert any("passes again" in u["text"] for u in world.updates())
    replies = [p for p in world.posts() if p.get("thread_ts")]
    assert len(replies) == 2  # the owner's thread and the consumer's
    assert all("passes again. Resolved." in r["text"] for r in replies)
    with Session(world.services.engine) as session:
        alerts = session.scalars(select(QualityAlert)).all()
        status = session.get(QualityStatus, "q_customers")
    assert [(a.check_id, a.status) for a in alerts] == [("completeness:customer_id", "resolved")]
    assert status is not None
    assert status.state == "passed"


def test_duplicates_and_a_failing_query_are_never_passed(world: World) -> None:
    world.load([(1, "a", TODAY_LOAD), (2, "a", TODAY_LOAD), (3, "b", TODAY_LOAD)])
    world.sweep()
    [root] = [p for p in world.posts(OWNER) if "thread_ts" not in p]
    assert "uniqueness:customer_id: 1 duplicate value in customer_id of 3 rows" in root["text"]

    assert world.services.quality is not None
    with world.services.engine.begin() as conn:
        conn.execute(world.table.delete())
    unreachable = {"WAREHOUSE_URL": "postgresql://nobody@127.0.0.1:1/x"}
    world.services.quality.prober.close()
    world.services.quality.prober = QualityProber(unreachable, connect_timeout=1)
    [report] = world.services.quality.check(force=True)
    assert report.state == "check_failed"
    assert all(v.passed is None for v in report.verdicts)
    assert report.actions == ()  # a failed query neither resolves nor opens anything


FEATURES = """\
data_source: q_features
owner_team: mlops_churn
sla: {update_frequency: daily, update_time: "02:00 UTC", max_delay: "30 minutes"}
schema:
  customer_id: {type: string, required: true}
probe: {sql: {connection: WAREHOUSE_URL, table: q_features, timestamp_column: updated_at}}
"""
ASSETS = """\
assets:
  - {id: q_customers, kind: source, owner: data_engineering}
  - {id: q_features, kind: feature, owner: mlops_churn, upstream: [q_customers]}
"""


@pytest.fixture
def lineage(database_url: str, tmp_path: Path) -> Iterator[World]:
    reg = worlds.write_registry(
        tmp_path / "registry",
        {
            "teams.yaml": worlds.TEAMS_ON_CALL,
            "assets.yaml": ASSETS,
            "q_customers.yaml": CONTRACT,
            "q_features.yaml": FEATURES,
        },
    )
    clock = Clock(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    with FakeSlack() as slack, running(reg, database_url, slack, clock) as services:
        world = World(services, slack, clock)
        Table(
            "q_features",
            world.table.metadata,
            Column("id", Integer, primary_key=True),
            Column("customer_id", String(20)),
            Column("updated_at", DateTime(timezone=True)),
        ).create(services.engine)
        yield world


def test_a_downstream_breach_folds_under_the_upstream_alert(lineage: World) -> None:
    lineage.load([(1, None, TODAY_LOAD), (2, "b", TODAY_LOAD)])
    features = lineage.table.metadata.tables["q_features"]
    with lineage.services.engine.begin() as conn:
        conn.execute(features.insert(), [{"id": 1, "customer_id": None, "updated_at": TODAY_LOAD}])
    actions = lineage.sweep()
    assert actions == {
        "q_customers": ("completeness:customer_id: alert opened",),
        "q_features": ("completeness:customer_id: attached to q_customers",),
    }
    roots = [p for p in lineage.posts() if "thread_ts" not in p]
    assert sorted(r["channel"] for r in roots) == [OWNER, CONSUMER]  # root, FYI
    assert not any("q_features" in r["text"] for r in roots)  # no root of its own
    [note] = [p for p in lineage.posts() if p.get("thread_ts")]
    assert "Also failing downstream: `q_features`" in note["text"]


def test_a_silence_keeps_a_new_quality_alert_from_opening(world: World, tmp_path: Path) -> None:
    silences = (
        "silences:\n  - {asset: q_customers, from: '2026-11-25T00:00:00+00:00', "
        "to: '2026-11-26T00:00:00+00:00', reason: backfill}\n"
    )
    (tmp_path / "registry" / "silences.yaml").write_text(silences)
    world.services.holder.reload()
    world.load([(1, None, TODAY_LOAD)])
    [actions] = world.sweep().values()
    assert actions == ("completeness:customer_id: silenced until 2026-11-26 00:00 UTC",)
    assert world.posts() == []


def test_check_quality_and_status_show_quality_next_to_freshness(
    world: World,
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli.main import main

    now = datetime.now(UTC)  # `demarc check` reads the real clock
    world.load([(1, None, now - timedelta(minutes=5)), (2, "a", now - timedelta(minutes=5))])
    monkeypatch.setenv("WAREHOUSE_URL", database_url)
    registry = str(tmp_path / "registry")
    assert main(["check", "--quality", "--registry", registry]) == 1  # a check failed
    out = capsys.readouterr().out
    assert "completeness:customer_id" in out
    assert "FAILED" in out
    assert "1 null in customer_id of 2 rows" in out
    assert main(["check", "--quality", "--json", "--registry", registry]) == 1
    [entry] = json.loads(capsys.readouterr().out)
    checks = {c["check"]: c["passed"] for c in entry["quality"]}
    assert checks["completeness:customer_id"] is False
    assert checks["uniqueness:customer_id"] is True

    world.sweep()  # the bot's sweep records it
    assert main(["status", "--database-url", database_url]) == 0
    assert "1 of 3 checks failing" in capsys.readouterr().out  # with type:updated_at


def test_a_check_that_keeps_failing_to_run_opens_one_quiet_alert_resolved_when_it_runs(
    world: World,
) -> None:
    world.load([(1, "a", TODAY_LOAD), (2, "b", TODAY_LOAD)])
    assert world.services.quality is not None
    working = world.services.quality.prober
    world.services.quality.prober = QualityProber(
        {"WAREHOUSE_URL": "postgresql://nobody@127.0.0.1:1/x"}, connect_timeout=1
    )

    def failed_roots() -> list[dict[str, object]]:
        return [
            p
            for p in world.posts()
            if "thread_ts" not in p and "Quality check failed" in str(p["text"])
        ]

    for _ in range(2):  # retried each sweep, never reported as passed, no alert yet
        assert world.sweep() == {"q_customers": ()}
        assert failed_roots() == []
    with Session(world.services.engine) as session:
        status = session.get(QualityStatus, "q_customers")
        assert status is not None
        assert status.state == "check_failed"
    world.clock.advance(minutes=5)
    assert world.sweep() == {"q_customers": ("check-failed: alert opened",)}
    [root] = failed_roots()  # one per contract, not one per check
    assert root["channel"] == OWNER
    shown = blocks_text(root)
    assert "could not run on the last 3 runs" in shown
    # one line for the one error, naming every check it stopped
    assert (
        "completeness:customer_id, uniqueness:customer_id, type:updated_at: cannot connect" in shown
    )
    assert shown.count("Connection refused") == 1
    assert "<@" not in shown  # it does not page
    assert world.posts(CONSUMER) == []
    world.clock.advance(minutes=5)
    assert world.sweep() == {"q_customers": ()}  # same errors: no new message
    assert len(failed_roots()) == 1

    world.services.quality.prober.close()
    world.services.quality.prober = working
    world.clock.advance(minutes=5)
    assert world.sweep() == {"q_customers": ("check-failed: resolved",)}
    assert any("run again. Resolved." in blocks_text(u) for u in world.updates())
    [reply] = [p for p in world.posts() if p.get("thread_ts")]  # in the root's thread
    assert "The quality checks run again" in reply["text"]
    with Session(world.services.engine) as session:
        status = session.get(QualityStatus, "q_customers")
        assert status is not None
        assert status.state == "passed"


def test_dbt_results_merge_with_the_sweeps_checks_in_the_status(world: World) -> None:
    from ownership.model import QualityRule
    from ownership.quality.verdict import Measured

    world.load([(1, None, TODAY_LOAD), (2, "b", TODAY_LOAD)])
    world.sweep()  # completeness fails; uniqueness and type pass
    quality = world.services.quality
    assert quality is not None
    registry = world.services.holder.registry
    contract = registry.contracts["q_customers"]
    rule = QualityRule("dbt:accepted_values:plan", "dbt", "plan")
    quality.record_results(registry, contract, (rule,), {rule.id: Measured(0.0)})
    with Session(world.services.engine) as session:
        status = session.get(QualityStatus, "q_customers")
        assert status is not None
        assert (status.state, status.checks, status.failing) == ("failed", 4, 1)
        assert "completeness:customer_id" in status.summary  # not overwritten by dbt's pass
    quality.record_results(registry, contract, (rule,), {rule.id: Measured(3.0)})
    with Session(world.services.engine) as session:
        status = session.get(QualityStatus, "q_customers")
        assert status is not None
        assert (status.checks, status.failing) == (4, 2)
        assert "dbt:accepted_values:plan" in status.summary

    with world.services.engine.begin() as conn:  # a clean reload: the sweep runs again
        conn.execute(
            update(world.table)
            .where(world.table.c.customer_id.is_(None))
            .values(customer_id="fixed", updated_at=TODAY_LOAD + timedelta(hours=1))
        )
    world.sweep()
    with Session(world.services.engine) as session:
        status = session.get(QualityStatus, "q_customers")
        assert status is not None
        assert (status.state, status.checks, status.failing) == ("failed", 4, 1)
        assert status.summary.startswith("dbt:accepted_values:plan")  # dbt's failure stays


def test_a_downstream_breach_folds_under_the_upstreams_late_data_alert(lineage: World) -> None:
    lineage.load([(1, "a", YESTERDAY_LOAD)])  # q_customers is late today
    features = lineage.table.metadata.tables["q_features"]
    with lineage.services.engine.begin() as conn:
        conn.execute(features.insert(), [{"id": 1, "customer_id": None, "updated_at": TODAY_LOAD}])
    actions = lineage.sweep()
    assert actions == {
        "q_customers": (),  # waiting for its data
        "q_features": ("completeness:customer_id: attached to q_customers's late-data alert",),
    }
    roots = [p for p in lineage.posts() if "thread_ts" not in p]
    assert len(roots) == 1  # the late-data root only: one incident, one root
    assert "q_customers" in roots[0]["text"]
    assert not any("q_features" in r["text"] for r in roots)
    [note] = [p for p in lineage.posts() if p.get("thread_ts")]
    assert "Also failing downstream: `q_features`" in note["text"]
    assert "1 null in customer_id" in note["text"]

    with lineage.services.engine.begin() as conn:  # a clean reload of the features
        conn.execute(
            update(features).values(customer_id="c1", updated_at=TODAY_LOAD + timedelta(hours=1))
        )
    assert lineage.sweep()["q_features"] == ("completeness:customer_id: resolved",)
    replies = [p for p in lineage.posts() if p.get("thread_ts")]
    assert len(replies) == 2
    assert replies[1]["thread_ts"] == note["thread_ts"]  # in the late-data root's thread
    assert "passes again. Resolved." in replies[1]["text"]


def late_features_and_bad_customers(lineage: World) -> None:
    """q_customers landed today with a null; q_features still has only yesterday's row."""
    lineage.load([(1, None, TODAY_LOAD), (2, "b", TODAY_LOAD)])
    features = lineage.table.metadata.tables["q_features"]
    with lineage.services.engine.begin() as conn:
        conn.execute(
            features.insert(), [{"id": 1, "customer_id": "a", "updated_at": YESTERDAY_LOAD}]
        )


def hint_notes(lineage: World) -> list[dict[str, object]]:
    return [p for p in lineage.posts() if p.get("thread_ts") and ":mag:" in str(p["text"])]


def test_a_late_downstream_is_told_of_the_quality_alert_opened_after_it(lineage: World) -> None:
    late_features_and_bad_customers(lineage)
    lineage.sweep()  # freshness first (q_features' late root), then quality (q_customers')
    roots = {str(p["text"]): p for p in lineage.posts() if "thread_ts" not in p}
    late_root = next(p for t, p in roots.items() if "q_features" in t)
    [note] = hint_notes(lineage)
    # in the late-data root's thread, in the downstream owner's channel
    assert note["channel"] == lineage.slack.channel_id(str(late_root["channel"]))
    assert "Upstream `q_customers` is failing its quality check" in str(note["text"])
    assert "this may be why `q_features` is late" in str(note["text"])
    assert OWNER in str(note["text"])  # where the quality alert is
    lineage.sweep()  # the next sweep says nothing more
    assert len(hint_notes(lineage)) == 1


def test_a_late_root_names_the_quality_alert_open_upstream(lineage: World) -> None:
    late_features_and_bad_customers(lineage)
    lineage.clock.advance(minutes=-50)  # 02:10: q_features not late yet
    lineage.sweep()  # q_customers' quality alert opens first this time
    assert hint_notes(lineage) == []
    lineage.clock.advance(minutes=50)
    lineage.sweep()  # then q_features' late-data root
    [note] = hint_notes(lineage)
    assert "Upstream `q_customers` is failing its quality check" in str(note["text"])
    assert "`q_features` is late" in str(note["text"])


def test_no_note_without_an_upstream_quality_alert(lineage: World) -> None:
    lineage.load([(1, "a", TODAY_LOAD)])  # clean upstream
    features = lineage.table.metadata.tables["q_features"]
    with lineage.services.engine.begin() as conn:
        conn.execute(
            features.insert(), [{"id": 1, "customer_id": "a", "updated_at": YESTERDAY_LOAD}]
        )
    lineage.sweep()
    assert any("q_features" in str(p["text"]) for p in lineage.posts() if "thread_ts" not in p)
    assert hint_notes(lineage) == []
