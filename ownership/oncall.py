"""Who is on call for a team at an instant: overrides first, then the rotation."""

from __future__ import annotations

from datetime import datetime, timedelta

from ownership.errors import InvalidValue
from ownership.model import Person, Rotation, Team
from ownership.timeparse import zone


def on_call(team: Team, at: datetime) -> Person | None:
    """The person on call for `team` at `at` (aware), or None when the team has no rotation."""
    if at.tzinfo is None:
        raise InvalidValue("on_call needs an aware datetime")
    rotation = team.rotation
    if rotation is None:
        return None
    covering = [o for o in rotation.overrides if o.start <= at < o.end]
    if covering:
        return max(covering, key=lambda o: o.start).person
    return rotation.members[shift_index(rotation, at)]


def shift_index(rotation: Rotation, at: datetime) -> int:
    """Shifts are whole local days starting at the handoff time, counted from `start`."""
    local = at.astimezone(zone(rotation.timezone))
    day = local.date()
    if local.time() < rotation.handoff:
        day -= timedelta(days=1)
    shifts = (day - rotation.start).days // rotation.period_days
    return shifts % len(rotation.members)


def next_handoff(rotation: Rotation, at: datetime) -> datetime:
    """When the current shift ends (for "on call until …")."""
    local = at.astimezone(zone(rotation.timezone))
    day = local.date()
    if local.time() < rotation.handoff:
        day -= timedelta(days=1)
    into = (day - rotation.start).days % rotation.period_days
    end_day = day + timedelta(days=rotation.period_days - into)
    return datetime.combine(end_day, rotation.handoff, tzinfo=zone(rotation.timezone))
