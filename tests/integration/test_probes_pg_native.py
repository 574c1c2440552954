"""PostgreSQL probes through psycopg directly: the session they run in, their pool, a dead
connection replaced, and a `demarc check` that never imports SQLAlchemy."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from bot.probes import SqlProber, pg_native, pg_url
from ownership.model import SqlProbe
from tests.check_process import check_lines, one_contract_registry

T1 = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def warehouse(postgres_url: str) -> str:
    """The schema's URL with its own application name, and tables `orders`, `items`."""
    with psycopg.connect(libpq(postgres_url), autocommit=True) as conn:
        for name in ("orders", "items"):
            conn.execute(f"CREATE TABLE {name} (updated_at timestamptz, note text)")
            conn.execute(f"INSERT INTO {name} VALUES (%s, 'x :y 100%%')", [T1])
    return f"{postgres_url}&application_name=demarc-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def sent() -> Iterator[list[str]]:
    """The statements the psycopg pools send meanwhile."""
    seen: list[str] = []
    pg_native.observers.append(seen.append)
    yield seen
    pg_native.observers.remove(seen.append)


def terminate(url: str) -> int:
    """End the server side of every probe connection of `url` (its application name)."""
    name = pg_url.parse(url).query["application_name"][-1]
    with psycopg.connect(libpq(url.split("?")[0]), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE application_name = %s",
            [name],
        ).fetchall()
    return len(rows)


def test_the_session_is_read_only_under_the_statement_timeout(postgres_url: str) -> None:
    with psycopg.connect(libpq(postgres_url), autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (updated_at timestamptz)")
        conn.execute("INSERT INTO orders VALUES (%s)", [T1])
        schema = conn.execute("SELECT current_schema()").fetchone()
    session = (
        "current_setting('application_name') = 'demarc-probe'"
        " AND current_setting('transaction_read_only') = 'on'"
        " AND current_setting('statement_timeout') = '2500ms'"
        f" AND current_setting('search_path') = '{schema and schema[0]}'"  # the URL's options
    )
    with SqlProber({"WAREHOUSE_URL": postgres_url}, statement_timeout=2.5) as prober:
        assert prober.probe(SqlProbe("WAREHOUSE_URL", "orders", "updated_at",
                                     filter=session)).last_update == T1  # fmt: skip


def test_a_dead_pooled_connection_is_replaced_and_the_read_tried_once_more(
    warehouse: str, sent: list[str]
) -> None:
    orders = SqlProbe("WAREHOUSE_URL", "orders", "updated_at")
    batch = [orders, SqlProbe("WAREHOUSE_URL", "items", "updated_at")]
    with SqlProber({"WAREHOUSE_URL": warehouse}, statement_timeout=10.0) as prober:
        assert prober.probe(orders).last_update == T1
        assert terminate(warehouse) == 1  # the pooled connection
        sent.clear()
        result = prober.probe(orders)
        assert (result.error, result.last_update) == (None, T1)
        assert len(sent) == 2  # on the dead connection, then once more on a new one
        assert terminate(warehouse) == 1
        sent.clear()
        assert [r.last_update for r in prober.probe_batch(batch)] == [T1, T1]
        assert len(sent) == 2  # the batch twice, not each probe alone


def test_after_a_restart_no_dead_connection_is_tried_twice(warehouse: str, sent: list[str]) -> None:
    """A server restart ends every pooled connection: the first read that meets a dead one
    discards them all, so the retry and the reads after it run on new connections."""
    both_out = threading.Barrier(2, timeout=10)

    def hold(_sql: str) -> None:
        both_out.wait()  # until the other thread has its connection too

    pool = pg_native.PgPool(pg_url.parse(warehouse), size=2, statement_timeout=5, connect_timeout=5)
    try:
        pg_native.observers.append(hold)
        try:
            with ThreadPoolExecutor(2) as threads:
                list(threads.map(lambda _: pool.fetch_one("SELECT 1"), range(2)))
        finally:
            pg_native.observers.remove(hold)
        assert terminate(warehouse) == 2  # both idle in the pool
        sent.clear()
        assert pool.fetch_one("SELECT 1") == (1,)
        assert len(sent) == 2  # the dead one, then a new one
        assert pool.fetch_one("SELECT 1") == (1,)
        assert len(sent) == 3  # not the other dead one
    finally:
        pool.close()


def test_a_percent_in_a_filter_is_literal(warehouse: str, sent: list[str]) -> None:
    probes = [
        SqlProbe("WAREHOUSE_URL", "orders", "updated_at", filter="note = 'x :y 100%'"),
        SqlProbe("WAREHOUSE_URL", "items", "updated_at", filter="note LIKE '%100%%'"),
    ]
    with SqlProber({"WAREHOUSE_URL": warehouse}) as prober:
        assert [r.last_update for r in prober.probe_batch(probes)] == [T1, T1]
        assert [prober.probe(p).last_update for p in probes] == [T1, T1]
    assert "'x :y 100%'" in sent[0]  # sent as written


def test_the_pool_keeps_its_connections_and_recycles_old_ones(warehouse: str) -> None:
    now = [0.0]
    pool = pg_native.PgPool(
        pg_url.parse(warehouse), size=1, statement_timeout=5, connect_timeout=5,
        clock=lambda: now[0],
    )  # fmt: skip
    try:
        first = pool.fetch_one("SELECT pg_backend_pid()")
        assert pool.fetch_one("SELECT pg_backend_pid()") == first
        now[0] += pg_native.RECYCLE_SECONDS
        assert pool.fetch_one("SELECT pg_backend_pid()") != first
    finally:
        pool.close()
    assert terminate(warehouse) == 0  # closed: nothing left open


def test_a_batch_that_cannot_connect_fails_once_for_every_member() -> None:
    url = "postgresql://demarc:Sup3rS3cretPw@127.0.0.1:1/test?connect_timeout=2"
    probes = [SqlProbe("WAREHOUSE_URL", name, "updated_at") for name in ("a", "b", "c")]
    with SqlProber({"WAREHOUSE_URL": url}) as prober:
        results = prober.probe_batch(probes)
    errors = {r.error for r in results}
    assert len(errors) == 1
    error = errors.pop()
    assert error is not None
    assert error.startswith("cannot connect:")
    assert "Sup3rS3cretPw" not in error


def test_check_on_postgresql_never_imports_sqlalchemy(warehouse: str, tmp_path: Path) -> None:
    with psycopg.connect(libpq(warehouse), autocommit=True) as conn:
        conn.execute("CREATE TABLE landed (updated_at timestamptz DEFAULT now())")
        conn.execute("INSERT INTO landed DEFAULT VALUES")
    registry = one_contract_registry(tmp_path / "registry", "landed")
    lines = check_lines(
        registry,
        warehouse,
        "'psycopg' in sys.modules",
        "sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy')",
    )
    assert lines == ["0 1", "True", "[]"]
