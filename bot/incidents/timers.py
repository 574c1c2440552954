"""Incident timers in the database, fired by a periodic job: a restart neither drops nor
doubles them.

`incidents.next_escalation_at` / `next_reminder_at` are the timers. A firing is claimed by a
conditional UPDATE in the transaction that writes its effects: the escalation claim clears
`next_escalation_at` only while the incident is still open and unacknowledged and the timer is
due; the reminder claim moves `next_reminder_at` forward only while it is due. A second replica
(or a second run) finds nothing to claim. With several replicas, only the holder of the
"timers" lease runs the job at all.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine, Update, or_, select, update
from sqlalchemy.orm import Session

from bot.db.leases import LeaseKeeper
from bot.db.models import Incident
from ownership.incidents import Status

if TYPE_CHECKING:
    from bot.incidents.service import IncidentService

log = logging.getLogger(__name__)
POLL_SECONDS = 15.0
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
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def claim_escalation(session: Session, incident_id: int, now: datetime) -> bool:
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
    query = select(Incident.id).order_by(Incident.id.desc())
    if unresolved:
        query = query.where(Incident.status.in_(UNRESOLVED))
    return session.scalar(query.limit(1))


class TimerJob:
    """One run of the incident timers (`bot.jobs.schedule` runs it every `POLL_SECONDS`):
    fire those due, while this replica holds the "timers" lease."""

    def __init__(
        self,
        service: IncidentService,
        *,
        holder: str | None = None,
        poll: float = POLL_SECONDS,
    ) -> None:
        self.service = service
        self.lease = None
        if holder is not None:
            self.lease = LeaseKeeper(
                service.engine, "timers", holder, ttl=timedelta(seconds=max(poll * 3, 20))
            )

    def run_once(self) -> int:
        if self.lease is not None and self.lease.acquire() is None:
            return 0
        return self.service.fire_due_timers()

    def release(self) -> None:
        """After the last run: let another replica take the timers at once."""
        if self.lease is not None:
            self.lease.release()
