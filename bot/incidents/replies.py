"""What demarc tells the person who asked (ephemerally): short, specific, what to do next."""

from __future__ import annotations

from dataclasses import dataclass

from bot.blocks.alerts import when
from bot.blocks.escape import bold, channel_ref, code, escape, truncate
from bot.blocks.incidents import IncidentView, actor, render_resolved_elsewhere
from ownership.incident_plan import suggest_assets
from ownership.incidents import Action, Severity
from ownership.model import Registry

USAGE = (
    "Open an incident: `/incident <asset> <summary> [sev1|sev2|sev3]`, e.g. "
    "`/incident customer_age predictions are wrong sev2` (default sev2).\n"
    "Its timeline: `/incident timeline` in the incident's channel, or `/incident timeline 12`."
)
VERBS = {
    Action.ACKNOWLEDGE: "acknowledge",
    Action.ESCALATE: "escalate",
    Action.RESOLVE: "resolve",
    Action.NOTE: "add a note to",
}


@dataclass(frozen=True)
class Reply:
    """Slack mrkdwn for the person who asked, escaped already."""

    text: str
    ok: bool = True
    incident_id: int | None = None
    changed: bool = False  # the incident changed: its thread says so, no need to answer


def unknown_asset(registry: Registry, query: str) -> Reply:
    shown = code(truncate(query, 80))
    close = suggest_assets(registry, query)
    if close:
        names = ", ".join(code(name) for name in close)
        return Reply(f"I don't know an asset called {shown}. Did you mean {names}?", ok=False)
    return Reply(
        f"I don't know an asset called {shown}. `/whoowns` lists what the registry "
        "knows; incidents are opened on an asset id or alias.",
        ok=False,
    )


def no_incident(incident_id: int) -> Reply:
    return Reply(f"There is no incident #{incident_id}.", ok=False)


def no_channel(asset: str) -> Reply:
    return Reply(
        f"Nowhere to open an incident on {code(asset)}: set `incident_channel` on "
        "the asset or an `oncall_channel` on its owner team in the registry.",
        ok=False,
    )


def already_open(view: IncidentView, channel: str | None) -> Reply:
    where = channel_ref(channel or view.plan.channel or "its channel")
    return Reply(
        f"Incident #{view.id} ({view.severity.label}, {view.status.word.lower()}) is "
        f"already open on {code(view.asset)} in {where}: "
        f"{escape(truncate(view.summary, 150))}. Add to it there.",
        ok=False,
        incident_id=view.id,
    )


def opened(view: IncidentView) -> Reply:
    tagged = ", ".join(escape(r.name) for r in view.plan.responders) or "nobody"
    where = escape(view.plan.channel or "")
    return Reply(
        f"Opened incident #{view.id} ({view.severity.label}) on {code(view.asset)} in "
        f"{where}; tagged the on-call of {tagged}.",
        incident_id=view.id,
        changed=True,
    )


def not_allowed(view: IncidentView, registry: Registry, action: Action) -> Reply:
    teams = [
        registry.teams[t].name for t in sorted(view.plan.involved_team_ids) if t in registry.teams
    ]
    who = ", ".join(bold(name) for name in teams) or "the owner teams"
    return Reply(
        f"Only members of {who} (the teams involved in incident #{view.id}) or a "
        f"demarc admin can {VERBS[action]} it. You can still *Add note*, or ask "
        "them in the thread.",
        ok=False,
        incident_id=view.id,
    )


def unchanged(view: IncidentView, reason: str) -> Reply:
    if reason == "already acknowledged":
        detail = f"by {actor(view.acknowledged_by)} at {when(view.acknowledged_at, view.now)}"
    else:
        by = actor(view.escalated_by) if view.escalated_by else "demarc"
        detail = f"to {view.severity.label} by {by} at {when(view.escalated_at, view.now)}"
    return Reply(
        f"Incident #{view.id} was {reason.removeprefix('already ')} already, "
        f"{detail}. Nothing changed.",
        incident_id=view.id,
    )


def resolved(view: IncidentView) -> Reply:
    return Reply(render_resolved_elsewhere(view), ok=False, incident_id=view.id)


def done(view: IncidentView, action: Action, was: Severity | None = None) -> Reply:
    """What the person who acted is told; `was`: the severity before (an escalation of a
    SEV1 tags the Accountable teams but changes no severity, and must not claim it did)."""
    escalated = (
        f"Escalated (still {view.severity.label}, the highest severity; the Accountable "
        "teams are tagged)"
        if was is view.severity
        else f"Escalated to {view.severity.label}"
    )
    words = {
        Action.ACKNOWLEDGE: "Acknowledged",
        Action.ESCALATE: escalated,
        Action.RESOLVE: "Resolved",
        Action.NOTE: "Added your note to",
    }[action]
    return Reply(
        f"{words} incident #{view.id} on {code(view.asset)}.", incident_id=view.id, changed=True
    )
