"""A daily rollup per contract of its checks, written before those checks may be pruned.

A UTC day is rolled once it has ended (plus `GRACE`, so a check recorded at 23:59 is in),
all of its contracts in one transaction that also advances the rollup's progress: the
newest day in `check_rollups`. Pruning never deletes a check of a day not rolled yet, so a
day's rows are all there when it is rolled; rolling it again (a crash before commit, a
re-run) writes the same values over the same keys and never adds to them.

Per contract and day (docs/retention.md): `checks` run, `failures` (probe failed),
`expected_periods` (distinct periods the checks judged: a deadline period such as
"2026-11-25", or for an age SLA each newest update), `late_periods` (judged late or
recovered, i.e. the data came after its deadline), `on_time_periods` (judged on time and
never late; a period every check found off the SLA's calendar is not expected, and counts
in none of the three), `downtime_minutes` (from each check that found the data late to the
next check, or to the day's end; a recovered check ends it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, Integer, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.db.models import CheckResult, CheckRollup, UtcDateTime
from ownership.sla import FreshnessState

GRACE = timedelta(minutes=10)
LATE = (FreshnessState.LATE.value, FreshnessState.RECOVERED.value)  # a late period
DOWN = FreshnessState.LATE.value  # the data is missing now: downtime
FAILED = FreshnessState.CHECK_FAILED.value
ON_TIME = FreshnessState.ON_TIME.value
OFF_CALENDAR = FreshnessState.NOT_EXPECTED.value  # a period off the SLA's calendar
COLUMNS = (
    "expected_periods", "on_time_periods", "late_periods", "downtime_minutes", "checks",
    "failures",
)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def rolled_through(session: Session) -> date | None:
    """The newest day rolled up (every day before it is too), or None."""
    return session.scalar(select(func.max(CheckRollup.day)))


def next_day_to_roll(session: Session, now: datetime) -> date | None:
    """The first day with checks after the rollup's progress, if it has ended (+ GRACE)."""
    done = rolled_through(session)
    after = day_start(done + timedelta(days=1)) if done is not None else None
    query = select(func.min(CheckResult.checked_at))
    if after is not None:
        query = query.where(CheckResult.checked_at >= after)
    first: datetime | None = session.scalar(query)
    if first is None:
        return None
    day = first.astimezone(UTC).date()
    return day if day_start(day + timedelta(days=1)) + GRACE <= now else None


def roll_day(engine: Engine, session: Session, day: date) -> int:
    """Write `day`'s rollup rows (replacing any); how many contracts it holds."""
    start, end = day_start(day), day_start(day + timedelta(days=1))
    rows = [
        {"contract_id": row.contract_id, "day": day}
        | {name: int(row._mapping[name] or 0) for name in COLUMNS}
        for row in session.execute(_rollup_query(engine, start, end))
    ]
    if not rows:
        return 0
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    for chunk in range(0, len(rows), 1000):
        statement = insert(CheckRollup).values(rows[chunk : chunk + 1000])
        columns = {name: statement.excluded[name] for name in COLUMNS}
        session.execute(
            statement.on_conflict_do_update(index_elements=["contract_id", "day"], set_=columns)
        )
    return len(rows)


def _seconds_between(engine: Engine, later: Any, earlier: Any) -> ColumnElement[Any]:
    if engine.dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def _rollup_query(engine: Engine, start: datetime, end: datetime) -> Any:
    checks = (
        select(
            CheckResult.contract_id,
            CheckResult.period_key,
            CheckResult.state,
            CheckResult.checked_at,
            func.lead(CheckResult.checked_at)
            .over(
                partition_by=CheckResult.contract_id,
                order_by=(CheckResult.checked_at, CheckResult.id),
            )
            .label("next_at"),
        )
        .where(CheckResult.checked_at >= start, CheckResult.checked_at < end)
        .subquery()
    )
    until = func.coalesce(checks.c.next_at, literal(end, UtcDateTime()))
    late_seconds = case(
        (checks.c.state == DOWN, _seconds_between(engine, until, checks.c.checked_at)),
        else_=0,
    )
    periods = (
        select(
            checks.c.contract_id,
            checks.c.period_key,
            func.count().label("checks"),
            func.sum(case((checks.c.state == FAILED, 1), else_=0)).label("failures"),
            func.max(case((checks.c.state.in_(LATE), 1), else_=0)).label("was_late"),
            func.max(case((checks.c.state == ON_TIME, 1), else_=0)).label("was_on_time"),
            func.max(case((checks.c.state != OFF_CALENDAR, 1), else_=0)).label("was_expected"),
            func.sum(late_seconds).label("late_seconds"),
        )
        .group_by(checks.c.contract_id, checks.c.period_key)
        .subquery()
    )
    keyed = periods.c.period_key.is_not(None) & (periods.c.was_expected == 1)
    return select(
        periods.c.contract_id,
        func.sum(case((keyed, 1), else_=0)).label("expected_periods"),
        func.sum(
            case((keyed & (periods.c.was_on_time == 1) & (periods.c.was_late == 0), 1), else_=0)
        ).label("on_time_periods"),
        func.sum(case((keyed & (periods.c.was_late == 1), 1), else_=0)).label("late_periods"),
        cast(func.round(func.sum(periods.c.late_seconds) / 60.0), Integer()).label(
            "downtime_minutes"
        ),
        func.sum(periods.c.checks).label("checks"),
        func.sum(periods.c.failures).label("failures"),
    ).group_by(periods.c.contract_id)


