"""Incident timers in the database: which are due, and claiming one so it fires once.

`incidents.next_escalation_at` / `next_reminder_at` are the timers. A firing is claimed by a
conditional UPDATE in the transaction that writes its effects: the escalation claim clears
`next_escalation_at` only while the incident is still open and unacknowledged and the timer is
due; the reminder claim moves `next_reminder_at` forward only while it is due. A second replica
(or a second run) finds nothing to claim.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, Update, or_, select, update
from sqlalchemy.orm import Session

from bot.db.models import Incident
from bot.db.rows import rowcount
from ownership.incidents import Status

UNRESOLVED = (Status.OPEN.value, Status.ACKNOWLEDGED.value, Status.ESCALATED.value)


def due(engine: Engine, now: datetime, limit: int = 200) -> list[int]:
    """Unresolved incidents with a timer at or before `now`."""
    query = (
        select(Incident.id)
        .where(
            Incident.status.in_(UNRESOLVED),
            or_(Incident.next_escalation_at <= now, Incident.next_reminder_at <= now),
        )
        .order_by(Incident.id)
        .limit(limit)
    )
    with Session(engine) as session:
        return list(session.scalars(query))


def _claimed(session: Session, statement: Update) -> bool:
    """Run the conditional UPDATE; True when it matched the row (this caller won the claim)."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return rowcount(result) == 1


def claim_escalation(session: Session, incident_id: int, now: datetime) -> bool:
    """Clear a due escalation timer of an open, unacknowledged incident; True if this won."""
    return _claimed(
        session,
        update(Incident)
        .where(
            Incident.id == incident_id,
            Incident.status == Status.OPEN.value,
            Incident.acknowledged_at.is_(None),
            Incident.next_escalation_at <= now,
        )
        .values(next_escalation_at=None),
    )


def claim_reminder(session: Session, incident_id: int, now: datetime, later: datetime) -> bool:
    """Move a due reminder timer to `later`; True if this caller won the claim."""
    return _claimed(
        session,
        update(Incident)
        .where(
            Incident.id == incident_id,
            Incident.status.in_(UNRESOLVED),
            Incident.next_reminder_at <= now,
        )
        .values(next_reminder_at=later),
    )


def latest(session: Session, *, unresolved: bool) -> int | None:
    """The newest incident's id (only unresolved ones if asked), or None."""
    query = select(Incident.id).order_by(Incident.id.desc())
    if unresolved:
        query = query.where(Incident.status.in_(UNRESOLVED))
    return session.scalar(query.limit(1))
