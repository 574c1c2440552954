"""When a team's weekly digest is due: a weekday and local time, e.g. "mon 09:00" Europe/Berlin.

The digest of ISO week W (Monday to Sunday, UTC days as every report window) is due from
the set time in the week after it, local time; the week's key is its Monday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ownership.reports.windows import Window

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    weekday: int  # 0 = Monday
    at: time
    tz: ZoneInfo


def parse_schedule(text: str, tz: str = "UTC") -> DigestSchedule:
    """`"mon 09:00"` in zone `tz`; ValueError saying what is expected."""
    day, _, clock = text.strip().lower().partition(" ")
    if day[:3] not in DAYS:
        raise ValueError(f"digest time {text!r}: expected a weekday and HH:MM, e.g. 'mon 09:00'")
    try:
        at = time.fromisoformat(clock.strip())
    except ValueError:
        raise ValueError(f"digest time {text!r}: expected HH:MM after the weekday") from None
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"digest time zone {tz!r}: not a known zone, e.g. Europe/Berlin") from None
    return DigestSchedule(DAYS.index(day[:3]), at, zone)


def due_week(now: datetime, schedule: DigestSchedule) -> Window | None:
    """The last full week, once this week's digest time (local) has passed; else None."""
    local = now.astimezone(schedule.tz)
    monday = local.date() - timedelta(days=local.weekday())
    slot = datetime.combine(monday + timedelta(days=schedule.weekday), schedule.at, schedule.tz)
    if local < slot:
        return None
    return Window(monday - timedelta(days=7), monday)


def chart_weeks(last: Window, count: int) -> tuple[Window, ...]:
    """`count` weeks ending with `last`, oldest first."""
    return tuple(
        Window(last.since - timedelta(days=7 * n), last.until - timedelta(days=7 * n))
        for n in reversed(range(count))
    )


def week_label(week: Window) -> str:
    return week.since.isoformat()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())
