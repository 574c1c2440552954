"""Schedules kept elsewhere, read over HTTP from local fake servers in PagerDuty's, Opsgenie's
and iCalendar's shapes: who is on call now and next, tokens from the environment, answers
cached, and a clear "on-call unknown" when the source is down."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.oncall.sources import ScheduleReader
from ownership.model import Person, ScheduleSource, Team
from tests.fakes.fake_schedules import FakeSchedules

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
FARAH = Person("Farah Haddad", slack_id="U0FARAH01", email="farah@company.com")
GUSTAVO = Person("Gustavo Lima", slack_id="U0GUSTAVO", email="gustavo@company.com")
ENV = {"PD_TOKEN": "pd-secret", "OG_KEY": "og-secret"}


@pytest.fixture
def fake() -> Iterator[FakeSchedules]:
    with FakeSchedules() as server:
        yield server


def team(source: ScheduleSource) -> Team:
    return Team("reco", "MLOps Recommender", members=(FARAH, GUSTAVO), schedule=source)


def pagerduty(url: str) -> ScheduleSource:
    return ScheduleSource("pagerduty", url, "PSCHED1", "env:PD_TOKEN")


def pd_entry(name: str, email: str, start: datetime, end: datetime, level: int = 1) -> dict:
    return {
        "escalation_level": level,
        "start": start.isoformat().replace("+00:00", "Z"),
        "end": end.isoformat().replace("+00:00", "Z"),
        "schedule": {"id": "PSCHED1", "type": "schedule_reference"},
        "user": {"id": "PUSER1", "type": "user_reference", "summary": name, "email": email},
    }


def test_pagerduty_oncalls_now_and_next_with_the_token_from_the_environment(
    fake: FakeSchedules,
) -> None:
    fake.oncalls = [
        pd_entry(
            "Gustavo Lima",
            "gustavo@company.com",
            NOW - timedelta(hours=4),
            NOW + timedelta(hours=20),
        ),
        pd_entry(
            "Farah Haddad",
            "farah@company.com",
            NOW + timedelta(hours=20),
            NOW + timedelta(hours=44),
        ),
        pd_entry(
            "Boss", "boss@company.com", NOW - timedelta(days=1), NOW + timedelta(days=9), level=2
        ),  # second escalation level: not the on-call
    ]
    reader = ScheduleReader(ENV)
    view = reader.view(team(pagerduty(fake.url)), NOW)
    assert view is not None
    assert view.source == "PagerDuty"
    assert view.current is not None
    assert view.upcoming is not None
    assert view.current.person == GUSTAVO  # matched to the registry member by email
    assert view.current.end == NOW + timedelta(hours=20)
    assert view.upcoming.person == FARAH
    [seen] = fake.seen
    assert seen.path == "/oncalls"
    assert seen.headers["authorization"] == "Token token=pd-secret"
    assert seen.query["schedule_ids[]"] == ["PSCHED1"]


def test_answers_are_cached_then_a_down_source_keeps_the_last_answer_then_is_unknown(
    fake: FakeSchedules,
) -> None:
    fake.oncalls = [
        pd_entry(
            "Gustavo Lima",
            "gustavo@company.com",
            NOW - timedelta(hours=1),
            NOW + timedelta(hours=2),
        )
    ]
    reader = ScheduleReader(ENV, ttl=timedelta(minutes=5))
    the_team = team(pagerduty(fake.url))
    reader.view(the_team, NOW)
    reader.view(the_team, NOW + timedelta(minutes=4))
    assert len(fake.seen) == 1  # cached

    fake.down()
    later = NOW + timedelta(minutes=10)
    stale = reader.view(the_team, later)
    assert stale is not None
    assert stale.current is not None
    assert stale.current.person == GUSTAVO  # the last answer still covers now
    assert stale.note == (
        "PagerDuty unreachable since Tue 12:10 UTC (HTTP 503); as it said at Tue 12:00 UTC."
    )
    gone = reader.view(the_team, NOW + timedelta(hours=3))  # the last answer has run out
    assert gone is not None
    assert gone.current is None
    assert gone.unknown_since == later
    assert gone.note == "On-call unknown: PagerDuty schedule down since Tue 12:10 UTC (HTTP 503)."

    fake.up()
    fake.oncalls = [pd_entry("Farah Haddad", "farah@company.com", NOW, NOW + timedelta(days=1))]
    asked = len(fake.seen)
    again = reader.view(the_team, NOW + timedelta(hours=3, seconds=10))
    assert again is not None
    assert again.current is None  # a source that was down 10 s ago is not asked again yet
    assert len(fake.seen) == asked
    back = reader.view(the_team, NOW + timedelta(hours=3, seconds=31))
    assert back is not None
    assert back.current is not None
    assert back.current.person == FARAH
    assert back.unknown_since is None


def test_an_unreachable_server_and_a_missing_token_are_unknown_not_errors() -> None:
    with socket.socket() as s:  # a port nothing listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    reader = ScheduleReader(ENV)
    view = reader.view(team(pagerduty(f"http://127.0.0.1:{port}")), NOW)
    assert view is not None
    assert (
        view.note == "On-call unknown: PagerDuty schedule down since Tue 12:00 UTC (ConnectError)."
    )
    no_token = ScheduleReader({}).view(team(pagerduty(f"http://127.0.0.1:{port}")), NOW)
    assert no_token is not None
    assert no_token.note is not None
    assert "environment variable PD_TOKEN is not set" in no_token.note


def test_opsgenie_on_calls(fake: FakeSchedules) -> None:
    fake.opsgenie = ["farah@company.com"]
    source = ScheduleSource("opsgenie", fake.url, "sched-uuid-1", "env:OG_KEY")
    view = ScheduleReader(ENV).view(team(source), NOW)
    assert view is not None
    assert view.current is not None
    assert view.current.person == FARAH
    assert view.current.end is None  # Opsgenie's on-calls do not say until when
    [seen] = fake.seen
    assert seen.path == "/v2/schedules/sched-uuid-1/on-calls"
    assert seen.headers["authorization"] == "GenieKey og-secret"
    assert seen.query["flat"] == ["true"]


def test_icalendar_feed_with_recurrences(fake: FakeSchedules) -> None:
    source = ScheduleSource("ical", f"{fake.url}/feed.ics")
    view = ScheduleReader(ENV).view(team(source), NOW)  # Tue 10 Mar: Gustavo's week
    assert view is not None
    assert view.source == "iCalendar"
    assert view.current is not None
    assert view.upcoming is not None
    assert view.current.person == GUSTAVO  # by the SUMMARY's name
    assert view.current.end == datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
    assert view.upcoming.person == FARAH  # the recurrence, by ATTENDEE email
    assert view.upcoming.end == datetime(2026, 3, 23, 8, 0, tzinfo=UTC)


def test_a_feed_that_is_not_icalendar_is_unknown(fake: FakeSchedules) -> None:
    fake.ical = "<html>login</html>"
    view = ScheduleReader(ENV).view(team(ScheduleSource("ical", f"{fake.url}/feed.ics")), NOW)
    assert view is not None
    assert view.current is None
    assert view.note is not None
    assert view.note.startswith("On-call unknown: iCalendar schedule down since Tue 12:00 UTC")
