"""One decided action applied to an incident row: state, timers, timeline event, messages.

Used by the use cases (after the permission check and `decide`) and by the due timers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.blocks.incidents import (
    IncidentView,
    render_acknowledged,
    render_escalation,
    render_note,
    render_resolved,
)
from bot.db.models import Incident, OpenIncident
from bot.incidents import messages
from bot.incidents.records import add_event, policy, state_of, timers_of, view_of
from ownership.incidents import Action, Changed, Severity, TimerPolicy, decide, timers_after
from ownership.model import Registry
from ownership.reports.reasons import LABELS, Reason, parse_reason


def apply_action(
    session: Session,
    row: Incident,
    registry: Registry,
    action: Action,
    actor: str | None,
    now: datetime,
    policies: Mapping[Severity, TimerPolicy],
    *,
    note: str = "",
    side: str | None = None,
    reason: str | None = None,
) -> IncidentView:
    """Write the change `action` makes (already decided legal) with its event and messages."""
    before = state_of(row)
    decision = decide(before, action)
    assert isinstance(decision, Changed)
    after = decision.state
    new_timers = timers_after(action, timers_of(row), after, now, policies)
    row.status, row.severity = after.status.value, after.severity.value
    row.next_escalation_at, row.next_reminder_at = new_timers.escalate_at, new_timers.remind_at
    if action is Action.ACKNOWLEDGE:
        row.acknowledged_at, row.acknowledged_by = now, actor
    elif action is Action.ESCALATE:
        row.escalated_at, row.escalated_by = now, actor
    elif action is Action.RESOLVE:
        row.resolved_at, row.resolved_by = now, actor
        row.resolution_note, row.boundary_side = note, side
        row.resolution_reason = parsed.value if (parsed := parse_reason(reason)) else None
        session.execute(delete(OpenIncident).where(OpenIncident.incident_id == row.id))
    view = view_of(row, registry, now)
    ack_within = policy(policies, before.severity).acknowledge_within
    text = {
        Action.ACKNOWLEDGE: lambda: render_acknowledged(view),
        Action.ESCALATE: lambda: render_escalation(view, ack_within, before.severity),
        Action.RESOLVE: lambda: render_resolved(view),
        Action.NOTE: lambda: render_note(actor, note),
    }[action]()
    add_event(
        session,
        row.id,
        _EVENT_KIND[action],
        now,
        actor,
        _event_detail(action, before.severity, view, note, actor, row.resolution_reason),
    )
    if action is not Action.NOTE:
        messages.edit_root(session, view, row.channel, now)
    messages.reply(session, row.id, row.channel, text, now)
    if action is Action.RESOLVE:
        messages.notify_informed(session, view, now, resolved=True)
    return view


_EVENT_KIND = {
    Action.ACKNOWLEDGE: "acknowledged",
    Action.ESCALATE: "escalated",
    Action.RESOLVE: "resolved",
    Action.NOTE: "note",
}


def _event_detail(
    action: Action,
    was: Severity,
    view: IncidentView,
    note: str,
    actor: str | None,
    reason: str | None = None,
) -> str:
    if action is Action.ESCALATE:
        how = "" if actor else " automatically: nobody acknowledged in time"
        names = ", ".join(ref.name for ref in view.plan.accountable) or "nobody"
        change = (
            f"stays {was.label}" if was is view.severity else f"{was.label} → {view.severity.label}"
        )
        return f"{change}{how}; tagged Accountable {names}"
    if action is Action.RESOLVE:
        side = view.side.label if view.side else "unknown"
        why = f" reason: {LABELS[Reason(reason)].lower()}." if reason else ""
        return f"cause: {side}.{why} {note}"
    if action is Action.NOTE:
        return note
    return ""
