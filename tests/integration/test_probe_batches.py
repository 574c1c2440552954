"""SQL probes of one database run as one statement per batch, each probe alone when it fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import BigInteger, DateTime, Engine, MetaData, String, Table, create_engine, event
from sqlalchemy import Column as SqlColumn

from bot.probes import Prober, SqlProber, pg_native
from bot.probes.batch import units
from ownership.model import HttpProbe, SqlProbe

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


@pytest.fixture
def probe_statements() -> Iterator[list[str]]:
    """The probe statements (those reading a max) sent meanwhile, by any SQLAlchemy engine or
    by the psycopg pools of PostgreSQL URLs."""
    seen: list[str] = []

    def observe(statement: str) -> None:
        if "max(" in statement.lower():
            seen.append(statement)

    def listen(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        observe(statement)

    event.listen(Engine, "before_cursor_execute", listen)
    pg_native.observers.append(observe)
    yield seen
    pg_native.observers.remove(observe)
    event.remove(Engine, "before_cursor_execute", listen)


def tables(db: Engine, n: int) -> list[SqlProbe]:
    """`n` tables t0…, table i newest at T1/T2/T3 in turn, one column type per table kind."""
    meta = MetaData()
    probes = []
    for i in range(n):
        kind = i % 3
        column = (
            SqlColumn("updated_at", DateTime(timezone=True))
            if kind == 0
            else SqlColumn("updated_at", BigInteger)
            if kind == 1
            else SqlColumn("updated_at", String(40))
        )
        tbl = Table(f"t{i}", meta, column, SqlColumn("note", String(20)))
        tbl.create(db)
        newest = (T1, T2, T3)[kind]
        value: Any = (
            newest
            if kind == 0
            else int(newest.timestamp())
            if kind == 1
            else newest.isoformat().replace("+00:00", "Z")
        )
        with db.begin() as conn:
            conn.execute(tbl.insert(), [{"updated_at": value, "note": "x :y 100%"}])
        probes.append(SqlProbe("WAREHOUSE_URL", f"t{i}", "updated_at"))
    return probes


def test_a_batch_is_one_statement_and_reads_what_each_probe_reads(
    db: Engine, prober: SqlProber, probe_statements: list[str]
) -> None:
    probes = tables(db, 6)
    probes.append(SqlProbe("WAREHOUSE_URL", "t0", "updated_at", filter="note = 'x :y 100%'"))
    probes.append(SqlProbe("WAREHOUSE_URL", "t0", "updated_at", filter="note = 'other'"))
    batch = prober.probe_batch(probes)
    assert len(probe_statements) == 1  # eight probes, one round trip
    alone = [prober.probe(p) for p in probes]
    assert [r.error for r in batch] == [None] * 8
    assert [r.last_update for r in batch] == [r.last_update for r in alone]
    assert [r.last_update for r in batch] == [T1, T2, T3, T1, T2, T3, T1, None]
    assert all(r.source_now is not None for r in batch)


def test_a_missing_table_fails_alone_and_its_neighbours_get_their_verdicts(
    db: Engine, prober: SqlProber
) -> None:
    probes = tables(db, 5)
    missing = SqlProbe("WAREHOUSE_URL", "no_such_table", "updated_at")
    batch = prober.probe_batch([*probes[:2], missing, *probes[2:]])
    assert [r.last_update for r in batch] == [T1, T2, None, T3, T1, T2]
    assert [r.ok for r in batch] == [True, True, False, True, True, True]
    assert batch[2].error == prober.probe(missing).error
    assert batch[2].error is not None
    assert "no_such_table" in batch[2].error


def test_a_missing_column_fails_alone(db: Engine, prober: SqlProber) -> None:
    probes = tables(db, 3)
    wrong = SqlProbe("WAREHOUSE_URL", "t1", "no_such_column")
    batch = prober.probe_batch([*probes, wrong])
    assert [r.last_update for r in batch[:3]] == [T1, T2, T3]
    assert batch[3].error == prober.probe(wrong).error
    assert batch[3].error is not None
    assert "no_such_column" in batch[3].error


def test_the_runner_batches_per_connection_and_keeps_each_job_apart(
    db: Engine, database_url: str, probe_statements: list[str]
) -> None:
    probes = tables(db, 7)
    env = {"WAREHOUSE_URL": database_url, "OTHER_URL": database_url}
    jobs: list[tuple[str, Any]] = [(f"c{i}", p) for i, p in enumerate(probes)]
    jobs.append(("elsewhere", SqlProbe("OTHER_URL", "t2", "updated_at")))
    jobs.append(("unset", SqlProbe("NOT_SET_URL", "t2", "updated_at")))
    jobs.append(("gone", SqlProbe("WAREHOUSE_URL", "gone", "updated_at")))
    with Prober(env, statement_timeout=10.0) as prober:
        results = prober.run(jobs, max_workers=2, timeout=30.0)
    assert list(results) == [job_id for job_id, _ in jobs]
    assert [results[f"c{i}"].last_update for i in range(7)] == [T1, T2, T3, T1, T2, T3, T1]
    assert results["elsewhere"].last_update == T3
    assert results["unset"].error == "environment variable NOT_SET_URL is not set"
    assert results["gone"].error is not None
    assert "gone" in results["gone"].error
    # WAREHOUSE_URL: 8 probes in one batch (too few to split), which failed on "gone" and was
    # retried one by one (8 more); OTHER_URL: 1 alone. Never a statement per probe unasked.
    assert len(probe_statements) == 1 + 8 + 1


def test_units_split_per_connection_to_keep_the_workers_busy() -> None:
    sql = [(f"s{i}", SqlProbe("A_URL", f"t{i}", "ts")) for i in range(500)]
    http = [("h", HttpProbe("http://127.0.0.1:1/", "json:x"))]
    other = [("o", SqlProbe("B_URL", "t", "ts"))]
    plan = units([*sql, *http, *other], workers=4)
    sizes = sorted(len(u) for u in plan)
    assert sizes == [1, 1] + [59] + [63] * 7  # 500 in 8 batches for 4 workers
    assert sum(len(u) for u in plan) == 502
    few = units(sql[:100], workers=8)
    assert [len(u) for u in few] == [25] * 4  # not 8 of 13: a round trip costs more
