"""The three schedule formats read into entries: who is on call from when until when.

No I/O here: `bot.oncall.sources` fetches. A payload that is not in the expected shape is a
`SourceDown` (with what was wrong), never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import icalendar
import recurring_ical_events  # type: ignore[import-untyped]  # ships no py.typed


class SourceDown(Exception):
    """The schedule could not be read: unreachable, refused, or not in its shape."""


@dataclass(frozen=True)
class Entry:
    name: str | None
    email: str | None
    start: datetime | None  # None: the source does not say
    end: datetime | None


def parse_ical(data: bytes, since: datetime, until: datetime) -> list[Entry]:
    """Events between `since` and `until`, recurrences expanded."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
        events = recurring_ical_events.of(calendar).between(since, until)
    except Exception as error:  # the parsers raise ValueError, KeyError, … on a bad feed
        raise SourceDown(f"not an iCalendar feed ({type(error).__name__})") from error
    entries = []
    for event in events:
        start, end = _instant(event.get("DTSTART")), _instant(event.get("DTEND"))
        attendee = event.get("ATTENDEE")
        if isinstance(attendee, list):
            attendee = attendee[0] if attendee else None
        email = str(attendee).removeprefix("mailto:").removeprefix("MAILTO:") if attendee else None
        summary = str(event.get("SUMMARY") or "").strip()
        name = (
            summary.split(":", 1)[-1].strip() if summary.lower().startswith("on call") else summary
        )
        entries.append(Entry(name or None, email, start, end))
    return entries


def _instant(prop: Any) -> datetime | None:
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):  # an all-day event: midnight UTC
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def parse_pagerduty(payload: Any) -> list[Entry]:
    """`/oncalls` (first escalation level, with times) or `/schedules/{id}/users` (who)."""
    if isinstance(payload, dict) and isinstance(payload.get("oncalls"), list):
        entries = []
        for item in payload["oncalls"]:
            if not isinstance(item, dict) or item.get("escalation_level", 1) != 1:
                continue
            user = item.get("user") or {}
            entries.append(
                Entry(
                    _text(user.get("summary") or user.get("name")),
                    _text(user.get("email")),
                    _iso(item.get("start")),
                    _iso(item.get("end")),
                )
            )
        return entries
    if isinstance(payload, dict) and isinstance(payload.get("users"), list):
        return [
            Entry(_text(u.get("summary") or u.get("name")), _text(u.get("email")), None, None)
            for u in payload["users"][:1]
            if isinstance(u, dict)
        ]
    raise SourceDown("not a PagerDuty oncalls or users answer")


def parse_opsgenie(payload: Any, now: datetime) -> list[Entry]:
    """`/v2/schedules/{id}/on-calls`: flat (`onCallRecipients`) or not (`onCallParticipants`)."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise SourceDown("not an Opsgenie on-calls answer")
    recipients = data.get("onCallRecipients")
    if recipients is None:
        recipients = [
            p.get("name")
            for p in data.get("onCallParticipants") or []
            if isinstance(p, dict) and p.get("type") == "user"
        ]
    if not isinstance(recipients, list):
        raise SourceDown("not an Opsgenie on-calls answer")
    return [Entry(None, _text(r), None, None) for r in recipients[:1] if isinstance(r, str)]


def _text(value: Any) -> str | None:
    return str(value)[:200] if isinstance(value, str) and value.strip() else None


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise SourceDown(f"unreadable time {value[:40]!r}") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
