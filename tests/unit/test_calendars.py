"""SLA calendars: which periods are expected, the NOT_EXPECTED verdict, and what validate says."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.freshness.judge import Timing, next_check
from ownership.calendars import is_expected, parse_active_hours, parse_days
from ownership.errors import InvalidValue
from ownership.loader import load_registry
from ownership.model import Calendar, Contract, DeadlineSla
from ownership.sla import FreshnessState, describe_sla, evaluate_deadline

OFF = FreshnessState.NOT_EXPECTED

WEEKDAYS_DE = Calendar(weekdays=frozenset(range(5)), holidays=("DE",))
SLA = DeadlineSla("daily", "Europe/Berlin", timedelta(minutes=30), time(2, 0),
                  calendar=WEEKDAYS_DE)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("text", "days"), [
    ("mon-fri", {0, 1, 2, 3, 4}),
    ("fri-mon", {4, 5, 6, 0}),
    ("sat, sun", {5, 6}),
    ("weekdays", {0, 1, 2, 3, 4}),
    (["Monday", "wed"], {0, 2}),
])
def test_days_parse(text: object, days: set[int]) -> None:
    assert parse_days(text) == frozenset(days)


@pytest.mark.parametrize("text", ["mon-funday", "", 3, ["mon", 2], "mon-tue-wed"])
def test_bad_days_are_refused(text: object) -> None:
    with pytest.raises(InvalidValue):
        parse_days(text) if text != "" else parse_days([None])


def test_active_hours_wrap_midnight() -> None:
    hours = parse_active_hours("22:00-06:00")
    cal = Calendar(active_hours=hours)
    assert is_expected(cal, "UTC", utc("2026-12-01T23:00"))
    assert is_expected(cal, "UTC", utc("2026-12-01T05:59"))
    assert not is_expected(cal, "UTC", utc("2026-12-01T06:00"))


@pytest.mark.parametrize(("now", "state"), [
    ("2026-12-05T03:00", FreshnessState.NOT_EXPECTED),  # Saturday
    ("2026-12-06T03:00", FreshnessState.NOT_EXPECTED),  # Sunday
    ("2026-12-25T03:00", FreshnessState.NOT_EXPECTED),  # Christmas (a Friday), a DE holiday
    ("2026-12-07T03:00", FreshnessState.LATE),  # Monday
    ("2026-12-24T03:00", FreshnessState.LATE),  # Christmas Eve is no federal DE holiday
])
def test_a_weekday_contract_is_not_expected_on_weekends_and_holidays(
    now: str, state: FreshnessState
) -> None:
    assert evaluate_deadline(SLA, None, utc(now)).state is state


def test_the_local_day_decides_not_the_utc_day() -> None:
    # Monday 00:30 Berlin is Sunday 23:30 UTC: due on Monday, so expected
    sla = DeadlineSla("daily", "Europe/Berlin", timedelta(minutes=30), time(0, 30),
                      calendar=Calendar(weekdays=frozenset({0})))
    assert evaluate_deadline(sla, None, utc("2026-12-06T23:45")).state is FreshnessState.PENDING


def test_an_explicit_date_is_a_holiday() -> None:
    sla = DeadlineSla("daily", "UTC", timedelta(minutes=30), time(2, 0),
                      calendar=Calendar(dates=frozenset({date(2026, 12, 31)})))
    assert evaluate_deadline(sla, None, utc("2026-12-31T03:00")).state is OFF
    assert evaluate_deadline(sla, None, utc("2027-01-01T03:00")).state is FreshnessState.LATE


def test_a_market_calendar() -> None:
    sla = DeadlineSla("hourly", "America/New_York", timedelta(minutes=10), time(0, 5),
                      calendar=Calendar(holidays=("NYSE",), active_hours=(time(9), time(17))))
    # 2026-11-26 is Thanksgiving: NYSE closed
    assert evaluate_deadline(sla, None, utc("2026-11-26T16:30")).state is OFF
    assert evaluate_deadline(sla, None, utc("2026-11-27T16:30")).state is FreshnessState.LATE
    # 20:30 New York is outside the active hours
    assert evaluate_deadline(sla, None, utc("2026-11-28T01:30")).state is OFF


def test_without_a_calendar_nothing_changes() -> None:
    plain = DeadlineSla("daily", "Europe/Berlin", timedelta(minutes=30), time(2, 0))
    assert evaluate_deadline(plain, None, utc("2026-12-05T03:00")).state is FreshnessState.LATE
    assert describe_sla(plain) == "daily, due 02:00 Europe/Berlin, late after 02:30 Europe/Berlin"


def test_the_calendar_is_said_in_words() -> None:
    assert describe_sla(SLA).endswith("; expected Mon-Fri, not on DE holidays")


def test_not_expected_is_checked_again_when_the_next_period_starts() -> None:
    contract = Contract("c", "c", "t", sla=SLA)
    now = utc("2026-12-05T03:00")  # Saturday; Sunday's period starts at 01:00 UTC
    ev = evaluate_deadline(SLA, None, now)
    timing = Timing(longest=timedelta(days=2))
    assert next_check(contract, ev, now, timing) == utc("2026-12-06T01:00")


REGISTRY = """\
teams:
  - id: de
    name: DE
    slack: {oncall_channel: "#de-oncall"}
    members: [{name: A, slack: U0AAAAAA1}]
    oncall: {members: [U0AAAAAA1], period: 1 week, timezone: UTC, start: 2026-01-05,
             covers: {days: mon-fri, hours: "08:00-20:00"}}
assets:
  - {id: src, kind: table, owner: de}
"""


def _problems(tmp_path: Path, sla: str) -> list[str]:
    (tmp_path / "teams.yaml").write_text(REGISTRY)
    (tmp_path / "src.yaml").write_text(f"data_source: src\nowner_team: de\nsla: {sla}\n")
    return [f"{p.where.line}:{p.code}:{p.message}" for p in load_registry(tmp_path).problems]


def test_validate_warns_when_nobody_is_on_call_at_the_deadline(tmp_path: Path) -> None:
    found = _problems(tmp_path, '{update_frequency: daily, update_time: "02:30 UTC", '
                                'max_delay: 30 minutes, calendar: {days: sun}}')
    assert any(f.startswith("3:sla-not-covered:") and "Sun 03:00 UTC" in f for f in found)


def test_validate_is_quiet_when_the_rotation_covers_the_deadline(tmp_path: Path) -> None:
    found = _problems(tmp_path, '{update_frequency: daily, update_time: "09:00 UTC", '
                                'max_delay: 30 minutes, calendar: {days: mon-fri}}')
    assert not [f for f in found if "sla-not-covered" in f or "calendar" in f]


def test_validate_warns_about_a_calendar_with_no_expected_day(tmp_path: Path) -> None:
    found = _problems(tmp_path, '{update_frequency: weekly, update_time: "Sat 09:00 UTC", '
                                'max_delay: 30 minutes, calendar: {days: mon-fri}}')
    assert any("calendar-never-expected" in f for f in found)


def test_bad_calendar_fields_are_errors_with_positions(tmp_path: Path) -> None:
    found = _problems(tmp_path, '{update_frequency: daily, update_time: "09:00 UTC", '
                                'max_delay: 30 minutes, calendar: {days: funday, '
                                'holidays: [ZZ-9], active_hours: "9-5"}}')
    codes = [f for f in found if f.startswith("3:bad-value")]
    assert len(codes) == 3, found
