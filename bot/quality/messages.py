"""The words and blocks of a quality alert: what failed, on which column, by how much, with
counts only (sample values may be personal data and are never shown)."""

from __future__ import annotations

from datetime import datetime

from bot.blocks import Block, context, section
from bot.blocks.escape import bold, code, escape, user_mention, usergroup_mention
from bot.db.models import QualityAlert
from ownership.model import Contract, Registry
from ownership.oncall import on_call

ICON = ":bar_chart:"


def render_root(
    registry: Registry, contract: Contract, alert: QualityAlert, now: datetime, scanned: str
) -> tuple[str, list[Block]]:
    """The root in the owner's channel: open (with the on-call tagged) or resolved."""
    check = code(alert.check_id)
    if alert.status == "resolved":
        return (
            f"Data quality on {contract.id} resolved: {alert.check_id} passes again",
            [
                section(
                    f":large_green_circle: Data quality check {check} on {code(contract.id)} "
                    f"(period {escape(alert.period_key)}) *passes again*. Resolved."
                ),
                context(f"Was: {escape(alert.detail)}"),
            ],
        )
    owner = registry.teams.get(contract.owner_team)
    person = on_call(owner, now) if owner else None
    tag = user_mention(person.slack_id) if person else None
    if tag is None and owner is not None and owner.usergroup is not None:
        tag = usergroup_mention(owner.usergroup.id)
    name = bold(owner.name if owner else contract.owner_team)
    consumers = [registry.teams[t].name for t in contract.consumer_teams if t in registry.teams]
    lines = [
        f"{ICON} *Data quality check failed on {code(contract.id)}* "
        f"(period {escape(alert.period_key)}):",
        f"• {escape(alert.detail)}",
        f"Responsible: {name}{' on call: ' + tag if tag else ''}",
    ]
    if consumers:
        lines.append("Informed: " + ", ".join(escape(t) for t in consumers))
    text = f"Data quality on {contract.id}: {alert.detail}"
    return text, [
        section("\n".join(lines)),
        context(
            f"Counted on {escape(scanned)}. Only counts are shown, never sample values. Fix "
            "the data and reload it: the next check resolves this."
        ),
    ]


def fyi(registry: Registry, contract: Contract, alert: QualityAlert) -> str:
    owner = registry.teams.get(contract.owner_team)
    owner_name = bold(owner.name if owner else contract.owner_team)
    return (
        f"{ICON} FYI: {code(contract.id)}, which you depend on, failed a data quality check "
        f"(period {escape(alert.period_key)}):\n• {escape(alert.detail)}\nIts owner "
        f"{owner_name} is alerted in {escape(alert.channel)}; this thread says when it is fixed."
    )


def resolved_note(contract: Contract, alert: QualityAlert) -> str:
    return (
        f":large_green_circle: {code(alert.check_id)} on {code(contract.id)} passes again. "
        "Resolved."
    )


def downstream_note(contract: Contract, alert: QualityAlert) -> str:
    return (
        f"Also failing downstream: {code(contract.id)}: {escape(alert.detail)} "
        "(likely the same cause; no alert of its own)."
    )


def changed_note(alert: QualityAlert) -> str:
    return f"Checked again, still failing: {escape(alert.detail)}"
