"""Many SQL probes of one database in one statement: a batch of scalar subqueries.

`SELECT CURRENT_TIMESTAMP, (SELECT max(c1) FROM t1 [WHERE f1]), (SELECT max(c2) FROM t2), …`
is one round trip for ~100 tables instead of 100, with the same identifiers quoted by the same
dialect and the same filters. Scalar subqueries rather than a `UNION ALL`: each keeps its own
column type (a `timestamptz`, a `timestamp`, an epoch `bigint` and a text column in one batch
would not unify in a union). A batch that fails as a whole (one missing table or column, a
timeout) tells nothing about its members, so the caller probes each of them alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ownership.model import SqlProbe

if TYPE_CHECKING:
    from sqlalchemy import Connection, Select

BATCH_SIZE = 100  # tables per statement (an earlier measurement: 1.8–2.1× the floor at 100)


def split(items: Sequence[Any], workers: int, size: int = BATCH_SIZE) -> list[list[Any]]:
    """`items` in batches of at most `size`, as many batches as keep `workers` busy (a
    multiple of `workers`: 500 tables on 4 threads, 8 of 63) but none much smaller than a
    quarter of `size` (100 tables on 8 threads: 4 of 25), where a round trip costs more than
    the parallelism gains."""
    if not items:
        return []
    count = math.ceil(len(items) / size)
    workers = max(1, workers)
    count = min(math.ceil(count / workers) * workers, math.ceil(len(items) / (size // 4 or 1)))
    per = math.ceil(len(items) / count)
    return [list(items[i : i + per]) for i in range(0, len(items), per)]


def postgres_sql(
    quote: Callable[[str], str], quote_schema: Callable[[str], str], probes: Sequence[SqlProbe]
) -> str:
    """The batch for PostgreSQL as plain SQL, identifiers quoted by `quote` (compiling 100
    SQLAlchemy subqueries per batch would cost more than the round trips saved). Run as is
    without parameters (`bot.probes.pg_native`); through a DBAPI that reads "%" as a
    placeholder, double it (`run`)."""
    parts = ["CURRENT_TIMESTAMP"]
    for p in probes:
        newest = f"SELECT max({quote(p.timestamp_column)})"
        parts.append(f"({newest} FROM {_source(quote, quote_schema, p)})")
    return "SELECT " + ", ".join(parts)


def postgres_one(
    quote: Callable[[str], str], quote_schema: Callable[[str], str], p: SqlProbe
) -> str:
    """One probe's statement as plain SQL, like `postgres_sql`: (newest, now)."""
    newest = f"SELECT max({quote(p.timestamp_column)}), CURRENT_TIMESTAMP"
    return f"{newest} FROM {_source(quote, quote_schema, p)}"


def _source(quote: Callable[[str], str], quote_schema: Callable[[str], str], p: SqlProbe) -> str:
    """`[schema.]table [WHERE filter]`, the filter trusted registry config (bot.probes.sql)."""
    source = quote(p.table)
    if p.schema:
        source = f"{quote_schema(p.schema)}.{source}"
    return f"{source} WHERE {p.filter}" if p.filter else source


def generic_query(probes: Sequence[SqlProbe]) -> Select[Any]:
    """The same statement built by SQLAlchemy, for every other dialect."""
    from sqlalchemy import column, func, select, table, text

    subs: list[Any] = []
    for p in probes:
        sub: Select[Any] = select(func.max(column(p.timestamp_column))).select_from(
            table(p.table, schema=p.schema)
        )
        if p.filter:  # colons escaped so they stay literal
            sub = sub.where(text(p.filter.replace(":", "\\:")))
        subs.append(sub.scalar_subquery())
    return select(func.current_timestamp(), *subs)


def run(conn: Connection, probes: Sequence[SqlProbe]) -> tuple[Any, list[Any]]:
    """(the database's now, each probe's newest value), in one statement."""
    if conn.dialect.name == "postgresql":
        prepare = conn.dialect.identifier_preparer
        sql = postgres_sql(prepare.quote, prepare.quote_schema, probes)
        row = conn.exec_driver_sql(sql.replace("%", "%%")).one()
    else:
        row = conn.execute(generic_query(probes)).one()
    return row[0], list(row[1:])
