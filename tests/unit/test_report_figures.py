"""SLA report figures on a seeded November with known answers (docs/reports.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ownership.reports.clocks import Clock
from ownership.reports.figures import Report, build_report
from ownership.reports.inputs import AlertSpan, ContractInfo, DayRollup, IncidentSpan
from ownership.reports.reasons import Reason, parse_reason
from ownership.reports.windows import Window, month, months, weeks

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
CONTRACTS = (
    ContractInfo("orders", "warehouse.orders", "data-eng", ("ml",)),
    ContractInfo("features", "ml.features", "ml"),
    ContractInfo("clicks", "web.clicks", "data-eng"),
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


ROLLUPS = (
    DayRollup("orders", date(2026, 10, 31), 1, 0, 1, 500),  # before the window
    DayRollup("orders", date(2026, 11, 2), 1, 1, 0, 0),
    DayRollup("orders", date(2026, 11, 3), 1, 0, 1, 90),
    DayRollup("orders", date(2026, 11, 10), 1, 1, 0, 0),
    DayRollup("features", date(2026, 11, 30), 1, 0, 1, 60),
    # the DST day in New York: 25 hours of wall clock, checks rolled by UTC day
    DayRollup("clicks", date(2026, 11, 1), 1, 0, 1, 60),
)
ALERTS = (
    AlertSpan(
        1,
        "orders",
        "late",
        "recovered",
        at(3, 6, 10),
        at(3, 6),
        at(3, 7, 30),
        acknowledged_at=at(3, 6, 25),
    ),
    AlertSpan(2, "orders", "late", "silenced", at(10, 6, 5), at(10, 6), at(10, 6, 45)),
    AlertSpan(3, "features", "late", "open", at(30, 23), at(30, 22, 30), None),
    # deadline 01:30 EDT, data at 01:30 EST: the same wall time, one real hour later
    AlertSpan(
        4,
        "clicks",
        "late",
        "recovered",
        at(1, 5, 40),
        datetime(2026, 11, 1, 1, 30, tzinfo=NY),
        datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY),
    ),
    AlertSpan(
        5,
        "orders",
        "late",
        "recovered",
        datetime(2026, 10, 31, 6, tzinfo=UTC),
        datetime(2026, 10, 31, 5, tzinfo=UTC),
        at(1, 10),
    ),  # opened before the window
)
INCIDENTS = (
    IncidentSpan(10, "warehouse.orders", datetime(2026, 10, 20, tzinfo=UTC), None, None),
    IncidentSpan(
        11, "warehouse.orders", at(3, 6, 20), at(3, 6, 30), at(3, 8, 20), reason="false_alarm"
    ),
    IncidentSpan(12, "warehouse.orders", at(20, 10), None, None),
    IncidentSpan(13, "warehouse.orders", at(5, 10), at(5, 10, 20), at(5, 11), "fixed_upstream"),
)


@pytest.fixture
def november() -> Report:
    return build_report(month("2026-11"), CONTRACTS, ROLLUPS, ALERTS, INCIDENTS, NOW)


def test_on_time_share_breaches_and_downtime_per_contract(november: Report) -> None:
    orders, features, clicks = november.contracts
    assert (orders.periods.expected, orders.periods.on_time, orders.periods.late) == (3, 2, 1)
    assert orders.periods.on_time_pct == pytest.approx(200 / 3)
    assert orders.periods.downtime_minutes == 90  # October's 500 minutes are not November's
    assert orders.periods.worst_downtime_minutes == 90  # the silenced alert's 45 is less
    assert features.periods.worst_downtime_minutes == 120  # still open: its clock runs to now
    assert clicks.periods.worst_downtime_minutes == 60  # the DST day: real minutes, not wall


def test_silenced_alerts_count_as_breaches_but_not_in_response_clocks(november: Report) -> None:
    orders = november.contracts[0]
    assert (orders.alerts, orders.silenced) == (2, 1)
    data_eng = november.teams[0]
    assert data_eng.team == "data-eng"
    # orders' acknowledged in 15 min; clicks' recovered before anyone acknowledged it
    assert data_eng.alert_mtta == Clock(stopped=1, mean_minutes=15, max_minutes=15, never=1)
    assert data_eng.alert_mttr.stopped == 2  # orders' 80 and clicks' (05:40 → 06:30) 50
    assert data_eng.alert_mttr.mean_minutes == pytest.approx(65)


def test_open_incidents_run_their_clocks_but_are_not_averaged(november: Report) -> None:
    data_eng = november.teams[0]
    assert data_eng.incident_mtta == Clock(2, 1, 15, 20)
    assert data_eng.incident_mttr == Clock(2, 1, 90, 120)
    assert data_eng.open_incidents == 2  # October's still-open one too


def test_reason_shares_and_team_roles(november: Report) -> None:
    orders = november.contracts[0]
    assert orders.resolved_with_reason == 2
    assert orders.false_alarm_share == pytest.approx(0.5)
    assert orders.sla_too_tight_share == 0
    ml = next(t for t in november.teams if t.team == "ml")
    assert (ml.consumed.expected, ml.consumed.on_time) == (3, 2)
    assert (ml.owned.expected, ml.owned.late) == (1, 1)
    assert ml.alert_mttr == Clock(running=1)


def test_weeks_clip_to_the_month_and_a_team_filter_keeps_its_contracts() -> None:
    november = month("2026-11")
    split = weeks(november)
    assert split[0] == Window(date(2026, 11, 1), date(2026, 11, 2))  # Nov 1 is a Sunday
    assert split[-1] == Window(date(2026, 11, 30), date(2026, 12, 1))
    assert sum(((w.until - w.since) for w in split), timedelta()) == timedelta(days=30)
    assert months(Window(date(2026, 11, 20), date(2027, 1, 5)))[1] == month("2026-12")
    report = build_report(november, CONTRACTS, ROLLUPS, ALERTS, INCIDENTS, NOW, team="ml")
    assert [c.contract_id for c in report.contracts] == ["orders", "features"]
    assert [t.team for t in report.teams] == ["ml"]
    orders_weekly = {w.since: dict(row)["orders"] for w, row in report.weeks}
    assert orders_weekly[date(2026, 11, 2)] == 50.0


def test_month_and_reason_parsing() -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        month("11-2026")
    assert month("2026-12").until == date(2027, 1, 1)
    assert parse_reason("False alarm") is Reason.FALSE_ALARM
    assert parse_reason("sla-too-tight") is Reason.SLA_TOO_TIGHT
    assert parse_reason("") is None
