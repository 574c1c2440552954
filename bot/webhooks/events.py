"""Webhook events, written as delivery rows in the transaction of the change that causes them.

Hooks for `FreshnessService(on_breached=, on_recovered=)` and `IncidentService(on_change=)`,
wired in `bot.bootstrap`. Each event is one JSON body per configured webhook that wants it:
`{"id", "type", "occurred_at", "incident" | "contract" + "alert"}` (docs/slack-surfaces.md).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.db.models import Alert, Incident, WebhookDelivery
from bot.outbox.enqueue import utc
from bot.settings_webhooks import WebhookTarget
from ownership.model import Registry

PENDING = "pending"


def _iso(at: datetime | None) -> str | None:
    return None if at is None else utc(at).isoformat().replace("+00:00", "Z")


def incident_body(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "asset": incident.asset,
        "severity": incident.severity,
        "status": incident.status,
        "summary": incident.summary,
        "channel": incident.channel,
        "opened_at": _iso(incident.opened_at),
        "acknowledged_at": _iso(incident.acknowledged_at),
        "escalated_at": _iso(incident.escalated_at),
        "resolved_at": _iso(incident.resolved_at),
        "resolution_note": incident.resolution_note,
        "boundary_side": incident.boundary_side,
    }


def alert_body(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "kind": alert.kind,
        "status": alert.status,
        "deadline": _iso(alert.deadline),
        "last_update": _iso(alert.last_update),
        "late_by_seconds": alert.late_by_seconds,
        "channel": alert.channel,
        "incident_id": alert.incident_id,
    }


class WebhookEmitter:
    def __init__(
        self, targets: tuple[WebhookTarget, ...], registry: Callable[[], Registry]
    ) -> None:
        self.targets = targets
        self.registry = registry

    def on_breached(self, session: Session, alert: Alert, now: datetime) -> int:
        return self._emit(session, "contract.breached", self._contract(alert), now)

    def on_recovered(
        self, session: Session, alert: Alert, arrived: datetime | None, words: str, now: datetime
    ) -> int:
        return self._emit(session, "contract.recovered", self._contract(alert), now)

    def on_incident(self, session: Session, incident: Incident, kind: str, now: datetime) -> int:
        return self._emit(session, f"incident.{kind}", {"incident": incident_body(incident)}, now)

    def _contract(self, alert: Alert) -> dict[str, Any]:
        contract = self.registry().contracts.get(alert.contract_id)
        return {
            "contract": {
                "id": alert.contract_id,
                "asset": contract.asset if contract else None,
                "owner_team": contract.owner_team if contract else None,
            },
            "alert": alert_body(alert),
        }

    def _emit(self, session: Session, event: str, body: dict[str, Any], now: datetime) -> int:
        wanted = [t for t in self.targets if event in t.events]
        for target in wanted:
            payload = {
                "id": uuid.uuid4().hex,
                "type": event,
                "occurred_at": _iso(now),
                **body,
            }
            session.add(
                WebhookDelivery(
                    endpoint=target.name,
                    event=event,
                    payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                    created_at=utc(now),
                    status=PENDING,
                    attempts=0,
                    next_attempt_at=utc(now),
                )
            )
        return len(wanted)
