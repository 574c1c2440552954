"""Freshness SLAs: words for people, and the verdict on the newest update at a given `now`.

Period arithmetic lives in `ownership.periods` (re-exported here); the semantics are written
down in docs/freshness.md. Pure: nothing here reads the clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ownership.calendars import describe_calendar, is_expected
from ownership.model import AgeSla, DeadlineSla
from ownership.periods import (
    Period,
    check_sla,
    first_uncovered,
    last_overdue,
    next_deadline,
    next_period,
    overlaps_next,
    period_at,
    previous_period,
    require_aware,
)
from ownership.timeparse import WEEKDAYS, format_duration

__all__ = [
    "Evaluation",
    "FreshnessState",
    "Period",
    "describe_age_sla",
    "describe_sla",
    "evaluate_age",
    "evaluate_deadline",
    "evaluate_failed",
    "first_uncovered",
    "last_overdue",
    "next_deadline",
    "next_period",
    "period_at",
    "previous_period",
]


# ---------------------------------------------------------------------- words
def describe_sla(sla: DeadlineSla) -> str:
    """E.g. "daily, due 02:00 UTC, late after 02:30 UTC" (then the calendar, if any)."""
    words = _describe_clock(sla)
    if sla.calendar is not None:
        words += f"; expected {describe_calendar(sla.calendar)}"
    return words


def _describe_clock(sla: DeadlineSla) -> str:
    check_sla(sla)
    tz = "UTC" if sla.timezone.upper() in ("UTC", "Z", "GMT", "ETC/UTC") else sla.timezone
    delay = sla.max_delay
    if sla.frequency == "cron":
        late = "right after each run" if not delay else f"{format_duration(delay)} after each run"
        return f"cron `{sla.cron}` ({tz}), late {late}"
    due = datetime.combine(date(2001, 1, 1), sla.at.replace(tzinfo=None))  # 2001-01-01: Monday
    late_at = due + delay
    days = (late_at.date() - due.date()).days
    if sla.frequency == "hourly":
        zone_note = "" if tz == "UTC" else f" ({tz})"
        head = f"hourly, due at {_minute(due.time())}"
        if delay >= timedelta(hours=1):
            return f"{head}, late {format_duration(delay)} after each due time{zone_note}"
        next_hour = " the next hour" if late_at.hour != due.hour else ""
        return f"{head}, late after {_minute(late_at.time())}{next_hour}{zone_note}"
    if sla.frequency == "weekly":
        weekday = sla.weekday or 0
        when = f"{_day(weekday)} {_clock(due.time())} {tz}"
        if delay >= timedelta(days=7):
            return f"weekly, due {when}, late {format_duration(delay)} after each due time"
        late_when = f"{_day(weekday + days)} {_clock(late_at.time())} {tz}"
        return f"weekly, due {when}, late after {late_when}"
    head = f"daily, due {_clock(due.time())} {tz}"
    if delay >= timedelta(days=1):
        return f"{head}, late {format_duration(delay)} after each due time"
    next_day = " the next day" if days else ""
    return f"{head}, late after {_clock(late_at.time())} {tz}{next_day}"


def describe_age_sla(sla: AgeSla) -> str:
    """E.g. "warn after 12 h, error after 1 d"."""
    parts = [
        f"{word} after {format_duration(limit)}"
        for word, limit in (("warn", sla.warn_after), ("error", sla.error_after))
        if limit
    ]
    return ", ".join(parts) or "no freshness limits"


def _clock(at: time) -> str:
    return at.strftime("%H:%M:%S" if at.second else "%H:%M")


def _minute(at: time) -> str:
    return at.strftime(":%M:%S" if at.second else ":%M")


def _day(weekday: int) -> str:
    return WEEKDAYS[weekday % 7][:3].capitalize()


# ---------------------------------------------------------------------- verdicts
class FreshnessState(enum.Enum):
    PENDING = "pending"  # deadline not passed yet, no qualifying update
    ON_TIME = "on_time"  # qualifying update at or before the deadline (age SLA: within limits)
    LATE = "late"  # deadline passed without a qualifying update (age SLA: past error_after)
    RECOVERED = "recovered"  # qualifying update arrived after the deadline
    WARN = "warn"  # age SLA only: past warn_after, not past error_after
    CHECK_FAILED = "check_failed"  # the probe failed: neither fresh nor late
    NOT_EXPECTED = "not_expected"  # the period's day or hour is off the SLA's calendar

    @property
    def is_fresh(self) -> bool:
        return self in (FreshnessState.ON_TIME, FreshnessState.RECOVERED)

    @property
    def is_late(self) -> bool:
        return self is FreshnessState.LATE


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The verdict; every datetime is aware UTC, every duration non-negative.

    late_by: RECOVERED: update − deadline; LATE: now − deadline (deadline SLA) or
    age − error_after (age SLA). due_in: PENDING: deadline − now. limit: the age SLA threshold
    that was crossed. age: now − last_update (0 for a future timestamp).
    """

    state: FreshnessState
    period: Period | None = None
    last_update: datetime | None = None
    late_by: timedelta | None = None
    age: timedelta | None = None
    future_timestamp: bool = False
    due_in: timedelta | None = None
    limit: timedelta | None = None
    error: str | None = None

    @property
    def summary(self) -> str:
        """One line for a Slack message, e.g. "2026-11-25: arrived 47 min late"."""
        where = f"{self.period.key}: " if self.period else ""
        skew = " (timestamp is in the future: check the clocks)" if self.future_timestamp else ""
        match self.state:
            case FreshnessState.CHECK_FAILED:
                return f"check failed: {self.error}"
            case FreshnessState.NOT_EXPECTED:
                return f"{where}not expected (off the SLA's calendar)"
            case FreshnessState.PENDING:
                return f"{where}not updated yet, late in {_dur(self.due_in)}"
            case FreshnessState.RECOVERED:
                return f"{where}arrived {_dur(self.late_by)} late"
            case FreshnessState.ON_TIME if self.period:
                return f"{where}updated on time{skew}"
            case FreshnessState.LATE if self.period:
                return f"{where}no update, {_dur(self.late_by)} past the deadline"
            case _ if self.last_update is None:
                return "no update seen"
        word = "error" if self.state is FreshnessState.LATE else "warn"
        limit = f" ({word} after {_dur(self.limit)})" if self.limit else ""
        return f"updated {_dur(self.age)} ago{limit}{skew}"


def _dur(delta: timedelta | None) -> str:
    return format_duration(delta or timedelta(0))


def evaluate_deadline(sla: DeadlineSla, last_update: datetime | None, now: datetime) -> Evaluation:
    """The verdict of `_judge_deadline`; NOT_EXPECTED when its period is off the calendar."""
    verdict = _judge_deadline(sla, last_update, now)
    period = verdict.period
    if (
        sla.calendar is None
        or period is None
        or is_expected(sla.calendar, sla.timezone, period.expected)
    ):
        return verdict
    return Evaluation(
        FreshnessState.NOT_EXPECTED,
        period,
        verdict.last_update,
        age=verdict.age,
        future_timestamp=verdict.future_timestamp,
    )


def _judge_deadline(sla: DeadlineSla, last_update: datetime | None, now: datetime) -> Evaluation:
    """Judge the newest update time at `now` (the rule is in docs/freshness.md, "The period
    being judged"): the latest started period if the update counts for it; else a period
    overdue without data (even while a later one is pending); else the oldest pending one."""
    now = require_aware(now, "now")
    update = None if last_update is None else require_aware(last_update, "last_update")
    latest = period_at(sla, now)
    if update is not None and update > now:  # clock skew: fresh, but say so
        return Evaluation(
            FreshnessState.ON_TIME, latest, update, age=timedelta(0), future_timestamp=True
        )
    age = None if update is None else now - update
    if update is not None and latest.counts(update):
        if update <= latest.deadline:
            return Evaluation(FreshnessState.ON_TIME, latest, update, age=age)
        return Evaluation(
            FreshnessState.RECOVERED, latest, update, late_by=update - latest.deadline, age=age
        )
    if now > latest.deadline:
        return Evaluation(
            FreshnessState.LATE, latest, update, late_by=now - latest.deadline, age=age
        )
    if previous_period(sla, latest).deadline < latest.expected:  # the usual case: short delay
        return Evaluation(
            FreshnessState.PENDING, latest, update, age=age, due_in=latest.deadline - now
        )
    overdue = last_overdue(sla, now)  # its deadline is at or after the next due time
    if overlaps_next(sla, overdue) and (update is None or not overdue.counts(update)):
        return Evaluation(
            FreshnessState.LATE, overdue, update, late_by=now - overdue.deadline, age=age
        )
    pending = next_period(sla, overdue)  # the oldest period whose deadline is ahead
    if update is not None:
        uncovered = first_uncovered(sla, update)
        if uncovered.expected > pending.expected:
            pending = uncovered
    return Evaluation(
        FreshnessState.PENDING, pending, update, age=age, due_in=pending.deadline - now
    )


def evaluate_age(sla: AgeSla, last_update: datetime | None, now: datetime) -> Evaluation:
    """dbt source freshness: age = now − last_update; error if age > error_after, else warn if
    age > warn_after, else on time. No update at all is LATE."""
    now = require_aware(now, "now")
    if last_update is None:
        return Evaluation(FreshnessState.LATE, limit=sla.error_after)
    update = require_aware(last_update, "last_update")
    if update > now:
        return Evaluation(
            FreshnessState.ON_TIME, last_update=update, age=timedelta(0), future_timestamp=True
        )
    age = now - update
    if sla.error_after is not None and age > sla.error_after:
        return Evaluation(
            FreshnessState.LATE,
            last_update=update,
            age=age,
            late_by=age - sla.error_after,
            limit=sla.error_after,
        )
    if sla.warn_after is not None and age > sla.warn_after:
        return Evaluation(FreshnessState.WARN, last_update=update, age=age, limit=sla.warn_after)
    return Evaluation(FreshnessState.ON_TIME, last_update=update, age=age)


def evaluate_failed(error: str) -> Evaluation:
    """The probe could not read a timestamp: never counted as fresh or late."""
    return Evaluation(FreshnessState.CHECK_FAILED, error=error)
