"""Incident rows read as domain values and views; timeline events; lookups by channel."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.incident_modals import TimelineEntry
from bot.blocks.incidents import IncidentView
from bot.db.models import Incident, IncidentEvent, SlackRoot
from bot.outbox.enqueue import utc
from ownership.incident_plan import IncidentPlan
from ownership.incidents import (
    DEFAULT_TIMERS,
    BoundarySide,
    IncidentState,
    Severity,
    Status,
    TimerPolicy,
    Timers,
)
from ownership.model import Registry

ROOT_PREFIX = "incident:"


def root_key(incident_id: int) -> str:
    """The outbox thread key of an incident's root message."""
    return f"{ROOT_PREFIX}{incident_id}"


def state_of(row: Incident) -> IncidentState:
    acknowledged = row.acknowledged_at is not None
    return IncidentState(Status(row.status), Severity(row.severity), acknowledged)


def timers_of(row: Incident) -> Timers:
    return Timers(row.next_escalation_at, row.next_reminder_at)


def plan_of(row: Incident) -> IncidentPlan:
    return IncidentPlan.from_dict(json.loads(row.plan))


def side_of(row: Incident) -> BoundarySide | None:
    try:
        return BoundarySide(row.boundary_side) if row.boundary_side else None
    except ValueError:
        return None


def view_of(row: Incident, registry: Registry, now: datetime) -> IncidentView:
    asset = registry.assets.get(row.asset)
    return IncidentView(
        id=row.id,
        asset=row.asset,
        summary=row.summary,
        severity=Severity(row.severity),
        status=Status(row.status),
        plan=plan_of(row),
        now=now,
        opened_at=row.opened_at,
        opened_by=row.opened_by,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        escalated_at=row.escalated_at,
        escalated_by=row.escalated_by,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        note=row.resolution_note,
        side=side_of(row),
        escalate_at=row.next_escalation_at,
        runbook=asset.runbook if asset else None,
    )


def policy(policies: Mapping[Severity, TimerPolicy], severity: Severity) -> TimerPolicy:
    return policies.get(severity) or DEFAULT_TIMERS[severity]


def add_event(
    session: Session,
    incident_id: int,
    kind: str,
    now: datetime,
    actor: str | None = None,
    detail: str = "",
) -> None:
    session.add(
        IncidentEvent(incident_id=incident_id, at=utc(now), kind=kind, actor=actor, detail=detail)
    )


def events_of(session: Session, incident_id: int) -> list[TimelineEntry]:
    rows = session.scalars(
        select(IncidentEvent)
        .where(IncidentEvent.incident_id == incident_id)
        .order_by(IncidentEvent.at, IncidentEvent.id)
    )
    return [TimelineEntry(e.at, e.kind, e.actor, e.detail) for e in rows]


def lock_incident(session: Session, incident_id: int) -> Incident | None:
    """The row, locked until the transaction ends (PostgreSQL; SQLite serialises writers)."""
    return session.scalars(
        select(Incident)
        .where(Incident.id == incident_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def root_channel(session: Session, incident_id: int) -> str | None:
    """The channel id the root landed in, once the outbox delivered it."""
    root = session.get(SlackRoot, root_key(incident_id))
    return root.channel if root else None


def incident_in_channel(session: Session, channel_id: str, channel_name: str = "") -> int | None:
    """The latest unresolved incident whose root is in this channel, else the latest one."""
    keys = session.scalars(
        select(SlackRoot.key).where(
            SlackRoot.key.like(f"{ROOT_PREFIX}%"), SlackRoot.channel == channel_id
        )
    )
    ids = {int(k.removeprefix(ROOT_PREFIX)) for k in keys if k.removeprefix(ROOT_PREFIX).isdigit()}
    names = [n for n in (channel_id, f"#{channel_name}" if channel_name else "") if n]
    query = (
        select(Incident.id, Incident.status)
        .where(Incident.id.in_(ids) | Incident.channel.in_(names))
        .order_by(Incident.id.desc())
    )
    rows = list(session.execute(query))
    unresolved = [i for i, status in rows if status != Status.RESOLVED.value]
    if unresolved:
        return int(unresolved[0])
    return int(rows[0][0]) if rows else None
