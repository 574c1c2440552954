"""Shifts: who is on call now and next, from when until when, with overrides on top.

Pure arithmetic over `ownership.oncall` (which it does not change): a shift ends at the next
instant where who is on call may change, a rotation handoff or an override's start or end.
Overrides taken from Slack (`with_overrides`) join the registry's before any answer is made,
so `/oncall`, `/whoowns` and the user-group sync all see the same person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from ownership.errors import InvalidValue
from ownership.model import Override, Person, Registry, Rotation, Team
from ownership.oncall import next_handoff, on_call
from ownership.read.fields import parse_instant
from ownership.timeparse import parse_clock, parse_duration, zone

EPOCH = date(2000, 1, 1)
MAX_MERGED = 64  # consecutive boundaries of one person's shift joined into one (a bound)
MAX_TAKEN = timedelta(days=31)  # longer cover belongs in the registry, where it is reviewed


@dataclass(frozen=True, slots=True)
class Shift:
    person: Person
    start: datetime | None  # None: not worked out (only `end` is asked of the current shift)
    end: datetime | None  # None: the schedule it came from does not say (Opsgenie's on-calls)
    override: Override | None = None  # the override that puts `person` here, if any


def shift_at(team: Team, at: datetime) -> Shift | None:
    """The shift covering `at`, merged with the following ones of the same person."""
    rotation = team.rotation
    person = on_call(team, at)
    if rotation is None or person is None:
        return None
    end = _boundary_after(rotation, at)
    for _ in range(MAX_MERGED):
        following = on_call(team, end)
        if following is None or following.key != person.key:
            break
        end = _boundary_after(rotation, end)
    return Shift(person, None, end, _covering(rotation, at))


def now_and_next(team: Team, at: datetime) -> tuple[Shift | None, Shift | None]:
    """The current shift and the one after it (start = the current one's end)."""
    current = shift_at(team, at)
    if current is None or current.end is None:
        return current, None
    upcoming = shift_at(team, current.end)
    if upcoming is not None:
        upcoming = replace(upcoming, start=current.end)
    return current, upcoming


def _covering(rotation: Rotation, at: datetime) -> Override | None:
    covering = [o for o in rotation.overrides if o.start <= at < o.end]
    return max(covering, key=lambda o: o.start) if covering else None


def _boundary_after(rotation: Rotation, at: datetime) -> datetime:
    edges = [next_handoff(rotation, at)]
    edges += [e for o in rotation.overrides for e in (o.start, o.end) if e > at]
    return min(edges)


def with_overrides(registry: Registry, extra: Mapping[str, Sequence[Override]]) -> Registry:
    """`registry` with `extra[team_id]` added to those teams' rotation overrides.

    Later overrides win over earlier ones where they overlap (`on_call` picks the latest
    start), so a shift taken in Slack wins over the registry's for the time it covers.
    """
    teams = dict(registry.teams)
    changed = False
    for team_id, overrides in extra.items():
        team = teams.get(team_id)
        if team is None or team.rotation is None or not overrides:
            continue
        rotation = replace(team.rotation, overrides=(*team.rotation.overrides, *overrides))
        teams[team_id] = replace(team, rotation=rotation)
        changed = True
    return replace(registry, teams=teams) if changed else registry


def find_member(team: Team, ref: str) -> Person | None:
    """The member of `team` (or of its rotation) that `ref` (Slack id, email, name) names."""
    people = list(team.members) + list(team.rotation.members if team.rotation else ())
    return next((p for p in people if p.refers_to(ref)), None)


def take_shift(team: Team, person: Person, start: datetime, end: datetime) -> Override:
    """An override of `team` by `person` from `start` until `end` (checked)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidValue("a shift needs aware datetimes")
    if team.rotation is None:
        raise InvalidValue(f"{team.name} has no on-call rotation in the registry")
    if end <= start:
        raise InvalidValue("the shift ends before it starts")
    if end - start > MAX_TAKEN:
        raise InvalidValue(
            f"a shift taken in Slack lasts at most {MAX_TAKEN.days} days; put a longer one in"
            " the registry's overrides"
        )
    return Override(person, start, end)


def find_team(registry: Registry, ref: str) -> Team | None:
    """A team by id, name, user group handle (`@data-eng`) or id, case-insensitively."""
    ref = ref.strip()
    if ref.startswith("<!subteam^") and ref.endswith(">"):  # a user group typed in Slack
        ref = ref.removeprefix("<!subteam^").removesuffix(">").split("|", 1)[0]
    key = ref.lstrip("@").lower()
    for team in registry.teams.values():
        names = {team.id.lower(), team.name.lower()}
        if team.usergroup is not None:
            names |= {team.usergroup.id.lower(), (team.usergroup.handle or "").lower()}
        if key in names - {""}:
            return team
    return None


def teams_of(registry: Registry, slack_id: str) -> list[Team]:
    """The teams `slack_id` is a member of (or rotates in), in registry order."""
    return [t for t in registry.teams.values() if find_member(t, slack_id) is not None]


def parse_until(text: str, now: datetime, timezone: str, default: datetime) -> datetime:
    """When a shift taken now ends: "", "until 18:00", "18:00", "for 4h", "4h", or an ISO
    instant ("2026-03-11T09:00+01:00"); a clock time already past today means tomorrow."""
    words = text.strip()
    lowered = words.lower()
    if not words:
        return default
    for prefix in ("until ", "till ", "to "):
        if lowered.startswith(prefix):
            words = words[len(prefix) :].strip()
            break
    else:
        if lowered.startswith("for "):
            return now + parse_duration(words[4:])
    try:
        clock = parse_clock(words)
    except InvalidValue:
        clock = None
    if clock is not None:
        local = now.astimezone(zone(timezone))
        end = datetime.combine(local.date(), clock, tzinfo=zone(timezone))
        return (
            end
            if end > now
            else datetime.combine(local.date() + timedelta(days=1), clock, tzinfo=zone(timezone))
        )
    try:
        return parse_instant(words)
    except InvalidValue:
        pass
    return now + parse_duration(words)


def with_external(registry: Registry, current: Mapping[str, Shift]) -> Registry:
    """`registry` where each team in `current` without a rotation of its own (its on-call is
    read from elsewhere) has that shift's person on call, so answers and pages name them."""
    teams = dict(registry.teams)
    changed = False
    for team_id, shift in current.items():
        team = teams.get(team_id)
        if team is None or team.rotation is not None:
            continue
        # one member: always them; times shown in the team's timezone
        held = Rotation((shift.person,), 1, time(0), team.local_timezone(), EPOCH)
        teams[team_id] = replace(team, rotation=held)
        changed = True
    return replace(registry, teams=teams) if changed else registry


def upcoming_overrides(team: Team, now: datetime, within: timedelta) -> list[Override]:
    """Overrides (the registry's and Slack's) that start after `now` and within `within`."""
    if team.rotation is None:
        return []
    return sorted(
        (o for o in team.rotation.overrides if now < o.start <= now + within),
        key=lambda o: o.start,
    )
