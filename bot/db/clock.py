"""The database's clock, as SQL: every lease, claim and heartbeat is timed by it.

Replicas' own clocks drift and a paused process's clock jumps; the database's is the one they
share. `db_now(engine)` is an expression evaluated by the database inside the statement that
uses it (PostgreSQL `now()`, the transaction's start; SQLite `strftime(…, 'now')` with the
microsecond layout SQLAlchemy stores, so text comparisons with stored times stay correct).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, literal, select, type_coerce
from sqlalchemy.orm import Session

from bot.db.models import UtcDateTime

_SQLITE_FORMAT = "%Y-%m-%d %H:%M:%f000"  # "2026-01-05 09:00:00.123000", as SQLAlchemy stores


def db_now(engine: Engine, shift: timedelta = timedelta(0)) -> ColumnElement[datetime]:
    """The database's current time plus `shift` (negative: earlier), as a SQL expression."""
    expression: ColumnElement[Any]
    if engine.dialect.name == "sqlite":
        seconds = shift.total_seconds()
        expression = func.strftime(_SQLITE_FORMAT, "now", f"{seconds:+.6f} seconds")
    else:
        expression = func.now()
        if shift:
            expression = expression + literal(shift)
    return type_coerce(expression, UtcDateTime())


def read_db_now(engine: Engine) -> datetime:
    """The database's time now (for tests and for reporting, never for deciding a lease)."""
    with Session(engine) as session:
        value: datetime | None = session.scalar(select(db_now(engine)))
    assert value is not None
    return value
