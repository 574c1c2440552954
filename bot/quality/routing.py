"""Who hears of a quality breach: the root goes to the contract's alert channel (its owner's
on-call); every other Responsible team of the asset's RACI activity, and every consumer, is
told in its own on-call channel. The asset kind's activity decides whether the check is raw
data quality (Data Engineering R) or ML-specific (MLOps R)."""

from __future__ import annotations

from bot.freshness.roots import alert_channel
from ownership.model import Contract, Registry, Role
from ownership.raci import asset_roles, teams_with


def owner_channel(registry: Registry, contract: Contract) -> str | None:
    return alert_channel(registry, contract)


def responsible_teams(registry: Registry, contract: Contract) -> list[str]:
    """The R teams of the contract's asset, the owner first."""
    asset = registry.assets.get(contract.asset)
    found = teams_with(asset_roles(registry, asset), Role.RESPONSIBLE) if asset else []
    ordered = [contract.owner_team, *sorted(t for t in found if t != contract.owner_team)]
    return [t for t in ordered if t in registry.teams]


def informed_channels(registry: Registry, contract: Contract, root_channel: str) -> list[str]:
    """The other R teams' and the consumers' on-call channels, each once, never the root's."""
    teams = [*responsible_teams(registry, contract)[1:], *contract.consumer_teams]
    out: list[str] = []
    for team_id in teams:
        team = registry.teams.get(team_id)
        channel = team.oncall_channel if team else None
        if channel and channel != root_channel and channel not in out:
            out.append(channel)
    return out
