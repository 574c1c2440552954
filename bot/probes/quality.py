"""Quality measurements: one aggregate query per table over the period's rows, plus one per
`type: sql` rule; the numbers are judged by `ownership.quality.verdict`.

The aggregate is built with SQLAlchemy Core: table, schema and column names are identifiers
quoted by the dialect, the values of `validValues` / `missingValues` and the period's start are
bound parameters. Only rows at or after the period's start (the contract's timestamp column)
are read. A `type: sql` query is trusted registry config, like a probe's `filter`; `${object}`
and `${property}` in it become the quoted table and column. Sessions are those of the SQL
probe (`bot.probes.sql`): read-only, under its statement timeout. A query that fails makes
every check it feeds "check failed", never "passed".
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.probes.sql import SqlProber
from ownership.model import QualityRule, SqlProbe
from ownership.quality.types import how_to_count, pattern_for
from ownership.quality.verdict import Measured

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Engine
    from sqlalchemy.engine import URL

AGGREGATED = ("nullValues", "missingValues", "duplicateValues", "rowCount", "invalidValues")
COLUMNS_TTL = 600.0  # seconds a table's live column types are reused
_PLACEHOLDER = re.compile(r"\$?\{(object|table|model|property|column)\}")
_PERIOD = re.compile(r"\$?\{(period_start|period_end)\}")  # bound, never formatted in
PERIOD_ROWS = "demarc_period"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # `{period_start}` of a contract read on every row


@dataclass(frozen=True, slots=True)
class Job:
    """One contract's checks: what to read, from where, since when."""

    key: str
    probe: SqlProbe
    rules: tuple[QualityRule, ...]
    start: datetime | None
    end: datetime | None = None  # the check's time: `{period_end}` (else now)


class QualityProber(SqlProber):
    """Measures quality rules through the SQL probes' engines (same URL handling, timeouts
    and password redaction)."""

    def __init__(
        self,
        environ: Mapping[str, str],
        *,
        statement_timeout: float = 60.0,
        connect_timeout: float = 10.0,
        pool_size: int = 4,
    ) -> None:
        super().__init__(
            environ,
            statement_timeout=statement_timeout,
            connect_timeout=connect_timeout,
            pool_size=pool_size,
        )
        self.max_workers = max(1, pool_size)
        self._urls: dict[int, tuple[URL, str]] = {}  # engine -> its URL, for redaction
        self._column_cache: dict[
            tuple[int, str | None, str], tuple[float, dict[str, tuple[str, str]]]
        ] = {}

    def measure_many(self, jobs: Iterable[Job]) -> dict[str, dict[str, Measured]]:
        """Every job, at most `pool_size` at once."""
        todo = list(jobs)
        if not todo:
            return {}
        with ThreadPoolExecutor(self.max_workers, thread_name_prefix="demarc-quality") as pool:
            done = pool.map(lambda j: (j.key, self.measure(j)), todo)
            return dict(done)

    def measure(self, job: Job) -> dict[str, Measured]:
        """Each rule's number; a failure is reported on every rule it concerns."""
        rules = job.rules
        try:
            engine = self._engine_for(job.probe)
        except _Refused as exc:
            return {r.id: Measured(None, error=str(exc)) for r in rules}
        out: dict[str, Measured] = {}
        aggregated = [r for r in rules if r.metric in AGGREGATED]
        typed = [r for r in rules if r.metric == "type"]
        enforced: list[QualityRule] = []
        if typed:
            found = self._typed(engine, job, typed)
            if isinstance(found, str):
                out.update((r.id, Measured(None, error=found)) for r in typed)
            else:
                for rule, counted in found:
                    if counted is None:
                        enforced.append(rule)  # the database holds nothing else: 0
                    else:
                        aggregated.append(counted)
        if aggregated or enforced:
            done = self._aggregate(engine, job, aggregated or [QualityRule("rows", "rowCount")])
            out.update(done if aggregated else {})
            rows = next((m.rows for m in done.values()), None)
            error = next((m.error for m in done.values() if m.error), None)
            for rule in enforced:
                out[rule.id] = Measured(None if error else 0.0, rows, error)
        for rule in rules:
            if rule.metric == "sql":
                out[rule.id] = self._sql_rule(engine, job, rule)
        for rule in rules:
            out.setdefault(rule.id, Measured(None, error=f"unknown metric {rule.metric!r}"))
        return out

    def _typed(
        self, engine: Engine, job: Job, rules: list[QualityRule]
    ) -> list[tuple[QualityRule, QualityRule | None]] | str:
        """Each type rule with what the aggregate counts for it (None: nothing, the column's
        type is the declared one), from the live column types; an error message instead."""
        from dataclasses import replace

        live = self._columns(engine, job.probe)
        if isinstance(live, str):
            return live
        out: list[tuple[QualityRule, QualityRule | None]] = []
        for rule in rules:
            declared = rule.declared_type or ""
            actual = live.get((rule.column or "").lower())
            if actual is None:
                return f"column {rule.column} does not exist in {job.probe.table}"
            mode = how_to_count(declared, actual[1])
            name = actual[0]
            if mode == "pattern":
                counted = replace(rule, metric="invalidValues", column=name,
                                  pattern=pattern_for(declared))  # fmt: skip
                out.append((rule, counted))
            elif mode == "all":
                out.append((rule, replace(rule, metric="nonNull", column=name)))
            else:
                out.append((rule, None))
        return out

    def _columns(self, engine: Engine, p: SqlProbe) -> dict[str, tuple[str, str]] | str:
        """The live columns (lower-cased name -> name, type), cached `COLUMNS_TTL` seconds:
        a sweep per period need not read the catalog each time."""
        from sqlalchemy import inspect

        key = (id(engine), p.schema, p.table)
        with self._lock:
            cached = self._column_cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < COLUMNS_TTL:
            return cached[1]
        try:
            with engine.connect() as conn, self._deadline(conn):
                found = inspect(conn).get_columns(p.table, schema=p.schema)
                names = {
                    str(c["name"]).lower(): (str(c["name"]), _type_name(c["type"], conn))
                    for c in found
                }
        except Exception as exc:
            return self._error(engine, exc)
        with self._lock:
            self._column_cache[key] = (time.monotonic(), names)
        return names

    # ------------------------------------------------------------------ internals
    def _engine_for(self, p: SqlProbe) -> Engine:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        raw = (self._environ.get(p.connection) or "").strip()
        if not raw:
            raise _Refused(f"environment variable {p.connection} is not set")
        try:
            url = make_url(raw)
        except (ArgumentError, ValueError):
            raise _Refused(
                f"environment variable {p.connection} does not hold a valid SQLAlchemy URL"
            ) from None
        engine = self._engine(url)
        with self._lock:
            self._urls[id(engine)] = (url, raw)
        return engine

    def _error(self, engine: Engine, exc: Exception) -> str:
        with self._lock:
            url, raw = self._urls[id(engine)]
        return self._describe(exc, url, raw)

    def _aggregate(self, engine: Engine, job: Job, rules: list[QualityRule]) -> dict[str, Measured]:
        from sqlalchemy import (
            DateTime,
            and_,
            bindparam,
            case,
            column,
            distinct,
            func,
            literal_column,
            not_,
            or_,
            select,
            table,
        )

        p = job.probe
        source = table(p.table, schema=p.schema)
        cols: list[ColumnElement[Any]] = [func.count().label("rows")]
        for n, rule in enumerate(rules):
            c: ColumnElement[Any] = column(rule.column) if rule.column else literal_column("1")
            if rule.metric == "rowCount":
                expr: ColumnElement[Any] = func.count()
            elif rule.metric == "nonNull":  # a column of another type: every value is wrong
                expr = func.count(c)
            elif rule.metric == "nullValues":
                expr = func.count() - func.count(c)
            elif rule.metric == "duplicateValues":
                expr = func.count(c) - func.count(distinct(c))
            elif rule.metric == "missingValues":
                listed = [v for v in rule.missing_values if v is not None]
                hit = or_(c.is_(None), c.in_(listed)) if listed else c.is_(None)
                expr = func.coalesce(func.sum(case((hit, 1), else_=0)), 0)
            else:  # invalidValues
                bad: list[ColumnElement[bool]] = []
                if rule.valid_values:
                    bad.append(not_(c.in_(list(rule.valid_values))))
                if rule.pattern:
                    bad.append(not_(c.regexp_match(rule.pattern)))
                if not bad:
                    expr = func.count() * 0
                else:
                    expr = func.coalesce(
                        func.sum(case((and_(c.is_not(None), or_(*bad)), 1), else_=0)), 0
                    )
            cols.append(expr.label(f"m{n}"))
        query = select(*cols).select_from(source)
        if job.start is not None:
            start = job.start
            if engine.dialect.name == "sqlite":  # text timestamps: compare as naive UTC
                start = start.astimezone(UTC).replace(tzinfo=None)
            query = query.where(
                column(p.timestamp_column) >= bindparam("start", start, DateTime(timezone=True))
            )
        if p.filter:
            from sqlalchemy import text

            query = query.where(text(p.filter.replace(":", "\\:")))
        try:
            with engine.connect() as conn, self._deadline(conn):
                row = conn.execute(query).one()
        except Exception as exc:
            error = self._error(engine, exc)
            return {r.id: Measured(None, error=error) for r in rules}
        rows = int(row[0] or 0)
        return {r.id: Measured(float(row[n + 1] or 0), rows) for n, r in enumerate(rules)}

    def _sql_rule(self, engine: Engine, job: Job, rule: QualityRule) -> Measured:
        """The query's one number. `{period_start}`/`{period_end}` become bound parameters
        (never text); with `window: period`, `${object}` names the period's rows (a CTE)."""
        from sqlalchemy import DateTime, bindparam, text

        if not rule.query:
            return Measured(None, error="a sql rule needs a query")
        prepare = engine.dialect.identifier_preparer
        p = job.probe
        source = prepare.quote(p.table)
        if p.schema:
            source = f"{prepare.quote_schema(p.schema)}.{source}"
        table = source
        if rule.window == "period":
            source = prepare.quote(PERIOD_ROWS)
        names = {"object": source, "table": source, "model": source}
        if rule.column:
            names["property"] = names["column"] = prepare.quote(rule.column)

        def fill(m: re.Match[str]) -> str:
            return names.get(m[1], m[0])

        sql = _PLACEHOLDER.sub(fill, rule.query).replace(":", "\\:")
        sql = _PERIOD.sub(lambda m: f":{m[1]}", sql)
        if rule.window == "period":
            wrapped = _with_period(sql, table, prepare.quote(p.timestamp_column), p.filter)
            if wrapped is None:
                return Measured(None, error="window: period cannot wrap a WITH RECURSIVE query")
            sql = wrapped
        start = job.start or EPOCH
        end = job.end or datetime.now(UTC)
        if engine.dialect.name == "sqlite":  # text timestamps: compare as naive UTC
            start = start.astimezone(UTC).replace(tzinfo=None)
            end = end.astimezone(UTC).replace(tzinfo=None)
        statement = text(sql)
        used = {n for n in ("period_start", "period_end") if f":{n}" in sql}
        binds = {"period_start": start, "period_end": end}
        if used:
            statement = statement.bindparams(
                *(bindparam(n, binds[n], DateTime(timezone=True)) for n in sorted(used))
            )
        try:
            with engine.connect() as conn, self._deadline(conn):
                value = conn.execute(statement).scalar()
        except Exception as exc:
            return Measured(None, error=self._error(engine, exc))
        if value is None:
            return Measured(None, error="the query returned no value")
        try:
            return Measured(float(value))
        except (TypeError, ValueError):
            return Measured(None, error=f"the query returned {type(value).__name__}, not a number")


def _with_period(sql: str, table: str, timestamp: str, row_filter: str | None) -> str | None:
    """`sql` reading the period's rows as `demarc_period` (the probe's filter applied too)."""
    where = f"{timestamp} >= :period_start"
    if row_filter:
        where += " AND (" + row_filter.replace(":", "\\:") + ")"
    # identifiers quoted by the dialect; the filter is trusted registry config (the probe's)
    cte = f"{PERIOD_ROWS} AS (SELECT * FROM {table} WHERE {where})"  # noqa: S608
    head = re.match(r"\s*with\b(\s+recursive\b)?", sql, re.IGNORECASE)
    if head is None:
        return f"WITH {cte} {sql}"
    if head[1]:
        return None
    return f"WITH {cte}, {sql[head.end() :]}"


class _Refused(Exception):
    """The connection cannot even be tried; the message is safe to show."""


def _type_name(kind: Any, conn: Any) -> str:
    try:
        return str(kind.compile(dialect=conn.dialect))
    except Exception:
        return type(kind).__name__
