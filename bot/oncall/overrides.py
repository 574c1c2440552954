"""Shifts taken from Slack (`/oncall take`), stored as overrides and merged into the registry.

Every reader of who is on call (`/oncall`, `/whoowns`, the user-group sync) goes through
`effective_registry`, so a shift taken in Slack shows everywhere at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.db.models import OncallOverride
from ownership.model import Override, Person, Registry, Team
from ownership.shifts import Shift, find_member, take_shift, with_external, with_overrides


def record_shift(
    engine: Engine, team: Team, person: Person, start: datetime, end: datetime, by: str
) -> Override:
    """Store `person` covering `team` over [start, end); InvalidValue when it makes no sense."""
    override = take_shift(team, person, start, end)
    with Session(engine) as session, session.begin():
        session.add(
            OncallOverride(
                team_id=team.id,
                person=person.key,
                starts_at=start,
                ends_at=end,
                created_by=by[:40],
                created_at=start,
            )
        )
    return override


def active_overrides(
    engine: Engine, registry: Registry, now: datetime
) -> dict[str, tuple[Override, ...]]:
    """Overrides from Slack not yet over at `now`, per team, oldest first (the latest wins)."""
    found: dict[str, list[Override]] = defaultdict(list)
    with Session(engine) as session:
        rows = session.scalars(
            select(OncallOverride)
            .where(OncallOverride.ends_at > now)
            .order_by(OncallOverride.starts_at, OncallOverride.id)
        ).all()
        for row in rows:
            team = registry.teams.get(row.team_id)
            person = find_member(team, row.person) if team else None
            if person is not None:  # a person who left the team no longer covers it
                found[row.team_id].append(Override(person, row.starts_at, row.ends_at))
    return {team_id: tuple(items) for team_id, items in found.items()}


def effective_registry(
    engine: Engine | None,
    registry: Registry,
    now: datetime,
    external: Callable[[Iterable[Team], datetime], Mapping[str, Shift]] | None = None,
) -> Registry:
    """`registry` with the shifts taken in Slack (`registry` itself without a database) and,
    given `external` (`ScheduleReader.cached_current`), who schedules kept elsewhere say."""
    if engine is not None:
        registry = with_overrides(registry, active_overrides(engine, registry, now))
    if external is not None:
        registry = with_external(registry, external(registry.teams.values(), now))
    return registry
