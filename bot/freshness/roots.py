"""Where an alert lives in Slack: its channel, its root message (posted once, then edited in
place) and its thread, all through the outbox; and the open alerts of a contract.

A root is rendered from what the alert stores of its latest check (`checked_at`, `late_by`,
`last_update`), never from the time of rendering, and edited only when what a person sees
changes: `root_digest` is a fingerprint of the root as last written to the outbox. An edit
still waiting in the outbox is replaced by the newer one (it would be overwritten anyway).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.blocks.alerts import AlertView, render_alert, render_alert_text, render_thread_note
from bot.db.models import Alert, OutboxMessage
from bot.db.rows import rowcount
from bot.outbox import PENDING, ROUTINE, UPDATE, URGENT, enqueue
from ownership.event_sla import describe_event_sla
from ownership.model import Contract, Registry
from ownership.oncall import on_call
from ownership.sla import describe_age_sla, describe_sla


def alert_channel(registry: Registry, contract: Contract) -> str | None:
    owner = registry.teams.get(contract.owner_team)
    return contract.alert_channel or (owner.oncall_channel if owner else None)


def team_name(registry: Registry, team_id: str) -> str:
    """What people call the team ("MLOps Churn"), its id only when it is not in the registry."""
    team = registry.teams.get(team_id)
    return team.name if team else team_id


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
    if contract.after is not None:
        words = describe_event_sla(contract.after)
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
        checked_at=alert.checked_at or alert.opened_at,
        as_of=alert.checked_at or alert.opened_at,
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
    priority: int | None = None,
) -> OutboxMessage:
    return enqueue(
        session,
        method=method,
        channel=alert.channel,
        now=now,
        payload=payload,
        root_key=root_key(alert),
        is_root=is_root,
        in_thread=in_thread,
        priority=priority,
    )


def _root_payload(view: AlertView) -> tuple[dict[str, object], str]:
    """The root, and a fingerprint of what it shows besides its "As of" time (which moves
    with every check, while the figures shown change only now and then)."""
    payload: dict[str, object] = {"text": render_alert_text(view), "blocks": render_alert(view)}
    return payload, root_digest(view)


def root_digest(view: AlertView) -> str:
    """The fingerprint of what a root shows besides its "As of" time: equal to the alert's
    `root_digest`, an edit would change nothing a person sees."""
    rest = replace(view, as_of=None)
    shown = {"text": render_alert_text(rest), "blocks": render_alert(rest)}
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


def post_root(session: Session, view: AlertView, alert: Alert, now: datetime) -> None:
    payload, alert.root_digest = _root_payload(view)
    _send(session, alert, now, payload, is_root=True)


def edit_root(
    session: Session, view: AlertView, alert: Alert, now: datetime, *, routine: bool = False
) -> bool:
    """Queue an edit of the root when it would change what Slack shows; True if queued.

    `routine`: a re-check's edit (new lateness figures), as opposed to a change of state
    (recovery, snooze, a new "also affected", an incident link), which the outbox delivers
    before routine edits (`ROUTINE` vs `URGENT`). A queued edit this one replaces passes on
    its urgency, so a recovery followed by a routine edit still goes first.
    """
    payload, digest = _root_payload(view)
    if digest == alert.root_digest:
        return False
    alert.root_digest = digest
    replaced = session.execute(  # a queued edit of this root would only be overwritten
        delete(OutboxMessage)
        .where(
            OutboxMessage.root_key == root_key(alert),
            OutboxMessage.method == UPDATE,
            OutboxMessage.status == PENDING,
        )
        .returning(OutboxMessage.priority)
        .execution_options(synchronize_session=False)
    ).scalars()
    priority = min([ROUTINE if routine else URGENT, *replaced])
    _send(session, alert, now, payload, method=UPDATE, priority=priority)
    return True


def reply(session: Session, alert: Alert, text: str, now: datetime) -> OutboxMessage:
    return _send(
        session, alert, now, {"text": text, "blocks": render_thread_note(text)}, in_thread=True
    )


def withdraw(session: Session, outbox_id: int) -> bool:
    """Take a message back out of the outbox if it is still waiting; True if it was."""
    result = session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status == PENDING)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def open_alerts(session: Session, contract_id: str, kind: str = "late") -> list[Alert]:
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.contract_id == contract_id, Alert.kind == kind, Alert.status == "open")
            .order_by(Alert.id)
        )
    )


def open_alerts_of(
    session: Session, contract_ids: list[str], kind: str = "late"
) -> dict[str, list[Alert]]:
    """`open_alerts` of several contracts in one query, by contract."""
    found: dict[str, list[Alert]] = {}
    if not contract_ids:
        return found
    for alert in session.scalars(
        select(Alert)
        .where(Alert.contract_id.in_(set(contract_ids)), Alert.kind == kind, Alert.status == "open")
        .order_by(Alert.id)
    ):
        found.setdefault(alert.contract_id, []).append(alert)
    return found
