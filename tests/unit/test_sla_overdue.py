"""Overdue periods: every period whose deadline passes without data is a breach, also when
`max_delay` is as long as the period or longer (a later period is already pending then)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ownership.model import DeadlineSla
from ownership.sla import (
    FreshnessState,
    Period,
    evaluate_deadline,
    first_uncovered,
    last_overdue,
    next_period,
    period_at,
    previous_period,
)

MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)
HOUR = timedelta(hours=1)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def hourly(minute: int = 0, delay: timedelta = 90 * MIN, tz: str = "UTC") -> DeadlineSla:
    return DeadlineSla("hourly", tz, delay, time(0, minute))


def daily(at: str = "02:00", delay: timedelta = 26 * HOUR, tz: str = "UTC") -> DeadlineSla:
    return DeadlineSla("daily", tz, delay, time.fromisoformat(at))


# ---------------------------------------------------------------------- hourly, 90 min
def test_hourly_90_min_without_data_is_late_for_the_period_whose_deadline_passed() -> None:
    # 10:00's data is due by 11:30; at 11:45 the 11:00 period is pending, 10:00 is late.
    ev = evaluate_deadline(hourly(), utc(2026, 11, 25, 9, 5), utc(2026, 11, 25, 11, 45))
    assert ev.state is FreshnessState.LATE
    assert ev.period is not None
    assert ev.period.key == "2026-11-25T10"
    assert ev.period.deadline == utc(2026, 11, 25, 11, 30)
    assert ev.late_by == 15 * MIN


def test_hourly_90_min_with_data_59_days_old_is_late_not_pending_forever() -> None:
    now = utc(2026, 11, 25, 11, 45)
    ev = evaluate_deadline(hourly(), now - timedelta(days=59), now)
    assert ev.state is FreshnessState.LATE
    assert ev.period is not None
    assert ev.period.key == "2026-11-25T10"
    ev = evaluate_deadline(hourly(), None, now)
    assert ev.state is FreshnessState.LATE


def test_hourly_90_min_each_overdue_period_is_its_own_breach() -> None:
    keys = {
        evaluate_deadline(hourly(), utc(2026, 11, 25, 9, 5), utc(2026, 11, 25, h, 31, 1)).period.key  # type: ignore[union-attr]
        for h in range(11, 15)
    }
    assert keys == {"2026-11-25T10", "2026-11-25T11", "2026-11-25T12", "2026-11-25T13"}


def test_hourly_90_min_boundaries_are_inclusive_for_the_sla() -> None:
    update = utc(2026, 11, 25, 9, 5)  # counts for 09:00, not for 10:00
    at_deadline = evaluate_deadline(hourly(), update, utc(2026, 11, 25, 11, 30))
    assert at_deadline.state is FreshnessState.PENDING
    assert at_deadline.period is not None
    assert at_deadline.period.key == "2026-11-25T10"
    assert at_deadline.due_in == timedelta(0)
    after = evaluate_deadline(hourly(), update, utc(2026, 11, 25, 11, 30, 1))
    assert after.state is FreshnessState.LATE
    assert after.late_by == SEC


def test_hourly_90_min_pending_names_the_oldest_period_without_data() -> None:
    # At 11:10, 10:00 (due by 11:30) has no data yet: it is the one to watch, not 11:00.
    ev = evaluate_deadline(hourly(), utc(2026, 11, 25, 9, 5), utc(2026, 11, 25, 11, 10))
    assert ev.state is FreshnessState.PENDING
    assert ev.period is not None
    assert ev.period.key == "2026-11-25T10"
    assert ev.due_in == 20 * MIN


def test_hourly_90_min_on_time_loads_are_on_time() -> None:
    # Loads at :05 every hour: the 11:05 load counts for 11:00 (and for 10:00, due by 11:30).
    ev = evaluate_deadline(hourly(), utc(2026, 11, 25, 11, 5), utc(2026, 11, 25, 11, 45))
    assert ev.state is FreshnessState.ON_TIME
    assert ev.period is not None
    assert ev.period.key == "2026-11-25T11"
    # Before 11:00's load: 10:05 covers 10:00; 11:00 is pending until 12:30.
    ev = evaluate_deadline(hourly(), utc(2026, 11, 25, 10, 5), utc(2026, 11, 25, 11, 45))
    assert ev.state is FreshnessState.PENDING
    assert ev.period is not None
    assert ev.period.key == "2026-11-25T11"
    assert ev.due_in == 45 * MIN


def test_hourly_90_min_recovery_of_the_overdue_period_is_seen() -> None:
    # 10:00 is late at 11:45; a load at 11:50 counts for it (and for 11:00).
    late = evaluate_deadline(hourly(), utc(2026, 11, 25, 9, 5), utc(2026, 11, 25, 11, 45))
    assert late.period is not None
    arrived = utc(2026, 11, 25, 11, 50)
    assert late.period.counts(arrived)
    ev = evaluate_deadline(hourly(), arrived, utc(2026, 11, 25, 11, 55))
    assert ev.state.is_fresh


# ---------------------------------------------------------------------- daily, 26 h
def test_daily_26_h_is_late_the_morning_after_the_next_due_time() -> None:
    sla = daily()  # 2026-11-24's data is due 11-24 02:00 and late after 11-25 04:00
    stale = utc(2026, 11, 23, 3, 0)  # counts for 11-23 only
    ev = evaluate_deadline(sla, stale, utc(2026, 11, 25, 4, 0, 1))
    assert ev.state is FreshnessState.LATE
    assert ev.period is not None
    assert ev.period.key == "2026-11-24"
    assert ev.late_by == SEC
    pending = evaluate_deadline(sla, stale, utc(2026, 11, 25, 3, 0))
    assert pending.state is FreshnessState.PENDING
    assert pending.period is not None
    assert pending.period.key == "2026-11-24"
    assert pending.due_in == HOUR


def test_daily_26_h_data_59_days_old_is_late() -> None:
    now = utc(2026, 11, 25, 12, 0)
    ev = evaluate_deadline(daily(), now - timedelta(days=59), now)
    assert ev.state is FreshnessState.LATE
    assert ev.period is not None
    assert ev.period.key == "2026-11-24"


def test_daily_26_h_todays_load_also_satisfies_yesterday() -> None:
    # Windows overlap: a load at 11-25 02:10 counts for 11-25 and for 11-24 (due by 04:00).
    ev = evaluate_deadline(daily(), utc(2026, 11, 25, 2, 10), utc(2026, 11, 25, 5, 0))
    assert ev.state is FreshnessState.ON_TIME
    assert ev.period is not None
    assert ev.period.key == "2026-11-25"


def test_max_delay_exactly_one_period_alerts() -> None:
    sla = hourly(delay=HOUR)  # 10:00's data late after 11:00, when 11:00 is already due
    ev = evaluate_deadline(sla, utc(2026, 11, 25, 9, 5), utc(2026, 11, 25, 11, 0, 1))
    assert ev.state is FreshnessState.LATE
    assert ev.period is not None
    assert ev.period.key == "2026-11-25T10"


def test_normal_sla_keeps_judging_only_the_latest_started_period() -> None:
    # Daily 02:00 + 30 min: at 02:10 today is pending, although yesterday had no data.
    sla = daily(delay=30 * MIN)
    ev = evaluate_deadline(sla, utc(2026, 11, 22, 2, 0), utc(2026, 11, 25, 2, 10))
    assert ev.state is FreshnessState.PENDING
    assert ev.period is not None
    assert ev.period.key == "2026-11-25"


def test_first_uncovered_is_the_first_period_an_update_does_not_count_for() -> None:
    sla = daily(delay=30 * MIN)  # 11-25's window opens 11-24 14:15
    assert first_uncovered(sla, utc(2026, 11, 24, 14, 14, 59)).key == "2026-11-25"
    assert first_uncovered(sla, utc(2026, 11, 24, 14, 15)).key == "2026-11-26"
    assert first_uncovered(hourly(), utc(2026, 11, 25, 9, 59)).key == "2026-11-25T10"
    assert first_uncovered(hourly(), utc(2026, 11, 25, 10, 0)).key == "2026-11-25T11"


# ---------------------------------------------------------------------- against a reference
def _periods_around(sla: DeadlineSla, now: datetime, count: int) -> list[Period]:
    """`count` periods before now's latest started one and a few after, in order."""
    period = period_at(sla, now)
    before = [period]
    for _ in range(count):
        before.insert(0, previous_period(sla, before[0]))
    after = [next_period(sla, period)]
    for _ in range(3):
        after.append(next_period(sla, after[-1]))
    return before + after


def _reference(
    sla: DeadlineSla, update: datetime | None, now: datetime
) -> tuple[FreshnessState, str]:
    """docs/freshness.md, "The period being judged", by enumeration.

    A period is in play from its due time until the next due time; one whose deadline is at or
    after the next due time stays in play until the next period's deadline. The judged period
    is the newest started one if the update counts for it, else the oldest in play the update
    does not count for: LATE past its deadline, PENDING before.
    """
    periods = _periods_around(sla, now, count=14)  # more than the delay spans (see _SLAS)
    in_play = []
    for p, nxt in itertools.pairwise(periods):
        if p.expected > now:
            break
        overlapping = p.deadline >= nxt.expected
        if (now <= nxt.deadline) if overlapping else (now < nxt.expected):
            in_play.append(p)
    assert periods[0] not in in_play  # enumerated far enough back
    newest = in_play[-1]
    if update is not None and update >= newest.window_start:
        on_time = update <= newest.deadline
        return (FreshnessState.ON_TIME if on_time else FreshnessState.RECOVERED), newest.key
    judged = next(p for p in in_play if update is None or update < p.window_start)
    state = FreshnessState.LATE if now > judged.deadline else FreshnessState.PENDING
    return state, judged.key


_SLAS = st.one_of(
    st.builds(hourly, st.integers(0, 59), st.integers(0, 200).map(lambda m: m * MIN)),
    st.builds(
        daily,
        st.sampled_from(["00:00", "02:00", "02:30", "23:45"]),
        st.integers(0, 60).map(lambda h: h * HOUR),
        st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]),
    ),
    st.builds(
        lambda expr, delay: DeadlineSla("cron", "Europe/Berlin", delay, cron=expr),
        st.sampled_from(["0 2 * * 1-5", "0 2,3 * * *", "*/30 * * * *", "0 */6 * * *"]),
        st.integers(0, 10).map(lambda h: h * 30 * MIN),
    ),
)
_NOW = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=120, deadline=None)
@given(_SLAS, _NOW, st.one_of(st.none(), st.integers(0, 5 * 24 * 60)))
def test_evaluate_deadline_matches_the_reference(
    sla: DeadlineSla, now: datetime, minutes_ago: int | None
) -> None:
    update = None if minutes_ago is None else now - minutes_ago * MIN
    ev = evaluate_deadline(sla, update, now)
    assert ev.period is not None
    assert (ev.state, ev.period.key) == _reference(sla, update, now)


@settings(max_examples=100, deadline=None)
@given(_SLAS, _NOW)
def test_last_overdue_is_the_latest_deadline_before_now(sla: DeadlineSla, now: datetime) -> None:
    overdue = last_overdue(sla, now)
    assert overdue.deadline < now <= next_period(sla, overdue).deadline


@pytest.mark.parametrize("delay", [90 * MIN, 2 * HOUR, 5 * HOUR])
def test_a_long_outage_alerts_every_hour(delay: timedelta) -> None:
    sla = hourly(delay=delay)
    stale = utc(2026, 11, 20)
    late = [
        evaluate_deadline(sla, stale, utc(2026, 11, 25) + step * 10 * MIN)
        for step in range(6 * 24)
    ]
    assert all(ev.state is FreshnessState.LATE for ev in late)
    hours = sorted({ev.period.expected for ev in late if ev.period})
    assert len(hours) >= 24  # one breach per hourly period, none skipped
    assert all(b - a == HOUR for a, b in itertools.pairwise(hours))
