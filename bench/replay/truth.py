"""Ground truth for the replay, written from docs/freshness.md alone.

Nothing here calls demarc's SLA code (`ownership.sla`, `ownership.periods`,
`bot.freshness.judge`): the point is to check that code against the document. The rules, as
the document states them:

* A deadline SLA cuts time into periods. `expected` is the due instant, `deadline` is
  `expected + max_delay` in real time, and an update counts for the period when it happened at
  or after `window_start = min(expected, D + (expected - D) / 2)`, D the previous period's
  deadline.
* Daily (weekly, cron) times are wall-clock times in the SLA's zone. A nonexistent local time
  (spring forward) moves forward by the length of the gap; an ambiguous one (fall back) is its
  first occurrence. Hourly periods follow real hours (zones whose offsets change by whole hours,
  as every zone the bench uses). Keys: daily the local date, hourly the UTC hour of `expected`,
  weekly the ISO week of the local due date, cron `expected` in UTC.
* A period is breached when no update counts for it by its deadline (an update exactly at the
  deadline is on time). It is late from the instant after the deadline until the first update
  that counts for it: that one recovers it, whatever the later periods say (issue 9, defect 1).
* Calendars (docs/freshness.md, "Calendars"): a period is expected when its due time, on the
  SLA's local wall clock, falls on one of the calendar's days and on no holiday; the periods
  are cut as without a calendar, and one that is not expected is never a breach (no alert).
* Age SLA (dbt): late when `now - newest update > error_after` (strictly), one breach per stale
  update, keyed `age:<that update in ISO 8601>`; a warn-only SLA never pages.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bench.replay.cron import Cron

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
_PAD = timedelta(days=9)  # periods listed around a span: one more than a week either side


@dataclass(frozen=True)
class Spec:
    """One contract's SLA, as the bench writes it into the registry."""

    frequency: str  # daily | hourly | weekly | cron | age
    timezone: str = "UTC"
    at: time = time(0, 0)  # local due time; for hourly only its minute counts
    max_delay: timedelta = timedelta(0)
    weekday: int = 0  # weekly: 0 = Monday
    cron: str = ""
    warn_after: timedelta | None = None
    error_after: timedelta | None = None
    days: tuple[int, ...] = ()  # the calendar's expected weekdays (0 = Monday); () every day
    holidays: tuple[date, ...] = ()  # the calendar's days off


def expected(spec: Spec, period: Period) -> bool:
    """Whether the calendar expects `period`: its local due day is a day on and no holiday."""
    day = period.expected.astimezone(ZoneInfo(spec.timezone)).date()
    return (not spec.days or day.weekday() in spec.days) and day not in spec.holidays


@dataclass(frozen=True)
class Period:
    key: str
    expected: datetime
    deadline: datetime
    window_start: datetime


@dataclass(frozen=True)
class Breach:
    """A period (or a stale update) late from just after `began` until `arrival`."""

    contract: str
    key: str
    began: datetime  # the deadline; for an age SLA, the stale update + error_after
    arrival: datetime | None  # the first update that counts; None: none in the replay

    def open_at(self, t: datetime) -> bool:
        return self.began < t and (self.arrival is None or t < self.arrival)


# ---------------------------------------------------------------------- local time
def local_to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    """A naive wall-clock time in `tz` as a UTC instant (the document's DST rules)."""
    # UTC offsets change months apart, so within a day of `wall` there are at most two.
    probe = wall.replace(tzinfo=UTC)
    before = (probe - DAY).astimezone(tz).utcoffset()
    after = (probe + DAY).astimezone(tz).utcoffset()
    assert before is not None
    assert after is not None
    candidates = sorted({probe - before, probe - after})
    real = [t for t in candidates if t.astimezone(tz).replace(tzinfo=None) == wall]
    if real:
        return real[0]  # ambiguous: the earlier instant is the first occurrence
    return probe - before  # in the gap: the old offset moves it forward by the gap's length


def _local_days(start: datetime, end: datetime, tz: ZoneInfo) -> Iterator[date]:
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    while day <= last:
        yield day
        day += timedelta(days=1)


def due_times(spec: Spec, start: datetime, end: datetime) -> list[tuple[str, datetime]]:
    """(key, expected) of every period due in about [start, end], in order."""
    tz = ZoneInfo(spec.timezone)
    out: dict[datetime, str] = {}
    if spec.frequency in ("daily", "weekly"):
        for day in _local_days(start, end, tz):
            if spec.frequency == "weekly" and day.weekday() != spec.weekday:
                continue
            expected = local_to_utc(datetime.combine(day, spec.at), tz)
            if spec.frequency == "daily":
                key = day.isoformat()
            else:
                year, week, _ = day.isocalendar()
                key = f"{year}-W{week:02d}"
            out.setdefault(expected, key)
    elif spec.frequency == "hourly":
        hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - HOUR
        while hour <= end + HOUR:
            expected = hour + timedelta(minutes=spec.at.minute)
            out[expected] = expected.strftime("%Y-%m-%dT%H")
            hour += HOUR
    elif spec.frequency == "cron":
        cron = Cron.parse(spec.cron)
        wall = (start.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0)
                - timedelta(days=1))
        stop = end.astimezone(tz).replace(tzinfo=None) + timedelta(days=1)
        while wall <= stop:
            if cron.matches(wall):
                expected = local_to_utc(wall, tz)
                out.setdefault(expected, expected.strftime("%Y-%m-%dT%H:%M:%SZ"))  # merged
            wall += MINUTE
    else:
        raise ValueError(f"{spec.frequency} has no periods")
    return [(key, expected) for expected, key in sorted(out.items())]


def periods(spec: Spec, start: datetime, end: datetime) -> list[Period]:
    """The periods due in [start - 9 days, end + 9 days], each with its window and deadline."""
    slots = due_times(spec, start - _PAD, end + _PAD)
    out = []
    for (_, previous), (key, expected) in itertools.pairwise(slots):
        previous_deadline = previous + spec.max_delay
        window = min(expected, previous_deadline + (expected - previous_deadline) / 2)
        out.append(Period(key, expected, expected + spec.max_delay, window))
    return out


# ---------------------------------------------------------------------- breaches
def deadline_breaches(
    contract: str, spec: Spec, updates: Sequence[datetime], start: datetime, end: datetime
) -> list[Breach]:
    """Every period with its deadline in [start, end] that no update reached in time.

    `updates` are the instants data arrived, sorted.
    """
    out = []
    for period in periods(spec, start, end):
        if not start <= period.deadline <= end or not expected(spec, period):
            continue
        i = bisect.bisect_left(updates, period.window_start)
        first = updates[i] if i < len(updates) else None
        if first is None or first > period.deadline:
            out.append(Breach(contract, period.key, period.deadline, first))
    return out


def age_key(update: datetime) -> str:
    return f"age:{update.astimezone(UTC).isoformat()}"[:64]


def age_breaches(
    contract: str, spec: Spec, updates: Sequence[datetime], start: datetime, end: datetime
) -> list[Breach]:
    """One breach per update that grew older than `error_after` before the next one came."""
    if spec.error_after is None:
        return []  # warn-only: WARN pages nobody
    out = []
    for i, update in enumerate(updates):
        began = update + spec.error_after
        following = updates[i + 1] if i + 1 < len(updates) else None
        if start <= began <= end and (following is None or following > began):
            out.append(Breach(contract, age_key(update), began, following))
    return out


def breaches(
    contract: str, spec: Spec, updates: Sequence[datetime], start: datetime, end: datetime
) -> list[Breach]:
    if spec.frequency == "age":
        return age_breaches(contract, spec, updates, start, end)
    return deadline_breaches(contract, spec, updates, start, end)
