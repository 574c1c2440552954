"""When to look again: never in the past, never faster than the configured intervals, never
after a verdict change it should have seen, and within one recheck while an alert is open."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.freshness.judge import Timing, judge, next_check
from bot.probes import ProbeResult
from ownership.model import AgeSla, Contract, DeadlineSla, SqlProbe
from ownership.sla import FreshnessState

MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
SEC = timedelta(seconds=1)
TIMING = Timing(recheck=10 * MIN, retry_failed=5 * MIN, longest=6 * HOUR)
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def contract(sla: DeadlineSla | None = None, freshness: AgeSla | None = None) -> Contract:
    return Contract(
        id="orders",
        asset="orders",
        owner_team="data_eng",
        probe=SqlProbe(connection="WAREHOUSE_URL", table="orders", timestamp_column="ts"),
        sla=sla,
        freshness=freshness,
    )


def check_after(c: Contract, update: datetime | None, now: datetime,
                *, alert_open: bool = False) -> tuple[FreshnessState, datetime]:
    evaluation = judge(c, ProbeResult(last_update=update), now)
    return evaluation.state, next_check(c, evaluation, now, TIMING, alert_open=alert_open)


# ---------------------------------------------------------------------- examples
def test_warn_only_age_sla_in_warn_is_rechecked_at_the_recheck_interval() -> None:
    c = contract(freshness=AgeSla(warn_after=HOUR, error_after=None))
    state, at = check_after(c, NOW - 3 * HOUR, NOW)
    assert state is FreshnessState.WARN
    assert at == NOW + TIMING.recheck  # was now + 1 s: 78,000 checks in 22 h


def test_warn_only_age_sla_on_time_is_checked_when_it_would_warn() -> None:
    c = contract(freshness=AgeSla(warn_after=HOUR, error_after=None))
    state, at = check_after(c, NOW - 20 * MIN, NOW)
    assert state is FreshnessState.ON_TIME
    assert at == NOW + 40 * MIN + SEC


def test_age_sla_on_time_looks_at_the_warn_then_the_error_crossing() -> None:
    c = contract(freshness=AgeSla(warn_after=HOUR, error_after=2 * HOUR))
    assert check_after(c, NOW - 20 * MIN, NOW)[1] == NOW + 40 * MIN + SEC
    state, at = check_after(c, NOW - 90 * MIN, NOW)
    assert state is FreshnessState.WARN
    assert at == NOW + 30 * MIN + SEC


def test_age_sla_without_limits_is_not_checked_every_second() -> None:
    c = contract(freshness=AgeSla(warn_after=None, error_after=None))
    assert check_after(c, NOW - timedelta(days=30), NOW)[1] == NOW + TIMING.recheck


def test_an_open_alert_of_an_earlier_period_keeps_the_recheck_interval() -> None:
    # Daily 02:00 + 30 min; yesterday's alert is open. At 02:05 today is pending until 02:30,
    # but yesterday's recovery must be seen within one recheck, not at 02:30.
    c = contract(sla=DeadlineSla("daily", "UTC", 30 * MIN, time(2, 0)))
    now = datetime(2026, 11, 25, 2, 5, tzinfo=UTC)
    stale = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    state, at = check_after(c, stale, now, alert_open=True)
    assert state is FreshnessState.PENDING
    assert at == now + TIMING.recheck
    assert check_after(c, stale, now)[1] == datetime(2026, 11, 25, 2, 30, 1, tzinfo=UTC)


def test_late_looks_again_at_the_next_deadline_when_it_comes_first() -> None:
    c = contract(sla=DeadlineSla("hourly", "UTC", 90 * MIN, time(0, 0)))
    now = datetime(2026, 11, 25, 12, 25, tzinfo=UTC)  # 10:00 late; 11:00 late after 12:30
    state, at = check_after(c, now - timedelta(days=2), now, alert_open=True)
    assert state is FreshnessState.LATE
    assert at == datetime(2026, 11, 25, 12, 30, 1, tzinfo=UTC)


def test_on_time_waits_for_the_first_period_the_update_does_not_cover() -> None:
    # Daily 02:00 + 30 min, loaded 01:40, checked 02:25: nothing can go late before
    # tomorrow's 02:30, so the next look is 6 h later (the longest gap), not at 02:30:01.
    c = contract(sla=DeadlineSla("daily", "UTC", 30 * MIN, time(2, 0)))
    now = datetime(2026, 11, 25, 2, 25, tzinfo=UTC)
    state, at = check_after(c, datetime(2026, 11, 25, 1, 40, tzinfo=UTC), now)
    assert state is FreshnessState.ON_TIME
    assert at == now + TIMING.longest


# ---------------------------------------------------------------------- properties
_DEADLINE = st.one_of(
    st.builds(
        lambda minute, delay, tz: DeadlineSla("hourly", tz, delay, time(0, minute)),
        st.integers(0, 59), st.integers(0, 200).map(lambda m: m * MIN),
        st.sampled_from(["UTC", "Europe/Berlin"]),
    ),
    st.builds(
        lambda at, delay, tz: DeadlineSla("daily", tz, delay, at),
        st.sampled_from([time(0, 0), time(2, 0), time(2, 30), time(23, 45)]),
        st.integers(0, 60).map(lambda h: h * HOUR), st.sampled_from(["UTC", "Europe/Berlin"]),
    ),
    st.builds(
        lambda expr, delay: DeadlineSla("cron", "Europe/Berlin", delay, cron=expr),
        st.sampled_from(["0 2 * * 1-5", "*/30 * * * *", "0 */6 * * *"]),
        st.integers(0, 50).map(lambda h: h * 30 * MIN),
    ),
)
_LIMIT = st.one_of(st.none(), st.integers(1, 72 * 60).map(lambda m: m * MIN))
_CONTRACTS = st.one_of(
    _DEADLINE.map(lambda sla: contract(sla=sla)),
    st.builds(AgeSla, _LIMIT, _LIMIT).map(lambda age: contract(freshness=age)),
)
_NOW = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)
_UPDATE_OFFSET = st.one_of(st.none(), st.integers(-3 * 60, 10 * 24 * 60).map(lambda m: m * MIN))


def _verdict(c: Contract, update: datetime | None, at: datetime) -> tuple[FreshnessState, str]:
    evaluation = judge(c, ProbeResult(last_update=update), at)
    return evaluation.state, evaluation.period.key if evaluation.period else ""


@settings(max_examples=300, deadline=None)
@given(_CONTRACTS, _NOW, _UPDATE_OFFSET, st.booleans(), st.booleans())
def test_next_check_is_ahead_bounded_and_misses_nothing(
    c: Contract, now: datetime, ago: timedelta | None, alert_open: bool, failed: bool
) -> None:
    update = None if ago is None else now - ago
    result = ProbeResult(error="boom") if failed else ProbeResult(last_update=update)
    evaluation = judge(c, result, now)
    at = next_check(c, evaluation, now, TIMING, alert_open=alert_open)
    gap = at - now
    assert gap >= SEC  # never in the past
    assert gap <= (TIMING.recheck if alert_open else TIMING.longest)
    if failed:
        assert gap == min(TIMING.retry_failed, TIMING.recheck)
        return
    before = _verdict(c, update, now)
    if gap < min(TIMING.recheck, TIMING.retry_failed):  # a short wait only for a change
        assert _verdict(c, update, at) != before
    if gap > SEC and evaluation.state is not FreshnessState.LATE:
        # Nothing went late in between: the first late instant is at most 1 s before `at`.
        assert _verdict(c, update, at - SEC)[0] is not FreshnessState.LATE
    if gap > SEC and evaluation.state is FreshnessState.LATE:
        later = _verdict(c, update, at - SEC)  # no new breach skipped
        assert later == before or later[0] is not FreshnessState.LATE
