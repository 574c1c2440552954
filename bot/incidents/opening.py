"""Opening an incident, in the caller's transaction: the row, its guard, its timeline, the root,
the tags in the thread, the Informed notices, and the links to late-data alerts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from bot.blocks.escape import channel_ref, code, user_mention
from bot.blocks.incidents import IncidentView, render_tags
from bot.db.models import Alert, Incident, OpenIncident
from bot.freshness import alerts as freshness_alerts
from bot.freshness import roots as freshness_roots
from bot.incidents import messages, replies
from bot.incidents.links import broken_upstream, link_alert
from bot.incidents.records import add_event, policy, root_channel, view_of
from bot.incidents.replies import Reply
from bot.outbox.enqueue import utc
from ownership.incident_plan import plan_incident
from ownership.incidents import Severity, Status, TimerPolicy, timers_on_open
from ownership.model import Asset, Registry


def open_incident(
    session: Session,
    registry: Registry,
    asset: Asset,
    summary: str,
    severity: Severity,
    actor: str | None,
    now: datetime,
    policies: Mapping[Severity, TimerPolicy],
    alert: Alert | None = None,
) -> Reply:
    """Open an incident on `asset` unless one is open (then point to it, linking `alert`)."""
    existing = session.get(OpenIncident, asset.id)
    if existing is not None:
        return _join_existing(session, registry, existing.incident_id, now, alert)
    broken, alerts = broken_upstream(session, registry, asset)
    if alert is not None and alert.id not in {a.id for a in alerts}:
        alerts.append(alert)
    plan = plan_incident(registry, asset, now, broken)
    if plan.channel is None:
        return replies.no_channel(asset.id)
    timers = timers_on_open(severity, now, policies)
    row = Incident(
        asset=asset.id,
        summary=summary,
        severity=severity.value,
        opened_severity=severity.value,
        status=Status.OPEN.value,
        channel=plan.channel,
        plan=json.dumps(plan.to_dict(), ensure_ascii=False),
        opened_at=utc(now),
        opened_by=actor,
        next_escalation_at=timers.escalate_at,
        next_reminder_at=timers.remind_at,
        alert_id=alert.id if alert else None,
    )
    session.add(row)
    session.flush()
    session.add(OpenIncident(asset=asset.id, incident_id=row.id))
    session.flush()  # a concurrent open of the same asset fails here (IntegrityError)
    add_event(session, row.id, "opened", now, actor, f"{severity.label}: {summary}")
    view = view_of(row, registry, now)
    messages.post_root(session, view, plan.channel, now)
    ack_within = policy(policies, severity).acknowledge_within
    messages.reply(session, row.id, plan.channel, render_tags(view, ack_within), now)
    for ref in plan.responders:
        who = ref.oncall_name or (f"the {ref.name} user group" if ref.usergroup_id else "nobody")
        add_event(
            session,
            row.id,
            "tagged",
            now,
            detail=f"{who} ({ref.name} on call): {'; '.join(ref.reasons)}",
        )
    _inform(session, view, now)
    for linked in alerts:
        _link(session, registry, view, linked, actor, now)
    return replies.opened(view)


def _inform(session: Session, view: IncidentView, now: datetime) -> None:
    notified = {ref.team_id for ref in messages.notify_informed(session, view, now)}
    for ref in view.plan.informed:
        where = f"notice in {ref.channel}" if ref.team_id in notified else "no channel of its own"
        add_event(session, view.id, "informed", now, detail=f"{ref.name} ({where})")


def _link(
    session: Session,
    registry: Registry,
    view: IncidentView,
    alert: Alert,
    actor: str | None,
    now: datetime,
) -> None:
    """Link the alert, show the incident on the alert's root and say so in the alert's thread."""
    if not link_alert(session, view.id, alert, now):
        return
    contract = registry.contracts.get(alert.contract_id)
    if contract is None or not alert.channel:
        return
    if alert.caused_by_alert_id is None:
        snoozed = freshness_alerts.active_silence(session, registry, contract, now)
        alert_view = freshness_roots.build_view(
            registry, contract, alert, now, snoozed_until=snoozed.until if snoozed else None
        )
        freshness_roots.edit_root(session, alert_view, alert, now)
    mention = user_mention(actor)
    opener = f" by {mention}" if mention else ""
    where = channel_ref(view.plan.channel or "")
    freshness_roots.reply(
        session,
        alert,
        f":rotating_light: Incident #{view.id} ({view.severity.label}) is open on "
        f"{code(view.asset)}{opener}, linked to this alert; follow it in {where}.",
        now,
    )


def _join_existing(
    session: Session, registry: Registry, incident_id: int, now: datetime, alert: Alert | None
) -> Reply:
    row = session.get(Incident, incident_id)
    assert row is not None  # open_incidents references it
    view = view_of(row, registry, now)
    if alert is not None and alert.incident_id is None:
        _link(session, registry, view, alert, None, now)
        messages.reply(
            session,
            row.id,
            row.channel,
            f":link: Linked the late-data alert for {code(alert.contract_id)} "
            f"(#{alert.id}) to this incident.",
            now,
        )
        return Reply(
            f"Incident #{row.id} was already open on {code(row.asset)}: linked this alert to it.",
            incident_id=row.id,
        )
    return replies.already_open(view, root_channel(session, row.id))
