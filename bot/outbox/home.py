"""Home tabs re-published through the outbox after a change that concerns their person.

Only people who have opened the tab (`home_viewers`, recorded on `app_home_opened`) get one,
and a storm is coalesced per person: while a refresh of theirs is pending no other is queued,
and a new one is due no sooner than `MIN_INTERVAL` after the last one sent. The view itself
is rendered when the row is sent (`OutboxWorker.views`), so a late refresh shows the latest.
The hooks take the signatures their callers expect (`FreshnessService(on_breached=,
on_recovered=)`, `IncidentService(on_change=)`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.models import Alert, HomeViewer, Incident, OutboxMessage
from bot.outbox.enqueue import PENDING, PUBLISH_VIEW, SENDING, SENT, enqueue, utc
from ownership.concerned import people_holding
from ownership.model import Registry

MIN_INTERVAL = timedelta(minutes=1)  # views.publish: tier 4; a person's tab changes rarely
TEXT = "Home tab refresh"  # the outbox needs a text; views.publish does not send it


def remember_viewer(session: Session, user_id: str, now: datetime) -> None:
    """`user_id` opened the Home tab (in the caller's transaction)."""
    viewer = session.get(HomeViewer, user_id)
    if viewer is None:
        session.add(HomeViewer(user_id=user_id, opened_at=utc(now)))
    else:
        viewer.opened_at = utc(now)


def queue_home_refresh(session: Session, users: Iterable[str], now: datetime) -> int:
    """Queue a refresh of each of `users` who opened the tab and has none pending; how many.

    A refresh is due at once, or `MIN_INTERVAL` after the person's last one (sent or being sent).
    """
    wanted = sorted(set(users))
    if not wanted:
        return 0
    viewers = set(session.scalars(select(HomeViewer.user_id).where(HomeViewer.user_id.in_(wanted))))
    if not viewers:
        return 0
    busy = dict(
        session.execute(
            select(OutboxMessage.channel, OutboxMessage.status).where(
                OutboxMessage.method == PUBLISH_VIEW,
                OutboxMessage.channel.in_(viewers),
                OutboxMessage.status.in_((PENDING, SENDING)),
            )
        ).all()
    )
    queued = {user for user, status in busy.items() if status == PENDING}
    rows = session.execute(
        select(OutboxMessage.channel, func.max(OutboxMessage.sent_at))
        .where(
            OutboxMessage.method == PUBLISH_VIEW,
            OutboxMessage.channel.in_(viewers - queued),
            OutboxMessage.status == SENT,
        )
        .group_by(OutboxMessage.channel)
    ).all()
    last_sent: dict[str, datetime] = {user: utc(sent) for user, sent in rows if sent is not None}
    at = utc(now)
    for user in sorted(viewers - queued):
        # one being sent may have been rendered before this change: another follows it
        previous = at if user in busy else last_sent.get(user)
        row = enqueue(session, method=PUBLISH_VIEW, channel=user, payload={"text": TEXT}, now=at)
        if previous is not None and previous + MIN_INTERVAL > at:
            row.next_attempt_at = previous + MIN_INTERVAL
    return len(viewers - queued)


class HomeRefresher:
    """Queues refreshes for the people of the teams holding the changed asset."""

    def __init__(self, registry: Callable[[], Registry]) -> None:
        self.registry = registry

    def on_breached(self, session: Session, alert: Alert, now: datetime) -> int:
        return self._contract(session, alert, now)

    def on_recovered(
        self, session: Session, alert: Alert, arrived: datetime | None, words: str, now: datetime
    ) -> int:
        return self._contract(session, alert, now)

    def on_incident(self, session: Session, incident: Incident, kind: str, now: datetime) -> int:
        return queue_home_refresh(session, people_holding(self.registry(), incident.asset), now)

    def _contract(self, session: Session, alert: Alert, now: datetime) -> int:
        registry = self.registry()
        contract = registry.contracts.get(alert.contract_id)
        if contract is None:
            return 0
        return queue_home_refresh(session, people_holding(registry, contract.asset), now)
