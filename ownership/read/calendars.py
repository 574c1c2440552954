"""Reading an SLA's `calendar:` (and a rotation's `covers:`), every problem at file:line:col.

```yaml
calendar: {days: mon-fri, holidays: [DE-BY, 2026-12-24], active_hours: "06:00-22:00"}
```
"""

from __future__ import annotations

from datetime import date

from ownership.calendars import holiday_problem, parse_active_hours, parse_days
from ownership.errors import InvalidValue
from ownership.model import Calendar
from ownership.read.fields import Collector, parse_date
from ownership.yamlsafe import YMap

CALENDAR_FIELDS = ("days", "holidays", "active_hours")
COVERS_FIELDS = ("days", "hours")


def read_calendar(c: Collector, m: YMap, key: str, what: str) -> Calendar | None:
    """`m[key]` as a Calendar; None when absent or unusable (the problem is recorded)."""
    raw = m.get(key)
    if raw is None:
        return None
    ctx = f"{what} {key}"
    cal = c.mapping(raw, m.value_at(key), ctx, CALENDAR_FIELDS)
    if cal is None:
        return None
    days = c.parsed(cal, "days", ctx, parse_days)
    hours = c.parsed(cal, "active_hours", ctx, parse_active_hours)
    codes: list[str] = []
    dates: set[date] = set()
    for item, at in c.items(cal.get("holidays"), cal.value_at("holidays"), f"{ctx} holidays"):
        if isinstance(item, date):
            dates.add(parse_date(item))
            continue
        if not isinstance(item, str):
            c.error(at, f"{ctx} holidays: each is a date or a calendar code", "wrong-type")
            continue
        try:
            dates.add(parse_date(item))
            continue
        except InvalidValue:  # not a date: a country or market code
            pass
        problem = holiday_problem(item.strip())
        if problem is not None:
            c.error(at, f"{ctx}: {problem}", "bad-value")
        else:
            codes.append(item.strip().upper())
    return Calendar(
        weekdays=days if days is not None else frozenset(range(7)),
        holidays=tuple(codes),
        dates=frozenset(dates),
        active_hours=hours,
    )


def read_covers(c: Collector, m: YMap, what: str) -> Calendar | None:
    """A rotation's `covers: {days: mon-fri, hours: "09:00-18:00"}` (its own timezone)."""
    raw = m.get("covers")
    if raw is None:
        return None
    ctx = f"{what} covers"
    cov = c.mapping(raw, m.value_at("covers"), ctx, COVERS_FIELDS)
    if cov is None:
        return None
    days = c.parsed(cov, "days", ctx, parse_days)
    hours = c.parsed(cov, "hours", ctx, parse_active_hours)
    return Calendar(weekdays=days if days is not None else frozenset(range(7)), active_hours=hours)
