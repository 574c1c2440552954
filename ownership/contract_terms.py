"""What a contract promises and how it is checked, as plain data: its SLAs (a deadline, an
event, an age) and their calendar, schema columns, change policy, probes and volume bounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Literal

Frequency = Literal["hourly", "daily", "weekly", "cron"]


@dataclass(frozen=True, slots=True)
class Calendar:
    """When a period is expected at all: its local due time's weekday (0 = Monday), not a
    holiday (explicit `dates`, or a country/market calendar from `holidays`: "DE", "US-NY",
    "NYSE"), and within `active_hours` (start, end; end before start wraps midnight)."""

    weekdays: frozenset[int] = frozenset(range(7))
    holidays: tuple[str, ...] = ()
    dates: frozenset[date] = frozenset()
    active_hours: tuple[time, time] | None = None


@dataclass(frozen=True, slots=True)
class DeadlineSla:
    """Data for each period is expected at `update_time` and late after `max_delay` more.

    `at` is the local wall-clock time (minutes only, for hourly); `weekday` is 0=Monday, for
    weekly; `cron` replaces both for frequency "cron".
    """

    frequency: Frequency
    timezone: str
    max_delay: timedelta
    at: time = time(0, 0)
    weekday: int | None = None
    cron: str | None = None
    calendar: Calendar | None = None  # None: every period is expected
    warn_after: timedelta | None = None  # heads-up this long after the due time, if no data


@dataclass(frozen=True, slots=True)
class EventSla:
    """Due when the upstream contract `after` lands, late `within` after that landing."""

    after: str
    within: timedelta


@dataclass(frozen=True, slots=True)
class AgeSla:
    """dbt-style freshness: warn/error when the newest row is older than these ages."""

    warn_after: timedelta | None
    error_after: timedelta | None


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    required: bool = False
    description: str = ""
    unique: bool = False  # a declared key (unique, primary, ODCS primaryKey): a quality check
    max_null_ratio: float | None = None  # completeness: this share of nulls is allowed
    physical: str | None = None  # the column's name in the table, when not `name` (ODCS)


@dataclass(frozen=True, slots=True)
class ChangePolicy:
    breaking_changes: str | None = None
    non_breaking_changes: str | None = None
    notice_days: int | None = None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class SqlProbe:
    """`connection` names an environment variable holding an SQLAlchemy URL (never the URL)."""

    connection: str
    table: str
    timestamp_column: str
    schema: str | None = None
    filter: str | None = None
    naive_timezone: str = "UTC"
    kind: Literal["sql"] = "sql"


@dataclass(frozen=True, slots=True)
class HttpProbe:
    """`timestamp` is "json:<dotted.path>" or "header:<Name>" (e.g. header:Last-Modified)."""

    url: str
    timestamp: str
    headers: tuple[tuple[str, str], ...] = ()
    kind: Literal["http"] = "http"


Probe = SqlProbe | HttpProbe


@dataclass(frozen=True, slots=True)
class Volume:
    """Rows per period: within `min_rows`/`max_rows`, and against the median of the last
    `trailing` periods: `max_drop` / `max_rise` are the shares it may fall or grow by."""

    min_rows: int | None = None
    max_rows: int | None = None
    max_drop: float | None = None
    max_rise: float | None = None
    trailing: int = 7
