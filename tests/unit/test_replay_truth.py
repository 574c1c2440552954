"""The replay benchmark's ground truth (bench/replay/truth.py) against docs/freshness.md's
worked examples, so a figure of bench/b5_replay.py can be trusted to measure demarc, not the
bench's own arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bench.replay.cron import Cron
from bench.replay.truth import (
    Period,
    Spec,
    age_breaches,
    age_key,
    deadline_breaches,
    local_to_utc,
    periods,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def period(spec: Spec, key: str) -> Period:
    """The period with this key (its date, or ISO week, says where to look)."""
    if "-W" in key:
        day = date.fromisocalendar(int(key[:4]), int(key[6:8]), 1)
    else:
        day = date.fromisoformat(key[:10])
    anchor = datetime.combine(day, time(12, 0), tzinfo=UTC)
    [found] = [p for p in periods(spec, anchor, anchor) if p.key == key]
    return found


DAILY_0200 = Spec("daily", "UTC", time(2, 0), timedelta(minutes=30))
HOURLY_15 = Spec("hourly", "UTC", time(0, 15), timedelta(minutes=10))
WEEKLY_BERLIN = Spec("weekly", "Europe/Berlin", time(6, 0), timedelta(hours=2), weekday=0)
CRON_WEEKDAYS = Spec("cron", "UTC", max_delay=timedelta(minutes=30), cron="0 2 * * 1-5")
DAILY_BERLIN_0230 = Spec("daily", "Europe/Berlin", time(2, 30), timedelta(minutes=30))


def late(spec: Spec, updates: list[datetime], key: str) -> bool:
    p = period(spec, key)
    found = deadline_breaches("c", spec, sorted(updates), p.deadline, p.deadline)
    return any(b.key == key for b in found)


# ---------------------------------------------------------------------- windows
def test_daily_window_opens_halfway_between_yesterdays_deadline_and_todays_due_time() -> None:
    p = period(DAILY_0200, "2026-11-25")
    assert p.expected == utc(2026, 11, 25, 2, 0)
    assert p.deadline == utc(2026, 11, 25, 2, 30)
    assert p.window_start == utc(2026, 11, 24, 14, 15)


def test_daily_which_update_counts() -> None:
    assert not late(DAILY_0200, [utc(2026, 11, 25, 1, 40)], "2026-11-25")  # early, on time
    # yesterday's late load at 03:00 does not count for today; it recovers yesterday 30 min late
    yesterday = deadline_breaches("c", DAILY_0200, [utc(2026, 11, 24, 3, 0)],
                                  utc(2026, 11, 24), utc(2026, 11, 25, 12))
    assert [(b.key, b.arrival) for b in yesterday] == [
        ("2026-11-24", utc(2026, 11, 24, 3, 0)),
        ("2026-11-25", None),
    ]
    assert yesterday[0].arrival - yesterday[0].began == timedelta(minutes=30)  # type: ignore[operator]
    assert not late(DAILY_0200, [utc(2026, 11, 24, 14, 15, 0)], "2026-11-25")
    assert late(DAILY_0200, [utc(2026, 11, 24, 14, 14, 59)], "2026-11-25")


def test_hourly_window_opens_at_50_past_the_previous_hour() -> None:
    p = period(HOURLY_15, "2026-11-25T14")
    assert (p.expected, p.deadline, p.window_start) == (
        utc(2026, 11, 25, 14, 15), utc(2026, 11, 25, 14, 25), utc(2026, 11, 25, 13, 50))
    assert not late(HOURLY_15, [utc(2026, 11, 25, 13, 55)], "2026-11-25T14")
    assert late(HOURLY_15, [utc(2026, 11, 25, 13, 45)], "2026-11-25T14")
    assert not late(HOURLY_15, [utc(2026, 11, 25, 13, 24)], "2026-11-25T13")


def test_weekly_berlin_window_opens_on_thursday_19_00_berlin() -> None:
    p = period(WEEKLY_BERLIN, "2026-W48")  # Monday 2026-11-23
    assert p.expected == datetime(2026, 11, 23, 6, 0, tzinfo=BERLIN)
    assert p.window_start == datetime(2026, 11, 19, 19, 0, tzinfo=BERLIN)
    sunday = datetime(2026, 11, 22, 12, 0, tzinfo=BERLIN)
    last_monday = datetime(2026, 11, 16, 9, 0, tzinfo=BERLIN)
    assert not late(WEEKLY_BERLIN, [sunday], "2026-W48")
    assert late(WEEKLY_BERLIN, [last_monday], "2026-W48")


def test_cron_weekday_window_spans_the_weekend() -> None:
    monday = period(CRON_WEEKDAYS, "2026-11-23T02:00:00Z")
    assert monday.window_start == utc(2026, 11, 21, 14, 15)  # Saturday
    friday_load = utc(2026, 11, 20, 1, 50)
    assert late(CRON_WEEKDAYS, [friday_load], "2026-11-23T02:00:00Z")
    found = deadline_breaches("c", CRON_WEEKDAYS, [friday_load], utc(2026, 11, 23),
                              utc(2026, 11, 23, 3))
    assert found[0].open_at(utc(2026, 11, 23, 2, 40))
    tuesday = period(CRON_WEEKDAYS, "2026-11-24T02:00:00Z")
    assert tuesday.window_start == utc(2026, 11, 23, 14, 15)


def test_max_delay_as_long_as_the_period_or_longer_opens_the_window_at_the_due_time() -> None:
    hourly_90 = Spec("hourly", "UTC", time(0, 10), timedelta(minutes=90))
    daily_26h = Spec("daily", "UTC", time(2, 0), timedelta(hours=26))
    hourly_60 = Spec("hourly", "UTC", time(0, 30), timedelta(minutes=60))
    for spec, key in ((hourly_90, "2026-11-25T14"), (daily_26h, "2026-11-25"),
                      (hourly_60, "2026-11-25T14")):
        p = period(spec, key)
        assert p.window_start == p.expected
        assert p.deadline == p.expected + spec.max_delay


def test_every_period_past_its_deadline_without_data_is_a_breach_whatever_the_next_says() -> None:
    hourly_90 = Spec("hourly", "UTC", time(0, 10), timedelta(minutes=90))
    last = utc(2026, 11, 25, 10, 15)  # then nothing for hours
    found = deadline_breaches("c", hourly_90, [last], utc(2026, 11, 25, 12),
                              utc(2026, 11, 25, 17))
    assert [b.key for b in found] == [f"2026-11-25T{h:02d}" for h in range(11, 16)]
    assert all(b.arrival is None for b in found)


# ---------------------------------------------------------------------- local time and DST
@pytest.mark.parametrize(
    ("wall", "tz", "instant"),
    [
        (datetime(2026, 3, 29, 2, 30), BERLIN, utc(2026, 3, 29, 1, 30)),  # gap: 03:30 CEST
        (datetime(2026, 3, 8, 2, 30), NEW_YORK, utc(2026, 3, 8, 7, 30)),  # gap: 03:30 EDT
        (datetime(2026, 10, 25, 2, 30), BERLIN, utc(2026, 10, 25, 0, 30)),  # first, CEST
        (datetime(2026, 11, 1, 1, 30), NEW_YORK, utc(2026, 11, 1, 5, 30)),  # first, EDT
        (datetime(2026, 7, 1, 12, 0), BERLIN, utc(2026, 7, 1, 10, 0)),
    ],
)
def test_local_times_become_instants_as_the_document_says(
    wall: datetime, tz: ZoneInfo, instant: datetime
) -> None:
    assert local_to_utc(wall, tz) == instant


def test_daily_berlin_across_both_changes_matches_the_documents_table() -> None:
    rows = {
        "2026-03-28": (utc(2026, 3, 28, 1, 30), utc(2026, 3, 28, 2, 0)),
        "2026-03-29": (utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2, 0)),
        "2026-03-30": (utc(2026, 3, 30, 0, 30), utc(2026, 3, 30, 1, 0)),
        "2026-10-25": (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 0)),
        "2026-10-26": (utc(2026, 10, 26, 1, 30), utc(2026, 10, 26, 2, 0)),
    }
    for key, (expected, deadline) in rows.items():
        p = period(DAILY_BERLIN_0230, key)
        assert (p.expected, p.deadline) == (expected, deadline), key
    spring = [p.key for p in periods(DAILY_BERLIN_0230, utc(2026, 3, 27), utc(2026, 3, 31))]
    assert spring == sorted(set(spring))  # one period per local day, none skipped or doubled
    days = [k for k in spring if "2026-03-26" <= k <= "2026-03-31"]
    assert days == [f"2026-03-{d}" for d in range(26, 32)]


def test_hourly_follows_real_hours_across_the_changes() -> None:
    spec = Spec("hourly", "Europe/Berlin", time(0, 15), timedelta(minutes=10))
    day = [p for p in periods(spec, utc(2026, 10, 25), utc(2026, 10, 26))
           if datetime(2026, 10, 25, tzinfo=BERLIN) <= p.expected
           < datetime(2026, 10, 26, tzinfo=BERLIN)]
    assert len(day) == 25
    assert len({p.key for p in day}) == 25
    spring = [p for p in periods(spec, utc(2026, 3, 29), utc(2026, 3, 30))
              if datetime(2026, 3, 29, tzinfo=BERLIN) <= p.expected
              < datetime(2026, 3, 30, tzinfo=BERLIN)]
    assert len(spring) == 23


def test_cron_skips_the_repeated_hour_and_merges_a_moved_match() -> None:
    every_30 = Spec("cron", "Europe/Berlin", max_delay=timedelta(minutes=5), cron="*/30 * * * *")
    autumn = [p.expected for p in periods(every_30, utc(2026, 10, 25), utc(2026, 10, 25))]
    assert utc(2026, 10, 25, 0, 30) in autumn  # 02:30 CEST
    assert utc(2026, 10, 25, 1, 0) not in autumn  # 02:00 CET: the repeated hour has no runs
    assert utc(2026, 10, 25, 1, 30) not in autumn
    assert utc(2026, 10, 25, 2, 0) in autumn  # 03:00 CET
    merged = Spec("cron", "Europe/Berlin", max_delay=timedelta(minutes=5), cron="30 2,3 * * *")
    spring = [p for p in periods(merged, utc(2026, 3, 29), utc(2026, 3, 29))
              if p.key.startswith("2026-03-29")]
    assert [p.key for p in spring] == ["2026-03-29T01:30:00Z"]  # 02:30 moved onto 03:30


def test_iso_week_keys_cross_the_year_end_the_iso_way() -> None:
    monday = Spec("weekly", "UTC", time(6, 0), timedelta(hours=2), weekday=0)
    friday = Spec("weekly", "UTC", time(6, 0), timedelta(hours=2), weekday=4)
    keys = {p.expected.date().isoformat(): p.key
            for spec in (monday, friday)
            for p in periods(spec, utc(2026, 12, 20), utc(2027, 1, 10))}
    assert keys["2026-12-28"] == "2026-W53"
    assert keys["2027-01-01"] == "2026-W53"
    assert keys["2027-01-04"] == "2027-W01"


# ---------------------------------------------------------------------- boundaries
def test_an_update_exactly_at_the_deadline_is_on_time_one_second_later_is_late() -> None:
    p = period(DAILY_0200, "2026-11-25")
    assert not late(DAILY_0200, [p.deadline], "2026-11-25")
    [b] = [x for x in deadline_breaches("c", DAILY_0200, [p.deadline + timedelta(seconds=1)],
                                        p.deadline, p.deadline) if x.key == "2026-11-25"]
    assert b.arrival - b.began == timedelta(seconds=1)  # type: ignore[operator]
    assert not b.open_at(p.deadline)  # now exactly at the deadline: still pending
    assert b.open_at(p.deadline + timedelta(microseconds=500_000))
    assert not b.open_at(p.deadline + timedelta(seconds=1))  # the update is there


def test_recovered_47_minutes_late() -> None:
    p = period(DAILY_0200, "2026-11-25")
    [b] = deadline_breaches("c", DAILY_0200, [p.deadline + timedelta(minutes=47)],
                            p.deadline, p.deadline)
    assert b.arrival - b.began == timedelta(minutes=47)  # type: ignore[operator]


def test_age_sla_is_late_strictly_after_error_after_once_per_stale_update() -> None:
    spec = Spec("age", warn_after=timedelta(hours=12), error_after=timedelta(days=1))
    u = utc(2026, 11, 24, 6, 0)
    [b] = age_breaches("c", spec, [u], u, u + timedelta(days=3))
    assert b.key == age_key(u) == "age:2026-11-24T06:00:00+00:00"
    assert not b.open_at(u + timedelta(days=1))  # exactly 1 d: WARN, not late
    assert b.open_at(u + timedelta(days=1, seconds=1))
    fresh = [u, u + timedelta(hours=23, minutes=59)]
    assert age_breaches("c", spec, fresh, u, u + timedelta(days=1)) == []
    warn_only = Spec("age", warn_after=timedelta(hours=12))
    assert age_breaches("c", warn_only, [u], u, u + timedelta(days=9)) == []


def test_cron_matcher_reads_the_five_fields() -> None:
    weekdays = Cron.parse("0 2 * * 1-5")
    assert weekdays.matches(datetime(2026, 11, 23, 2, 0))  # Monday
    assert not weekdays.matches(datetime(2026, 11, 22, 2, 0))  # Sunday
    assert Cron.parse("*/15 */4 * * 0,7").matches(datetime(2026, 11, 22, 8, 45))
    either = Cron.parse("0 0 1 * 1")  # day 1 or a Monday
    assert either.matches(datetime(2026, 12, 1, 0, 0))
    assert either.matches(
        datetime(2026, 11, 23, 0, 0))
    with pytest.raises(ValueError):
        Cron.parse("61 * * * *")
