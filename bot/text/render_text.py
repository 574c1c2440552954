"""Plain-text renderings for the terminal (CLI and `demarc demo`), from the typed answers."""

from __future__ import annotations

from ownership.answers import ActivityAnswer, Answer, AssetAnswer, LinkedAsset, NotFound, TeamRoles


def _person(tr: TeamRoles) -> str:
    if tr.oncall is None:
        return ""
    who = tr.oncall.name
    handle = f" (@{tr.oncall.slack_id})" if tr.oncall.slack_id else ""
    return f" - on call: {who}{handle}"


def _team_line(tr: TeamRoles) -> str:
    group = (
        f" @{tr.team.usergroup.handle}" if tr.team.usergroup and tr.team.usergroup.handle else ""
    )
    return f"  {tr.label:<4} {tr.team.name}{group}{_person(tr)}"


def _linked(link: LinkedAsset, arrow: str) -> str:
    owners = ", ".join(f"{o.label} {o.team.name}" for o in link.owners) or "no owner"
    hops = f", {link.distance} hops" if link.distance > 1 else ""
    line = f"  {arrow} {link.asset.id} ({link.asset.kind}{hops}) - {owners}"
    if link.contract is not None and link.contract.sla_words:
        line += f"\n      contract: {link.contract.sla_words}"
    return line


def render_text(answer: Answer) -> str:
    if isinstance(answer, NotFound):
        if not answer.query:
            return usage()
        hint = f" Did you mean: {', '.join(answer.suggestions)}?" if answer.suggestions else ""
        return f"No asset or activity called '{answer.query}'.{hint}"
    if isinstance(answer, ActivityAnswer):
        lines = [f"{answer.activity.name} (activity)"]
        lines += [_team_line(t) for t in answer.teams]
        return "\n".join(lines)
    return _asset_text(answer)


def _asset_text(a: AssetAnswer) -> str:
    title = f"{a.asset.id} ({a.asset.kind})"
    lines = [title]
    if a.asset.description:
        lines.append(f"  {a.asset.description}")
    lines += [_team_line(t) for t in a.teams] or ["  nobody owns this asset yet"]
    if a.contract is not None:
        c = a.contract.contract
        sla = a.contract.sla_words or "no SLA"
        status = f" - {a.contract.status}" if a.contract.status else ""
        lines.append(f"Contract {c.id}: {sla}{status}")
        if a.contract.quality:
            lines.append(f"Data quality: {a.contract.quality}")
        if c.consumer_teams:
            names = a.contract.consumer_names or c.consumer_teams
            lines.append(f"  consumers: {', '.join(names)}")
    if a.upstream:
        lines.append("Upstream:")
        lines += [_linked(u, "^") for u in a.upstream]
    if a.downstream:
        lines.append("Downstream:")
        lines += [_linked(d, "v") for d in a.downstream]
    if a.runbook:
        lines.append(f"Runbook: {a.runbook}")
    return "\n".join(lines)


def usage() -> str:
    return (
        "Usage: /whoowns <asset or activity>, e.g. /whoowns customer_age or "
        "/whoowns feature engineering"
    )
