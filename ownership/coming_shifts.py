"""A person's coming on-call shifts in a team's rotation (for their Home tab)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ownership.model import Person, Team
from ownership.oncall import next_handoff, shift_index
from ownership.timeparse import zone


@dataclass(frozen=True, slots=True)
class ComingShift:
    team: Team
    start: datetime
    end: datetime

    def current(self, now: datetime) -> bool:
        return self.start <= now < self.end


def member_of(team: Team, user_id: str) -> bool:
    """`user_id` is one of the team's members or in its rotation."""
    people: tuple[Person, ...] = team.members + (team.rotation.members if team.rotation else ())
    return any(p.slack_id == user_id for p in people)


def next_shifts(team: Team, user_id: str, now: datetime, limit: int = 2) -> list[ComingShift]:
    """The shifts (the current one included) `user_id` takes in `team`'s rotation, soonest
    first, looking one full cycle ahead; overrides taking a shift from them are honoured."""
    rotation = team.rotation
    if rotation is None or not rotation.members:
        return []
    tz = zone(rotation.timezone)
    end = next_handoff(rotation, now)
    local_end = end.astimezone(tz)
    start_day = local_end.date() - timedelta(days=rotation.period_days)
    shifts: list[ComingShift] = []
    for k in range(len(rotation.members) + 1):
        day = start_day + timedelta(days=k * rotation.period_days)
        begins = datetime.combine(day, rotation.handoff, tzinfo=tz)
        ends = datetime.combine(
            day + timedelta(days=rotation.period_days), rotation.handoff, tzinfo=tz
        )
        person = rotation.members[shift_index(rotation, begins)]
        covered = [o for o in rotation.overrides if o.start <= begins < o.end]
        if covered:
            person = max(covered, key=lambda o: o.start).person
        if person.slack_id == user_id:
            shifts.append(ComingShift(team, begins, ends))
            if len(shifts) >= limit:
                break
    return shifts
