"""The registry-backed parts of the postmortem draft: contracts, the boundary, follow-ups."""

from __future__ import annotations

from bot.db.models import Incident
from ownership.incident_plan import IncidentPlan
from ownership.incidents import DEFAULT_TIMERS, BoundarySide, Severity
from ownership.lineage import walk
from ownership.model import Contract, Registry
from ownership.raci import asset_owner
from ownership.sla import describe_age_sla, describe_sla
from ownership.timeparse import format_duration


def _name(registry: Registry, team_id: str | None) -> str:
    team = registry.teams.get(team_id or "")
    return team.name if team else (team_id or "nobody")


def _contract_lines(registry: Registry, contract: Contract, where: str) -> list[str]:
    consumers = ", ".join(_name(registry, t) for t in contract.consumer_teams) or "none listed"
    sla = [describe_sla(contract.sla)] if contract.sla else []
    if contract.freshness is not None:
        sla.append(describe_age_sla(contract.freshness))
    lines = [
        f"### `{contract.asset}` ({where})",
        "",
        f"- Owner: {_name(registry, contract.owner_team)}; consumers: {consumers}.",
        f"- SLA: {'; '.join(sla) or 'none: nothing says when this data is late'}.",
    ]
    policy = contract.change_policy
    if policy.breaking_changes or policy.non_breaking_changes:
        lines.append(
            f"- Change policy: breaking: {policy.breaking_changes or 'not stated'}; "
            f"non-breaking: {policy.non_breaking_changes or 'not stated'}."
        )
    if contract.contacts:
        lines.append("- Contacts: " + ", ".join(f"{k} {v}" for k, v in contract.contacts) + ".")
    lines.append(f"- Defined in `{contract.source.file}`.")
    return [*lines, ""]


def contracts_section(registry: Registry | None, asset_id: str) -> list[str]:
    if registry is None:
        return ["The registry was not available: contracts are not included."]
    if asset_id not in registry.assets:
        return [f"`{asset_id}` is no longer in the registry."]
    lines: list[str] = []
    pairs = [
        (asset_id, "the asset"),
        *(
            (a, f"upstream, {d} step{'s' if d > 1 else ''}")
            for a, d in walk(registry, asset_id, "up")
        ),
    ]
    for other, where in pairs:
        contract = registry.contract_for(other)
        if contract is not None:
            lines += _contract_lines(registry, contract, where)
    if registry.contract_for(asset_id) is None:
        lines.append(f"No contract covers `{asset_id}` itself.")
    return lines or [f"No contract covers `{asset_id}` or anything upstream of it."]


def side_section(
    registry: Registry | None, asset_id: str, side: BoundarySide | None, plan: IncidentPlan
) -> list[str]:
    if side is None:
        return ["Not decided yet: it is recorded when the incident is resolved."]
    lines = [f"**{side.label}**: {side.explanation}.", ""]
    if registry is None or asset_id not in registry.assets:
        return lines
    owner = _name(registry, asset_owner(registry, registry.assets[asset_id]))
    ups = [
        (a, _name(registry, asset_owner(registry, registry.assets[a])))
        for a, _ in walk(registry, asset_id, "up")
    ]
    upstream = "; ".join(f"`{a}` is owned by {team}" for a, team in ups) or "nothing upstream"
    lines.append(f"The boundary around `{asset_id}`: {owner} owns it (R/A); {upstream}.")
    if side is BoundarySide.DATA:
        lines.append(f"The cause was upstream of `{asset_id}`, with the owners of the data.")
    elif side is BoundarySide.FEATURE_MODEL:
        lines.append(f"The cause was in `{asset_id}` or its feature/model logic, with {owner}.")
    elif side is BoundarySide.BOTH:
        lines.append("Both sides contributed: each has a follow-up below.")
    else:
        lines.append("Neither team caused it; the contract owner chases the outside party.")
    return lines


def follow_ups(
    row: Incident, plan: IncidentPlan, registry: Registry | None, side: BoundarySide | None
) -> list[str]:
    items: list[str] = []
    opened, acked = row.opened_at, row.acknowledged_at
    limit = DEFAULT_TIMERS[Severity(row.opened_severity)].acknowledge_within
    if opened and (acked is None or acked - opened > limit):
        took = format_duration(acked - opened) if acked else "never"
        items.append(
            f"Paging: acknowledged {took} (limit {format_duration(limit)}). Check the "
            "on-call rotations and who gets notified."
        )
    asset = registry.assets.get(row.asset) if registry else None
    if registry is not None and asset is not None:
        owner = _name(registry, asset_owner(registry, asset))
        if not asset.runbook:
            items.append(f"{owner}: write a runbook for `{asset.id}` and link it in the registry.")
        if side in (BoundarySide.DATA, BoundarySide.BOTH):
            suspects = [a for a, _ in plan.broken_upstream] or [
                a for a, _ in walk(registry, asset.id, "up")
            ][:1]
            for up in suspects:
                contract = registry.contract_for(up)
                team = _name(registry, contract.owner_team if contract else None)
                if contract is None:
                    items.append(
                        f"Write a data contract for `{up}` (owner, consumers, SLA, "
                        "schema) so its breakage is caught at the boundary."
                    )
                elif contract.probe is None:
                    items.append(f"{team}: add a freshness probe to the `{up}` contract.")
                else:
                    items.append(
                        f"{team}: fix the cause in `{up}` and add a check that catches "
                        "it before a model uses the data."
                    )
        if side in (BoundarySide.FEATURE_MODEL, BoundarySide.BOTH):
            items.append(
                f"{owner}: add a validation on `{asset.id}` (ranges, nulls, drift) "
                "before training and serving use it."
            )
        if side is BoundarySide.EXTERNAL:
            items.append(
                "Agree notice of changes with the outside party and write it into the "
                "contract's change_policy."
            )
    if row.status != "resolved":
        items.append("Resolve the incident (the side of the boundary is recorded then).")
    items.append("Add your own, each with one owner and a due date.")
    return [f"- [ ] {item}" for item in items]
