"""On-call schedules kept elsewhere: an iCalendar feed, PagerDuty, or Opsgenie.

Read with httpx, tokens from `env:VARIABLE` references, answers cached for `ttl`. When a
source cannot be read, the last answer that still covers now is used (said so); without one
the team's on-call is *unknown*, with the time the source went down, never a guess.
- iCalendar: `icalendar` parses the feed and `recurring-ical-events` expands recurrences
  (RRULE, EXDATE, RDATE, time zones); the person is the event's ATTENDEE email or its SUMMARY.
- PagerDuty: `GET /oncalls?schedule_ids[]=ID&since&until` (first escalation level), each
  entry a user with start and end; or `GET /schedules/{id}/users` (who, without times).
- Opsgenie: `GET /v2/schedules/{id}/on-calls?flat=true` (who; Opsgenie gives no end time).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from bot.oncall.lookup import OnCallView
from bot.oncall.schedules import Entry, SourceDown, parse_ical, parse_opsgenie, parse_pagerduty
from ownership.model import Person, ScheduleSource, Team
from ownership.shifts import Shift
from ownership.timeparse import zone

log = logging.getLogger(__name__)
NAMES = {"ical": "iCalendar", "pagerduty": "PagerDuty", "opsgenie": "Opsgenie"}
HORIZON = timedelta(days=14)  # how far ahead entries are asked for (now and next)


@dataclass
class _Cached:
    entries: list[Entry]
    fetched_at: datetime
    down_since: datetime | None = None
    why: str | None = None
    tried_at: datetime | None = None  # the last failed attempt


@dataclass
class ScheduleReader:
    """Reads and caches each team's external schedule; `view` answers for one team."""

    environ: Mapping[str, str]
    ttl: timedelta = timedelta(minutes=5)
    timeout: float = 5.0
    retry_every: timedelta = timedelta(seconds=30)  # how often a source that is down is tried
    transport: httpx.BaseTransport | None = None
    _cache: dict[str, _Cached] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def view(self, team: Team, now: datetime) -> OnCallView | None:
        """Who is on call now and next per the team's schedule; None without one."""
        source = team.schedule
        if source is None:
            return None
        name = NAMES[source.kind]
        cached = self._entries(source, now)
        current, upcoming = _now_and_next(team, cached.entries, now)
        if cached.down_since is None:
            return OnCallView(team, current, upcoming, source=name)
        since = _local(cached.down_since, team)
        if current is not None:  # the last answer still says who: use it, and say so
            note = (
                f"{name} unreachable since {since} ({cached.why}); as it said at"
                f" {_local(cached.fetched_at, team)}."
            )
            return OnCallView(team, current, upcoming, source=name, note=note)
        return OnCallView(
            team,
            None,
            None,
            source=name,
            unknown_since=cached.down_since,
            note=f"On-call unknown: {name} schedule down since {since} ({cached.why}).",
        )

    def cached_current(self, teams: Iterable[Team], now: datetime) -> dict[str, Shift]:
        """Who the last answers say is on call now, per team; no fetching (answers in acks)."""
        out = {}
        for team in teams:
            if team.schedule is None:
                continue
            with self._lock:
                cached = self._cache.get(_key(team.schedule))
            current = _now_and_next(team, cached.entries, now)[0] if cached else None
            if current is not None:
                out[team.id] = current
        return out

    def _entries(self, source: ScheduleSource, now: datetime) -> _Cached:
        key = _key(source)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached.down_since is None and now - cached.fetched_at < self.ttl:
            return cached
        if cached is not None and cached.tried_at and now - cached.tried_at < self.retry_every:
            return cached  # down a moment ago: do not hammer it on every request
        try:
            entries = self._fetch(source, now)
        except SourceDown as error:
            log.warning("On-call schedule %s unreadable: %s", key, error)
            down = cached or _Cached([], now)
            down = _Cached(down.entries, down.fetched_at, down.down_since or now, str(error), now)
            with self._lock:
                self._cache[key] = down
            return down
        fresh = _Cached(entries, now)
        with self._lock:
            self._cache[key] = fresh
        return fresh

    def _fetch(self, source: ScheduleSource, now: datetime) -> list[Entry]:
        url, headers, params = self._request(source, now)
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                response = client.get(url, headers=headers, params=params)
        except httpx.HTTPError as error:
            raise SourceDown(f"{type(error).__name__}") from error
        if response.status_code != 200:
            raise SourceDown(f"HTTP {response.status_code}")
        if source.kind == "ical":
            return parse_ical(response.content, now, now + HORIZON)
        try:
            payload: Any = response.json()
        except ValueError as error:
            raise SourceDown("not JSON") from error
        if source.kind == "pagerduty":
            return parse_pagerduty(payload)
        return parse_opsgenie(payload, now)

    def _request(
        self, source: ScheduleSource, now: datetime
    ) -> tuple[str, dict[str, str], dict[str, str]]:
        token = self._secret(source.token) if source.token else None
        if source.kind == "ical":
            url = self._secret(source.url) if source.url.startswith("env:") else source.url
            return url, ({"Authorization": f"Bearer {token}"} if token else {}), {}
        if source.kind == "pagerduty":
            return (
                f"{source.url}/oncalls",
                {"Authorization": f"Token token={token}", "Accept": "application/json"},
                {
                    "schedule_ids[]": source.schedule_id or "",
                    "since": now.isoformat(),
                    "until": (now + HORIZON).isoformat(),
                },
            )
        return (
            f"{source.url}/v2/schedules/{source.schedule_id}/on-calls",
            {"Authorization": f"GenieKey {token}"},
            {"flat": "true", "date": now.isoformat()},
        )

    def _secret(self, ref: str) -> str:
        variable = ref.removeprefix("env:").strip()
        value = self.environ.get(variable)
        if not value:
            raise SourceDown(f"environment variable {variable} is not set")
        return value


def _key(source: ScheduleSource) -> str:
    return f"{source.kind}:{source.url}:{source.schedule_id}"


def _person(team: Team, entry: Entry) -> Person:
    """The team member the entry names (by email, then name), else a person by that name."""
    for ref in (entry.email, entry.name):
        if ref:
            for member in team.members:
                if member.refers_to(ref):
                    return member
    return Person(name=entry.name or entry.email or "someone", email=entry.email)


def _now_and_next(
    team: Team, entries: list[Entry], now: datetime
) -> tuple[Shift | None, Shift | None]:
    covering = [
        e for e in entries if (e.start is None or e.start <= now) and (e.end is None or now < e.end)
    ]
    if not covering:
        return None, None
    current_entry = max(covering, key=lambda e: e.start or now)
    current = Shift(_person(team, current_entry), current_entry.start, current_entry.end)
    if current_entry.end is None:
        return current, None
    later = [e for e in entries if e.start is not None and e.start >= current_entry.end]
    if not later:
        return current, None
    following = min(later, key=lambda e: e.start or now)
    return current, Shift(_person(team, following), following.start, following.end)


def _local(at: datetime, team: Team) -> str:
    """ "Tue 13:00 Europe/Berlin": in the team's timezone (UTC unless the registry says)."""
    tz = team.local_timezone()
    return f"{at.astimezone(zone(tz)):%a %H:%M} {tz}"
