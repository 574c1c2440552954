"""SLA calendars: on which local days and hours a period is expected at all.

A period is expected when its due time, on the SLA's local wall clock, falls on one of the
calendar's weekdays, on no holiday (an explicit date, or a day of a country or market calendar
from the `holidays` package), and inside its active hours. Any other period is "not expected":
no alert, and counted neither on time nor late (docs/freshness.md, "Calendars").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from ownership.errors import InvalidValue
from ownership.model import Calendar
from ownership.timeparse import WEEKDAYS, parse_clock, zone

_DAY = {name[:3]: i for i, name in enumerate(WEEKDAYS)}
_HOURS = re.compile(r"^\s*(\S+)\s*(?:-|–|to)\s*(\S+)\s*$")
_CODE = re.compile(r"^([A-Za-z]{2,4})(?:-([A-Za-z0-9]{1,6}))?$")


# ---------------------------------------------------------------------- parsing
def parse_days(value: Any) -> frozenset[int]:
    """ "mon-fri", "sat,sun", "weekdays", "every day" or a list of day names: 0 = Monday."""
    if isinstance(value, list):
        parts: list[Any] = value
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in ("weekdays", "workdays"):
            return frozenset(range(5))
        if text in ("weekends", "weekend"):
            return frozenset({5, 6})
        if text in ("every day", "daily", "all"):
            return frozenset(range(7))
        parts = [p for p in re.split(r"[,\s]+", text) if p]
    else:
        raise InvalidValue('days must be e.g. "mon-fri" or a list of day names')
    days: set[int] = set()
    for part in parts:
        if not isinstance(part, str):
            raise InvalidValue(f"{part!r} is not a day name")
        ends = part.strip().lower().split("-")
        if len(ends) > 2 or not all(e[:3] in _DAY for e in ends):
            raise InvalidValue(f"'{part}' is not a day or a range of days like mon-fri")
        first, last = _DAY[ends[0][:3]], _DAY[ends[-1][:3]]
        days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
    return frozenset(days)


def parse_active_hours(value: Any) -> tuple[time, time]:
    """ "06:00-22:00" (local); an end before the start wraps past midnight ("22:00-06:00")."""
    match = _HOURS.match(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidValue('active_hours must be a range like "06:00-22:00"')
    start, end = parse_clock(match[1]), parse_clock(match[2])
    if start == end:
        raise InvalidValue("active_hours must not start and end at the same time")
    return start, end


def holiday_problem(code: str) -> str | None:
    """Why `code` names no holiday calendar ("DE", "US-NY", "NYSE"), or None."""
    match = _CODE.match(code)
    if match is None:
        return f"'{code}' is not a country (DE, US-NY) or market (NYSE) code"
    country, subdivision = match[1].upper(), match[2]
    import holidays as _holidays  # lazy: ~40 ms, only for a calendar that names a country

    markets = _holidays.list_supported_financial()
    if subdivision is None and country in markets:
        return None
    countries = _holidays.list_supported_countries()
    if country not in countries:
        return f"no holiday calendar '{code}': not a supported country or market"
    if subdivision is not None and subdivision.upper() not in {
        s.upper() for s in countries[country]
    }:
        return f"no holiday calendar '{code}': {country} has no subdivision '{subdivision}'"
    return None


# ---------------------------------------------------------------------- judging
@lru_cache(maxsize=512)
def _holiday_dates(code: str, year: int) -> frozenset[date]:
    match = _CODE.match(code)
    if match is None:  # rejected when the registry is read
        return frozenset()
    name, subdivision = match[1].upper(), match[2]
    import holidays as _holidays  # lazy, as in holiday_problem

    if subdivision is None and name in _holidays.list_supported_financial():
        found = _holidays.financial_holidays(name, years=year)
    else:
        found = _holidays.country_holidays(
            name, subdiv=subdivision.upper() if subdivision else None, years=year
        )
    return frozenset(found)


def is_holiday(calendar: Calendar, day: date) -> bool:
    return day in calendar.dates or any(
        day in _holiday_dates(code, day.year) for code in calendar.holidays
    )


def in_hours(hours: tuple[time, time] | None, at: time) -> bool:
    """Whether a local time is inside an active-hours window (start inclusive, end exclusive)."""
    if hours is None:
        return True
    start, end = hours
    at = at.replace(tzinfo=None)
    return start <= at < end if start < end else at >= start or at < end


def is_expected(calendar: Calendar | None, timezone: str, due: datetime) -> bool:
    """Whether a period due at `due` (aware) is expected by `calendar` in `timezone`."""
    if calendar is None:
        return True
    local = due.astimezone(zone(timezone))
    return (
        local.weekday() in calendar.weekdays
        and in_hours(calendar.active_hours, local.time())
        and not is_holiday(calendar, local.date())
    )


def covers(calendar: Calendar | None, timezone: str, at: datetime) -> bool:
    """Whether a rotation whose coverage is `calendar` (days and hours) is on call at `at`."""
    if calendar is None:
        return True
    local = at.astimezone(zone(timezone))
    return local.weekday() in calendar.weekdays and in_hours(calendar.active_hours, local.time())


def describe_calendar(calendar: Calendar) -> str:
    """E.g. "Mon-Fri, 06:00-22:00, not on DE holidays"."""
    parts = [describe_days(calendar.weekdays)]
    if calendar.active_hours is not None:
        start, end = calendar.active_hours
        parts.append(f"{start:%H:%M}-{end:%H:%M}")
    off = [f"{code} holidays" for code in calendar.holidays]
    off += [f"{d:%Y-%m-%d}" for d in sorted(calendar.dates)]
    if off:
        parts.append("not on " + ", ".join(off[:4]) + (" …" if len(off) > 4 else ""))
    return ", ".join(parts)


def describe_days(days: Iterable[int]) -> str:
    chosen = sorted(set(days))
    if len(chosen) == 7:
        return "every day"
    names = [WEEKDAYS[d][:3].capitalize() for d in chosen]
    if len(chosen) > 2 and chosen == list(range(chosen[0], chosen[-1] + 1)):
        return f"{names[0]}-{names[-1]}"
    return ", ".join(names) or "no day"
