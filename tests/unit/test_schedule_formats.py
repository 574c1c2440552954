"""The schedule answers read into entries, and anything not in their shape refused as a
`SourceDown` (never a traceback)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.oncall.schedules import Entry, SourceDown, parse_ical, parse_opsgenie, parse_pagerduty

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_pagerduty_schedule_users_shape_names_who_without_times() -> None:
    payload = {
        "users": [
            {
                "id": "PU1",
                "type": "user",
                "name": "Ivan Petrov",
                "email": "ivan@company.com",
                "summary": "Ivan Petrov",
            }
        ]
    }
    assert parse_pagerduty(payload) == [Entry("Ivan Petrov", "ivan@company.com", None, None)]


def test_opsgenie_participants_shape() -> None:
    payload = {
        "data": {
            "onCallParticipants": [
                {"id": "t1", "name": "ops_team", "type": "team"},
                {"id": "u1", "name": "farah@company.com", "type": "user"},
            ]
        }
    }
    assert parse_opsgenie(payload, NOW) == [Entry(None, "farah@company.com", None, None)]


@pytest.mark.parametrize(
    "payload",
    [None, [], {"oncalls": "x"}, {"error": {"message": "Unauthorized"}}, "<html>"],
)
def test_pagerduty_answers_out_of_shape_are_source_down(payload: object) -> None:
    with pytest.raises(SourceDown):
        parse_pagerduty(payload)


def test_bad_times_and_bad_feeds_are_source_down() -> None:
    with pytest.raises(SourceDown, match="unreadable time"):
        parse_pagerduty({"oncalls": [{"user": {"summary": "x"}, "start": "yesterday"}]})
    with pytest.raises(SourceDown):
        parse_opsgenie({"data": "nope"}, NOW)
    with pytest.raises(SourceDown, match="not an iCalendar feed"):
        parse_ical(b"\xff\xfe not a calendar", NOW, NOW)


def test_all_day_ical_events_start_at_midnight_utc() -> None:
    feed = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:1\r\n"
        b"DTSTART;VALUE=DATE:20260310\r\nDTEND;VALUE=DATE:20260311\r\nSUMMARY:Chen Wei\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    [entry] = parse_ical(feed, NOW, NOW)
    assert entry == Entry(
        "Chen Wei", None, datetime(2026, 3, 10, tzinfo=UTC), datetime(2026, 3, 11, tzinfo=UTC)
    )
