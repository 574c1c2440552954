"""SQL probe: `SELECT max(<timestamp_column>), <db now> FROM <schema>.<table> [WHERE <filter>]`.

* The URL comes from the environment variable named by `SqlProbe.connection`; it never appears
  in a result: messages mention at most the URL with its password hidden.
* `postgresql://` and `postgresql+psycopg://` URLs go through psycopg 3 directly
  (`bot.probes.pg_native`, URLs read by `bot.probes.pg_url`): SQLAlchemy is never imported for
  them. Every other URL (SQLite, MySQL, `postgresql+psycopg2`, …) goes through SQLAlchemy.
  Either is imported only when such a probe first runs, with one pool per URL sized to the
  probe threads.
* Table, schema and column names are identifiers quoted by the dialect (psycopg: always
  quoted), never formatted into SQL. Names with capitals or special characters are therefore
  case-sensitive (quoted); a dotted table name is one identifier, use `schema` for the schema.
* `SqlProbe.filter` is raw SQL from the registry, which is trusted configuration reviewed in git
  (the loader already refuses secrets there). It runs in a read-only transaction (PostgreSQL) /
  read-only connection (SQLite); colons in it are literal, not bind parameters.
* Timestamps: aware values are converted to UTC. Naive values (a `timestamp without time zone`
  column, SQLite text such as "2024-05-01 12:00:00") are wall-clock time in
  `SqlProbe.naive_timezone`. Strings are read as ISO-8601, numbers as epoch seconds (epoch
  milliseconds when above 1e11). SQLite compares text with max(), so keep one format per column.
  `source_now` is the database's CURRENT_TIMESTAMP (UTC for SQLite, naive values taken as UTC).
* Timeouts: PostgreSQL sessions start read-only with `statement_timeout` (libpq `options`, so a
  probe is one round trip: autocommit, no pre-ping; a dead pooled connection is retried once)
  and `connect_timeout`; callers keep it within their sweep's deadline. Behind a PgBouncer in
  transaction-pooling mode session settings do not stick: point probes at the database or a
  session-pooling port. SQLite gets a busy timeout and a progress handler that interrupts the
  query at the deadline, both cut per query to what is left of the sweep
  (`runner.remaining`). Other dialects get only the pool timeout: the runner's overall
  deadline is their only bound (best effort).
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bot.probes import pg_url, sql_batch, sql_sqlite
from bot.probes.runner import (
    ProbeResult,
    TimestampError,
    elapsed,
    format_seconds,
    one_line,
    remaining,
    to_utc,
)
from ownership.errors import InvalidValue
from ownership.model import SqlProbe
from ownership.timeparse import zone

if TYPE_CHECKING:  # SQLAlchemy and psycopg are imported where a SQL probe first needs them
    from sqlalchemy import ColumnElement, Connection, Engine, Select
    from sqlalchemy.engine import URL

    from bot.probes.pg_native import PgPool

_UTC = zone("UTC")
_PG_QUERY_CANCELED = "57014"
_INVALID_URL = "environment variable {} does not hold a valid SQLAlchemy URL"


class SqlProber:
    """Probes SQL sources; one cached engine (or psycopg pool) per URL, closed by `close()`.

    `pool_size` is how many connections per URL are kept open: as many as probes run at once.
    """

    def __init__(
        self,
        environ: Mapping[str, str],
        *,
        statement_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        pool_size: int = 8,
    ) -> None:
        self._environ = environ
        self._timeout = statement_timeout
        self._connect_timeout = connect_timeout
        self._pool_size = max(1, pool_size)
        self._engines: dict[str, Engine] = {}
        self._pools: dict[str, PgPool] = {}
        self._lock = threading.Lock()
        self._local = threading.local()  # this thread's probe: the timeout it was given

    def probe(self, p: SqlProbe) -> ProbeResult:
        start = time.monotonic()
        value = self._environ.get(p.connection)
        if value is None:
            return self._fail(f"environment variable {p.connection} is not set", start)
        raw = value.strip()
        if not raw:
            return self._fail(f"environment variable {p.connection} is empty", start)
        if pg_url.is_native(raw):
            return self._probe_native(p, raw, start)
        from sqlalchemy.engine import make_url  # lazy: only once a SQL probe runs
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(raw)
        except (ArgumentError, ValueError):
            return self._fail(_INVALID_URL.format(p.connection), start)
        try:
            naive_zone = zone(p.naive_timezone)
        except InvalidValue as exc:
            return self._fail(str(exc), start)
        try:
            engine = self._engine(url)
            row = self._query_retrying(engine, p)
        except Exception as exc:  # any failure is a result, never an exception
            return self._fail(self._describe(exc, url, raw), start)
        return self._result(p, row, naive_zone, start)

    def probe_batch(self, probes: Sequence[SqlProbe]) -> list[ProbeResult]:
        """Probes of one connection variable in one statement (`bot.probes.sql_batch`), the
        results in order; when the statement fails, each probe alone, so one missing table
        costs its neighbours nothing but a second query. A failure to connect is every
        probe's result at once (each would only wait for it again)."""
        if len(probes) <= 1 or len({p.connection for p in probes}) != 1:
            return [self.probe(p) for p in probes]
        start = time.monotonic()
        raw = (self._environ.get(probes[0].connection) or "").strip()
        if pg_url.is_native(raw):
            return self._batch_native(probes, raw, start)
        from sqlalchemy.engine import make_url  # lazy: only once a SQL probe runs
        from sqlalchemy.exc import ArgumentError, DBAPIError

        try:
            url = make_url(raw)
            zones = [zone(p.naive_timezone) for p in probes]
        except (ArgumentError, ValueError, InvalidValue):  # each says what is wrong with it
            return [self.probe(p) for p in probes]
        try:
            engine = self._engine(url)
            source_now, values = self._batch_retrying(engine, probes)
        except Exception as exc:
            if isinstance(exc, DBAPIError) and exc.statement is None:  # cannot connect
                failed = self._fail(self._describe(exc, url, raw), start)
                return [failed] * len(probes)
            return [self.probe(p) for p in probes]
        return [
            self._result(p, (value, source_now), naive_zone, start)
            for p, value, naive_zone in zip(probes, values, zones, strict=True)
        ]

    def _probe_native(self, p: SqlProbe, raw: str, start: float) -> ProbeResult:
        try:
            url = pg_url.parse(raw)
        except ValueError:
            return self._fail(_INVALID_URL.format(p.connection), start)
        try:
            naive_zone = zone(p.naive_timezone)
        except InvalidValue as exc:
            return self._fail(str(exc), start)
        try:
            from bot.probes import pg_native  # lazy: psycopg only once a PostgreSQL probe runs
        except ImportError as exc:  # without the `postgres` extra
            return self._fail(f"{type(exc).__name__}: {one_line(str(exc))}", start)
        sql = sql_batch.postgres_one(pg_native.quote, pg_native.quote, p)
        try:
            row = self._pool(url).fetch_one(sql)
        except Exception as exc:  # any failure is a result, never an exception
            return self._fail(url.redact(pg_native.describe(exc, self._timeout)), start)
        return self._result(p, (row[0], row[1]), naive_zone, start)

    def _batch_native(
        self, probes: Sequence[SqlProbe], raw: str, start: float
    ) -> list[ProbeResult]:
        """`probe_batch` through psycopg: the same rules."""
        try:
            url = pg_url.parse(raw)
            zones = [zone(p.naive_timezone) for p in probes]
        except (ValueError, InvalidValue):  # each says what is wrong with it
            return [self.probe(p) for p in probes]
        try:
            from bot.probes import pg_native
        except ImportError:
            return [self.probe(p) for p in probes]
        sql = sql_batch.postgres_sql(pg_native.quote, pg_native.quote, probes)
        try:
            row = self._pool(url).fetch_one(sql)
        except pg_native.ConnectFailed as exc:
            failed = self._fail(url.redact(pg_native.describe(exc, self._timeout)), start)
            return [failed] * len(probes)
        except Exception:
            return [self.probe(p) for p in probes]
        return [
            self._result(p, (value, row[0]), naive_zone, start)
            for p, value, naive_zone in zip(probes, row[1:], zones, strict=True)
        ]

    def _pool(self, url: pg_url.PgUrl) -> PgPool:
        from bot.probes.pg_native import PgPool

        key = url.render(hide_password=False)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = PgPool(
                    url,
                    size=self._pool_size,
                    statement_timeout=self._timeout,
                    connect_timeout=self._connect_timeout,
                )
            return pool

    def _batch_retrying(self, engine: Engine, probes: Sequence[SqlProbe]) -> tuple[Any, list[Any]]:
        """As `_query_retrying`, for a batch."""
        from sqlalchemy.exc import DBAPIError  # lazy: only once a SQL probe runs

        try:
            return self._batch(engine, probes)
        except DBAPIError as exc:
            if not exc.connection_invalidated or engine.dialect.name != "postgresql":
                raise
        return self._batch(engine, probes)

    def _batch(self, engine: Engine, probes: Sequence[SqlProbe]) -> tuple[Any, list[Any]]:
        self._local.seconds = self._timeout
        with engine.connect() as conn, self._deadline(conn):
            if conn.dialect.name == "sqlite":
                for p in probes:
                    sql_sqlite.check_column(conn, p)
            return sql_batch.run(conn, probes)

    def _result(
        self, p: SqlProbe, row: tuple[Any, Any], naive_zone: Any, start: float
    ) -> ProbeResult:
        try:
            last_update = to_utc(row[0], naive_zone)
            source_now = to_utc(row[1], _UTC)
        except TimestampError as exc:
            return self._fail(f"column {p.timestamp_column!r}: {exc}", start)
        return ProbeResult(last_update, source_now, None, elapsed(start))

    def close(self) -> None:
        with self._lock:
            engines, self._engines = list(self._engines.values()), {}
            pools, self._pools = list(self._pools.values()), {}
        for engine in engines:
            engine.dispose()
        for pool in pools:
            pool.close()

    def __enter__(self) -> SqlProber:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _fail(self, message: str, start: float) -> ProbeResult:
        return ProbeResult(error=message, duration=elapsed(start))

    def _engine(self, url: URL) -> Engine:
        key = url.render_as_string(hide_password=False)
        with self._lock:
            engine = self._engines.get(key)
            if engine is None:
                engine = self._engines[key] = self._create_engine(url)
            return engine

    def _create_engine(self, url: URL) -> Engine:
        from sqlalchemy import create_engine, event  # lazy: only once a SQL probe runs

        backend = url.get_backend_name()
        if backend == "sqlite":
            engine = create_engine(
                url,
                connect_args={"timeout": self._timeout, "check_same_thread": False},
                pool_pre_ping=True,
            )
            event.listen(engine, "connect", sql_sqlite.read_only)
            return engine
        connect_args: dict[str, Any] = {}
        if backend == "postgresql":
            if url.drivername == "postgresql":
                url = url.set(drivername="postgresql+psycopg")
            if "connect_timeout" not in url.query:
                connect_args["connect_timeout"] = max(1, math.ceil(self._connect_timeout))
            if "application_name" not in url.query:
                connect_args["application_name"] = "demarc-probe"
            # One round trip per probe: the session is read-only with a statement timeout
            # from the start (libpq `options`), autocommit (no BEGIN/ROLLBACK), no pre-ping
            # (a dead pooled connection is invalidated and the read retried once).
            millis = max(1, int(self._timeout * 1000))
            options = f"-c statement_timeout={millis} -c default_transaction_read_only=on"
            given = url.query.get("options")  # e.g. a search_path of the URL's own: keep it
            given_text = " ".join(given) if isinstance(given, tuple) else (given or "")
            connect_args["options"] = f"{given_text} {options}".strip()
            url = url.difference_update_query(["options"])
            return create_engine(
                url,
                connect_args=connect_args,
                isolation_level="AUTOCOMMIT",
                pool_reset_on_return=None,  # autocommit and read-only: nothing to roll back
                pool_size=self._pool_size,
                max_overflow=2,
                pool_timeout=self._timeout,
                pool_recycle=1800,
            )
        return create_engine(
            url,
            connect_args=connect_args,
            pool_pre_ping=True,
            pool_size=self._pool_size,
            max_overflow=2,
            pool_timeout=self._timeout,
            pool_recycle=1800,
        )

    def _query_retrying(self, engine: Engine, p: SqlProbe) -> tuple[Any, Any]:
        """PostgreSQL connections are not pinged before use: a dead one (server restart, idle
        timeout) is invalidated by SQLAlchemy, and the probe, a read, is tried once more."""
        from sqlalchemy.exc import DBAPIError  # lazy: only once a SQL probe runs

        try:
            return self._query(engine, p)
        except DBAPIError as exc:
            if not exc.connection_invalidated or engine.dialect.name != "postgresql":
                raise
        return self._query(engine, p)

    def _query(self, engine: Engine, p: SqlProbe) -> tuple[Any, Any]:
        self._local.seconds = self._timeout
        if engine.dialect.name == "postgresql":
            return self._query_postgres(engine, p)
        from sqlalchemy import column, func, select, table, text  # lazy: only once a SQL probe runs

        newest: ColumnElement[Any] = func.max(column(p.timestamp_column))
        query: Select[tuple[Any, Any]] = select(newest, func.current_timestamp())
        query = query.select_from(table(p.table, schema=p.schema))
        if p.filter:
            # Trusted registry config (see module docstring); escape colons so they stay literal.
            query = query.where(text(p.filter.replace(":", "\\:")))
        with engine.connect() as conn, self._deadline(conn):
            if conn.dialect.name == "sqlite":
                sql_sqlite.check_column(conn, p)
            row = conn.execute(query).one()
        return row[0], row[1]

    def _query_postgres(self, engine: Engine, p: SqlProbe) -> tuple[Any, Any]:
        """The same statement as the generic path, with identifiers quoted by SQLAlchemy's
        PostgreSQL identifier preparer, sent as driver SQL: a sweep of thousands of tables
        spends its time in the database, not in compiling a new statement per table."""
        prepare = engine.dialect.identifier_preparer
        sql = sql_batch.postgres_one(prepare.quote, prepare.quote_schema, p)
        with engine.connect() as conn:  # the DBAPI reads "%" as a placeholder: double it
            row = conn.exec_driver_sql(sql.replace("%", "%%")).one()
        return row[0], row[1]

    @contextmanager
    def _deadline(self, conn: Connection) -> Iterator[None]:
        """Bound the statement's run time the way the dialect allows (PostgreSQL: set for the
        whole session when it connected)."""
        raw = conn.connection.dbapi_connection
        if conn.dialect.name == "sqlite" and isinstance(raw, sqlite3.Connection):
            seconds = self._local.seconds = remaining(self._timeout)  # within the sweep
            with sql_sqlite.deadline(raw, seconds):
                yield
            return
        yield

    def _describe(self, exc: Exception, url: URL, raw: str) -> str:
        """A short, password-free, one-line description of a failure."""
        from sqlalchemy.exc import DBAPIError, NoSuchModuleError  # lazy: only once a SQL probe runs

        if isinstance(exc, DBAPIError):
            orig = exc.orig
            code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
            if code == _PG_QUERY_CANCELED or (
                isinstance(orig, sqlite3.OperationalError) and str(orig) == "interrupted"
            ):
                seconds = getattr(self._local, "seconds", self._timeout)
                return f"query timed out after {format_seconds(round(seconds, 1))}"
            kind = "cannot connect" if exc.statement is None else "database error"
            message = f"{kind}: {one_line(str(orig)) or type(orig).__name__}"
        elif isinstance(exc, sql_sqlite.NoColumn):
            message = str(exc)
        elif isinstance(exc, NoSuchModuleError):
            message = f"no SQLAlchemy driver for {url.drivername!r}"
        else:
            message = f"{type(exc).__name__}: {one_line(str(exc))}"
        return _redact(message, url, raw)


def _redact(message: str, url: URL, raw: str) -> str:
    """Remove the URL and its password from `message`, in whatever spelling they appear."""
    return pg_url.redact(
        message,
        (raw, url.render_as_string(hide_password=False)),
        url.render_as_string(hide_password=True),
        None if url.password is None else str(url.password),
    )
