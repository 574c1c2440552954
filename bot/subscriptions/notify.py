"""DMs to the people following an asset, written to the outbox in the caller's transaction.

Each method is a hook with the signature its caller expects (`FreshnessService(on_breached=,
on_recovered=)`, `IncidentService(on_change=)`, `ChangeNoticeService(on_announced=)`).
A DM is `chat.postMessage` to the person's user id: Slack delivers it in their DM with the
app (its Messages tab), which needs no scope beyond `chat:write`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.blocks import Block
from bot.blocks.subscriptions import (
    render_breach_dm,
    render_incident_dm,
    render_notice_dm,
    render_recovery_dm,
)
from bot.db.models import Alert, Incident
from bot.outbox.enqueue import POST_MESSAGE, enqueue
from bot.subscriptions.store import followers
from ownership.model import ChangeNotice, Contract, Registry
from ownership.timeparse import format_duration


class SubscriptionNotifier:
    """Tells the followers of an asset; reads the registry live (it may be reloaded)."""

    def __init__(self, registry: Callable[[], Registry]) -> None:
        self.registry = registry

    def on_breached(self, session: Session, alert: Alert, now: datetime) -> int:
        contract = self.registry().contracts.get(alert.contract_id)
        if contract is None:
            return 0
        late = "late"
        if alert.late_by_seconds:
            late = f"{format_duration(timedelta(seconds=alert.late_by_seconds))} late"
        text, blocks = render_breach_dm(contract.asset, contract.id, alert.channel, late)
        return self._tell(session, contract.asset, text, blocks, now)

    def on_recovered(
        self, session: Session, alert: Alert, arrived: datetime | None, words: str, now: datetime
    ) -> int:
        contract = self.registry().contracts.get(alert.contract_id)
        if contract is None:
            return 0
        text, blocks = render_recovery_dm(contract.asset, contract.id, words)
        return self._tell(session, contract.asset, text, blocks, now)

    def on_incident(self, session: Session, incident: Incident, kind: str, now: datetime) -> int:
        text, blocks = render_incident_dm(
            incident.asset,
            incident.id,
            kind,
            incident.severity.upper(),
            incident.summary,
            incident.channel,
        )
        return self._tell(session, incident.asset, text, blocks, now)

    def on_announced(
        self,
        session: Session,
        contract: Contract,
        notice: ChangeNotice,
        effective: date,
        now: datetime,
    ) -> int:
        channel = contract.change_policy.channel or ""
        text, blocks = render_notice_dm(contract.asset, contract.id, notice.change, effective,
                                        channel)
        return self._tell(session, contract.asset, text, blocks, now)

    def _tell(
        self, session: Session, asset: str, text: str, blocks: list[Block], now: datetime
    ) -> int:
        people = followers(session, asset)
        for user_id in people:
            enqueue(
                session,
                method=POST_MESSAGE,
                channel=user_id,
                payload={"text": text, "blocks": blocks, "unfurl_links": False},
                now=now,
            )
        return len(people)
