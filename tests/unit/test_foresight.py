"""Foresight, pure: the heads-up time, the lag per lineage edge and the projected landings."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from ownership.foresight import (
    follow_lag,
    heads_up_due,
    median_lag,
    period_to_warn,
    project,
    usual_offset,
    will_miss,
)
from ownership.model import Contract, DeadlineSla
from ownership.sla import evaluate_deadline

T0 = datetime(2026, 11, 25, tzinfo=UTC)
H = timedelta(hours=1)
SLA = DeadlineSla("daily", "UTC", timedelta(minutes=30), time(2, 0),
                  warn_after=timedelta(minutes=10))


def test_the_heads_up_is_due_between_warn_after_and_the_deadline() -> None:
    stale = T0 - timedelta(hours=22)
    for minute, due in ((9, False), (10, True), (30, True)):
        now = T0 + timedelta(hours=2, minutes=minute)
        assert heads_up_due(SLA, evaluate_deadline(SLA, stale, now), now) is due
    late = T0 + timedelta(hours=2, minutes=31)
    assert not heads_up_due(SLA, evaluate_deadline(SLA, stale, late), late)


def test_median_lag_pairs_each_landing_with_the_upstream_landing_before_it() -> None:
    ups = [T0 + d * 24 * H for d in range(4)]
    downs = [u + lag for u, lag in zip(ups, (H, 2 * H, 3 * H, 90 * H / 60), strict=True)]
    assert median_lag(ups, downs) == 1.5 * H  # median_low of 1, 1.5, 2, 3 h
    assert median_lag(ups[:2], downs[:2]) is None  # fewer than three samples


def test_projection_adds_lags_along_a_chain_and_takes_the_slower_parent() -> None:
    a, b, c, d = (Contract(n, n, "t") for n in "abcd")
    edges = [(a, b), (a, c), (b, d), (c, d)]
    lags = {("a", "b"): H, ("a", "c"): 3 * H, ("b", "d"): H, ("c", "d"): H}
    out = project(a, T0, edges, lags)
    assert out["b"].arrival == T0 + H
    assert out["d"].lag == 4 * H  # through c, the slower path


def test_a_downstream_whose_data_is_in_is_warned_about_its_next_period() -> None:
    down = DeadlineSla("daily", "UTC", timedelta(minutes=30), time(4, 15))
    now = T0 + 3 * H  # before 04:15: yesterday's period is judged, and it has its data
    period = period_to_warn(down, evaluate_deadline(down, T0 - 20 * H, now))
    assert period is not None
    assert period.key == "2026-11-25"
    assert will_miss(period, T0 + 5 * H, now)
    assert not will_miss(period, T0 + 4 * H, now)


def test_a_downstream_late_already_is_warned_about_its_next_period() -> None:
    down = DeadlineSla("hourly", "UTC", timedelta(minutes=60), time(0, 30))
    now = T0 + 10 * H + timedelta(minutes=40)  # the 09:30 period is late (deadline 10:30)
    verdict = evaluate_deadline(down, T0 + 8 * H + timedelta(minutes=35), now)
    period = period_to_warn(down, verdict)
    assert period is not None
    assert period.key == "2026-11-25T10"  # due 10:30, late after 11:30


def test_the_follow_lag_is_the_fastest_gap_and_the_usual_landing_leaves_out_the_slack() -> None:
    """Three days on time (the downstream lands at 03:40, 1 h 50 after the upstream) and one
    late upstream (04:00) it followed in 5 min: it needs 5 min, and usually lands 03:40."""
    m = timedelta(minutes=1)
    ups = [T0 + d * 24 * H + 110 * m for d in range(3)] + [T0 + 3 * 24 * H + 4 * H]
    downs = [u + 110 * m for u in ups[:3]] + [ups[3] + 5 * m]
    assert median_lag(ups, downs) == 110 * m  # the old rule: slack included
    assert follow_lag(ups, downs) == 5 * m
    assert follow_lag(ups[:2], downs[:2]) is None
    down = DeadlineSla("daily", "UTC", timedelta(minutes=30), time(4, 15))
    assert usual_offset(down, downs) == -35 * m  # 03:40, 35 min before it is due
    a, b = Contract("a", "a", "t"), Contract("b", "b", "t")
    today = T0 + 4 * 24 * H
    usual = {"b": today + 4 * H + 15 * m - 35 * m}
    slightly_late = project(a, today + 2 * H + 41 * m, [(a, b)], {("a", "b"): 5 * m}, usual)
    assert slightly_late["b"].arrival == usual["b"]  # not 04:31: it waits for its own time
    very_late = project(a, today + 4 * H + 41 * m, [(a, b)], {("a", "b"): 5 * m}, usual)
    assert very_late["b"].arrival == today + 4 * H + 46 * m


def test_a_downstream_on_its_own_schedule_is_not_assumed_to_need_its_slack() -> None:
    """The upstream lands 01:40–02:00 and the downstream at 03:40 whatever it does: the gaps
    vary more than its time in the period, so the gap is slack, not the time it needs."""
    m = timedelta(minutes=1)
    down = DeadlineSla("daily", "UTC", timedelta(minutes=30), time(4, 15))
    ups = [T0 + d * 24 * H + (100 + 10 * (d % 3)) * m for d in range(5)]
    downs = [T0 + d * 24 * H + 220 * m for d in range(5)]
    offset = usual_offset(down, downs)
    assert offset == -35 * m
    assert follow_lag(ups, downs, down, offset) == timedelta(0)


def test_a_steady_gap_is_no_follow_lag_until_the_downstream_was_seen_waiting() -> None:
    """The downstream lands 1 h 50 after its upstream every day, but always before it is due:
    that may be its own schedule (B5: churn_features warned at 02:20, in at 02:34). Zero, so
    only the last check before its deadline can warn; twice seen waiting for a late
    upstream (which came after its usual 03:40), the faster of the two waits counts."""
    m = timedelta(minutes=1)
    down = DeadlineSla("daily", "UTC", timedelta(minutes=30), time(4, 15))
    ups = [T0 + d * 24 * H + (100 + 10 * (d % 3)) * m for d in range(5)]
    steady = [u + 110 * m for u in ups]
    assert follow_lag(ups, steady, down, usual_offset(down, steady)) == timedelta(0)
    late_ups = [*ups, T0 + 5 * 24 * H + 4 * H, T0 + 6 * 24 * H + 5 * H]
    waited = [*steady, late_ups[5] + 20 * m, late_ups[6] + 15 * m]
    offset = usual_offset(down, waited)
    assert follow_lag(late_ups[:6], waited[:6], down, offset) == timedelta(0)  # once: no
    assert follow_lag(late_ups, waited, down, offset) == 15 * m


def test_one_wait_that_was_the_downstream_s_own_delay_is_no_follow_lag() -> None:
    """B5's start-up: revenue_features (due 05:00) was out itself until 08:00, and its
    upstream came in late at 06:12: one waited gap of 1 h 48 that is not the time it needs
    (it warned twice about days it then landed in time). With a second, quick one, the
    fastest counts."""
    m = timedelta(minutes=1)
    down = DeadlineSla("daily", "UTC", timedelta(minutes=45), time(5, 0))
    days = [T0 + d * 24 * H for d in range(6)]
    ups = [d + 4 * H + 5 * m for d in days[:5]] + [days[5] + 6 * H + 12 * m]
    downs = [d + 5 * H + 15 * m for d in days[:5]] + [days[5] + 8 * H]
    offset = usual_offset(down, downs)
    assert offset == 15 * m
    assert follow_lag(ups, downs, down, offset) == timedelta(0)
    ups.append(days[5] + 24 * H + 6 * H)
    downs.append(ups[-1] + 5 * m)
    assert follow_lag(ups, downs, down, usual_offset(down, downs)) == 5 * m
