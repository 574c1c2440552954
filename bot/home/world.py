"""What one person's Home tab shows, gathered in one read-only session.

Their teams are those listing their Slack id as a member or in the rotation; what the teams
hold is every asset where RACI gives them a role; late contracts and open incidents are those
of assets their teams hold (any role).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.blocks.home import Holding, HomeView, IncidentItem, LateItem, ShiftLine
from bot.db.models import Alert, Incident, OpenIncident, Subscription
from ownership.answers import Answer
from ownership.coming_shifts import member_of, next_shifts
from ownership.model import ROLE_ORDER, Registry, Role
from ownership.raci import asset_roles
from ownership.timeparse import format_duration

MAX_SUBSCRIPTIONS = 200


def _label(roles: frozenset[Role]) -> str:
    return "/".join(r.value for r in ROLE_ORDER if r in roles)


def gather_home(
    engine: Engine,
    registry: Registry,
    user_id: str,
    now: datetime,
    *,
    notice: str | None = None,
    query: str | None = None,
    answer: Answer | None = None,
) -> HomeView:
    teams = [t for t in registry.teams.values() if member_of(t, user_id)]
    team_ids = {t.id for t in teams}
    holdings: list[Holding] = []
    held_assets: set[str] = set()
    for asset in sorted(registry.assets.values(), key=lambda a: a.id):
        roles = asset_roles(registry, asset)
        for team_id in sorted(team_ids & roles.keys()):
            contract = registry.contract_for(asset.id)
            holdings.append(
                Holding(
                    asset.id,
                    asset.kind,
                    registry.teams[team_id].name,
                    _label(roles[team_id]),
                    contract.id if contract else None,
                )
            )
            held_assets.add(asset.id)
    shifts = sorted(
        (
            ShiftLine(s.team.name, s.start, s.end, s.current(now))
            for t in teams
            for s in next_shifts(t, user_id, now)
        ),
        key=lambda s: s.start,
    )
    contracts = {c.id for c in registry.contracts.values() if c.asset in held_assets}
    with Session(engine) as session:
        late = _late(session, contracts)
        incidents = _incidents(session, held_assets)
        followed = tuple(
            session.scalars(
                select(Subscription.asset)
                .where(Subscription.user_id == user_id)
                .order_by(Subscription.asset)
                .limit(MAX_SUBSCRIPTIONS)
            )
        )
    return HomeView(
        user_id=user_id,
        now=now,
        teams=tuple(t.name for t in teams),
        holdings=tuple(holdings),
        shifts=tuple(shifts),
        late=late,
        incidents=incidents,
        subscriptions=followed,
        notice=notice,
        query=query,
        answer=answer,
    )


def _late(session: Session, contracts: set[str]) -> tuple[LateItem, ...]:
    if not contracts:
        return ()
    rows = session.scalars(
        select(Alert)
        .where(Alert.contract_id.in_(contracts), Alert.status == "open")
        .order_by(Alert.opened_at, Alert.id)
    )
    items = []
    for alert in rows:
        if alert.kind == "check_failed":
            words = "check failing"
        elif alert.late_by_seconds:
            words = f"{format_duration(timedelta(seconds=alert.late_by_seconds))} late"
        else:
            words = "late"
        items.append(
            LateItem(alert.id, alert.contract_id, alert.channel, words, alert.incident_id)
        )
    return tuple(items)


def _incidents(session: Session, assets: set[str]) -> tuple[IncidentItem, ...]:
    if not assets:
        return ()
    rows = session.scalars(
        select(Incident)
        .join(OpenIncident, OpenIncident.incident_id == Incident.id)
        .where(OpenIncident.asset.in_(assets))
        .order_by(Incident.id)
    )
    return tuple(
        IncidentItem(r.id, r.asset, r.severity.upper(), r.status, r.summary, r.channel)
        for r in rows
    )
