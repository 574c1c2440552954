"""SLA arithmetic: periods, windows, DST, states. Every `now` is explicit; nothing sleeps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from ownership.errors import InvalidValue
from ownership.model import AgeSla, DeadlineSla
from ownership.sla import (
    Evaluation,
    FreshnessState,
    Period,
    describe_age_sla,
    describe_sla,
    evaluate_age,
    evaluate_deadline,
    evaluate_failed,
    next_deadline,
    next_period,
    period_at,
    previous_period,
)

MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def daily(at: str = "02:00", tz: str = "UTC", delay: int = 30) -> DeadlineSla:
    return DeadlineSla("daily", tz, timedelta(minutes=delay), time.fromisoformat(at))


def hourly(minute: int = 15, tz: str = "UTC", delay: int = 10) -> DeadlineSla:
    return DeadlineSla("hourly", tz, timedelta(minutes=delay), time(0, minute))


def weekly(weekday: int = 0, at: str = "06:00", tz: str = "Europe/Berlin",
           delay: int = 120) -> DeadlineSla:
    return DeadlineSla("weekly", tz, timedelta(minutes=delay), time.fromisoformat(at), weekday)


def cron(expr: str = "0 2 * * 1-5", tz: str = "UTC", delay: int = 30) -> DeadlineSla:
    return DeadlineSla("cron", tz, timedelta(minutes=delay), cron=expr)


# ---------------------------------------------------------------------- words
@pytest.mark.parametrize(("sla", "words"), [
    (daily(), "daily, due 02:00 UTC, late after 02:30 UTC"),
    (hourly(), "hourly, due at :15, late after :25"),
    (weekly(), "weekly, due Mon 06:00 Europe/Berlin, late after Mon 08:00 Europe/Berlin"),
    (cron(), "cron `0 2 * * 1-5` (UTC), late 30 min after each run"),
    (daily("23:00", delay=120), "daily, due 23:00 UTC, late after 01:00 UTC the next day"),
    (daily(delay=30 * 60), "daily, due 02:00 UTC, late 1 d 6 h after each due time"),
    (hourly(50, "Europe/Berlin", 20),
     "hourly, due at :50, late after :10 the next hour (Europe/Berlin)"),
    (hourly(delay=90), "hourly, due at :15, late 1 h 30 min after each due time"),
    (weekly(6, "23:00", "UTC", 180), "weekly, due Sun 23:00 UTC, late after Mon 02:00 UTC"),
    (cron("30 2 * * *", "Europe/Berlin", 0),
     "cron `30 2 * * *` (Europe/Berlin), late right after each run"),
])
def test_describe_sla(sla: DeadlineSla, words: str) -> None:
    assert describe_sla(sla) == words


@pytest.mark.parametrize(("sla", "words"), [
    (AgeSla(timedelta(hours=12), timedelta(days=1)), "warn after 12 h, error after 1 d"),
    (AgeSla(None, timedelta(hours=6)), "error after 6 h"),
    (AgeSla(timedelta(minutes=90), None), "warn after 1 h 30 min"),
    (AgeSla(None, None), "no freshness limits"),
])
def test_describe_age_sla(sla: AgeSla, words: str) -> None:
    assert describe_age_sla(sla) == words


# ---------------------------------------------------------------------- periods
@pytest.mark.parametrize(("sla", "now", "key", "expected", "deadline", "window_start"), [
    # Before today's due time the period being judged is still yesterday's.
    (daily(), utc(2026, 11, 25, 1, 59), "2026-11-24",
     utc(2026, 11, 24, 2), utc(2026, 11, 24, 2, 30), utc(2026, 11, 23, 14, 15)),
    (daily(), utc(2026, 11, 25, 2), "2026-11-25",
     utc(2026, 11, 25, 2), utc(2026, 11, 25, 2, 30), utc(2026, 11, 24, 14, 15)),
    (hourly(), utc(2026, 11, 25, 14, 20), "2026-11-25T14",
     utc(2026, 11, 25, 14, 15), utc(2026, 11, 25, 14, 25), utc(2026, 11, 25, 13, 50)),
    (hourly(), utc(2026, 11, 25, 0, 10), "2026-11-24T23",
     utc(2026, 11, 24, 23, 15), utc(2026, 11, 24, 23, 25), utc(2026, 11, 24, 22, 50)),
    # Monday 06:00 Berlin (CET) is 05:00 UTC; the window opens Thursday 18:00 UTC.
    (weekly(), utc(2026, 11, 25, 12), "2026-W48",
     utc(2026, 11, 23, 5), utc(2026, 11, 23, 7), utc(2026, 11, 19, 18)),
    (weekly(), utc(2026, 11, 23, 4, 59), "2026-W47",
     utc(2026, 11, 16, 5), utc(2026, 11, 16, 7), utc(2026, 11, 12, 18)),
    # Saturday: Friday's run is being judged; Monday's window opens Saturday 14:15.
    (cron(), utc(2026, 11, 28, 12), "2026-11-27T02:00:00Z",
     utc(2026, 11, 27, 2), utc(2026, 11, 27, 2, 30), utc(2026, 11, 26, 14, 15)),
    (cron(), utc(2026, 11, 30, 2), "2026-11-30T02:00:00Z",
     utc(2026, 11, 30, 2), utc(2026, 11, 30, 2, 30), utc(2026, 11, 28, 14, 15)),
    # max_delay longer than the interval: the window never opens after the due time.
    (hourly(delay=90), utc(2026, 11, 25, 14, 20), "2026-11-25T14",
     utc(2026, 11, 25, 14, 15), utc(2026, 11, 25, 15, 45), utc(2026, 11, 25, 14, 15)),
])
def test_period_at(sla: DeadlineSla, now: datetime, key: str, expected: datetime,
                   deadline: datetime, window_start: datetime) -> None:
    assert period_at(sla, now) == Period(key, expected, deadline, window_start)


@pytest.mark.parametrize(("sla", "now", "deadline"), [
    (daily(), utc(2026, 11, 25, 2, 10), utc(2026, 11, 25, 2, 30)),
    (daily(), utc(2026, 11, 25, 2, 30), utc(2026, 11, 26, 2, 30)),  # strictly after now
    (daily(), utc(2026, 11, 25, 1, 0), utc(2026, 11, 25, 2, 30)),
    (hourly(), utc(2026, 11, 25, 14, 25), utc(2026, 11, 25, 15, 25)),
    (weekly(), utc(2026, 11, 25, 12), utc(2026, 11, 30, 7)),
    (cron(), utc(2026, 11, 27, 3), utc(2026, 11, 30, 2, 30)),
    (hourly(delay=90), utc(2026, 11, 25, 14, 20), utc(2026, 11, 25, 14, 45)),
])
def test_next_deadline(sla: DeadlineSla, now: datetime, deadline: datetime) -> None:
    assert next_deadline(sla, now) == deadline


def keys_from(sla: DeadlineSla, now: datetime, count: int) -> list[str]:
    period = period_at(sla, now)
    keys = [period.key]
    for _ in range(count - 1):
        period = next_period(sla, period)
        keys.append(period.key)
    return keys


@pytest.mark.parametrize(("sla", "now", "keys"), [
    (daily(), utc(2026, 1, 30, 12), ["2026-01-30", "2026-01-31", "2026-02-01"]),
    (daily(), utc(2026, 2, 27, 12), ["2026-02-27", "2026-02-28", "2026-03-01"]),
    (daily(), utc(2028, 2, 28, 12), ["2028-02-28", "2028-02-29", "2028-03-01"]),
    (daily(), utc(2026, 12, 30, 12), ["2026-12-30", "2026-12-31", "2027-01-01"]),
    (weekly(), utc(2026, 12, 22), ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]),
    # Friday 2027-01-01 belongs to ISO week 2026-W53.
    (weekly(4, tz="UTC"), utc(2026, 12, 26), ["2026-W52", "2026-W53", "2027-W01"]),
    (cron(), utc(2026, 11, 26, 12), ["2026-11-26T02:00:00Z", "2026-11-27T02:00:00Z",
                                     "2026-11-30T02:00:00Z", "2026-12-01T02:00:00Z"]),
    (hourly(), utc(2026, 12, 31, 22, 20), ["2026-12-31T22", "2026-12-31T23", "2027-01-01T00"]),
])
def test_consecutive_periods(sla: DeadlineSla, now: datetime, keys: list[str]) -> None:
    assert keys_from(sla, now, len(keys)) == keys


@pytest.mark.parametrize(("sla", "now", "key", "expected"), [
    (weekly(4, tz="UTC"), utc(2027, 1, 3), "2026-W53", utc(2027, 1, 1, 6)),
    (weekly(), utc(2027, 1, 4, 5), "2027-W01", utc(2027, 1, 4, 5)),
    (cron(), utc(2026, 11, 29, 23, 59), "2026-11-27T02:00:00Z", utc(2026, 11, 27, 2)),
    (cron(), utc(2026, 11, 30, 1, 59), "2026-11-27T02:00:00Z", utc(2026, 11, 27, 2)),
])
def test_period_key_and_due_time(sla: DeadlineSla, now: datetime, key: str,
                                 expected: datetime) -> None:
    period = period_at(sla, now)
    assert (period.key, period.expected) == (key, expected)


# ---------------------------------------------------------------------- DST
DST_CASES = [
    # (zone, local due time, transition day, due instants of the day before/of/after in UTC)
    ("Europe/Berlin", "02:30", date(2026, 3, 29),  # 02:30 does not exist: 03:30 CEST
     [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)]),
    ("Europe/Berlin", "02:30", date(2026, 10, 25),  # 02:30 twice: the first (CEST)
     [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]),
    ("America/New_York", "02:30", date(2026, 3, 8),  # 02:30 does not exist: 03:30 EDT
     [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7, 30), utc(2026, 3, 9, 6, 30)]),
    ("America/New_York", "02:30", date(2026, 11, 1),  # 25-hour day, 02:30 EST
     [utc(2026, 10, 31, 6, 30), utc(2026, 11, 1, 7, 30), utc(2026, 11, 2, 7, 30)]),
    ("America/New_York", "01:30", date(2026, 11, 1),  # 01:30 twice: the first (EDT)
     [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]),
]


@pytest.mark.parametrize(("tz", "at", "day", "instants"), DST_CASES)
def test_daily_across_dst(tz: str, at: str, day: date, instants: list[datetime]) -> None:
    sla = daily(at, tz)
    before = period_at(sla, instants[0])
    periods = [before, next_period(sla, before)]
    periods.append(next_period(sla, periods[1]))
    days = [day - timedelta(days=1), day, day + timedelta(days=1)]
    assert [p.key for p in periods] == [d.isoformat() for d in days]
    assert [p.expected for p in periods] == instants
    assert [p.deadline for p in periods] == [i + timedelta(minutes=30) for i in instants]
    assert previous_period(sla, periods[2]) == periods[1]
    assert previous_period(sla, periods[1]) == periods[0]


@pytest.mark.parametrize(("tz", "at", "day", "instants"), DST_CASES)
def test_each_local_day_has_exactly_one_period(tz: str, at: str, day: date,
                                               instants: list[datetime]) -> None:
    sla = daily(at, tz)
    now, seen = instants[0], []
    while now < instants[2] + timedelta(hours=6):
        key = period_at(sla, now).key
        if not seen or seen[-1] != key:
            seen.append(key)
        now += timedelta(minutes=5)
    assert seen == [(day + timedelta(days=n)).isoformat() for n in (-1, 0, 1)]


@pytest.mark.parametrize(("tz", "day", "hours"), [
    ("Europe/Berlin", date(2026, 3, 29), 23),
    ("Europe/Berlin", date(2026, 10, 25), 25),
    ("America/New_York", date(2026, 3, 8), 23),
    ("America/New_York", date(2026, 11, 1), 25),
    ("Europe/Berlin", date(2026, 11, 25), 24),
])
def test_hourly_follows_real_hours_across_dst(tz: str, day: date, hours: int) -> None:
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0, 0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), zone).astimezone(UTC)
    period, periods = next_period(hourly(15, tz), period_at(hourly(15, tz), start)), []
    while period.expected < end:
        periods.append(period)
        period = next_period(hourly(15, tz), period)
    assert len(periods) == hours
    assert len({p.key for p in periods}) == hours
    assert all(b.expected - a.expected == timedelta(hours=1) for a, b in pairwise(periods))
    assert all(p.expected.astimezone(zone).minute == 15 for p in periods)


@pytest.mark.parametrize(("sla", "now", "expected"), [
    # Wall-clock cron times follow the daily rule: shifted forward, or the first occurrence.
    (cron("30 2 * * *", "Europe/Berlin"), utc(2026, 3, 29, 12), utc(2026, 3, 29, 1, 30)),
    (cron("30 2 * * *", "Europe/Berlin"), utc(2026, 10, 25, 12), utc(2026, 10, 25, 0, 30)),
    (cron("30 2 * * *", "America/New_York"), utc(2026, 3, 8, 12), utc(2026, 3, 8, 7, 30)),
    (cron("0 2 * * 1-5", "Europe/Berlin"), utc(2026, 3, 30, 12), utc(2026, 3, 30, 0)),
    (weekly(6, "02:30"), utc(2026, 3, 29, 12), utc(2026, 3, 29, 1, 30)),
])
def test_cron_and_weekly_across_dst(sla: DeadlineSla, now: datetime, expected: datetime) -> None:
    assert period_at(sla, now).expected == expected


def test_a_skipped_local_day_has_no_period_of_its_own() -> None:
    # Samoa skipped 2011-12-30; its 02:00 shifts onto 2011-12-31 02:00, which keeps the name.
    sla = daily("02:00", "Pacific/Apia")
    keys = keys_from(sla, utc(2011, 12, 29, 12), 3)
    assert keys == ["2011-12-29", "2011-12-31", "2012-01-01"]
    assert period_at(sla, utc(2011, 12, 30, 12)).key == "2011-12-31"
    assert period_at(sla, utc(2011, 12, 30, 12)).expected == utc(2011, 12, 30, 12)


SWEEP_SLAS = [
    daily(), daily("02:30", "Europe/Berlin"), daily("01:30", "America/New_York"),
    hourly(15, "Europe/Berlin"), weekly(6, "02:30"), cron("0 2 * * 1-5", "Europe/Berlin"),
    cron("*/30 * * * *", "Europe/Berlin"), cron("30 2 * * *", "America/New_York"),
]


@pytest.mark.parametrize("sla", SWEEP_SLAS, ids=describe_sla)
@pytest.mark.parametrize("start", [utc(2026, 3, 27), utc(2026, 10, 23), utc(2026, 10, 30)])
def test_periods_are_consistent(sla: DeadlineSla, start: datetime) -> None:
    now = start
    while now < start + timedelta(days=3):
        period = period_at(sla, now)
        following = next_period(sla, period)
        earlier = previous_period(sla, period)
        assert period.expected <= now < following.expected
        assert previous_period(sla, following) == period
        assert next_period(sla, earlier) == period
        assert earlier.deadline <= period.window_start <= period.expected < period.deadline
        assert period.deadline == period.expected + sla.max_delay
        assert next_deadline(sla, now) == min(
            d for d in (period.deadline, following.deadline) if d > now)
        now += timedelta(minutes=25)


# ---------------------------------------------------------------------- deadline verdicts
S = FreshnessState


@pytest.mark.parametrize(("sla", "update", "now", "state", "late_by", "due_in"), [
    # The early load at 01:40 counts for today.
    (daily(), utc(2026, 11, 25, 1, 40), utc(2026, 11, 25, 2, 40), S.ON_TIME, None, None),
    (daily(), utc(2026, 11, 25, 1, 40), utc(2026, 11, 25, 2, 5), S.ON_TIME, None, None),
    # Yesterday's late load (03:00) does not count for today.
    (daily(), utc(2026, 11, 24, 3), utc(2026, 11, 25, 2, 10), S.PENDING, None, 20 * MIN),
    (daily(), utc(2026, 11, 24, 3), utc(2026, 11, 25, 2, 40), S.LATE, 10 * MIN, None),
    # ... but it is yesterday's recovery while yesterday is being judged.
    (daily(), utc(2026, 11, 24, 3), utc(2026, 11, 24, 12), S.RECOVERED, 30 * MIN, None),
    # The window opens halfway between yesterday's deadline and today's due time (14:15).
    (daily(), utc(2026, 11, 24, 14, 15), utc(2026, 11, 25, 3), S.ON_TIME, None, None),
    (daily(), utc(2026, 11, 24, 14, 14, 59), utc(2026, 11, 25, 3), S.LATE, 30 * MIN, None),
    # Exactly at the deadline is on time; one second later is late.
    (daily(), utc(2026, 11, 25, 2, 30), utc(2026, 11, 25, 3), S.ON_TIME, None, None),
    (daily(), utc(2026, 11, 25, 2, 30, 1), utc(2026, 11, 25, 3), S.RECOVERED, SEC, None),
    (daily(), None, utc(2026, 11, 25, 2, 30), S.PENDING, None, timedelta(0)),
    (daily(), None, utc(2026, 11, 25, 2, 30, 1), S.LATE, SEC, None),
    (daily(), utc(2026, 11, 25, 3, 17), utc(2026, 11, 25, 9), S.RECOVERED, 47 * MIN, None),
    (hourly(), utc(2026, 11, 25, 13, 55), utc(2026, 11, 25, 14, 20), S.ON_TIME, None, None),
    (hourly(), utc(2026, 11, 25, 13, 45), utc(2026, 11, 25, 14, 20), S.PENDING, None, 5 * MIN),
    (hourly(), utc(2026, 11, 25, 13, 45), utc(2026, 11, 25, 14, 26), S.LATE, MIN, None),
    # Weekly Mon 06:00 Berlin: a Sunday load counts, last Monday's 09:00 load does not.
    (weekly(), utc(2026, 11, 22, 20), utc(2026, 11, 23, 9), S.ON_TIME, None, None),
    (weekly(), utc(2026, 11, 16, 8), utc(2026, 11, 23, 9), S.LATE, 2 * 60 * MIN, None),
    # Friday's on-time run does not carry over the weekend to Monday.
    (cron(), utc(2026, 11, 27, 2, 20), utc(2026, 11, 28, 12), S.ON_TIME, None, None),
    (cron(), utc(2026, 11, 27, 2, 20), utc(2026, 11, 30, 2, 40), S.LATE, 10 * MIN, None),
    (cron(), utc(2026, 11, 29, 23), utc(2026, 11, 30, 2, 40), S.ON_TIME, None, None),
    # Spring forward in Berlin: 02:30 is 03:30 CEST (01:30 UTC), late after 02:00 UTC.
    (daily("02:30", "Europe/Berlin"), utc(2026, 3, 29, 1, 59), utc(2026, 3, 29, 6),
     S.ON_TIME, None, None),
    (daily("02:30", "Europe/Berlin"), utc(2026, 3, 29, 2, 7), utc(2026, 3, 29, 6),
     S.RECOVERED, 7 * MIN, None),
])
def test_evaluate_deadline(sla: DeadlineSla, update: datetime | None, now: datetime,
                           state: FreshnessState, late_by: timedelta | None,
                           due_in: timedelta | None) -> None:
    result = evaluate_deadline(sla, update, now)
    assert (result.state, result.late_by, result.due_in) == (state, late_by, due_in)
    assert result.period == period_at(sla, now)
    assert result.last_update == update
    assert result.age == (None if update is None else now - update)
    assert result.future_timestamp is False


def test_evaluate_deadline_normalises_to_utc() -> None:
    update = datetime(2026, 11, 25, 2, 40, tzinfo=BERLIN)  # 01:40 UTC
    result = evaluate_deadline(daily(), update, datetime(2026, 11, 25, 4, tzinfo=BERLIN))
    assert result.state is S.ON_TIME
    assert result.last_update == utc(2026, 11, 25, 1, 40)
    assert result.last_update is not None
    assert result.last_update.tzinfo is UTC
    assert result.age == timedelta(minutes=80)


@pytest.mark.parametrize(("sla", "update", "now"), [
    (daily(), utc(2026, 11, 25, 2, 5), utc(2026, 11, 25, 2)),
    (daily(), utc(2026, 11, 25, 5), utc(2026, 11, 25, 4)),  # after the deadline, still fresh
    (daily(), utc(2027, 1, 1), utc(2026, 11, 25, 4)),
])
def test_future_timestamp_is_fresh_and_flagged(sla: DeadlineSla, update: datetime,
                                               now: datetime) -> None:
    result = evaluate_deadline(sla, update, now)
    assert (result.state, result.future_timestamp, result.age) == (S.ON_TIME, True, timedelta(0))
    assert result.late_by is None
    assert result.summary == (f"{result.period.key if result.period else ''}: updated on time "
                              "(timestamp is in the future: check the clocks)")


# ---------------------------------------------------------------------- age verdicts
AGE = AgeSla(timedelta(hours=12), timedelta(days=1))
NOW = utc(2026, 11, 25, 12)


@pytest.mark.parametrize(("sla", "update", "state", "limit", "late_by"), [
    (AGE, NOW - timedelta(hours=1), S.ON_TIME, None, None),
    (AGE, NOW - timedelta(hours=12), S.ON_TIME, None, None),  # dbt: age > limit, not >=
    (AGE, NOW - timedelta(hours=12) - SEC, S.WARN, timedelta(hours=12), None),
    (AGE, NOW - timedelta(days=1), S.WARN, timedelta(hours=12), None),
    (AGE, NOW - timedelta(days=1) - SEC, S.LATE, timedelta(days=1), SEC),
    (AGE, NOW - timedelta(days=3), S.LATE, timedelta(days=1), timedelta(days=2)),
    (AgeSla(None, timedelta(hours=6)), NOW - timedelta(hours=5), S.ON_TIME, None, None),
    (AgeSla(None, timedelta(hours=6)), NOW - timedelta(hours=7), S.LATE, timedelta(hours=6),
     timedelta(hours=1)),
    (AgeSla(timedelta(hours=6), None), NOW - timedelta(days=30), S.WARN, timedelta(hours=6),
     None),
    (AgeSla(None, None), NOW - timedelta(days=30), S.ON_TIME, None, None),
])
def test_evaluate_age(sla: AgeSla, update: datetime, state: FreshnessState,
                      limit: timedelta | None, late_by: timedelta | None) -> None:
    result = evaluate_age(sla, update, NOW)
    assert (result.state, result.limit, result.late_by) == (state, limit, late_by)
    assert result.age == NOW - update
    assert result.period is None
    assert result.future_timestamp is False


def test_evaluate_age_without_any_update_is_late() -> None:
    result = evaluate_age(AGE, None, NOW)
    assert (result.state, result.age, result.last_update) == (S.LATE, None, None)
    assert result.summary == "no update seen"


def test_evaluate_age_future_timestamp() -> None:
    result = evaluate_age(AGE, NOW + timedelta(minutes=5), NOW)
    assert (result.state, result.age, result.future_timestamp) == (S.ON_TIME, timedelta(0), True)


def test_evaluate_failed_is_neither_fresh_nor_late() -> None:
    result = evaluate_failed("connection refused")
    assert result == Evaluation(S.CHECK_FAILED, error="connection refused")
    assert not result.state.is_fresh
    assert not result.state.is_late
    assert result.summary == "check failed: connection refused"


@pytest.mark.parametrize(("result", "summary"), [
    (evaluate_deadline(daily(), None, utc(2026, 11, 25, 2, 10)),
     "2026-11-25: not updated yet, late in 20 min"),
    (evaluate_deadline(daily(), utc(2026, 11, 25, 1, 40), utc(2026, 11, 25, 2, 10)),
     "2026-11-25: updated on time"),
    (evaluate_deadline(daily(), None, utc(2026, 11, 25, 3, 17)),
     "2026-11-25: no update, 47 min past the deadline"),
    (evaluate_deadline(daily(), utc(2026, 11, 25, 3, 17), utc(2026, 11, 25, 4)),
     "2026-11-25: arrived 47 min late"),
    (evaluate_age(AGE, NOW - timedelta(hours=13), NOW), "updated 13 h ago (warn after 12 h)"),
    (evaluate_age(AGE, NOW - timedelta(hours=50), NOW), "updated 2 d 2 h ago (error after 1 d)"),
    (evaluate_age(AGE, NOW - timedelta(hours=2), NOW), "updated 2 h ago"),
])
def test_summary(result: Evaluation, summary: str) -> None:
    assert result.summary == summary


def test_state_flags() -> None:
    assert [s for s in FreshnessState if s.is_fresh] == [S.ON_TIME, S.RECOVERED]
    assert [s for s in FreshnessState if s.is_late] == [S.LATE]


# ---------------------------------------------------------------------- bad input
NAIVE = datetime(2026, 11, 25, 2)


@pytest.mark.parametrize("call", [
    lambda: period_at(daily(), NAIVE),
    lambda: next_deadline(daily(), NAIVE),
    lambda: evaluate_deadline(daily(), None, NAIVE),
    lambda: evaluate_deadline(daily(), NAIVE, utc(2026, 11, 25, 3)),
    lambda: evaluate_age(AGE, NAIVE, NOW),
    lambda: evaluate_age(AGE, None, NAIVE),
    lambda: period_at(daily(), NOW).counts(NAIVE),
], ids=["period_at", "next_deadline", "deadline-now", "deadline-update", "age-update",
        "age-now", "counts"])
def test_naive_datetimes_are_rejected(call: Callable[[], object]) -> None:
    with pytest.raises(InvalidValue, match="timezone-aware"):
        call()


@pytest.mark.parametrize(("sla", "message"), [
    (daily(delay=-5), "must not be negative"),
    (daily(tz="Mars/Olympus"), "unknown timezone"),
    (DeadlineSla("cron", "UTC", timedelta(minutes=5)), "needs a cron expression"),
    (cron("not a cron"), "cron expression"),
    (cron("0 0 30 2 *"), "cron expression"),  # February 30th never comes
    (weekly(7), "weekday"),
])
def test_invalid_slas_are_rejected(sla: DeadlineSla, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        period_at(sla, NOW)
