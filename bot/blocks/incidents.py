"""Incident messages as Block Kit: the root (edited in place), thread replies, Informed notices.

Pure functions of an `IncidentView`. The root names people without pinging them; the thread
reply posted at opening tags the responders; Informed notices never contain a mention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.blocks import Block, context, fit_lines, ids, section
from bot.blocks.alerts import when
from bot.blocks.escape import bold, code, escape, link, truncate, user_mention, usergroup_mention
from ownership.incident_plan import IncidentPlan, TeamRef
from ownership.incidents import BoundarySide, Severity, Status
from ownership.timeparse import format_duration

SUMMARY_LIMIT = 500
NOTE_LIMIT = 2500


@dataclass(frozen=True)
class IncidentView:
    """Everything an incident message shows, gathered by the incident service."""

    id: int
    asset: str
    summary: str
    severity: Severity
    status: Status
    plan: IncidentPlan
    now: datetime
    opened_at: datetime
    opened_by: str | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    escalated_at: datetime | None = None
    escalated_by: str | None = None  # None with escalated_at: by the timer
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    note: str | None = None
    side: BoundarySide | None = None
    escalate_at: datetime | None = None
    runbook: str | None = None

    @property
    def title(self) -> str:
        return f"Incident #{self.id} · {self.severity.label}"


def actor(user_id: str | None) -> str:
    """Who did it: a mention for a person, "demarc" for the bot itself."""
    return user_mention(user_id) or "demarc"


def quote(text: str, limit: int = SUMMARY_LIMIT) -> str:
    return "\n".join("> " + escape(line) for line in truncate(text, limit).splitlines() or [""])


def _names(refs: tuple[TeamRef, ...], *, oncall: bool) -> str:
    parts = []
    for ref in refs:
        who = f" (on call: {escape(ref.oncall_name)})" if oncall and ref.oncall_name else ""
        parts.append(f"{escape(ref.name)}{who}")
    return ", ".join(parts) or "nobody"


def _status_line(view: IncidentView) -> str:
    status = view.status
    if status is Status.RESOLVED:
        side = f" · cause: {bold(view.side.label)}" if view.side else ""
        return (
            f":white_check_mark: *Resolved* by {actor(view.resolved_by)} at "
            f"{when(view.resolved_at, view.now)}{side}"
        )
    parts = []
    if status is Status.ESCALATED:
        by = actor(view.escalated_by) if view.escalated_by else "demarc (nobody acknowledged)"
        parts.append(f":arrow_up: *Escalated* by {by} at {when(view.escalated_at, view.now)}")
    if view.acknowledged_by:
        parts.append(
            f":eyes: *Acknowledged* by {actor(view.acknowledged_by)} at "
            f"{when(view.acknowledged_at, view.now)}"
        )
    elif status is Status.OPEN:
        due = f"; escalates at {when(view.escalate_at, view.now)}" if view.escalate_at else ""
        parts.append(f":red_circle: *Open*, not acknowledged{due}")
    else:
        parts.append("not acknowledged")
    return " · ".join(parts)


def render_root_text(view: IncidentView) -> str:
    """The notification line: severity, asset, status, summary."""
    return (
        f"{view.title} on {escape(view.asset)} ({view.status.word.lower()}): "
        f"{escape(truncate(view.summary, 120))}"
    )


def render_root(view: IncidentView) -> list[Block]:
    lines = [
        f":rotating_light: *{escape(view.title)}* · {code(view.asset)}",
        quote(view.summary),
        _status_line(view),
        f"*Responders:* {_names(view.plan.responders, oncall=True)}",
        f"*Accountable:* {_names(view.plan.accountable, oncall=False)}",
    ]
    if view.plan.broken_upstream:
        lines.append(
            "*Upstream:* "
            + ", ".join(f"{code(asset)} {escape(why)}" for asset, why in view.plan.broken_upstream)
        )
    blocks = [section(fit_lines(lines))]
    footer = [f"Opened by {actor(view.opened_by)} at {when(view.opened_at, view.now)}"]
    if view.runbook:
        footer.append(link(view.runbook, "Runbook"))
    footer.append(f"Timeline: `/incident timeline {view.id}`")
    blocks.append(context(" · ".join(footer)))
    if view.status is not Status.RESOLVED:
        blocks.append(render_buttons(view))
    return blocks


def _button(text: str, action_id: str, incident_id: int, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": str(incident_id),
    }
    if style:
        button["style"] = style
    return button


def render_buttons(view: IncidentView, *, reminder: bool = False) -> Block:
    """Acknowledge (until someone did), Escalate (until escalated), Resolve, Add note."""
    elements = []
    if not view.acknowledged_by and not reminder:
        elements.append(_button("Acknowledge", ids.ACKNOWLEDGE_INCIDENT_ACTION, view.id, "primary"))
    if view.status is not Status.ESCALATED and not reminder:
        elements.append(_button("Escalate", ids.ESCALATE_INCIDENT_ACTION, view.id))
    elements.append(_button("Resolve", ids.RESOLVE_INCIDENT_ACTION, view.id))
    elements.append(_button("Add note", ids.NOTE_INCIDENT_ACTION, view.id))
    return {"type": "actions", "block_id": f"incident:{view.id}", "elements": elements}


# ---------------------------------------------------------------------- thread replies
def tag_line(ref: TeamRef) -> str:
    """ "<@U…> MLOps Churn on call", or the team's user group when it has no rotation."""
    person = user_mention(ref.oncall_id)
    if person:
        return f"{person} {bold(ref.name)} on call"
    group = usergroup_mention(ref.usergroup_id)
    if group:
        return f"{group} {bold(ref.name)} (no on-call rotation)"
    return f"{bold(ref.name)} (no on-call rotation or user group: nobody tagged)"


def render_tags(view: IncidentView, acknowledge_within: timedelta) -> str:
    """The thread reply that brings the responders in, per RACI across the boundary."""
    plan = view.plan
    lines = [":rotating_light: Responders, please *Acknowledge* on the message above:"]
    lines += [f"• {tag_line(ref)}: {escape('; '.join(ref.reasons))}" for ref in plan.responders]
    if plan.accountable:
        names = ", ".join(bold(ref.name) for ref in plan.accountable)
        lines.append(f"Accountable: {names} (tagged if this is escalated)")
    if plan.consulted:
        lines.append("Consulted: " + ", ".join(_consulted(ref) for ref in plan.consulted))
    if plan.informed:
        lines.append("Informed: " + ", ".join(_informed(ref, plan) for ref in plan.informed))
    lines.append(
        f"Not acknowledged within {format_duration(acknowledge_within)} → "
        "escalated to the Accountable."
    )
    return fit_lines(lines)


def _consulted(ref: TeamRef) -> str:
    group = usergroup_mention(ref.usergroup_id)
    return f"{group} {escape(ref.name)}" if group else escape(ref.name)


def _informed(ref: TeamRef, plan: IncidentPlan) -> str:
    if ref.channel and ref.channel != plan.channel:
        return f"{escape(ref.name)} (notice in {escape(ref.channel)})"
    if ref.channel:
        return escape(ref.name)
    return f"{escape(ref.name)} (no channel configured)"


def render_escalation(
    view: IncidentView, acknowledge_within: timedelta | None, was: Severity | None = None
) -> str:
    """The thread reply; `was` is the severity before, so one that stays is not a change."""
    if was is view.severity:  # already the highest: what happened is the tagging below
        what = f"*Escalated* (it stays {view.severity.label}, the highest severity)"
    else:
        what = f"*Escalated to {view.severity.label}*"
    if view.escalated_by:
        head = f":arrow_up: {what} by {actor(view.escalated_by)}."
    else:
        waited = format_duration(acknowledge_within) if acknowledge_within else "the time limit"
        head = f":arrow_up: {what} automatically: nobody acknowledged within {waited}."
    tags = [_accountable_tag(ref) for ref in view.plan.accountable]
    if not tags:
        return f"{head}\nNo team is Accountable for {code(view.asset)} in the registry."
    return f"{head}\n{', '.join(tags)}: Accountable for {code(view.asset)}, please take charge."


def _accountable_tag(ref: TeamRef) -> str:
    tag = usergroup_mention(ref.usergroup_id) or user_mention(ref.oncall_id)
    return f"{tag} {bold(ref.name)}" if tag else f"{bold(ref.name)} (nobody to tag)"


def render_acknowledged(view: IncidentView) -> str:
    after = ""
    if view.acknowledged_at is not None:
        after = f" ({format_duration(view.acknowledged_at - view.opened_at)} after opening)"
    stopped = " The escalation timer is stopped." if view.status is Status.ACKNOWLEDGED else ""
    return f":eyes: {actor(view.acknowledged_by)} acknowledged{after}.{stopped}"


def render_note(user_id: str | None, text: str) -> str:
    return f":memo: Note from {actor(user_id)}:\n{quote(text, NOTE_LIMIT)}"


def render_resolved(view: IncidentView) -> str:
    took = ""
    if view.resolved_at is not None:
        took = f" after {format_duration(view.resolved_at - view.opened_at)}"
    lines = [f":white_check_mark: *Resolved* by {actor(view.resolved_by)}{took}."]
    if view.side:
        lines.append(f"Cause: {bold(view.side.label)}, {escape(view.side.explanation)}.")
    if view.note:
        lines.append(quote(view.note, NOTE_LIMIT))
    lines.append(f"Postmortem draft: `demarc incident export {view.id}`")
    return "\n".join(lines)


def render_reminder_text(view: IncidentView) -> str:
    open_for = format_duration(view.now - view.opened_at)
    text = (
        f":hourglass: Status update due on incident #{view.id} ({view.severity.label}, "
        f"open {open_for}): post what you know with *Add note*, or *Resolve* it."
    )
    if not view.acknowledged_by:
        text += " Nobody has acknowledged it yet."
    return text


def render_reminder(view: IncidentView) -> list[Block]:
    """The reminder carries Resolve and Add note: old buttons once resolved (answered so)."""
    return [section(render_reminder_text(view)), render_buttons(view, reminder=True)]


def render_informed_notice(view: IncidentView, *, resolved: bool = False) -> str:
    """One line for an Informed team's channel: no mention of anyone, ever."""
    head = f"{escape(view.title)} on {code(view.asset)}"
    where = escape(view.plan.channel or "the incident channel")
    if resolved:
        took = format_duration((view.resolved_at or view.now) - view.opened_at)
        return f":white_check_mark: {head} is resolved (after {took}). Details in {where}."
    teams = ", ".join(escape(ref.name) for ref in view.plan.responders) or "The owners"
    return (
        f":information_source: {head}: {escape(truncate(view.summary, 200))}. "
        f"{teams} are on it in {where}; nothing to do for you."
    )


def render_resolved_elsewhere(view: IncidentView) -> str:
    """The ephemeral answer to a button on an old message of a resolved incident."""
    by = f" by {actor(view.resolved_by)}" if view.resolved_by else ""
    return (
        f"Incident #{view.id} on {code(view.asset)} is already resolved{by} "
        f"({when(view.resolved_at, view.now)}). Nothing more to do here."
    )
