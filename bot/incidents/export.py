"""`demarc incident export ID`: a postmortem draft in Markdown that a team would keep.

Summary, impact, timeline, owners per RACI, the contracts and SLAs involved, which side of the
boundary broke, and follow-ups. Facts come from the database (the incident, its timeline, its
linked alerts, the RACI plan it was opened with); contracts and lineage from the registry.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.db.models import Alert, Incident, IncidentAlert
from bot.incidents.export_sections import contracts_section, follow_ups, side_section
from bot.incidents.records import events_of, plan_of, side_of
from ownership.incident_plan import IncidentPlan, TeamRef
from ownership.incidents import Severity, Status
from ownership.lineage import walk
from ownership.model import Registry
from ownership.raci import asset_owner
from ownership.timeparse import format_duration


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.replace("|", "\\|").split())


def stamp(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if at else "—"


class Names:
    """Slack user ids → the names the registry gives them (the id when unknown)."""

    def __init__(self, registry: Registry | None) -> None:
        self._names = {
            p.slack_id: p.name
            for t in (registry.teams.values() if registry else ())
            for p in t.members
            if p.slack_id
        }

    def __call__(self, user_id: str | None) -> str:
        return "demarc" if user_id is None else self._names.get(user_id, user_id)


def export_incident(
    engine: Engine, incident_id: int, registry: Registry | None, now: datetime
) -> str | None:
    """The Markdown draft, or None when there is no such incident."""
    with Session(engine) as session:
        row = session.get(Incident, incident_id)
        if row is None:
            return None
        events = events_of(session, incident_id)
        alerts = list(
            session.scalars(
                select(Alert)
                .join(IncidentAlert, IncidentAlert.alert_id == Alert.id)
                .where(IncidentAlert.incident_id == incident_id)
                .order_by(Alert.id)
            )
        )
    names = Names(registry)
    plan = plan_of(row)
    opened = row.opened_at
    out = [f"# Incident #{row.id}: `{row.asset}`: {' '.join(row.summary.split())}", ""]
    out += [
        f"Postmortem draft written by demarc on {stamp(now)}. Edit it, then keep it with "
        "the team's postmortems.",
        "",
    ]
    out += _facts(row, names, opened)
    out += ["", "## Summary", "", *_quote(row.summary), ""]
    if row.resolution_note:
        out += ["**Resolution:**", "", *_quote(row.resolution_note), ""]
    out += ["## Impact", "", *_impact(row, plan, alerts, registry, opened, names), ""]
    out += ["## Timeline (UTC)", "", "| Time | Event | By | Detail |", "|---|---|---|---|"]
    out += [
        f"| {e.at.strftime('%Y-%m-%d %H:%M')} | {e.kind.replace('_', ' ')} | "
        f"{cell(names(e.actor))} | {cell(e.detail)} |"
        for e in events
    ]
    out += ["", "## Owners per RACI", "", *_owners(plan), ""]
    out += ["## Contract and SLA", "", *contracts_section(registry, row.asset), ""]
    out += [
        "## Which side of the boundary broke",
        "",
        *side_section(registry, row.asset, side_of(row), plan),
        "",
    ]
    out += ["## Follow-ups", "", *follow_ups(row, plan, registry, side_of(row)), ""]
    return "\n".join(out)


def _quote(text: str) -> list[str]:
    return [f"> {line}" for line in text.splitlines() or [""]]


def _after(at: datetime | None, opened: datetime) -> str:
    return f", {format_duration(at - opened)} after opening" if at else ""


def _facts(row: Incident, names: Names, opened: datetime) -> list[str]:
    severity = Severity(row.severity).label
    if row.opened_severity != row.severity:
        severity += f" (opened as {Severity(row.opened_severity).label})"
    acked, escalated, resolved = (row.acknowledged_at, row.escalated_at, row.resolved_at)
    rows = [
        ("Asset", f"`{row.asset}`"),
        ("Severity", severity),
        ("Status", Status(row.status).word),
        ("Opened", f"{stamp(opened)} by {names(row.opened_by)}"),
        (
            "Acknowledged",
            f"{stamp(acked)} by {names(row.acknowledged_by)}{_after(acked, opened)}"
            if acked
            else "never",
        ),
    ]
    if escalated:
        rows.append(
            (
                "Escalated",
                f"{stamp(escalated)} by {names(row.escalated_by)}{_after(escalated, opened)}",
            )
        )
    rows.append(
        (
            "Resolved",
            f"{stamp(resolved)} by {names(row.resolved_by)}{_after(resolved, opened)}"
            if resolved
            else "not yet",
        )
    )
    side = side_of(row)
    rows.append(("Cause", f"{side.label}: {side.explanation}" if side else "not decided yet"))
    return ["| | |", "|---|---|", *(f"| {k} | {cell(v)} |" for k, v in rows)]


def _impact(
    row: Incident,
    plan: IncidentPlan,
    alerts: list[Alert],
    registry: Registry | None,
    opened: datetime,
    names: Names,
) -> list[str]:
    end = row.resolved_at
    lines = [
        f"- Duration: {format_duration(end - opened)} from opening to resolution."
        if end
        else "- Still open when this draft was written."
    ]
    acked = row.acknowledged_at
    if acked:
        lines.append(f"- Time to acknowledge: {format_duration(acked - opened)}.")
    if plan.broken_upstream:
        lines.append(
            "- Upstream broken or late when it was opened: "
            + ", ".join(f"`{a}` ({why})" for a, why in plan.broken_upstream)
            + "."
        )
    for alert in alerts:
        late = timedelta(seconds=alert.late_by_seconds or 0)
        back = (
            f"recovered {stamp(alert.recovered_at)}, {format_duration(late)} late"
            if alert.status == "recovered"
            else f"still {alert.status}"
        )
        lines.append(
            f"- Late-data alert #{alert.id} on `{alert.contract_id}` (period "
            f"{alert.period_key}): opened {stamp(alert.opened_at)}, {back}."
        )
    if registry is not None and row.asset in registry.assets:
        down = [a for a, _ in walk(registry, row.asset, "down")]
        owners = {a: asset_owner(registry, registry.assets[a]) for a in down}
        if down:
            lines.append(
                "- Downstream that may have used bad data: "
                + ", ".join(f"`{a}` ({_team_name(registry, owners[a])})" for a in down)
                + "."
            )
    if plan.informed:
        lines.append("- Informed: " + ", ".join(t.name for t in plan.informed) + ".")
    return lines


def _team_name(registry: Registry, team_id: str | None) -> str:
    team = registry.teams.get(team_id or "")
    return team.name if team else (team_id or "no owner")


def _owners(plan: IncidentPlan) -> list[str]:
    lines = [
        "| Team | Role in this incident | Why | On call when opened (tagged) |",
        "|---|---|---|---|",
    ]
    groups: tuple[tuple[str, tuple[TeamRef, ...]], ...] = (
        ("Responsible", plan.responders),
        ("Accountable", plan.accountable),
        ("Consulted", plan.consulted),
        ("Informed", plan.informed),
    )
    for role, refs in groups:
        for ref in refs:
            oncall = ref.oncall_name if role == "Responsible" and ref.oncall_name else ""
            lines.append(
                f"| {cell(ref.name)} | {role} | {cell('; '.join(ref.reasons))} | {cell(oncall)} |"
            )
    return lines
