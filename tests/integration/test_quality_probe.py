"""The quality measurements on real tables (SQLite and PostgreSQL): one aggregate over the
period's rows, types as declared applied to the values, ODCS library metrics and sql rules,
and a failing query that is never a pass."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table

from bot.probes.quality import Job, QualityProber
from ownership.model import Column as ContractColumn
from ownership.model import Contract, QualityRule, SqlProbe
from ownership.quality.checks import contract_checks
from ownership.quality.verdict import judge
from tests.integration.worlds import schema_of

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def raw_table(engine: Engine) -> None:
    meta = MetaData()
    table = Table(
        "q_raw",
        meta,
        Column("id", Integer, primary_key=True),
        Column("amount", String(20)),  # raw data lands as text
        Column("status", String(20)),
        Column("updated_at", DateTime(timezone=True)),
    )
    meta.create_all(engine)
    rows = [
        (1, "10", "paid", T0),  # before the period: never counted
        (2, "12", "paid", T1),
        (3, "x12", "new", T1),
        (4, "", "n/a", T1),
        (5, None, "lost", T1),
        (6, " 7 ", "paid", T1),
    ]
    with engine.begin() as conn:
        conn.execute(
            table.insert(),
            [{"id": i, "amount": a, "status": s, "updated_at": t} for i, a, s, t in rows],
        )


def test_types_metrics_and_sql_rules_on_the_periods_rows(engine: Engine, database_url: str) -> None:
    raw_table(engine)
    schema = schema_of(database_url)
    probe = SqlProbe("WAREHOUSE_URL", "q_raw", "updated_at", schema=schema)
    contract = Contract(
        "q_raw",
        "q_raw",
        "de",
        schema=(
            ContractColumn("id", "integer", required=True, unique=True),
            ContractColumn("amount", "integer"),
        ),
        probe=probe,
        quality=(
            QualityRule(
                "status-valid", "invalidValues", "status",
                valid_values=("new", "paid", "shipped"),
            ),
            QualityRule(
                "status-missing", "missingValues", "status", ("mustBeLessThan", (2.0,)),
                missing_values=(None, "", "n/a"),
            ),
            QualityRule(
                "big", "sql", None, ("mustBe", (0.0,)),
                query="SELECT count(*) FROM ${object} WHERE id > 100",
            ),
        ),
    )  # fmt: skip
    rules = contract_checks(contract)
    prober = QualityProber({"WAREHOUSE_URL": database_url})
    try:
        measured = prober.measure(Job("q_raw", probe, rules, T1))
    finally:
        prober.close()
    verdicts = {r.id: judge(r, measured[r.id]) for r in rules}
    assert verdicts["type:id"].passed  # an INTEGER column holds integers
    amount = verdicts["type:amount"]  # text: "x12" and "" are not integers; " 7 " is
    assert (amount.passed, amount.count, amount.rows) == (False, 2, 5)
    assert "2 values not of the declared type in amount of 5 rows" in amount.words()
    assert verdicts["completeness:id"].passed
    assert verdicts["uniqueness:id"].passed
    assert verdicts["status-valid"].count == 2  # "n/a" and "lost"
    assert verdicts["status-missing"].count == 1
    assert verdicts["status-missing"].passed
    assert verdicts["big"].passed


def test_a_missing_column_or_table_is_a_failed_check_never_a_pass(
    engine: Engine, database_url: str
) -> None:
    raw_table(engine)
    schema = schema_of(database_url)
    prober = QualityProber({"WAREHOUSE_URL": database_url})
    try:
        no_column = SqlProbe("WAREHOUSE_URL", "q_raw", "updated_at", schema=schema)
        nulls = QualityRule("completeness:nope", "nullValues", "nope")
        typed = QualityRule("type:nope", "type", "nope", declared_type="integer")
        got = prober.measure(Job("a", no_column, (nulls, typed), T1))
        assert all(m.count is None and m.error for m in got.values())
        no_table = SqlProbe("WAREHOUSE_URL", "q_missing", "updated_at", schema=schema)
        got = prober.measure(Job("b", no_table, (QualityRule("rows", "rowCount"),), None))
        assert got["rows"].count is None
        assert judge(QualityRule("rows", "rowCount"), got["rows"]).passed is None
    finally:
        prober.close()


def test_sql_rules_read_the_period_through_bound_parameters_or_window_period(
    engine: Engine, database_url: str
) -> None:
    raw_table(engine)  # row 1 is before the period (T0), rows 2..6 in it (T1)
    schema = schema_of(database_url)
    probe = SqlProbe("WAREHOUSE_URL", "q_raw", "updated_at", schema=schema)
    every = "SELECT count(*) FROM ${object} WHERE status = 'paid'"
    bounded = every + " AND updated_at >= {period_start} AND updated_at < ${period_end}"
    rules = (
        QualityRule("all", "sql", None, query=every),
        QualityRule("bounded", "sql", None, query=bounded),
        QualityRule("window", "sql", None, query=every, window="period"),
        QualityRule(
            "window-with", "sql", None, window="period",
            query="with paid AS (SELECT * FROM ${object} WHERE status = 'paid') "
            "SELECT count(*) FROM paid",
        ),
        QualityRule(  # a value that looks like a parameter stays text
            "colon", "sql", None, window="period",
            query="SELECT count(*) FROM ${object} WHERE status = ':period_start'",
        ),
    )  # fmt: skip
    prober = QualityProber({"WAREHOUSE_URL": database_url})
    try:
        got = prober.measure(Job("q_raw", probe, rules, T1, datetime(2026, 11, 25, 3, tzinfo=UTC)))
        early = prober.measure(Job("q_raw", probe, rules[1:2], T0, T1))  # [T0, T1): row 1
    finally:
        prober.close()
    assert {k: m.count for k, m in got.items()} == {
        "all": 3.0,  # not bounded unless the query says so
        "bounded": 2.0,
        "window": 2.0,
        "window-with": 2.0,
        "colon": 0.0,
    }
    assert early["bounded"].count == 1.0
