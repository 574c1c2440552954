"""Where an alert lives in Slack: its channel, its root message (posted once, then edited in
place) and its thread, all through the outbox; and the open alerts of a contract."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.alerts import AlertView, render_alert, render_alert_text, render_thread_note
from bot.db.models import Alert
from bot.outbox import enqueue
from ownership.model import Contract, Registry
from ownership.oncall import on_call
from ownership.sla import describe_age_sla, describe_sla


def alert_channel(registry: Registry, contract: Contract) -> str | None:
    owner = registry.teams.get(contract.owner_team)
    return contract.alert_channel or (owner.oncall_channel if owner else None)


def root_key(alert: Alert) -> str:
    return f"alert:{alert.id}"


def build_view(
    registry: Registry,
    contract: Contract,
    alert: Alert,
    now: datetime,
    *,
    snoozed_until: datetime | None = None,
    error: str | None = None,
    failures: int = 0,
) -> AlertView:
    owner = registry.teams.get(contract.owner_team)
    asset = registry.assets.get(contract.asset)
    words = (
        describe_sla(contract.sla)
        if contract.sla
        else (describe_age_sla(contract.freshness) if contract.freshness else "no SLA")
    )
    late_by = (
        timedelta(seconds=alert.late_by_seconds) if alert.late_by_seconds is not None else None
    )
    return AlertView(
        alert_id=alert.id,
        contract=contract,
        kind=alert.kind,
        status=alert.status,
        sla_words=words,
        owner=owner,
        oncall=on_call(owner, now) if owner else None,
        consumers=tuple(registry.teams[t] for t in contract.consumer_teams if t in registry.teams),
        now=now,
        last_update=alert.last_update,
        deadline=alert.deadline,
        late_by=late_by,
        recovered_at=alert.recovered_at,
        runbook=asset.runbook if asset else None,
        affected=tuple(a for a in alert.affected.split(",") if a),
        error=error,
        failures=failures,
        snoozed_until=snoozed_until,
        incident_ref=f"#{alert.incident_id}" if alert.incident_id else None,
    )


def _send(
    session: Session,
    alert: Alert,
    now: datetime,
    payload: dict[str, object],
    *,
    method: str = "chat.postMessage",
    is_root: bool = False,
    in_thread: bool = False,
) -> None:
    enqueue(
        session,
        method=method,
        channel=alert.channel,
        now=now,
        payload=payload,
        root_key=root_key(alert),
        is_root=is_root,
        in_thread=in_thread,
    )


def post_root(session: Session, view: AlertView, alert: Alert, now: datetime) -> None:
    payload: dict[str, object] = {"text": render_alert_text(view), "blocks": render_alert(view)}
    _send(session, alert, now, payload, is_root=True)


def edit_root(session: Session, view: AlertView, alert: Alert, now: datetime) -> None:
    payload: dict[str, object] = {"text": render_alert_text(view), "blocks": render_alert(view)}
    _send(session, alert, now, payload, method="chat.update")


def reply(session: Session, alert: Alert, text: str, now: datetime) -> None:
    _send(session, alert, now, {"text": text, "blocks": render_thread_note(text)}, in_thread=True)


def open_alerts(session: Session, contract_id: str, kind: str = "late") -> list[Alert]:
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.contract_id == contract_id, Alert.kind == kind, Alert.status == "open")
            .order_by(Alert.id)
        )
    )
