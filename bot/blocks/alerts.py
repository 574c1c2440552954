"""Late-data alert messages: the root (edited in place as things change) and thread replies.

Pure functions from an `AlertView` to Block Kit. The owner's on-call person is tagged (or the
owner team's user group when it has no rotation); consumer teams are named, never pinged.

Everything shown comes from the alert's latest check (`checked_at`), never from the time of
rendering, so rendering the same check twice gives the same message. Lateness is shown as
"late since 02:30 UTC" (exact, and true for as long as it lasts) with a coarse "over 3 h"
that changes once an hour (once a day past two days): a re-check every 10 minutes of a late
alert changes nothing a person sees, so the root is not edited (`bot.freshness.roots`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.blocks import Block, context, ids, section
from bot.blocks.escape import bold, code, escape, link, user_mention, usergroup_mention
from ownership.model import Contract, Person, Team
from ownership.timeparse import format_duration, format_instant, format_lateness

SNOOZE_CHOICES = (("1 hour", 60), ("4 hours", 240), ("12 hours", 720), ("24 hours", 1440))
ETA_CHOICES = (("in 30 min", 30), ("in 1 hour", 60), ("in 2 hours", 120), ("in 4 hours", 240))


@dataclass(frozen=True)
class AlertView:
    """Everything a late-data message shows, gathered by the freshness service."""

    alert_id: int
    contract: Contract
    kind: str  # "late" | "check_failed"
    status: str  # "open" | "recovered"
    sla_words: str
    owner: Team | None
    oncall: Person | None
    consumers: tuple[Team, ...]
    now: datetime  # when rendered: who is on call
    checked_at: datetime | None = None  # the check whose figures are shown
    as_of: datetime | None = None  # shown as "As of": checked_at, or None for a fingerprint
    last_update: datetime | None = None
    deadline: datetime | None = None
    late_by: timedelta | None = None
    recovered_at: datetime | None = None
    runbook: str | None = None
    affected: tuple[str, ...] = ()
    error: str | None = None
    failures: int = 0
    snoozed_until: datetime | None = None
    incident_ref: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def when(at: datetime | None, now: datetime) -> str:
    """ "02:13 UTC", with the date when not on `now`'s day, the year when not in its year."""
    return "never" if at is None else format_instant(at, now)


def _ref(view: AlertView) -> datetime:
    """What "today" is for the times shown: the day of the check they come from."""
    return (view.checked_at or view.now).astimezone(UTC)


def _owner_tag(view: AlertView) -> str:
    team = view.owner
    name = bold(team.name) if team else bold(view.contract.owner_team)
    person = user_mention(view.oncall.slack_id) if view.oncall else None
    if person:
        return f"{name} on call: {person}"
    group = usergroup_mention(team.usergroup.id) if team and team.usergroup else None
    return f"{name} {group}" if group else f"{name} (no on-call rotation, nobody tagged)"


def _informed(view: AlertView) -> str | None:
    if not view.consumers:
        return None
    return "Informed: " + ", ".join(escape(t.name) for t in view.consumers)


def render_alert_text(view: AlertView) -> str:
    """The notification text (what a phone's lock screen shows): short and specific."""
    name = view.contract.id
    if view.kind == "check_failed":
        if view.status == "recovered":
            return f"Check for {name} works again"
        return f"Can't check {name}: {view.failures} checks failed in a row"
    if view.status == "recovered":
        late = format_duration(view.late_by) if view.late_by else "0 min"
        return f"{name} recovered, {late} late"
    coarse = format_lateness(view.late_by) if view.late_by else None
    since = f" since {when(view.deadline, _ref(view))}" if view.deadline else ""
    return f"{name} is late{since}" + (f" ({coarse})" if coarse else "")


def _lateness_line(view: AlertView) -> str:
    """ "Late since 02:30 UTC (over 3 h). Data last arrived Nov 24 01:50 UTC." """
    ref = _ref(view)
    coarse = format_lateness(view.late_by) if view.late_by else None
    if view.deadline is not None:
        head = f"Late since {when(view.deadline, ref)}" + (f" ({coarse})" if coarse else "")
    else:
        head = f"Late ({coarse})" if coarse else "Late"
    arrived = (
        f"Data last arrived {when(view.last_update, ref)}"
        if view.last_update
        else "No data has arrived yet"
    )
    return f"{head}. {arrived}."


def render_alert(view: AlertView) -> list[Block]:
    if view.kind == "check_failed":
        return _check_failed(view)
    name = code(view.contract.id)
    ref = _ref(view)
    lines: list[str]
    if view.status == "recovered":
        late = format_duration(view.late_by) if view.late_by else "0 min"
        lines = [
            f":large_green_circle: {name} *recovered*, {escape(late)} late: data arrived "
            f"{when(view.last_update, ref)}."
        ]
    else:
        lines = [f":red_circle: {name} *is late*: {escape(view.sla_words)}.", _lateness_line(view)]
    lines.append(f"Responsible: {_owner_tag(view)}")
    if (informed := _informed(view)) is not None:
        lines.append(informed)
    if view.affected:
        lines.append(_affected_line(view.affected))
    blocks: list[Block] = [section("\n".join(lines))]
    footer = []
    if view.runbook:
        footer.append(link(view.runbook, "Runbook"))
    if view.snoozed_until and view.status == "open":
        footer.append(f"Snoozed until {when(view.snoozed_until, ref)}")
    if view.incident_ref:
        footer.append(f"Incident: {escape(view.incident_ref)}")
    if view.as_of is not None:
        footer.append(f"As of {when(view.as_of, ref)}")
    if footer:
        blocks.append(context(" · ".join(footer)))
    if view.status == "open":
        blocks.append(_buttons(view))
    return blocks


MAX_AFFECTED = 20  # a section holds 3,000 characters; the thread lists every one


def _affected_line(affected: tuple[str, ...]) -> str:
    shown = ", ".join(code(a) for a in affected[:MAX_AFFECTED])
    more = len(affected) - MAX_AFFECTED
    if more > 0:
        return f"Also affected ({len(affected)}): {shown} and {more} more, listed in the thread"
    return f"Also affected: {shown}"


def _check_failed(view: AlertView) -> list[Block]:
    name = code(view.contract.id)
    if view.status == "recovered":
        text = f":white_check_mark: The freshness check for {name} works again."
        return [section(text)]
    text = (
        f":warning: Can't check {name}: the last {view.failures} checks failed, so demarc "
        f"cannot tell whether the data is late.\nError: {code(view.error or 'unknown')}\n"
        f"Responsible: {_owner_tag(view)}"
    )
    blocks = [section(text)]
    if view.runbook:
        blocks.append(context(link(view.runbook, "Runbook")))
    return blocks


def _buttons(view: AlertView) -> Block:
    options = [
        {"text": {"type": "plain_text", "text": label}, "value": f"{view.alert_id}:{minutes}"}
        for label, minutes in SNOOZE_CHOICES
    ]
    elements: list[Block] = [
        {
            "type": "static_select",
            "action_id": ids.SNOOZE_ALERT_ACTION,
            "placeholder": {"type": "plain_text", "text": "Snooze"},
            "options": options,
        },
    ]
    if view.kind == "late" and view.status == "open":  # the responder's ETA (also /ack 05:30)
        elements.append(
            {
                "type": "static_select",
                "action_id": ids.ETA_ALERT_ACTION,
                "placeholder": {"type": "plain_text", "text": "Ack with ETA"},
                "options": [
                    {"text": {"type": "plain_text", "text": label},
                     "value": f"{view.alert_id}:{minutes}"}
                    for label, minutes in ETA_CHOICES
                ],
            }
        )
    if view.incident_ref is None:  # once linked, the footer names the incident instead
        elements.append(
            {
                "type": "button",
                "action_id": ids.OPEN_INCIDENT_ACTION,
                "text": {"type": "plain_text", "text": "Open incident"},
                "value": str(view.alert_id),
            }
        )
    return {"type": "actions", "block_id": f"alert:{view.alert_id}", "elements": elements}


def render_thread_note(text: str) -> list[Block]:
    """A plain thread reply (already escaped by the caller where it holds user text)."""
    return [section(text)]
