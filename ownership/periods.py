"""The periods of a deadline SLA: when each period's data is due, late, and which updates count.

Pure arithmetic: every function takes `now` (or a period) and nothing reads the clock.
The rules are explained, with examples, in docs/freshness.md.

* daily / weekly / cron: due at a local wall-clock time in the SLA's zone. A nonexistent local
  time (spring forward) is shifted forward by the length of the gap (02:30 → 03:30); an
  ambiguous one (fall back) means its first occurrence (fold=0). So every local day (week, cron
  match) has exactly one period.
* hourly: due every real hour at the SLA's minute past the local hour; a 25-hour day has 25
  periods, a 23-hour day 23.
* window_start: halfway between the previous period's deadline and this period's due time
  (never after the due time). An update after the previous deadline belongs to whichever is
  closer: the previous period (a late load) or this one (an early load).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import CroniterError, croniter

from ownership.errors import InvalidValue
from ownership.model import DeadlineSla
from ownership.timeparse import zone

# Larger than any change of UTC offset at a DST transition (2 h at most, Antarctica/Troll).
_SLACK = timedelta(hours=3)
_HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Period:
    """One period of a deadline SLA; all instants are aware UTC datetimes.

    `key` identifies the period for its contract: "2026-11-25" (daily, local date),
    "2026-11-25T14" (hourly, UTC hour of `expected`), "2026-W48" (weekly, ISO week of the
    local due date), "2026-11-25T02:00:00Z" (cron, `expected` in UTC).
    """

    key: str
    expected: datetime
    deadline: datetime
    window_start: datetime

    def counts(self, update: datetime) -> bool:
        """Whether an update at `update` counts for this period (see docs/freshness.md)."""
        return require_aware(update, "update") >= self.window_start


def require_aware(value: datetime, name: str = "datetime") -> datetime:
    """`value` in UTC; InvalidValue if it is naive."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def check_sla(sla: DeadlineSla) -> ZoneInfo:
    """The SLA's zone, after checking the fields its frequency needs."""
    tz = zone(sla.timezone)
    if sla.max_delay < timedelta(0):
        raise InvalidValue(f"max_delay must not be negative, got {sla.max_delay}")
    if sla.frequency == "weekly" and sla.weekday is not None and not 0 <= sla.weekday <= 6:
        raise InvalidValue(f"weekday must be 0 (Monday) … 6 (Sunday), got {sla.weekday}")
    if sla.frequency == "cron" and not sla.cron:
        raise InvalidValue("frequency cron needs a cron expression")
    if sla.frequency not in ("hourly", "daily", "weekly", "cron"):
        raise InvalidValue(f"unknown SLA frequency {sla.frequency!r}")
    return tz


def period_at(sla: DeadlineSla, now: datetime) -> Period:
    """The period being judged at `now`: the latest one whose `expected` <= now."""
    return _period(sla, _latest(sla, require_aware(now, "now"), strict=False))


def previous_period(sla: DeadlineSla, period: Period) -> Period:
    return _period(sla, _latest(sla, period.expected, strict=True))


def next_period(sla: DeadlineSla, period: Period) -> Period:
    return _period(sla, _earliest_after(sla, period.expected))


def next_deadline(sla: DeadlineSla, now: datetime) -> datetime:
    """The first deadline strictly after `now` (UTC)."""
    check_sla(sla)
    # Deadlines are due times shifted by the constant max_delay, so they keep their order.
    _, expected = _earliest_after(sla, require_aware(now, "now") - sla.max_delay)
    return expected + sla.max_delay


# ---------------------------------------------------------------------- internals
_Slot = tuple[str, datetime]  # (key, expected in UTC)


def _period(sla: DeadlineSla, slot: _Slot) -> Period:
    key, expected = slot
    _, previous = _latest(sla, expected, strict=True)
    previous_deadline = previous + sla.max_delay
    window_start = min(expected, previous_deadline + (expected - previous_deadline) / 2)
    return Period(key, expected, expected + sla.max_delay, window_start)


def resolve(local: datetime, tz: ZoneInfo) -> datetime:
    """A naive local wall-clock time in `tz` as a UTC instant.

    fold=0 gives the first occurrence of an ambiguous time and, per PEP 495, shifts a
    nonexistent time forward by the length of the gap (Berlin 02:30 on spring-forward day is
    03:30 CEST).
    """
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def _latest(sla: DeadlineSla, t: datetime, *, strict: bool) -> _Slot:
    """The slot with the latest `expected` <= t (< t if strict)."""
    tz = check_sla(sla)
    if sla.frequency == "hourly":
        return _hourly(sla, tz, t, before=True, strict=strict)
    step, key = _stepper(sla, tz, backwards=True)
    # Wall-clock order matches instant order up to one change of UTC offset (< _SLACK), so
    # start a little after `t` and stop once candidates are too early to beat the best.
    local = _wall(t, tz) + _SLACK
    best: _Slot | None = None
    while True:
        local = step(local)
        if best is not None and local < _wall(best[1], tz) - _SLACK:
            return best
        expected = resolve(local, tz)
        in_range = expected < t or (not strict and expected == t)
        if in_range and (best is None or expected > best[1]):
            best = (key(local, expected), expected)


def _earliest_after(sla: DeadlineSla, t: datetime) -> _Slot:
    """The slot with the earliest `expected` > t."""
    tz = check_sla(sla)
    if sla.frequency == "hourly":
        return _hourly(sla, tz, t, before=False, strict=True)
    step, key = _stepper(sla, tz, backwards=False)
    local = _wall(t, tz) - _SLACK
    best: _Slot | None = None
    while True:
        local = step(local)
        if best is not None and local > _wall(best[1], tz) + _SLACK:
            return best
        expected = resolve(local, tz)
        # On a tie (two wall times shifted onto one instant) the later wall time wins, as in
        # _latest, so both directions name the period alike.
        if expected > t and (best is None or expected <= best[1]):
            best = (key(local, expected), expected)


def _hourly(sla: DeadlineSla, tz: ZoneInfo, t: datetime, *, before: bool, strict: bool) -> _Slot:
    """Hourly slots are real hours: the instants at `at`'s minute past each local hour."""
    local = t.astimezone(tz)  # keeps the fold of t, so the repeated hour is told apart
    candidate = local.replace(minute=sla.at.minute, second=sla.at.second,
                              microsecond=sla.at.microsecond).astimezone(UTC)
    if before:
        while candidate > t or (strict and candidate == t):
            candidate -= _HOUR
    else:
        while candidate <= t:
            candidate += _HOUR
        while candidate - _HOUR > t:
            candidate -= _HOUR
    return candidate.strftime("%Y-%m-%dT%H"), candidate


_Step = Callable[[datetime], datetime]
_Key = Callable[[datetime, datetime], str]


def _stepper(sla: DeadlineSla, tz: ZoneInfo, *, backwards: bool) -> tuple[_Step, _Key]:
    """(next wall-clock due time strictly before/after a naive local time, key of a slot)."""
    sign = -1 if backwards else 1
    if sla.frequency == "cron":
        expr = sla.cron or ""

        def cron_step(local: datetime) -> datetime:
            try:
                it = croniter(expr, local)
                return it.get_prev(datetime) if backwards else it.get_next(datetime)
            except CroniterError as exc:
                raise InvalidValue(f"cron expression {expr!r}: {exc}") from exc

        def cron_key(_local: datetime, expected: datetime) -> str:
            return expected.isoformat().replace("+00:00", "Z")

        return cron_step, cron_key

    days = 7 if sla.frequency == "weekly" else 1
    weekday = sla.weekday or 0

    def first_of_period(day: date) -> date:
        return day - timedelta(days=day.weekday()) + timedelta(days=weekday) if days == 7 else day

    def step(local: datetime) -> datetime:
        candidate = datetime.combine(first_of_period(local.date()), sla.at.replace(tzinfo=None))
        while (candidate >= local) if backwards else (candidate <= local):
            candidate += timedelta(days=sign * days)
        return candidate

    def key(local: datetime, _expected: datetime) -> str:
        if days == 1:
            return local.date().isoformat()
        iso = local.date().isocalendar()
        return f"{iso.year}-W{iso.week:02d}"

    return step, key

