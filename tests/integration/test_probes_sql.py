"""The SQL probe reads max(timestamp) safely and correctly on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Column as SqlColumn
from sqlalchemy import (
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    select,
    text,
)
from sqlalchemy.engine import make_url

from bot.probes import ProbeResult, SqlProber
from bot.probes.sql import _redact
from ownership.model import SqlProbe

T1 = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
T2 = datetime(2024, 5, 2, 9, 45, 12, tzinfo=UTC)
T3 = datetime(2024, 5, 3, 23, 59, 59, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def prober(database_url: str) -> Iterator[SqlProber]:
    with SqlProber({"WAREHOUSE_URL": database_url}, statement_timeout=10.0) as p:
        yield p


def make_table(
    db: Engine, name: str, *columns: SqlColumn[Any], rows: list[dict[str, Any]]
) -> Table:
    """Create `name` with an index on its first column and insert `rows`."""
    tbl = Table(name, MetaData(), *columns)
    Index(f"ix_{abs(hash(name))}", columns[0])
    tbl.create(db)
    if rows:
        with db.begin() as conn:
            conn.execute(tbl.insert(), rows)
    return tbl


def probe(prober: SqlProber, table: str, column: str = "updated_at", **kw: Any) -> ProbeResult:
    return prober.probe(SqlProbe("WAREHOUSE_URL", table, column, **kw))


def assert_recent_utc(moment: datetime | None) -> None:
    assert moment is not None
    assert moment.utcoffset() == timedelta(0)
    assert abs(moment - datetime.now(UTC)) < timedelta(minutes=5)


def test_returns_newest_timestamp_as_aware_utc(db: Engine, prober: SqlProber) -> None:
    make_table(
        db,
        "orders",
        SqlColumn("updated_at", DateTime(timezone=True)),
        SqlColumn("id", Integer),
        rows=[{"updated_at": t, "id": i} for i, t in enumerate((T2, T3, T1))],
    )
    result = probe(prober, "orders")
    assert result.ok, result.error
    assert result.error is None
    assert result.last_update == T3
    assert result.last_update is not None
    assert result.last_update.tzinfo is not None
    assert result.last_update.utcoffset() == timedelta(0)
    assert_recent_utc(result.source_now)
    assert timedelta(0) < result.duration < timedelta(seconds=10)


def test_empty_table_is_no_data_not_an_error(db: Engine, prober: SqlProber) -> None:
    make_table(db, "empty", SqlColumn("updated_at", DateTime(timezone=True)), rows=[])
    result = probe(prober, "empty")
    assert result.ok
    assert result.last_update is None
    assert_recent_utc(result.source_now)


def test_filter_is_applied_and_its_colons_and_percents_are_literal(
    db: Engine, prober: SqlProber
) -> None:
    make_table(
        db,
        "events",
        SqlColumn("updated_at", DateTime(timezone=True)),
        SqlColumn("status", String(20)),
        SqlColumn("note", String(20)),
        rows=[
            {"updated_at": T1, "status": "ok", "note": "x :y"},
            {"updated_at": T2, "status": "okay", "note": "x :y"},
            {"updated_at": T3, "status": "failed", "note": "x :y"},
        ],
    )
    assert probe(prober, "events", filter="status = 'ok'").last_update == T1
    result = probe(prober, "events", filter="status LIKE 'ok%' AND note = 'x :y'")
    assert result.ok, result.error
    assert result.last_update == T2
    assert probe(prober, "events", filter="status = 'nothing'").last_update is None


@pytest.mark.parametrize(
    ("table", "column"),
    [("Weird Table", "updated at"), ("MixedCase", "UpdatedAt"), ("order", "select")],
)
def test_identifiers_that_need_quoting(
    db: Engine, prober: SqlProber, table: str, column: str
) -> None:
    make_table(db, table, SqlColumn(column, DateTime(timezone=True)), rows=[{column: T2}])
    result = probe(prober, table, column)
    assert result.ok, result.error
    assert result.last_update == T2


def test_schema_is_quoted_separately(db: Engine, prober: SqlProber) -> None:
    make_table(
        db, "in_schema", SqlColumn("updated_at", DateTime(timezone=True)), rows=[{"updated_at": T1}]
    )
    with db.connect() as conn:
        schema = (
            "main"
            if db.dialect.name == "sqlite"
            else conn.execute(text("SELECT current_schema()")).scalar_one()
        )
    assert probe(prober, "in_schema", schema=schema).last_update == T1
    assert not probe(prober, "in_schema", schema="no_such_schema").ok


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("customers; DROP TABLE customers", "updated_at"),
        ("customers", "updated_at) FROM customers; DROP TABLE customers; --"),
    ],
)
def test_injection_in_identifiers_does_not_execute(
    db: Engine, prober: SqlProber, table: str, column: str
) -> None:
    customers = make_table(
        db, "customers", SqlColumn("updated_at", DateTime(timezone=True)), rows=[{"updated_at": T1}]
    )
    result = probe(prober, table, column)
    assert not result.ok
    assert result.error is not None
    assert result.error.startswith("database error:")
    assert "\n" not in result.error
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(customers)).scalar_one() == 1


def test_naive_timestamps_are_read_in_naive_timezone(db: Engine, prober: SqlProber) -> None:
    make_table(
        db,
        "local_times",
        SqlColumn("updated_at", DateTime(timezone=False)),
        rows=[
            {"updated_at": datetime(2024, 1, 15, 14, 0)},
            {"updated_at": datetime(2024, 7, 1, 14, 0)},
        ],
    )
    berlin = probe(prober, "local_times", naive_timezone="Europe/Berlin")
    assert berlin.last_update == datetime(2024, 7, 1, 12, 0, tzinfo=UTC)  # CEST is UTC+2
    utc = probe(prober, "local_times")
    assert utc.last_update == datetime(2024, 7, 1, 14, 0, tzinfo=UTC)
    assert not probe(prober, "local_times", naive_timezone="Mars/Olympus").ok


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10, 0, tzinfo=UTC)),
        ("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12, 0, tzinfo=UTC)),
        ("2024-05-01 12:00:00", datetime(2024, 5, 1, 10, 0, tzinfo=UTC)),  # naive: Berlin
    ],
)
def test_text_timestamps(db: Engine, prober: SqlProber, stored: str, expected: datetime) -> None:
    make_table(db, "texts", SqlColumn("updated_at", String(40)), rows=[{"updated_at": stored}])
    result = probe(prober, "texts", naive_timezone="Europe/Berlin")
    assert result.ok, result.error
    assert result.last_update == expected


def test_epoch_numbers_and_unreadable_values(db: Engine, prober: SqlProber) -> None:
    seconds = int(T2.timestamp())
    make_table(db, "epochs", SqlColumn("updated_at", Integer), rows=[{"updated_at": seconds}])
    assert probe(prober, "epochs").last_update == T2
    make_table(db, "junk", SqlColumn("updated_at", String(40)), rows=[{"updated_at": "yesterday"}])
    result = probe(prober, "junk")
    assert result.error is not None
    assert "cannot read timestamp 'yesterday'" in result.error


def test_slow_query_is_cut_off_by_statement_timeout(db: Engine, database_url: str) -> None:
    make_table(
        db, "slow", SqlColumn("updated_at", DateTime(timezone=True)), rows=[{"updated_at": T1}]
    )
    if db.dialect.name == "postgresql":
        slow = "pg_sleep(5) IS NOT NULL"
    else:  # an endless recursive CTE: only the progress-handler deadline stops it
        slow = (
            "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
            " SELECT count(*) FROM c) > 0"
        )
    with SqlProber({"WAREHOUSE_URL": database_url}, statement_timeout=0.5) as prober:
        began = time.monotonic()
        result = probe(prober, "slow", filter=slow)
        took = time.monotonic() - began
        assert result.error == "query timed out after 0.5 s"
        assert took < 4
        assert probe(prober, "slow").last_update == T1  # the pooled connection is still usable


def test_engine_is_reused_and_recreated_after_close(db: Engine, prober: SqlProber) -> None:
    make_table(
        db, "again", SqlColumn("updated_at", DateTime(timezone=True)), rows=[{"updated_at": T3}]
    )
    assert probe(prober, "again").last_update == T3
    assert probe(prober, "again").last_update == T3
    prober.close()
    assert probe(prober, "again").last_update == T3


def test_missing_environment_variable() -> None:
    with SqlProber({}) as prober:
        result = probe(prober, "orders")
    assert result.error == "environment variable WAREHOUSE_URL is not set"
    assert result.last_update is None


def test_unreachable_database_fails_fast_without_leaking_the_password() -> None:
    url = "postgresql+psycopg://postgres:Sup3rS3cretPw@127.0.0.1:1/test"
    with SqlProber({"WAREHOUSE_URL": url}, statement_timeout=3) as prober:
        began = time.monotonic()
        result = probe(prober, "orders")
        assert time.monotonic() - began < 5
    assert result.error is not None
    assert result.error.startswith("cannot connect:")
    assert "Sup3rS3cretPw" not in result.error
    assert "\n" not in result.error
    assert result.duration < timedelta(seconds=5)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://user:Sup3rS3cretPw@host:notaport/db",
        "nosuchdialect://user:Sup3rS3cretPw@127.0.0.1/db",
        "not a url Sup3rS3cretPw",
    ],
)
def test_bad_urls_are_errors_without_the_password(url: str) -> None:
    with SqlProber({"WAREHOUSE_URL": url}) as prober:
        result = probe(prober, "orders")
    assert result.error is not None
    assert "Sup3rS3cretPw" not in result.error


def test_offset_aware_values_are_converted(db: Engine, prober: SqlProber) -> None:
    """PostgreSQL: a timestamptz written at +05:30; SQLite (no offsets in DateTime): ISO text."""
    local = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    column: SqlColumn[Any]
    value: datetime | str
    if db.dialect.name == "postgresql":
        column, value = SqlColumn("updated_at", DateTime(timezone=True)), local
    else:
        column, value = SqlColumn("updated_at", String(40)), local.isoformat()
    make_table(db, "offsets", column, rows=[{"updated_at": value}])
    result = probe(prober, "offsets", naive_timezone="America/New_York")
    assert result.last_update == datetime(2024, 5, 1, 6, 30, tzinfo=UTC)


def test_redaction_of_url_and_password_spellings() -> None:
    raw = "postgresql+psycopg://reader:p%40ss%2Fw0rd@db.internal:5432/wh"
    message = _redact(
        f"cannot use {raw}: bad password p@ss/w0rd (p%40ss%2Fw0rd)", make_url(raw), raw
    )
    assert "p@ss/w0rd" not in message
    assert "p%40ss%2Fw0rd" not in message
    assert "reader:***@db.internal:5432/wh" in message
