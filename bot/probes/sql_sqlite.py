"""SQLite specifics of the SQL probe: a read-only connection, a deadline per query, and a
refusal of unknown columns (which SQLite would read as string literals)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ownership.model import SqlProbe

if TYPE_CHECKING:
    from sqlalchemy import Connection

PROGRESS_STEPS = 1000  # SQLite virtual machine steps between two looks at the clock


class NoColumn(Exception):
    """The timestamp column does not exist; the message is safe to show."""


@contextmanager
def deadline(raw: sqlite3.Connection, seconds: float) -> Iterator[None]:
    """Wait at most `seconds` for a lock, and interrupt the query when they are over."""
    raw.execute(f"PRAGMA busy_timeout = {max(1, int(seconds * 1000))}")
    ends = time.monotonic() + seconds
    raw.set_progress_handler(lambda: 1 if time.monotonic() > ends else 0, PROGRESS_STEPS)
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)


def check_column(conn: Connection, p: SqlProbe) -> None:
    """SQLite reads an unknown "quoted" column as a string literal: refuse it explicitly."""
    from sqlalchemy import inspect  # lazy: only once a SQL probe runs
    from sqlalchemy.exc import NoSuchTableError

    try:
        names = {c["name"].lower() for c in inspect(conn).get_columns(p.table, schema=p.schema)}
    except NoSuchTableError:
        return  # the query itself reports the missing table
    if p.timestamp_column.lower() not in names:
        raise NoColumn(f"database error: no such column: {p.timestamp_column}")


def read_only(dbapi_connection: Any, _record: Any) -> None:
    """A `connect` event listener: the connection may only read."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA query_only = ON")
    finally:
        cursor.close()
