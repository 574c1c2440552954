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
* max_delay as long as the interval or longer: each window opens at its due time and windows
  overlap; a period is late only once the next is due, so `last_overdue` finds it for
  `ownership.sla.evaluate_deadline` (docs/freshness.md, "The period being judged").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

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


def cron_problem(expr: str) -> str | None:
    """Why `expr` cannot schedule a cron SLA, or None: not five valid fields, or a schedule
    that never fires (`0 2 30 2 *`, February 30th), which could never be checked."""
    from croniter import CroniterError, croniter  # lazy: ~20 ms, only for cron schedules

    text = expr.strip()
    try:
        valid = len(text.split()) == 5 and bool(croniter.is_valid(text))
    except Exception:  # croniter's validation may raise on odd input
        valid = False
    if not valid:
        return f"'{expr}' is not a valid cron expression"
    try:
        croniter(text, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterError:
        return f"'{expr}' never fires: no date matches it"
    return None


def period_at(sla: DeadlineSla, now: datetime) -> Period:
    """The period being judged at `now`: the latest one whose `expected` <= now."""
    return _period(sla, _latest(sla, require_aware(now, "now"), strict=False))


def previous_period(sla: DeadlineSla, period: Period) -> Period:
    return _period(sla, _latest(sla, period.expected, strict=True))


def next_period(sla: DeadlineSla, period: Period) -> Period:
    return _period(sla, _earliest_after(sla, period.expected))


def last_overdue(sla: DeadlineSla, now: datetime) -> Period:
    """The latest period whose deadline has passed (`deadline < now`)."""
    check_sla(sla)
    return _period(sla, _latest(sla, require_aware(now, "now") - sla.max_delay, strict=True))


def overlaps_next(sla: DeadlineSla, period: Period) -> bool:
    """Whether `max_delay` reaches the next due time: the period is late only after the next
    one is due, so it is judged on its own until the next period's deadline."""
    return period.deadline >= next_period(sla, period).expected


def first_uncovered(sla: DeadlineSla, update: datetime) -> Period:
    """The first period an update at `update` does not count for (windows only move on)."""
    after = _period(sla, _earliest_after(sla, require_aware(update, "update")))
    return next_period(sla, after) if after.counts(update) else after


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
    # Wall-clock order matches instant order up to one change of UTC offset (< _SLACK), so
    # start a little after `t` and stop once candidates are too early to beat the best.
    best: _Slot | None = None
    stop = datetime.min
    for local in _wall_times(sla, _wall(t, tz) + _SLACK, backwards=True):
        if best is not None and local < stop:
            return best
        expected = resolve(local, tz)
        in_range = expected < t or (not strict and expected == t)
        if in_range and (best is None or expected > best[1]):
            best, stop = (_key(sla, local, expected), expected), _wall(expected, tz) - _SLACK
    raise AssertionError("unreachable: the wall times never end")  # pragma: no cover


def _earliest_after(sla: DeadlineSla, t: datetime) -> _Slot:
    """The slot with the earliest `expected` > t."""
    tz = check_sla(sla)
    if sla.frequency == "hourly":
        return _hourly(sla, tz, t, before=False, strict=True)
    best: _Slot | None = None
    stop = datetime.max
    for local in _wall_times(sla, _wall(t, tz) - _SLACK, backwards=False):
        if best is not None and local > stop:
            return best
        expected = resolve(local, tz)
        # On a tie (two wall times shifted onto one instant) the later wall time wins, as in
        # _latest, so both directions name the period alike.
        if expected > t and (best is None or expected <= best[1]):
            best, stop = (_key(sla, local, expected), expected), _wall(expected, tz) + _SLACK
    raise AssertionError("unreachable: the wall times never end")  # pragma: no cover


def _hourly(sla: DeadlineSla, tz: ZoneInfo, t: datetime, *, before: bool, strict: bool) -> _Slot:
    """Hourly slots are real hours: the instants at `at`'s minute past each local hour."""
    local = t.astimezone(tz)  # keeps the fold of t, so the repeated hour is told apart
    candidate = local.replace(
        minute=sla.at.minute, second=sla.at.second, microsecond=sla.at.microsecond
    ).astimezone(UTC)
    if before:
        while candidate > t or (strict and candidate == t):
            candidate -= _HOUR
    else:
        while candidate <= t:
            candidate += _HOUR
        while candidate - _HOUR > t:
            candidate -= _HOUR
    return candidate.strftime("%Y-%m-%dT%H"), candidate


def _wall_times(sla: DeadlineSla, start: datetime, *, backwards: bool) -> Iterator[datetime]:
    """The naive local due times strictly before (or after) `start`, nearest first."""
    if sla.frequency == "cron":
        from croniter import CroniterError, croniter  # lazy, as in cron_problem

        expr = sla.cron or ""
        try:
            it = croniter(expr, start)
            while True:
                yield it.get_prev(datetime) if backwards else it.get_next(datetime)
        except CroniterError as exc:
            raise InvalidValue(f"cron expression {expr!r}: {exc}") from exc
    day = start.date()
    if sla.frequency == "weekly":
        day += timedelta(days=(sla.weekday or 0) - day.weekday())
    step = timedelta(days=7 if sla.frequency == "weekly" else 1)
    candidate = datetime.combine(day, sla.at.replace(tzinfo=None))
    # `candidate` is within one step of `start`: move it to the nearest one on the right side.
    while candidate < start:
        candidate += step
    if backwards:
        candidate -= step
    elif candidate == start:
        candidate += step
    while True:
        yield candidate
        candidate += -step if backwards else step


def _key(sla: DeadlineSla, local: datetime, expected: datetime) -> str:
    if sla.frequency == "cron":
        return expected.isoformat().replace("+00:00", "Z")
    if sla.frequency == "weekly":
        iso = local.date().isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return local.date().isoformat()
